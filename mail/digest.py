"""The ST's daily digest in words: the gathered payload in the reader's language and zone."""

import unicodedata
from collections.abc import Callable
from datetime import datetime
from email.message import EmailMessage
from typing import Any

import arrow
from jinja2 import Environment

from consultation import held
from consultation.deadlines import render_deadline
from consultation.links import ConsoleLinks
from consultation.vocabulary import Language

_SIGNATURE = {
    Language.ES: "consulta · consultas escritas de la CRM",
    Language.EN: "consulta · written consultations of the RCM",
}
_DAY = {Language.ES: "dddd D [de] MMMM [de] YYYY", Language.EN: "dddd D MMMM YYYY"}
# Gmail clips a message past 102 KB, and the ST sees only the start: 50 consultations of 193
# members each, listed whole, made 176 KB. The digest is rendered with the first of these caps
# that keeps its HTML under ``HTML_LIMIT``: how many names a list shows and how many held replies
# and absences each consultation shows, before it says "and N more" (the console has them all).
# Eleven members never reach the first.
HTML_LIMIT = 100_000
CAPS = ((12, 10), (3, 2), (0, 0))
# Answers since the last digest listed one by one up to this many; past it, counted by position.
ANSWERS = 12
_ORDER = ("object", "amend", "abstain", "approve")


def digest_message(
    env: Environment, payload: dict[str, Any], *, language: Language, timezone: str, recipient: str
) -> EmailMessage:
    subject, text, html = render_digest(
        env, payload, language=language, timezone=timezone, recipient=recipient
    )
    message = EmailMessage()
    message["Subject"] = subject
    message.set_content(text, subtype="plain", charset="utf-8")
    message.add_alternative(html, subtype="html", charset="utf-8")
    # After the content: set_content() clears every Content-* header already there.
    message["Content-Language"] = language.value
    return message


def render_digest(
    env: Environment, payload: dict[str, Any], *, language: Language, timezone: str, recipient: str
) -> tuple[str, str, str]:
    """Subject, text and HTML of one digest, summarised as much as it takes to fit."""
    name = f"digest/digest.{language.value}"
    for shown, items in CAPS:
        context = digest_context(
            payload, language=language, timezone=timezone, shown=shown, items=items
        )
        context["recipient"] = recipient
        module = env.get_template(f"{name}.txt").make_module(context)
        subject = " ".join(str(module.__dict__["subject"]).split())
        html = env.get_template(f"{name}.html").render(context, subject=subject)
        if len(html.encode("utf-8")) < HTML_LIMIT:
            break
    text = str(module).strip() + "\n"
    return subject, text, html


def digest_context(
    payload: dict[str, Any],
    *,
    language: Language,
    timezone: str,
    shown: int = CAPS[0][0],
    items: int = CAPS[0][1],
) -> dict[str, Any]:
    """The digest in words; lists show at most ``shown`` names, and ``items`` held replies and
    absences per consultation."""
    index = 0 if language is Language.ES else 1
    names: dict[str, list[str]] = payload["names"]

    def name(code: str | None) -> str:
        return names.get(code or "", [code or "?"] * 2)[index]

    def listed(codes: list[str]) -> list[str]:
        return sorted((name(c) for c in codes), key=_collation)

    def some(codes: list[str]) -> list[str]:
        """At most ``shown`` names; ``…_more`` counts the rest."""
        return listed(codes)[:shown]

    def local(instant: str | None) -> str:
        if not instant:
            return ""
        return arrow.get(instant).to(timezone).format("YYYY-MM-DD HH:mm")

    def deadline(instant: str | None) -> str:
        if not instant:
            return ""
        return render_deadline(
            datetime.fromisoformat(instant), timezone=timezone, language=language
        )

    def held(r: dict[str, Any]) -> dict[str, Any]:
        return {
            **r,
            "country": name(r["country"]) if r["country"] else "",
            "at": local(r["received_at"]),
            "reason": _reasons(r["reason"], language),
            "bearing": r.get("bearing", "other"),
            "standing": r.get("standing"),
            "version": r.get("version"),
        }

    now = arrow.get(payload["now"]).to(timezone)
    links = ConsoleLinks.of(payload.get("console"))
    consultations = [
        {
            **c,
            "title": c["title"][index] or c["title"][0],
            "deadline": deadline(c["deadline"]),
            "urgent": c["kind"] == "urgent",
            **_capped("pending", some(c["pending"]), c["pending"]),
            **_capped("pending_failing", some(c["pending_failing"]), c["pending_failing"]),
            **_capped("silent", some(c["silent"]), c["silent"]),
            **_capped("blocking", some(c["blocking"]), c["blocking"]),
            **_capped(
                "extension_requested", some(c["extension_requested"]), c["extension_requested"]
            ),
            "troika_pending": listed(c["troika_pending"]),
            "projected": c.get("projected", ""),
            "depends": sorted(
                ((name(code), newer) for code, newer in c.get("depends", [])),
                key=lambda pair: _collation(pair[0]),
            ),
            **_capped("review", [held(r) for r in c["review"][:items]], c["review"]),
            **_capped(
                "out_of_office",
                [
                    {
                        **o,
                        "country": name(o["country"]) if o["country"] else "",
                        "until": _day(o["until"], language) if o["until"] else "",
                    }
                    for o in c["out_of_office"][:items]
                ],
                c["out_of_office"],
            ),
            "url": links.consultation(c["id"]) if links else "",
        }
        for c in payload["consultations"]
    ]
    changes = [
        {
            "id": entry["id"],
            "title": entry["title"][index] or entry["title"][0],
            "events": [
                {
                    **e,
                    "at": local(e["at"]),
                    "deadline": deadline(e.get("deadline")),
                    "silent": listed(e.get("silent", [])),
                    "blocking": listed(e.get("blocking", [])),
                    "countries": listed(e.get("countries", [])),
                }
                for e in entry["events"]
            ],
            **_answers(entry["answers"], name, some),
        }
        for entry in payload["changes"]
    ]
    return {
        "day": now.format(_DAY[language], locale=language.value),
        "since": local(payload["since"]),
        "consultations": consultations,
        "changes": changes,
        "failing": [
            {**f, "country": name(f["country"]), "failure": _reasons(f["failure"], language)}
            for f in payload["failing"]
        ],
        "review_unlinked": [
            {**r, "at": local(r["received_at"]), "reason": _reasons(r["reason"], language)}
            for r in payload["review_unlinked"]
        ],
        "review_closed": [
            {
                "id": entry["id"],
                "title": entry["title"][index] or entry["title"][0],
                "review": [held(r) for r in entry["review"]],
            }
            for entry in payload.get("review_closed", [])
        ],
        "delayed": [
            {**d, "country": name(d["country"]) if d.get("country") else ""}
            for d in payload.get("delayed", [])
        ],
        "unverified_bounces": payload.get("unverified_bounces", 0),
        "zone": timezone.rsplit("/", 1)[-1].replace("_", " "),
        "console": links.board() if links else "",
        "signature": _SIGNATURE[language],
    }


def _capped(key: str, shown: list[Any], whole: list[Any]) -> dict[str, Any]:
    """A list as shown, and ``{key}_more``: how many it leaves out."""
    return {key: shown, f"{key}_more": len(whole) - len(shown)}


def _answers(
    answers: list[list[Any]],
    name: Callable[[str | None], str],
    some: Callable[[list[str]], list[str]],
) -> dict[str, Any]:
    """The answers since the last digest: each one while they are few; past ``ANSWERS``,
    counted by position, naming the objecting and amending countries and those asking for
    time (``answers`` is then empty and ``tally`` says it)."""
    if len(answers) <= ANSWERS:
        answered = [(name(a[0]), a[1], a[2]) for a in answers]
        return {"answers": answered, "tally": [], "more_time": [], "more_time_more": 0}
    tally = []
    for position in _ORDER:
        codes = [a[0] for a in answers if a[1] == position]
        if codes:
            named = position in ("object", "amend")
            shown = some(codes) if named else []
            tally.append((position, len(codes), shown, len(codes) - len(shown) if named else 0))
    asking = [a[0] for a in answers if a[2]]
    return {"answers": [], "tally": tally, **_capped("more_time", some(asking), asking)}


def _day(iso: str, language: Language) -> str:
    """An ISO date as ``Monday 14 December`` / ``lunes 14 de diciembre``."""
    pattern = "dddd D [de] MMMM" if language is Language.ES else "dddd D MMMM"
    try:
        return arrow.get(iso[:10]).format(pattern, locale=language.value)
    except arrow.parser.ParserError:
        return iso


def _collation(name: str) -> str:
    """Alphabetical as people read it: accents do not push a name to the end."""
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()


def _reasons(codes: str, language: Language) -> str:
    """Machine-readable reasons (``mixed_signals,question``) as words in ``language``."""
    return held.describe(codes, language)

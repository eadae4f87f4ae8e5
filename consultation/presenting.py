"""Turn procedure views into what a person reads on the command line, in their language."""

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import arrow
from jinja2 import Environment

from consultation import held
from consultation.deadlines import render_deadline
from consultation.status import ConsultationStatus, MemberLine
from consultation.vocabulary import Kind, Language, Standing
from consultation.zones import moment, zone_name
from store.tables import EventRow

_EXCERPT = 70


def status_text(env: Environment, status: ConsultationStatus, language: Language) -> str:
    return env.get_template(f"cli/status.{language.value}.txt").render(
        **status_context(status, language)
    )


def status_context(status: ConsultationStatus, language: Language) -> dict[str, Any]:
    row = status.consultation
    spanish = language is Language.ES
    deadline = (
        render_deadline(status.deadline, timezone=row.timezone, language=language)
        if status.deadline
        else None
    )
    return {
        "id": row.id,
        "title": row.title_es if spanish else row.title_en,
        "state": row.state,
        "outcome": row.outcome,
        "version": status.version.number,
        "urgent": Kind(row.kind) is Kind.URGENT,
        "days": status.version.days,
        "deadline": deadline,
        "days_left": status.business_days_left,
        "troika_round": row.troika_round,
        "troika": [(r.country, r.status, r.comment) for r in status.troika],
        "projected": status.result.outcome.value,
        "blocking": list(status.result.blocking),
        "members": [_member(m, row.timezone, language) for m in status.members],
        "counts": {s.value: status.result.count(s) for s in Standing},
        "held": sum(len(m.held) for m in status.members),
        "depends": [
            {"name": m.name_es if spanish else m.name_en, "newer": m.held_newer}
            for m in status.members
            if m.code in status.depends_on
        ]
        if row.outcome is None
        else [],
        "amendments": [
            {
                "id": a.id,
                "country": a.country,
                "action": a.action,
                "paragraph": a.paragraph,
                "proposed": _excerpt(a.proposed),
            }
            for a in status.open_amendments
        ],
    }


def _member(m: MemberLine, timezone: str, language: Language) -> dict[str, Any]:
    return {
        "code": m.code,
        "name": m.name_es if language is Language.ES else m.name_en,
        "standing": m.standing.value,
        "answered": _local(m.answered_at, timezone),
        "extension": m.extension_requested,
        "amendments": m.amendments,
        # "newer" may change the recorded position; "earlier" was overtaken by it.
        "held_as": "newer" if m.held_newer else ("earlier" if m.answered_at else "held"),
        "held": [
            {
                "id": h.inbound_id,
                "at": _local(h.received_at, timezone),
                "reason": held.describe(h.reasons, language),
            }
            for h in m.held
        ],
    }


def history_text(
    env: Environment,
    events: Sequence[EventRow],
    *,
    timezone: str,
    language: Language,
    names: Mapping[str, str] | None = None,
) -> str:
    rows = event_lines(env, events, timezone=timezone, language=language, names=names or {})
    return env.get_template(f"cli/history.{language.value}.txt").render(
        events=rows, zone=zone_name(timezone, language)
    )


def event_lines(
    env: Environment,
    events: Sequence[EventRow],
    *,
    timezone: str,
    language: Language,
    names: Mapping[str, str],
) -> list[dict[str, Any]]:
    """Each move as one sentence in ``language`` (``templates/export/events.*``), its time in
    words in ``timezone``; the mail front's per-address ``email_sent`` rows folded into one
    line per notice ("sent by email to 22 addresses")."""
    book = env.get_template(f"export/events.{language.value}.jinja").module
    lines: list[dict[str, Any]] = []
    for event, count in _folded(events):
        payload = _in_words(event, timezone, language, names)
        lines.append(
            {
                "at": moment(event.at, timezone, language),
                "actor": str(book.actor(event.actor)).strip(),  # type: ignore[attr-defined]
                "text": str(book.sentence(event.kind, payload, count)).strip(),  # type: ignore[attr-defined]
                "inbound_id": event.inbound_id,
            }
        )
    return lines


def _folded(events: Sequence[EventRow]) -> list[tuple[EventRow, int]]:
    """Consecutive ``email_sent`` rows of one notice kind become one, with the addresses
    counted; every other event stands alone (count 1)."""
    folded: list[tuple[EventRow, int]] = []
    for event in events:
        sent = len(event.payload.get("to") or []) if event.kind == "email_sent" else 1
        if folded and event.kind == "email_sent":
            last, count = folded[-1]
            if last.kind == "email_sent" and last.payload.get("kind") == event.payload.get("kind"):
                folded[-1] = (last, count + sent)
                continue
        folded.append((event, sent))
    return folded


def _in_words(
    event: EventRow, timezone: str, language: Language, names: Mapping[str, str]
) -> dict[str, Any]:
    """The payload with countries by name, instants in words, reasons in sentences."""
    p = dict(event.payload)
    for key in ("country",):
        if p.get(key):
            p[key] = names.get(str(p[key]), p[key])
    for key in ("troika", "blocking", "silent", "countries"):
        if isinstance(p.get(key), list):
            p[key] = [names.get(str(c), c) for c in p[key]]
    for key in ("deadline", "until"):
        value = p.get(key)
        if isinstance(value, str):
            try:
                p[key] = render_deadline(
                    datetime.fromisoformat(value), timezone=timezone, language=language
                )
            except ValueError:
                pass  # a date the sender wrote in words ("until Monday"): shown as written
    if event.kind == "reply_flagged":
        p["reason_words"] = held.describe(str(p.get("reason") or ""), language)
    p["message"] = event.inbound_id
    return p


def _local(instant: datetime | None, timezone: str) -> str:
    return arrow.get(instant).to(timezone).format("YYYY-MM-DD HH:mm") if instant else ""


def _excerpt(text: str | None) -> str:
    if not text:
        return ""
    flat = " ".join(text.split())
    return flat if len(flat) <= _EXCERPT else flat[: _EXCERPT - 1] + "…"

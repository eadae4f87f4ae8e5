"""What a notice about a consultation says, as the values its templates read: names in the
reader's language, the deadline in their zone, the redline of a revision (``mail.compose``
renders them)."""

import unicodedata
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from consultation import held
from consultation.deadlines import render_deadline
from consultation.note_facts import describe_note
from consultation.redline import paragraph_changes, redline_html, redline_text
from consultation.texts import Text
from consultation.vocabulary import Language, SilenceRule
from mail import tokens
from mail.fanout import Fanout
from mail.notice_facts import settled_amendments, troika_requests
from store import queries
from store.tables import ConsultationRow, ContactRow, CountryRow, OutboxRow, VersionRow

# Messages that carry the text itself (inline and as .docx).
WITH_TEXT = frozenset({"troika_draft", "draft", "revision", "reminder", "results", "results_info"})
# Messages to the PPT and the ST about the procedure: no country speaks in a reply to them.
FOR_STAFF = frozenset(
    {
        "troika_consensus",
        "troika_changes",
        "all_answered",
        "tally",
        "delivery_failure",
        "reply_flagged",
        "reminder_report",
        "objection_received",
        "colleague_held",  # to a colleague outside the roster: no Reply-To that invites an answer
    }
)
# Messages whose reader is asked to answer before a deadline.
WITH_DEADLINE = frozenset(
    {"draft", "revision", "extension", "reminder", "reminder_report", "late_answer"}
)


async def names_of(session: AsyncSession, fanout: Fanout, language: Language) -> dict[str, str]:
    if fanout.countries is None:
        fanout.countries = await queries.countries(session)
    spanish = language is Language.ES
    return {c.code: (c.name_es if spanish else c.name_en) for c in fanout.countries}


async def notice_context(
    session: AsyncSession,
    row: OutboxRow,
    consultation: ConsultationRow,
    version: VersionRow,
    contact: ContactRow,
    country: CountryRow | None,
    language: Language,
    fanout: Fanout,
) -> dict[str, Any]:
    spanish = language is Language.ES
    ppt = await session.get(CountryRow, consultation.ppt_country)
    payload = row.payload
    names = await names_of(session, fanout, language)
    text = Text(es=version.paragraphs_es, en=version.paragraphs_en).in_language(language)
    context: dict[str, Any] = {
        "recipient": contact.name,
        "id": consultation.id,
        "title": consultation.title_es if spanish else consultation.title_en,
        "tag": tokens.subject_tag(consultation.id, version.number),
        "version": version.number,
        "days": version.days,
        "urgent": consultation.kind == "urgent",
        "silence_consents": consultation.silence_rule == SilenceRule.NO_OBJECTION.value,
        "ppt_name": names.get(ppt.code, ppt.code) if ppt else consultation.ppt_country,
        "country_name": names.get(country.code, country.code) if country else "",
        "round": payload.get("round", consultation.troika_round),
        "note": version.changes_note,
        "extension_days": payload.get("days", 0),
        "position": payload.get("position"),
        "amendments": payload.get("amendments", []),
        "extension_requested": payload.get("extension_requested", False),
        "outcome": payload.get("outcome"),
        "blocking": _names(names, payload.get("blocking", [])),
        "silent": _names(names, payload.get("silent", [])),
        "standings_list": sorted(
            ((names.get(c, c), s) for c, s in payload.get("standings", {}).items()),
            key=lambda pair: _collation(pair[0]),
        ),
        "reason": payload.get("reason", ""),
        "reason_text": held.describe(str(payload.get("reason") or ""), language),
        "contact": payload.get("contact", ""),
        "address": payload.get("address", ""),
        "failed_kind": payload.get("failed_kind", ""),
        "sender": payload.get("sender", ""),
        "party_name": names.get(str(payload.get("country")), str(payload.get("country") or "")),
        "inbound_id": payload.get("inbound_id"),
        "own_words": payload.get("own_words", ""),  # the sender's, quoted to the PPT and the ST
        "words_withheld": payload.get("words_withheld", False),
        "answered_version": payload.get("answered_version", 0),
        "changes": [(names.get(c, c), comment) for c, comment in payload.get("changes", [])],
        "approve": payload.get("approve", False),
        "comment": payload.get("comment", ""),
        "countries": _names(names, payload.get("countries", [])),
        "extension_countries": _names(names, payload.get("extension_requested_by", [])),
        "suggested_days": payload.get("extension_days", 0),
        "show_positions": bool(payload.get("standings")),
        "open_amendments": payload.get("open_amendments", 0),
        "paragraphs": text if row.kind in WITH_TEXT else [],
        "deadline": None,
        "reply_help": row.kind in ("draft", "revision", "reminder"),
        "previous_version": version.number - 1,
        "redline_text": "",
        "redline_html": "",
        "redline_changes": [],
        "taken_up": [],
        "left_out": [],
    }
    if row.kind in WITH_DEADLINE and version.deadline_at is not None:
        context["deadline"] = render_deadline(
            version.deadline_at, timezone=contact.timezone, language=language
        )
    if row.kind == "revision":
        previous = await queries.version(session, consultation.id, version.number - 1)
        if previous is not None:
            old = Text(es=previous.paragraphs_es, en=previous.paragraphs_en).in_language(language)
            changes = paragraph_changes(old, text)
            context["redline_text"] = redline_text(changes, language=language.value)
            context["redline_html"] = redline_html(changes, language=language.value)
            context["redline_changes"] = changes
        context["taken_up"], context["left_out"] = await settled_amendments(
            session, consultation.id, version.number - 1, names
        )
    if row.kind == "troika_changes" and "changes" not in payload:
        asked = await troika_requests(session, consultation.id, int(context["round"]))
        context["changes"] = [(names.get(c, c), comment) for c, comment in asked]
    # The note verbale an answer came in, named in the receipt and the held-reply notice.
    context["note_verbale"] = describe_note(payload.get("note_verbale"), language)
    return context


def _names(names: dict[str, str], codes: list[str]) -> list[str]:
    return sorted((names.get(c, c) for c in codes), key=_collation)


def _collation(name: str) -> str:
    """Alphabetical as people read it: "Panamá" before "República Dominicana"."""
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()

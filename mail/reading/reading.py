"""Reading one reply: the public entry point that ties kind, body, position and amendments."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from email.message import Message
from typing import Literal

from mail.reading import body, kind, language, mime, nesting, note_answer, position
from mail.reading.amendments import Amendment, AmendmentReading, read_amendments
from mail.reading.attached import Attached, Document, read_attachments
from mail.reading.html_text import CELL_SEP, html_to_text
from mail.reading.normal import accepted, has_markup
from mail.reading.note_verbale import read_note

Kind = Literal["reply", "auto_reply", "bounce", "other"]
Position = Literal["approve", "amend", "object", "abstain"]
Language = Literal["es", "en"]

__all__ = ["Amendment", "NoteFacts", "Reading", "read_reply", "split_paragraphs", "to_label"]
# A note that says why it states no position: that, not "no position found", is the reason.
_NOTE_ONLY = {"takes_note", "receipt_only", "note_other_consultation"}


@dataclass(frozen=True)
class Reading:
    """What a message says, as far as the reader can tell, and how sure it is."""

    kind: Kind
    position: Position | None
    extension_requested: bool
    amendments: tuple[Amendment, ...]
    language: Language
    confidence: float  # 0..1
    needs_review: bool  # uncertain / contradictory / amendment that doesn't apply
    review_reasons: tuple[str, ...]  # short machine-readable reasons
    own_text: str  # the sender's own words, as extracted (for a human reviewer)
    auto_reply_until: str | None  # ISO date an out-of-office gives for the return, if any
    bounced_addresses: tuple[str, ...]  # for bounces: the failed recipients, when found
    note: NoteFacts | None = None  # the attached note verbale the answer was read from


@dataclass(frozen=True)
class NoteFacts:
    """What the record keeps of a note verbale beside the answer (``mail.reading.attached``)."""

    filename: str
    source: str  # pdf | scan | image | doc | odt
    reference: str | None  # "DGPE/0417/2026"
    date: str | None  # ISO 8601
    page_image: bytes | None = None  # PNG of the first page, when its words came from OCR


def split_paragraphs(text: str) -> list[str]:
    """Blank-line separated blocks of a draft, stripped, empty ones dropped."""
    blocks = re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n").replace("\r", "\n"))
    return [block.strip() for block in blocks if block.strip()]


def to_label(reading: Reading) -> dict[str, object]:
    """The reading in the fixtures' label shape."""
    amendments: list[dict[str, object]] = []
    for amendment in reading.amendments:
        entry: dict[str, object] = {"action": amendment.action, "paragraph": amendment.paragraph}
        if amendment.action != "delete":
            entry["proposed"] = amendment.proposed
        amendments.append(entry)
    return {
        "kind": reading.kind,
        "position": reading.position,
        "extension_requested": reading.extension_requested,
        "amendments": amendments,
        "language": reading.language,
    }


def read_reply(raw: bytes, paragraphs: Sequence[str]) -> Reading:
    """Read a raw RFC 5322 message answering a draft made of ``paragraphs``."""
    if nesting.too_deep(raw):  # the email parser would recurse past Python's limit
        return _unreadable("too_complex")
    try:
        return _read(raw, list(paragraphs))
    except RecursionError:  # pragma: no cover - the parsers are iterative; a last guard
        return _unreadable("message_too_deep")


def _read(raw: bytes, paragraphs: list[str]) -> Reading:
    parts = mime.collect(raw)
    message = parts.message
    subject = mime.header(message, "Subject")
    ours = tuple(
        address
        for name in ("To", "Delivered-To")
        for address in re.findall(r"[\w.+-]+@[\w.-]+", mime.header(message, name))
    )
    own = body.extract_own(body_text(parts), subject=subject, our_addresses=ours)
    fallback = _fallback_language(message, paragraphs)
    attached = read_attachments(parts.attachments, paragraphs, fallback)
    document = attached.notes[0] if attached.notes else None
    note_body = read_note(document.text).body if document else ""
    lang = language.detect(accepted(own.text) + "\n\n" + note_body, subject, fallback=fallback)
    found = _amendments(own, paragraphs, lang, attached)
    stance = position.read_position(_position_text(found, paragraphs), subject)
    doubts: tuple[str, ...] = ()
    facts = None
    if document is not None:
        stance, found, doubts, facts = _with_note(
            document, (stance, found), paragraphs, lang, subject
        )
    substantive = bool(
        stance.position or stance.extension_requested or found.amendments or found.proposed_any
    )
    verdict = kind.classify(
        parts, own.text or kind.notice_text(parts), substantive=substantive, quoted=own.quote_found
    )
    if verdict.kind == "auto_reply" and substantive:
        # RFC 3834 headers say a machine answered, yet the words state a position: some
        # ministry gateways stamp every outgoing message. Keep what it says, for a person.
        reply = _reply(verdict, own, lang, stance, found, doubts)
        reply = replace(reply, note=facts, own_text=_own_with_note(reply.own_text, document))
        return replace(reply, kind="auto_reply", auto_reply_until=verdict.until)
    if verdict.kind != "reply":
        return _notice(verdict, parts, own, fallback)
    reply = _reply(verdict, own, lang, stance, found, doubts, noted=document is not None)
    return replace(reply, note=facts, own_text=_own_with_note(reply.own_text, document))


def _amendments(
    own: body.OwnText, paragraphs: list[str], lang: str, attached: Attached
) -> AmendmentReading:
    revised = [document.paragraphs for document in attached.revised]
    found = read_amendments(own, paragraphs, lang, attached.others, revised)
    found.reasons += attached.reasons
    return found


def _with_note(
    document: Document,
    email: tuple[position.PositionReading, AmendmentReading],
    paragraphs: list[str],
    lang: str,
    subject: str,
) -> tuple[position.PositionReading, AmendmentReading, tuple[str, ...], NoteFacts]:
    """The note read like an email's own words, then weighed against the email."""
    note = read_note(document.text)
    own = body.extract_own(note.body)
    found = read_amendments(own, paragraphs, lang, ())
    stance = position.read_position(_position_text(found, paragraphs))
    weighed = note_answer.weigh(
        email=email, note=(stance, found), document=document, parts=note, subject=subject
    )
    facts = NoteFacts(
        document.filename, document.kind, note.reference, note.date, document.page_image
    )
    return weighed.stance, weighed.found, weighed.reasons, facts


def _own_with_note(text: str, document: Document | None) -> str:
    """The reviewer sees the note's extracted text after the email's words, under its name."""
    if document is None:
        return text
    return f"{text.strip()}\n\n[{document.filename}]\n{document.text.strip()}".strip()


def body_text(parts: mime.Parts) -> str:
    """Prefer text/plain, unless the HTML carries redlines or tables that plain text loses."""
    html = html_to_text(parts.html) if parts.html else None
    if html is not None:
        own_html = body.extract_own(html).text
        if parts.plain is None or not parts.plain.strip():
            return html
        if has_markup(own_html) or CELL_SEP.strip() in own_html:
            return html
    return parts.plain or ""


def _position_text(found: AmendmentReading, paragraphs: list[str]) -> str:
    """The sender's words without pasted draft text (whose own wording would read as signals)."""
    kept = []
    for index, unit in enumerate(found.units):
        if index in found.pasted or unit.text.startswith(CELL_SEP.strip()):
            continue
        kept.append(accepted(unit.text))
    return "\n\n".join(kept)


def _fallback_language(message: Message, paragraphs: list[str]) -> str:
    header = language.from_header(mime.header(message, "Content-Language"))
    return header or language.detect("\n".join(paragraphs[:3]), fallback="es")


def _reply(
    verdict: kind.KindReading,
    own: body.OwnText,
    lang: str,
    stance: position.PositionReading,
    found: AmendmentReading,
    doubts: Sequence[str] = (),
    *,
    noted: bool = False,
) -> Reading:
    reasons = [*verdict.reasons, *stance.reasons, *found.reasons, *doubts]
    chosen = stance.position
    if found.amendments:
        if chosen in {None, "approve"}:
            chosen = "amend"
        elif chosen == "abstain":
            reasons.append("mixed_signals")
    elif stance.amend_intent and found.proposed_any and chosen in {None, "approve"}:
        chosen = "amend"
        reasons.append("amendments_not_applied")
    elif stance.amend_intent and chosen in {None, "approve"}:
        reasons.append("amendments_not_found")
    if own.relayed:
        reasons.append("relayed_answer")
    if chosen is None and not (
        stance.pending or stance.extension_requested or _NOTE_ONLY & {*doubts}
    ):
        reasons.append("question" if "?" in own.text else "no_position_found")
    if not own.text.strip() and not noted:
        reasons.append("empty_body")
    confidence = min(verdict.confidence, stance.confidence)
    confidence -= 0.15 * len([r for r in found.reasons])
    unique = tuple(dict.fromkeys(reasons))
    return Reading(
        kind="reply",
        position=chosen,  # type: ignore[arg-type]
        extension_requested=stance.extension_requested,
        amendments=found.amendments,
        language=lang,  # type: ignore[arg-type]
        confidence=round(max(0.05, min(1.0, confidence)), 2),
        needs_review=bool(unique),
        review_reasons=unique,
        own_text=own.text,
        auto_reply_until=None,
        bounced_addresses=(),
    )


def _notice(
    verdict: kind.KindReading, parts: mime.Parts, own: body.OwnText, fallback: str
) -> Reading:
    text = own.text or kind.notice_text(parts)
    subject = mime.header(parts.message, "Subject")
    lang = language.detect(text, subject, fallback=fallback)
    reasons = tuple(verdict.reasons)
    return Reading(
        kind=verdict.kind,  # type: ignore[arg-type]
        position=None,
        extension_requested=False,
        amendments=(),
        language=lang,  # type: ignore[arg-type]
        confidence=verdict.confidence,
        needs_review=bool(reasons),
        review_reasons=reasons,
        own_text=text[:20_000],
        auto_reply_until=verdict.until,
        bounced_addresses=verdict.bounced,
    )


def _unreadable(reason: str) -> Reading:
    return Reading("other", None, False, (), "es", 0.05, True, (reason,), "", None, ())

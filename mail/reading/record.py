"""A reading as kept with its message (``InboundMessageRow.reading``, shown by every front),
and the note verbale facts an answer carries into the record."""

from dataclasses import replace

from mail.reading.reading import Reading


def linked(reading: Reading) -> Reading:
    """The reader doubts a message it cannot tie to a consultation; a signed token or one of our
    Message-IDs ties it, so that one doubt is lifted (every other stays)."""
    if "unlinked_message" not in reading.review_reasons:
        return reading
    reasons = tuple(r for r in reading.review_reasons if r != "unlinked_message")
    kind = "reply" if reading.kind == "other" else reading.kind
    return replace(reading, kind=kind, review_reasons=reasons, needs_review=bool(reasons))


def reading_record(reading: Reading) -> dict[str, object]:
    return {
        "kind": reading.kind,
        "position": reading.position,
        "language": reading.language,
        "extension_requested": reading.extension_requested,
        "amendments": [
            {"action": a.action, "paragraph": a.paragraph, "proposed": a.proposed}
            for a in reading.amendments
        ],
        "confidence": reading.confidence,
        "needs_review": reading.needs_review,
        "review_reasons": list(reading.review_reasons),
        "own_text": reading.own_text[:20000],
        "auto_reply_until": reading.auto_reply_until,
        **({"note_verbale": note_facts(reading)} if reading.note else {}),
    }


def note_facts(reading: Reading) -> dict[str, str | None] | None:
    """The attached note verbale an answer was read from: its file, form, reference, date."""
    note = reading.note
    if note is None:
        return None
    return {
        "filename": note.filename,
        "source": note.source,
        "reference": note.reference,
        "date": note.date,
    }

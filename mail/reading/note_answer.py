"""An answer given by an attached note verbale, weighed against the email that carries it.

The note is read like an email's own words (position, amendments, requests for time) once its
formulas are cut (``note_verbale``). Then:

- an email body that states a position wins only when the note says the same; when they differ
  (one objects, the other approves) the reply is held: "the email contradicts its note";
- a position read by OCR never counts alone: held, unless the email says the same position in
  words; amendments read by OCR are always held (a misread word would change the text);
- "toma nota" / "takes note" is **not** an approval: the country acknowledges the text without
  joining it, so the reply is held for the PPT to ask (the procedure counts silence, never a
  note, as no objection); a note that only acknowledges receipt is held the same way;
- a note citing another consultation's number than the one the email answers is held.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from mail.reading import position
from mail.reading.amendments import AmendmentReading
from mail.reading.attached import Document
from mail.reading.note_verbale import Note

_SUBJECT_ID = re.compile(r"\bCRM-\d{4}-\d{3}\b")
_LEANING = {"approve": "yes", "amend": "yes", "object": "no", "abstain": "abstain"}


@dataclass(frozen=True)
class NoteAnswer:
    stance: position.PositionReading
    found: AmendmentReading
    reasons: tuple[str, ...]


def weigh(
    *,
    email: tuple[position.PositionReading, AmendmentReading],
    note: tuple[position.PositionReading, AmendmentReading],
    document: Document,
    parts: Note,
    subject: str,
) -> NoteAnswer:
    """The email's reading and the note's, as one reading with the doubts they raise."""
    e_stance, e_found = email
    n_stance, n_found = note
    said = _said(e_stance, e_found)
    noted = _said(n_stance, n_found)
    reasons: list[str] = []
    cited = set(parts.consultations)
    answered = set(_SUBJECT_ID.findall(subject))
    if cited and answered and not cited & answered:
        reasons.append("note_other_consultation")
    if noted is None and not n_stance.extension_requested:
        if parts.takes_note:
            reasons.append("takes_note")
        elif parts.receipt:
            reasons.append("receipt_only")
    if said and noted and _LEANING[said] != _LEANING[noted]:
        reasons.append("note_contradicts_body")
    if document.ocr and noted is not None:
        confirmed = said is not None and _LEANING[said] == _LEANING[noted]
        if not confirmed or n_found.amendments:
            reasons.append("ocr_position")
    stance = e_stance if said is not None else n_stance
    stance = replace(
        stance,
        extension_requested=e_stance.extension_requested or n_stance.extension_requested,
        amend_intent=e_stance.amend_intent or n_stance.amend_intent,
        pending=(e_stance.pending or n_stance.pending) and stance.position is None,
        reasons=list(dict.fromkeys([*e_stance.reasons, *n_stance.reasons])),
    )
    return NoteAnswer(stance, _merged(e_found, n_found), tuple(reasons))


def _said(stance: position.PositionReading, found: AmendmentReading) -> str | None:
    if found.amendments and stance.position in (None, "approve"):
        return "amend"
    return stance.position


def _merged(email: AmendmentReading, note: AmendmentReading) -> AmendmentReading:
    amendments = list(email.amendments)
    for amendment in note.amendments:
        if amendment not in amendments:
            amendments.append(amendment)
    return replace(
        email,
        amendments=tuple(amendments),
        reasons=[*email.reasons, *note.reasons],
        proposed_any=email.proposed_any or note.proposed_any,
    )

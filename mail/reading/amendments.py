"""All proposed changes of a reply, merged into paragraph-level amendments of the draft.

Sources: instructions in the body, amendment tables, a revised text pasted into the body (or an
HTML redline), and .docx attachments. Every phrase-level change is applied to its paragraph;
all changes to one paragraph become a single ``replace`` carrying the whole new paragraph.
A change that cannot be applied (unknown paragraph, phrase not in the text) is dropped and
reported, never guessed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from mail.reading import docx_changes, instructions, tables
from mail.reading.body import OwnText
from mail.reading.edits import Edit
from mail.reading.mime import Attachment
from mail.reading.normal import accepted, collapse, find_phrase, fold, has_markup, original, plain
from mail.reading.revision import RevUnit, compare
from mail.reading.units import Unit, similarity, split

Action = Literal["replace", "delete", "insert_after"]
_LEAD_NUMBER = re.compile(r"^\s*(?:\d{1,3}\s*[.)]|\(\d{1,3}\))\s+")
_REVISION_CUE = re.compile(
    r"redaccion|texto (revisado|siguiente|completo)|siguiente texto|propon|propuesta|sugerim|"
    r"sugiere|quedaria|a continuacion|abajo|debajo|cambios|ajustes|modificaciones|enmiendas|"
    r"revised|wording|propos|suggest|should read|would read|below|following|changes|edits|"
    r"amend"
)
_OTHER_DOCUMENTS = (".pdf", ".doc", ".odt", ".rtf", ".docm", ".pages", ".txt")


@dataclass(frozen=True)
class Amendment:
    """One paragraph-level change, numbered against the original draft."""

    action: Action
    paragraph: int
    proposed: str | None


@dataclass
class AmendmentReading:
    """The merged amendments, the units of the body they came from, and any doubts."""

    amendments: tuple[Amendment, ...] = ()
    used: set[int] = field(default_factory=set)
    pasted: set[int] = field(default_factory=set)  # units that were part of a pasted text
    units: list[Unit] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    proposed_any: bool = False  # something was proposed, even if it could not be applied


def read_amendments(
    own: OwnText,
    paragraphs: Sequence[str],
    language: str,
    attachments: Sequence[Attachment],
    documents: Sequence[Sequence[docx_changes.DocParagraph]] = (),
) -> AmendmentReading:
    """Read every change the reply proposes and merge them per paragraph; ``documents`` are
    revised texts already read from other formats (.doc, .odt: ``mail.reading.attached``)."""
    draft = list(paragraphs)
    result = AmendmentReading(units=split(own.segments))
    edits: list[Edit] = []
    table_edits, used = tables.read(result.units, draft, language)
    edits += table_edits
    result.used |= used
    rest = [u for i, u in enumerate(result.units) if i not in result.used]
    found = instructions.read(rest, draft, language)
    indices = [i for i in range(len(result.units)) if i not in result.used]
    result.used |= {indices[i] for i in found.used}
    edits += found.edits
    result.reasons += found.reasons
    cued = bool(_REVISION_CUE.search(fold(own.text)))
    revision = compare(_body_revision(result.units, result.used), draft, source="pasted", cued=cued)
    edits += revision.edits
    result.used |= revision.used
    result.pasted = set(revision.used)
    edits += _attachment_edits(attachments, draft, result.reasons)
    for document in documents:
        edits += _document_edits(document, draft, result.reasons)
    result.proposed_any = bool(edits)
    amendments, reasons = merge(edits, draft)
    result.amendments = amendments
    result.reasons += reasons
    return result


def _body_revision(units: list[Unit], used: set[int]) -> list[RevUnit]:
    out = []
    for index, unit in enumerate(units):
        if index in used or tables.is_row(unit):
            continue
        if has_markup(unit.text):
            out.append(
                RevUnit(original(unit.text), accepted(unit.text), index, unit.number, marked=True)
            )
        else:
            out.append(RevUnit(unit.text, unit.text, index, unit.number))
    return out


def _attachment_edits(
    attachments: Sequence[Attachment], draft: list[str], reasons: list[str]
) -> list[Edit]:
    edits: list[Edit] = []
    for attachment in attachments:
        if docx_changes.is_docx(attachment.filename, attachment.content_type):
            try:
                document = docx_changes.paragraphs(attachment.data)
            except docx_changes.UnreadableDocument:
                reasons.append("attachment_unreadable")
                continue
            edits += _document_edits(document, draft, reasons)
        elif attachment.filename.lower().endswith(_OTHER_DOCUMENTS):
            reasons.append("attachment_not_read")
    return edits


def _document_edits(
    document: Sequence[docx_changes.DocParagraph], draft: list[str], reasons: list[str]
) -> list[Edit]:
    """A revised text in a document (tracked changes or clean) compared with the draft."""
    texts = [_LEAD_NUMBER.sub("", p.text) for p in document]
    units = [
        RevUnit(
            original(text), accepted(text), index, inserted=p.inserted, marked=has_markup(p.text)
        )
        for index, (p, text) in enumerate(zip(document, texts, strict=True))
        if plain(text)
    ]
    revision = compare(units, draft, source="docx")
    if revision.matched == 0 and not any(u.inserted for u in units):
        reasons.append("attachment_unmatched")
    return revision.edits


# -- merging --------------------------------------------------------------------------------


def merge(
    edits: Sequence[Edit], paragraphs: Sequence[str]
) -> tuple[tuple[Amendment, ...], list[str]]:
    """Apply edits to the draft and express the result as one entry per changed paragraph."""
    draft = list(paragraphs)
    reasons: list[str] = []
    texts: dict[int, str] = {}
    deleted: set[int] = set()
    inserts: list[Amendment] = []
    for edit in edits:
        for target, resolved in _resolve(edit, draft, reasons):
            if resolved.op == "insert_paragraph":
                proposed = collapse(resolved.new or "")
                if not (0 <= target <= len(draft)) or not proposed:
                    reasons.append("amendment_not_applicable")
                    continue
                entry = Amendment("insert_after", target, proposed)
                if all(
                    fold(a.proposed or "") != fold(proposed) or a.paragraph != target
                    for a in inserts
                ):
                    inserts.append(entry)
                continue
            if resolved.op == "delete_paragraph":
                deleted.add(target)
                continue
            current = texts.get(target, draft[target - 1])
            updated = _apply(resolved, current, reasons)
            if updated is not None:
                texts[target] = updated
    return _entries(draft, texts, deleted, inserts, reasons), reasons


def _resolve(edit: Edit, draft: list[str], reasons: list[str]) -> list[tuple[int, Edit]]:
    """The paragraph(s) an edit applies to, checked against the draft."""
    if edit.paragraph is not None:
        if edit.op == "insert_paragraph":
            return [(edit.paragraph, edit)]
        if not 1 <= edit.paragraph <= len(draft):
            reasons.append("amendment_not_applicable")
            return []
        return [(edit.paragraph, edit)]
    if not edit.old:
        reasons.append("amendment_paragraph_unknown")
        return []
    holders = [i for i, p in enumerate(draft, start=1) if find_phrase(p, edit.old)]
    if len(holders) == 1:
        return [(holders[0], edit)]
    if edit.source != "loose":
        reasons.append("amendment_not_applicable" if not holders else "ambiguous_paragraph")
    return []


def _apply(edit: Edit, text: str, reasons: list[str]) -> str | None:
    if edit.op == "replace_paragraph":
        return collapse(edit.new or "")
    if edit.op == "append":
        return _append(text, edit.new or "")
    if edit.op == "prepend":
        new = (edit.new or "").strip()
        return _tidy(
            new + " " + text[:1].lower() + text[1:] if new.endswith(",") else new + " " + text
        )
    spans = find_phrase(text, edit.old or "")
    if not spans:
        if edit.source != "loose":
            reasons.append("amendment_not_applicable")
        return None
    if len(spans) > 1 and edit.op != "replace_phrase":
        reasons.append("ambiguous_phrase")
    new = (edit.new or "").strip()
    if edit.op == "replace_phrase":
        for start, end in reversed(spans):
            text = text[:start] + new + text[end:]
        return _tidy(text)
    start, end = spans[0]
    if edit.op == "delete_phrase":
        return _tidy(text[:start] + text[end:])
    if edit.before:
        return _tidy(text[:start] + new + " " + text[start:])
    joiner = "" if new[:1] in {",", ";", ".", ":", ")"} else " "
    return _tidy(text[:end] + joiner + new + " " + text[end:])


def _append(text: str, new: str) -> str:
    new = new.strip()
    if not new:
        return text
    if new[0].isupper():
        return _tidy(text + " " + new)
    body = text.rstrip()
    if body.endswith("."):
        body = body[:-1]
    joiner = "" if new[0] in ",;" else " "
    return _tidy(body + joiner + new + ("" if new.endswith(".") else "."))


def _tidy(text: str) -> str:
    text = collapse(text)
    text = re.sub(r"\s+([,.;:)])", r"\1", text)
    text = re.sub(r"([,;])\1+", r"\1", text)
    text = re.sub(r",\.", ".", text)
    return text.replace("( ", "(")


def _entries(
    draft: list[str],
    texts: dict[int, str],
    deleted: set[int],
    inserts: list[Amendment],
    reasons: list[str],
) -> tuple[Amendment, ...]:
    out: list[Amendment] = []
    for number in range(1, len(draft) + 1):
        changed = number in texts and similarity(texts[number], draft[number - 1]) < 1.0
        if number in deleted:
            if changed:
                reasons.append("conflicting_amendments")
            out.append(Amendment("delete", number, None))
        elif changed and fold(texts[number]) != fold(draft[number - 1]):
            out.append(Amendment("replace", number, texts[number]))
    return tuple(out + inserts)

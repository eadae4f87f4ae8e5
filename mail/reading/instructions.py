"""Amendments stated as instructions, in Spanish or English.

"En el párrafo 2, después de «migrantes» agregar «y sus familias»", "donde dice … debe decir …",
"Para. 6: please delete", "Paragraph 4 should read: …", "Agregar un nuevo párrafo después del 4:
…", "nuevo párrafo 6: …", ordinal words ("el tercer párrafo"), several instructions per item.
Patterns run on accent-folded text of the same length as the original, so the proposed words are
taken from the original (accents, capitals and typographic quotes intact).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field

from mail.reading import references
from mail.reading.edits import Edit
from mail.reading.normal import fold_keep_length, strip_quotes
from mail.reading.phrasing import (
    COMPILED_PARAGRAPH,
    COMPILED_PHRASE,
    HEADING,
    HERE_DELETE,
    VERB,
)
from mail.reading.units import Unit, best_match, similarity

# An amendment's text is a paragraph: never more than this, however long the message.
_MAX_CONTENT = 20_000
_LEAD_NUMBER = re.compile(r"^\s*(?:\d{1,3}\s*[.)\-]|\(\d{1,3}\))\s+")


@dataclass
class Found:
    """Edits read from instructions, units they used, and doubts."""

    edits: list[Edit] = field(default_factory=list)
    used: set[int] = field(default_factory=set)
    reasons: list[str] = field(default_factory=list)


def read(units: list[Unit], paragraphs: list[str], language: str) -> Found:
    """Read the instructions in ``units`` against a draft of ``paragraphs``."""
    found = Found()
    pending: list[int] | None = None  # a heading such as "Paragraph 4 should read:" awaits text
    pending_kind = "replace"
    heading: list[int] | None = None
    for index, unit in enumerate(units):
        folded = fold_keep_length(unit.text)
        if pending is not None:
            text = _content(unit.text)
            if text:
                found.edits += _paragraph_edits(pending_kind, pending, text, len(paragraphs))
                found.used.add(index)
                pending = None
                continue
        pending = None
        head = HEADING.match(folded)
        if head:
            heading = _ref_numbers(head, len(paragraphs))
            found.used.add(index)
            continue
        context = heading or _context_ref(unit, paragraphs)
        heading = None
        edits, waiting, kind = _unit_edits(unit.text, folded, context, paragraphs, language)
        if edits or waiting is not None:
            found.used.add(index)
        found.edits += edits
        if waiting is not None:
            pending, pending_kind = waiting, kind
    if pending is not None:
        found.reasons.append("amendment_text_missing")
    for index, unit in enumerate(units):
        if index not in found.used and _looks_like_instruction(
            unit.text, len(paragraphs), language
        ):
            found.reasons.append("instruction_not_understood")
    return found


def _looks_like_instruction(text: str, count: int, language: str) -> bool:
    """An editing verb with a quoted passage or a paragraph reference: it meant a change."""
    folded = fold_keep_length(text)
    if not VERB.search(folded):
        return False
    return '"' in folded or bool(references.find(folded, count, language))


def _context_ref(unit: Unit, paragraphs: list[str]) -> list[int] | None:
    """The draft paragraph an interleaved answer sits under, if the quote above is one."""
    if not unit.context:
        return None
    number, score = best_match(_LEAD_NUMBER.sub("", unit.context), paragraphs)
    return [number] if score >= 0.8 else None


def _unit_edits(
    text: str, folded: str, context: list[int] | None, paragraphs: list[str], language: str
) -> tuple[list[Edit], list[int] | None, str]:
    edits: list[Edit] = []
    count = len(paragraphs)
    masked = folded
    here = HERE_DELETE.search(masked) if context else None
    if here and context:  # "delete this paragraph" under a quoted one: that one goes
        edits += [Edit("delete_paragraph", t) for t in context]
        masked = masked[: here.start()] + " " * (here.end() - here.start()) + masked[here.end() :]
    for kind, pattern in COMPILED_PARAGRAPH:
        spans: list[tuple[int, int]] = []
        for match in pattern.finditer(masked):
            target = _target(kind, match, count)
            if target is None:
                continue
            content = (
                _content(text[match.end() : match.end() + _MAX_CONTENT]) if kind != "delete" else ""
            )
            if kind != "delete" and not content:
                return edits, target, kind
            if kind == "replace" and not _plausible_replacement(content, target, paragraphs):
                continue
            edits += _paragraph_edits(kind, target, content, count)
            spans.append((match.start(), len(folded) if kind != "delete" else match.end()))
        masked = _masked(masked, spans)
    quotes = [i for i, char in enumerate(masked) if char == '"']
    refs = [r for r in references.find(masked, count, language) if not _inside(quotes, r[0])]
    bounds = ([r[0] for r in refs], [r[1] for r in refs])
    for kind, pattern in COMPILED_PHRASE:
        spans = []
        for match in pattern.finditer(masked):
            old, new = _group(text, match, "old"), _group(text, match, "new")
            if kind == "replace_loose" and (not old or not new):
                continue
            targets = _nearest(refs, bounds, match.start(), match.end()) or context or [None]
            for number in targets:
                edits.append(_phrase_edit(kind, number, old, new))
            spans.append(match.span())
        masked = _masked(masked, spans)
    return edits, None, "replace"


def _target(kind: str, match: re.Match[str], count: int) -> list[int] | None:
    if kind != "insert":
        return _ref_numbers(match, count)
    groups = match.groupdict()
    if groups.get("anchor"):
        anchor = references.ordinal(groups["anchor"], count)
        if anchor is None:
            return None
        pos = groups.get("pos") or ""
        return [anchor - 1 if pos.startswith(("antes", "before")) else anchor]
    if groups.get("newnum"):
        number = int(groups["newnum"])
        return [number if groups.get("nbis") else number - 1]
    if groups.get("at_end"):
        return [count]
    if groups.get("at_start"):
        return [0]
    return None


def _ref_numbers(match: re.Match[str], count: int) -> list[int] | None:
    word = match.group("ref") or match.group("refw")
    number = references.ordinal(word, count) if word else None
    return [number] if number is not None else None


def _paragraph_edits(kind: str, targets: list[int], content: str, count: int) -> list[Edit]:
    if kind == "delete":
        return [Edit("delete_paragraph", t) for t in targets]
    if kind == "insert":
        return [Edit("insert_paragraph", t, new=content) for t in targets]
    return [Edit("replace_paragraph", t, new=content) for t in targets]


def _plausible_replacement(content: str, targets: list[int], paragraphs: list[str]) -> bool:
    """A whole-paragraph text should look like the paragraph it replaces (or be long)."""
    for target in targets:
        if 1 <= target <= len(paragraphs):
            original = paragraphs[target - 1]
            if similarity(content, original) >= 0.35 or len(content) >= 0.5 * len(original):
                return True
        else:
            return True  # out of range: let the merge report it
    return False


def _content(rest: str) -> str:
    """The text given after an introducer: a quoted passage, or the rest of the item."""
    text = rest.strip().lstrip(":").strip()
    text = _LEAD_NUMBER.sub("", text)
    if not text:
        return ""
    folded = fold_keep_length(text)
    if folded[0] == '"':
        close = folded.rfind('"')
        if close > 0 and not re.search(r"[a-z0-9]", folded[close + 1 :]):
            return text[1:close].strip()
    return strip_quotes(text).strip()


def _group(text: str, match: re.Match[str], name: str) -> str | None:
    for key in (name, name + "_s"):
        if key in match.re.groupindex and match.group(key) is not None:
            start, end = match.span(key)
            return text[start:end].strip()
    return None


def _masked(folded: str, spans: list[tuple[int, int]]) -> str:
    """``folded`` with the spans blanked out (same length), built once for all of them: masking
    match by match would copy the whole text per match (quadratic on a long paragraph)."""
    if not spans:
        return folded
    pieces: list[str] = []
    at = 0
    for start, end in sorted(spans):
        start = max(start, at)
        if end <= start:
            continue
        pieces += [folded[at:start], " " * (end - start)]
        at = end
    pieces.append(folded[at:])
    return "".join(pieces)


def _inside(quotes: list[int], position: int) -> bool:
    """Whether ``position`` lies inside a quoted passage: an odd number of quotes before it."""
    return bisect_left(quotes, position) % 2 == 1


def _nearest(
    refs: list[tuple[int, int, list[int], bool]],
    bounds: tuple[list[int], list[int]],
    start: int,
    end: int,
) -> list[int | None] | None:
    """The paragraph reference closest before a match, else the first after it (or inside).
    ``refs`` come from one scan, in text order and not overlapping: binary searches, not a scan
    per match, so a paragraph with many instructions stays linear."""
    starts, ends = bounds
    before = bisect_right(ends, start)
    if before:
        return list(refs[before - 1][2])
    after = bisect_left(starts, end)
    if after < len(refs):
        return list(refs[after][2])
    inside = bisect_left(starts, start)
    return list(refs[inside][2]) if inside < after else None


def _phrase_edit(kind: str, target: int | None, old: str | None, new: str | None) -> Edit:
    if kind in {"replace", "replace_loose"}:
        source = "instruction" if kind == "replace" else "loose"
        return Edit("replace_phrase", target, old=old, new=new, source=source)
    if kind == "replace_reversed":
        return Edit("replace_phrase", target, old=old, new=new)
    if kind == "insert":
        return Edit("insert_phrase", target, old=old, new=new)
    if kind == "insert_before":
        return Edit("insert_phrase", target, old=old, new=new, before=True)
    if kind in {"append", "prepend"}:
        return Edit(kind, target, new=new)  # type: ignore[arg-type]
    return Edit("delete_phrase", target, old=old)

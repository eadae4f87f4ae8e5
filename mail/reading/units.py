"""The sender's words cut into units: list items, lines of a table, or blank-line paragraphs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache

from mail.reading.body import Segment
from mail.reading.normal import fold, plain

_MARKER = re.compile(
    r"^\s*(?:(?P<num>\d{1,3})\s*[.)\-:]|\((?P<pnum>\d{1,3})\)|[-*\u2022\u00b7\u25aa\u25cf\u2013>]"
    r"|[a-z][.)]|\([a-z]\)|[ivx]{1,4}[.)])\s+",
    re.I,
)
MAX_UNITS = 400


@dataclass(frozen=True)
class Unit:
    """One list item, table row or paragraph of the sender's words."""

    text: str  # without its list marker
    number: int | None  # the number of a numbered item ("3." / "(3)"), if any
    block: int  # index of the blank-line block it came from
    context: str | None = None  # the quoted passage it answers, when interleaved


def split(segments: tuple[Segment, ...]) -> list[Unit]:
    """Cut segments into units; lines that continue a wrapped item are joined to it."""
    units: list[Unit] = []
    block = 0
    for segment in segments:
        for chunk in re.split(r"\n\s*\n", segment.text):
            lines = [line.strip() for line in chunk.split("\n") if line.strip()]
            if not lines:
                continue
            units += _chunk_units(lines, block, segment.context)
            block += 1
            if len(units) >= MAX_UNITS:
                return units[:MAX_UNITS]
    return units


def _chunk_units(lines: list[str], block: int, context: str | None) -> list[Unit]:
    out: list[tuple[str, int | None]] = []
    listy = any(_MARKER.match(line) or line.startswith("\u2016") for line in lines)
    short = _short_line_block(lines)
    for line in lines:
        match = _MARKER.match(line)
        if line.startswith("\u2016") or (match and listy) or not out:
            number = None
            text = line
            if match and not line.startswith("\u2016"):
                raw = match.group("num") or match.group("pnum")
                number = int(raw) if raw else None
                text = line[match.end() :]
            out.append((text, number))
        elif short:
            out.append((line, None))
        else:
            text, number = out[-1]
            out[-1] = (text + " " + line, number)
    return [Unit(text.strip(), number, block, context) for text, number in out]


def _short_line_block(lines: list[str]) -> bool:
    """Several short lines (an address, a list without markers) are separate units."""
    return len(lines) > 1 and all(len(line) < 60 for line in lines)


def similarity(a: str, b: str) -> float:
    """0..1 likeness of two passages (case, accents, quotes and spacing ignored)."""
    left, right = _words(a), _words(b)
    if not left or not right:
        return 0.0
    shorter, longer = sorted((len(left), len(right)))
    if shorter / longer < 0.3:
        return shorter / longer
    matcher = SequenceMatcher(None, left, right, autojunk=False)
    if matcher.real_quick_ratio() < 0.4 or matcher.quick_ratio() < 0.4:
        return matcher.quick_ratio() * 0.5
    return matcher.ratio()


@lru_cache(maxsize=4096)
def _words(text: str) -> tuple[str, ...]:
    """Words and punctuation marks, folded: the items compared by :func:`similarity`."""
    return tuple(re.findall(r"\w+|[^\w\s]", fold(plain(text))))


def best_match(text: str, paragraphs: list[str]) -> tuple[int, float]:
    """The 1-based number of the draft paragraph most like ``text``, and how alike."""
    best, score = 0, 0.0
    for index, paragraph in enumerate(paragraphs, start=1):
        value = similarity(text, paragraph)
        if value > score:
            best, score = index, value
    return best, score

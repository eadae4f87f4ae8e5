"""A revised text set against the draft: which paragraphs changed, went, or are new.

Used for a revised text pasted into the body (numbered or not, renumbered or not), for HTML
redlines, and for .docx attachments (tracked changes or a clean revised copy). Units are aligned
with the draft paragraphs by content, so the numbering the sender used does not matter.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from mail.reading.edits import Edit
from mail.reading.normal import find_phrase, fold, unify
from mail.reading.units import similarity

DRAFT_LIKE = 0.55  # a unit at least this like a draft paragraph counts it as present
_STRONG = 0.7  # a lone unit (or the edge of a pasted text) must be at least this alike
_PAIR = 0.45  # the least likeness for two texts to be aligned
_CLOSE = 0.85  # an unannounced lone paragraph must be at least this close to count
_MIN_CHARS = 25
_QUOTED = re.compile(r"\"([^\"]{20,})\"")
_COURTESY = re.compile(
    r"agradec|gracias|thank|saludo|regards|atentamente|cordialmente|quedo|quedamos|remain|"
    r"consideraci|propuesta|proposal|amendment|enmienda|favor|please|adjunt|attach|@|http|"
    r"sincerely|esperamos|we hope|we look forward|quedamos|estimad|dear\b"
)


@dataclass(frozen=True)
class RevUnit:
    """One paragraph of a revised text: what it was (``before``) and what it becomes."""

    before: str
    after: str
    index: int  # position among the units it came from (to mark them used)
    number: int | None = None
    inserted: bool = False  # wholly new in a tracked-changes document
    marked: bool = False  # carries explicit change marks (tracked changes, redline)


@dataclass
class Revision:
    """Edits read from a revised text, and the units that were part of it."""

    edits: list[Edit] = field(default_factory=list)
    used: set[int] = field(default_factory=set)
    reasons: list[str] = field(default_factory=list)
    matched: int = 0  # draft paragraphs found in the revised text


def compare(
    units: list[RevUnit], paragraphs: list[str], *, source: str, cued: bool = True
) -> Revision:
    """Edits that turn the draft into the revised text ``units`` (full or partial).

    ``cued``: the sender announced a revised wording; without that, a lone paragraph that merely
    resembles the draft is only taken when it is numbered as that paragraph or very close to it.
    """
    result = Revision()
    if not paragraphs or not units:
        return result
    scores = [[_score(u, p) for p in paragraphs] for u in units]
    present = [i for i, row in enumerate(scores) if max(row) >= DRAFT_LIKE]
    like = [i for i, row in enumerate(scores) if max(row) >= _STRONG]
    matched_paragraphs = {max(range(len(paragraphs)), key=lambda j: scores[i][j]) for i in present}
    result.matched = len(matched_paragraphs)
    if not like and not any(u.inserted for u in units):
        return result
    if not like:
        like = [i for i, u in enumerate(units) if u.inserted]
    if len(matched_paragraphs) >= max(2, math.ceil(len(paragraphs) / 2)):
        _full(units, paragraphs, scores, like, result, source)
    else:
        _partial(units, paragraphs, scores, like, result, source, cued)
    return result


def _score(unit: RevUnit, paragraph: str) -> float:
    if len(unit.before) < _MIN_CHARS:
        return 0.0
    return similarity(unit.before, paragraph)


def _full(
    units: list[RevUnit],
    paragraphs: list[str],
    scores: list[list[float]],
    like: list[int],
    result: Revision,
    source: str,
) -> None:
    start, end = like[0], like[-1]
    while end + 1 < len(units) and (units[end + 1].inserted or _new_paragraph(units[end + 1])):
        end += 1
    region = list(range(start, end + 1))
    leading = [i for i in range(start) if units[i].inserted]
    pairs = _align(region, len(paragraphs), scores)
    matched_units = {i for i, _ in pairs}
    matched_paragraphs = {j for _, j in pairs}
    for i, j in pairs:
        _changed(units[i], j + 1, paragraphs[j], result, source)
    for j in range(len(paragraphs)):
        if j not in matched_paragraphs:
            result.edits.append(Edit("delete_paragraph", j + 1, source=source))
    previous = 0
    last_of = dict(pairs)
    for i in leading + region:
        if i in matched_units:
            previous = last_of[i] + 1
            continue
        unit = units[i]
        if unit.inserted or (not unit.marked and _new_paragraph(unit)):
            result.edits.append(Edit("insert_paragraph", previous, new=unit.after, source=source))
    result.used.update(units[i].index for i in region)


def _partial(
    units: list[RevUnit],
    paragraphs: list[str],
    scores: list[list[float]],
    like: list[int],
    result: Revision,
    source: str,
    cued: bool,
) -> None:
    for i in like:
        if units[i].inserted:
            continue
        row = scores[i]
        j = max(range(len(paragraphs)), key=lambda k: row[k])
        number = units[i].number
        numbered = bool(number and 1 <= number <= len(paragraphs) and row[number - 1] >= _PAIR)
        if numbered and number:
            j = number - 1
        if not (cued or numbered or row[j] >= _CLOSE):
            continue
        _changed(units[i], j + 1, paragraphs[j], result, source)
        result.used.add(units[i].index)


def _changed(unit: RevUnit, number: int, paragraph: str, result: Revision, source: str) -> None:
    after = _quoted_version(unit.after.strip(), paragraph)
    if after is None:
        return  # the paragraph is cited word for word inside the sender's comment
    if not after:
        result.edits.append(Edit("delete_paragraph", number, source=source))
    elif _differs(after, paragraph):
        result.edits.append(Edit("replace_paragraph", number, new=after, source=source))


def _quoted_version(text: str, paragraph: str) -> str | None:
    """The passage in quotes if the unit quotes the paragraph inside a comment; None if verbatim."""
    if len(text) <= 1.2 * len(paragraph) + 20:
        return text
    if find_phrase(text, paragraph):
        return None
    for match in _QUOTED.finditer(unify(text)):
        quoted = match.group(1).strip()
        if len(quoted) >= 0.6 * len(paragraph) and similarity(quoted, paragraph) >= DRAFT_LIKE:
            return quoted
    return text


def _differs(a: str, b: str) -> bool:
    return re.sub(r"[\W_]+", "", fold(a)) != re.sub(r"[\W_]+", "", fold(b))


def _new_paragraph(unit: RevUnit) -> bool:
    """Prose that could be a new paragraph of the text rather than the sender's closing words."""
    text = unit.after.strip()
    if (
        len(text) < 50
        or text[-1:] not in {".", ";"}
        or not (text[0].isupper() or text[0].isdigit())
    ):
        return False
    return not _COURTESY.search(fold(text))


def _align(region: list[int], count: int, scores: list[list[float]]) -> list[tuple[int, int]]:
    """Order-keeping alignment of region units with paragraphs that maximises total likeness."""
    m = len(region)
    best = [[0.0] * (count + 1) for _ in range(m + 1)]
    for a in range(m - 1, -1, -1):
        for b in range(count - 1, -1, -1):
            options = [best[a + 1][b], best[a][b + 1]]
            score = scores[region[a]][b]
            if score >= _PAIR:
                options.append(best[a + 1][b + 1] + score)
            best[a][b] = max(options)
    pairs: list[tuple[int, int]] = []
    a = b = 0
    while a < m and b < count:
        score = scores[region[a]][b]
        if score >= _PAIR and math.isclose(best[a][b], best[a + 1][b + 1] + score):
            pairs.append((region[a], b))
            a, b = a + 1, b + 1
        elif math.isclose(best[a][b], best[a + 1][b]):
            a += 1
        else:
            b += 1
    return pairs

"""The parts of a note verbale that are not a position: letterhead, reference number,
salutation and closing formulas, place and date, signature and stamp. What is left is the body
the reader reads like an email's own words; the reference number and date are kept.

Diplomatic notes follow one pattern in both working languages ("La Embajada de … saluda
atentamente a … y tiene el honor de …" / "The Embassy of … presents its compliments to … and has
the honour to …", and "… aprovecha la oportunidad para reiterar … las seguridades de su más alta
y distinguida consideración" / "… avails itself of this opportunity to renew … the assurances of
its highest consideration"): the formulas are cut, the clause after "tiene el honor de" kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mail.reading.normal import collapse, fold

_SALUTATION = re.compile(
    r"saluda (muy )?atentamente|presents? (its|their|his|her) compliments|"
    r"tiene el honor|has the honou?r|have the honou?r"
)
_HONOUR = re.compile(
    r"^.*?\b(?:tiene|tienen|tengo) el honor de\s+|^.*?\b(?:has|have) the honou?r to\s+",
    re.I | re.S,
)
# Any one part of the closing formula: a stamp or a poor scan often blurs the rest.
_CLOSING = re.compile(
    r"aprovecha(r)? (esta|la) oportunidad|oportunidad para reiterar|seguridades de su|"
    r"distinguida consideracion|mas alta consideracion|avails? (itself|themselves) of|"
    r"opportunity to renew|assurances of (its|their|his|her)|highest consideration"
)
_REFERENCE = re.compile(
    r"\b(?:nota(?:\s+verbal)?|note(?:\s+verbale)?|oficio|ref(?:erencia|erence)?\.?)"
    r"\s*(?:n(?:o|um|ro|°|º)\.?\s*)?[:.]?\s*"
    r"(?P<ref>[A-Z][A-Z0-9]{1,12}(?:[-/.][A-Z0-9]{1,12}){1,5})",
    re.I,
)
_CONSULTATION = re.compile(r"\bCRM-\d{4}-\d{3}\b")
_MONTHS = {
    **{
        m: i
        for i, m in enumerate(
            "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre "
            "diciembre".split(),
            1,
        )
    },
    "setiembre": 9,
    **{
        m: i
        for i, m in enumerate(
            "january february march april may june july august september october november "
            "december".split(),
            1,
        )
    },
}
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DATE_DMY = re.compile(
    rf"\b(?P<d>\d{{1,2}})(?:º|°)?\s+(?:de\s+)?(?P<m>{_MONTH})\s+(?:de\s+)?(?P<y>\d{{4}})"
)
_DATE_MDY = re.compile(rf"\b(?P<m>{_MONTH})\s+(?P<d>\d{{1,2}}),?\s+(?P<y>\d{{4}})")
_TAKES_NOTE = re.compile(
    r"\btoma(?:mos|n)? (?:debida |buena )?nota\b|\bha tomado (?:debida )?nota\b|"
    r"\btakes? (?:due |good )?note\b|\bha(?:s|ve) taken (?:due )?note\b|\bnotes with\b"
)
_RECEIPT = re.compile(
    r"\bacusa(?:r|mos|n)? (?:de )?recibo\b|\bacuse de recibo\b|"
    r"\backnowledges? (?:the )?receipt\b|\backnowledging receipt\b"
)


@dataclass(frozen=True)
class Note:
    """A note verbale taken apart."""

    body: str  # the substantive paragraphs, blank-line separated
    reference: str | None  # "DGPE/0417/2026"
    date: str | None  # ISO 8601, the note's own date
    consultations: tuple[str, ...]  # consultation ids the note cites ("CRM-2026-021")
    formal: bool  # a salutation or closing formula was found: it is a note, not a plain text
    takes_note: bool  # "toma nota" / "takes note": not an approval
    receipt: bool  # "acusa recibo" / "acknowledges receipt"


def read_note(text: str) -> Note:
    """Split a note's text into its parts (``text`` as extracted: lines, maybe hard-wrapped)."""
    paragraphs = paragraphs_of(text)
    reference = _first(_reference(p) for p in paragraphs[:12])
    date = _last(_date(p) for p in paragraphs if len(p) < 120)
    folded = [fold(p) for p in paragraphs]
    start = next((i for i, f in enumerate(folded) if _SALUTATION.search(f)), None)
    end = next((i for i, f in enumerate(folded) if _CLOSING.search(f)), None)
    kept: list[str] = []
    for index, paragraph in enumerate(paragraphs):
        if start is not None and index < start:
            continue  # letterhead, reference, addressee
        if end is not None and index >= end:
            break  # closing formula, place and date, signature, stamp
        if index == start:  # the formula's own sentence, and whatever a lost break joined
            paragraph = _HONOUR.sub("", paragraph)
            first, _, rest = paragraph.partition(". ")
            if rest[:1].isupper():
                kept.append(first + ".")
                paragraph = rest
        if start is None and (_reference(paragraph) and len(paragraph) < 80):
            continue
        if len(paragraph) < 120 and _date(paragraph) and not re.search(r"[.;:]\s", paragraph):
            continue
        kept.append(paragraph)
    body = "\n\n".join(kept)
    every = fold(body)
    return Note(
        body=body,
        reference=reference,
        date=date,
        consultations=tuple(dict.fromkeys(_CONSULTATION.findall(text))),
        formal=start is not None or end is not None,
        takes_note=bool(_TAKES_NOTE.search(every)),
        receipt=bool(_RECEIPT.search(every)),
    )


def paragraphs_of(text: str) -> list[str]:
    """Paragraphs from extracted lines: a blank line ends one; so does a line that ends a
    sentence well short of the text's width, or a short line (letterhead, signature)."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    widths = sorted(len(line) for line in lines if line.strip())
    if not widths:
        return []
    full = widths[int(len(widths) * 0.8)] if len(widths) > 4 else widths[-1]
    out: list[str] = []
    current: list[str] = []
    for line in lines:
        stripped = line.strip()
        if not stripped:
            _flush(current, out)
            continue
        current.append(stripped)
        ends_sentence = stripped[-1] in '.:;!?»”"'
        if (ends_sentence and len(stripped) < 0.85 * full) or len(stripped) < 0.5 * full:
            _flush(current, out)
    _flush(current, out)
    return out


def _flush(current: list[str], out: list[str]) -> None:
    if current:
        joined = ""
        for line in current:
            if joined.endswith("-") and line[:1].islower():  # a word hyphenated at the margin
                joined = joined[:-1] + line
            else:
                joined = f"{joined} {line}" if joined else line
        out.append(collapse(joined))
        current.clear()


def _reference(paragraph: str) -> str | None:
    found = _REFERENCE.search(paragraph)
    if found is None or _CONSULTATION.fullmatch(found.group("ref")):
        return None
    reference = found.group("ref")
    return reference if any(ch.isdigit() for ch in reference) else None


def _date(paragraph: str) -> str | None:
    folded = fold(paragraph)
    found = _DATE_DMY.search(folded) or _DATE_MDY.search(folded)
    if found is None:
        return None
    day, month, year = int(found.group("d")), _MONTHS[found.group("m")], int(found.group("y"))
    if not 1 <= day <= 31:
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


def _first(values: object) -> str | None:
    for value in values:  # type: ignore[attr-defined]
        if value:
            return str(value)
    return None


def _last(values: object) -> str | None:
    found = None
    for value in values:  # type: ignore[attr-defined]
        if value:
            found = str(value)
    return found

"""Amendments laid out as a table: paragraph | current text | proposed text | comment."""

from __future__ import annotations

import re

from mail.reading import references
from mail.reading.edits import Edit
from mail.reading.html_text import CELL_SEP
from mail.reading.normal import find_phrase, fold, strip_quotes
from mail.reading.units import Unit, similarity

_SEP = CELL_SEP.strip()
_PARAGRAPH_HEAD = re.compile(r"^(parrafo|paragraph|para\.?|no\.?|n\.?o|#|numero|number|ref)\b")
_OLD_HEAD = re.compile(
    r"\b(original|actual|vigente|current|existing|dice|says|texto del proyecto|draft text)\b"
)
_NEW_HEAD = re.compile(
    r"\b(propuesta|propuesto|proposed|nueva redaccion|debe decir|should read|new|nuevo|amendment|"
    r"enmienda|modificacion|revised|revisado|cambio|change)\b"
)
_DELETE_CELL = re.compile(r"^\W*(eliminar|suprimir|se elimina|delete|deleted|remove|strike)\W*$")


def is_row(unit: Unit) -> bool:
    """Whether the unit is a table row rendered by :mod:`html_text`."""
    return unit.text.startswith(_SEP)


def cells(unit: Unit) -> list[str]:
    """The cells of a row."""
    return [c.strip() for c in unit.text.lstrip(_SEP).split(_SEP)]


def read(units: list[Unit], paragraphs: list[str], language: str) -> tuple[list[Edit], set[int]]:
    """Edits from the rows of amendment tables; returns the edits and the rows used."""
    edits: list[Edit] = []
    used: set[int] = set()
    columns: dict[str, int] | None = None
    for index, unit in enumerate(units):
        if not is_row(unit):
            columns = None
            continue
        row = cells(unit)
        header = _header(row)
        if header:
            columns = header
            used.add(index)
            continue
        found = _row_edits(row, columns, paragraphs, language)
        if found:
            edits += found
            used.add(index)
    return edits, used


def _header(row: list[str]) -> dict[str, int] | None:
    columns: dict[str, int] = {}
    for position, cell in enumerate(row):
        folded = fold(cell)
        if len(folded) > 40:
            return None
        if "paragraph" not in columns and _PARAGRAPH_HEAD.search(folded):
            columns["paragraph"] = position
        elif "old" not in columns and _OLD_HEAD.search(folded):
            columns["old"] = position
        elif "new" not in columns and _NEW_HEAD.search(folded):
            columns["new"] = position
    return columns if "new" in columns else None


def _row_edits(
    row: list[str], columns: dict[str, int] | None, paragraphs: list[str], language: str
) -> list[Edit]:
    count = len(paragraphs)
    if columns is None:
        columns = (
            {"paragraph": 0, "old": 1, "new": 2} if len(row) >= 3 else {"paragraph": 0, "new": 1}
        )
    number = _number(_cell(row, columns.get("paragraph")), count, language)
    old = strip_quotes(_cell(row, columns.get("old")))
    new = strip_quotes(_cell(row, columns.get("new")))
    if number is None or not (1 <= number <= count):
        if number is None and old and new:
            return [Edit("replace_phrase", None, old=old, new=new, source="table")]
        return []
    paragraph = paragraphs[number - 1]
    if _DELETE_CELL.match(fold(new)):
        if old and similarity(old, paragraph) < 0.8:
            return [Edit("delete_phrase", number, old=old, source="table")]
        return [Edit("delete_paragraph", number, source="table")]
    if not new:
        return []
    if old and similarity(old, paragraph) < 0.8 and find_phrase(paragraph, old):
        return [Edit("replace_phrase", number, old=old, new=new, source="table")]
    if similarity(new, paragraph) >= 0.35 or len(new) >= 0.5 * len(paragraph):
        return [Edit("replace_paragraph", number, new=new, source="table")]
    return []


def _cell(row: list[str], position: int | None) -> str:
    if position is None or position >= len(row):
        return ""
    return row[position]


def _number(cell: str, count: int, language: str) -> int | None:
    folded = fold(cell)
    found = references.find(folded, count, language)
    if found:
        return found[0][2][0]
    match = re.match(r"^\W*(\d{1,3})\W*$", folded)
    if match:
        return int(match.group(1))
    return references.ordinal(folded, count) if folded else None

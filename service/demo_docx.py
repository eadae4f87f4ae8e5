"""What Word does when a focal point retypes part of a paragraph with Track Changes on (the
service's .docx opens with it on): the words taken out become a ``w:del``, the words put in a
``w:ins``, each signed with the author and the time, the rest left as it was."""

import difflib
import io
import re
from datetime import UTC, datetime

from docx import Document
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph
from lxml import etree

_WORDS = re.compile(r"\S+\s*")


def track_replacement(
    data: bytes, *, paragraph: int, new_text: str, author: str, at: datetime
) -> bytes:
    """The document with numbered paragraph ``paragraph`` ("3. …") turned into ``new_text``."""
    document = Document(io.BytesIO(data))
    target = _numbered(document.paragraphs, paragraph)
    label, *runs = target.runs  # "3. " and the text, as the service writes them
    old_text = "".join(run.text for run in runs)
    for run in runs:
        target._p.remove(run._r)
    stamp = {
        qn("w:author"): author,
        qn("w:date"): at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    anchor: etree._Element = label._r
    for index, (kind, words) in enumerate(_diff(old_text, new_text), start=1):
        element = _run(words, deleted=kind == "delete")
        if kind != "equal":
            wrapper = OxmlElement("w:del" if kind == "delete" else "w:ins")
            for key, value in {qn("w:id"): str(900 + index), **stamp}.items():
                wrapper.set(key, value)
            wrapper.append(element)
            element = wrapper
        anchor.addnext(element)
        anchor = element
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _numbered(paragraphs: list[Paragraph], number: int) -> Paragraph:
    for candidate in paragraphs:
        if candidate.runs and candidate.runs[0].text.strip() == f"{number}.":
            return candidate
    raise LookupError(f"no paragraph {number} in the document")


def _diff(old: str, new: str) -> list[tuple[str, str]]:
    """Word-level pieces: ("equal" | "delete" | "insert", text), in reading order."""
    before, after = _WORDS.findall(old), _WORDS.findall(new)
    pieces: list[tuple[str, str]] = []
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag in ("equal", "delete", "replace") and i2 > i1:
            pieces.append(("equal" if tag == "equal" else "delete", "".join(before[i1:i2])))
        if tag in ("insert", "replace") and j2 > j1:
            pieces.append(("insert", "".join(after[j1:j2])))
    return pieces


def _run(text: str, *, deleted: bool) -> etree._Element:
    run = OxmlElement("w:r")
    piece = OxmlElement("w:delText" if deleted else "w:t")
    piece.set(qn("xml:space"), "preserve")
    piece.text = text
    run.append(piece)
    return run

"""Render a consultation text as a .docx with numbered paragraphs, ready for tracked changes."""

import datetime as dt
import functools
import io
import re
import zipfile
from collections.abc import Sequence
from typing import Literal

from docx import Document
from docx.document import Document as DocxDocument
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph

LANGUAGE_TAGS: dict[str, str] = {"es": "es-ES", "en": "en-US"}

# Fixed stamps so the same text always gives the same bytes (snapshot tests, dedupe by hash).
_STAMP = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
# DOS time in the zip starts in 1980; zipfile stamps members with the wall clock otherwise.
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
# Bookmarks survive edits and tracked changes in Word, so a reader can find paragraph N even
# when the focal point retyped or deleted the visible "N." label.
BOOKMARK_PREFIX = "para_"

_TRACK_REVISIONS_SUCCESSORS = (
    "w:doNotTrackMoves",
    "w:doNotTrackFormatting",
    "w:documentProtection",
    "w:autoFormatOverride",
    "w:styleLockTheme",
    "w:styleLockQFSet",
    "w:defaultTabStop",
)

# Text pasted from Word carries \x0b for a manual line break; other C0 controls are not
# allowed in XML 1.0 and lxml refuses them.
_LINE_BREAKS = re.compile(r"\r\n|\r|\x0b")
_NOT_XML = re.compile("[\x00-\x08\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def render_docx(
    *,
    title: str,
    paragraphs: Sequence[str],
    heading_lines: Sequence[str] = (),
    language: Literal["es", "en"],
) -> bytes:
    """Return the .docx bytes: title, heading lines, then paragraphs labelled "1.", "2."…"""
    return _render(title, tuple(paragraphs), tuple(heading_lines), language)


# A fan-out attaches the same document to every reader of a language: render it once. Building
# a .docx costs tens of milliseconds, far more than sending the message.
@functools.lru_cache(maxsize=32)
def _render(
    title: str,
    paragraphs: tuple[str, ...],
    heading_lines: tuple[str, ...],
    language: Literal["es", "en"],
) -> bytes:
    document = Document()
    _set_language(document, LANGUAGE_TAGS[language])
    _turn_on_tracking(document)
    document.add_heading(_clean(title), level=0)
    for line in heading_lines:
        document.add_paragraph(_clean(line))
    for number, text in enumerate(paragraphs, start=1):
        _add_numbered(document, number, _clean(text))
    _fix_core_properties(document, title=_clean(title), language=LANGUAGE_TAGS[language])
    buffer = io.BytesIO()
    document.save(buffer)
    return _restamp_zip(buffer.getvalue())


def _clean(text: str) -> str:
    return _NOT_XML.sub("", _LINE_BREAKS.sub("\n", text))


def _add_numbered(document: DocxDocument, number: int, text: str) -> Paragraph:
    paragraph = document.add_paragraph()
    name = f"{BOOKMARK_PREFIX}{number}"
    start = OxmlElement("w:bookmarkStart", {qn("w:id"): str(number), qn("w:name"): name})
    paragraph._p.append(start)
    paragraph.add_run(f"{number}. ")
    paragraph.add_run(text)
    paragraph._p.append(OxmlElement("w:bookmarkEnd", {qn("w:id"): str(number)}))
    return paragraph


def _set_language(document: DocxDocument, tag: str) -> None:
    """Set w:lang on the document defaults, so Word proofs the text in the right language."""
    r_pr = document.styles.element.find(qn("w:docDefaults") + "/" + qn("w:rPrDefault"))
    r_pr = r_pr.find(qn("w:rPr")) if r_pr is not None else None
    if r_pr is None:
        raise RuntimeError("python-docx default template has no w:docDefaults run properties")
    lang = r_pr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        r_pr.append(lang)
    lang.set(qn("w:val"), tag)
    # themeFontLang picks the theme's fonts for the script; keep it in step with the text.
    settings = document.settings.element
    theme_lang = settings.find(qn("w:themeFontLang"))
    if theme_lang is not None:
        theme_lang.set(qn("w:val"), tag)


def _turn_on_tracking(document: DocxDocument) -> None:
    """Open with Track Changes on, so the focal point's edits come back as revisions."""
    settings = document.settings.element
    if settings.find(qn("w:trackRevisions")) is not None:
        return
    # Word rejects a settings part whose children are out of schema order (ECMA-376 17.15.1.78):
    # trackRevisions goes before these; python-docx's template always has defaultTabStop.
    successor = settings.first_child_found_in(*_TRACK_REVISIONS_SUCCESSORS)
    if successor is None:
        raise RuntimeError("python-docx default template has no w:defaultTabStop setting")
    successor.addprevious(OxmlElement("w:trackRevisions"))


def _fix_core_properties(document: DocxDocument, *, title: str, language: str) -> None:
    props = document.core_properties
    props.title = title
    props.language = language
    props.author = "consulta"
    props.last_modified_by = "consulta"
    props.comments = ""
    props.revision = 1
    props.created = _STAMP
    props.modified = _STAMP


def _restamp_zip(data: bytes) -> bytes:
    """Rewrite the package with fixed member times; content and order are unchanged."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o644 << 16
            target.writestr(member, source.read(info))
    return out.getvalue()

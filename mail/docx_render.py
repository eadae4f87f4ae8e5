"""Render a consultation text as a .docx: the clean version with numbered paragraphs, ready for
tracked changes, and the revision's redline as Word's own tracked changes (w:ins / w:del)."""

import copy
import datetime as dt
import functools
import io
import re
import zipfile
import zlib
from collections.abc import Sequence
from typing import Literal, cast

from docx import Document
from docx.document import Document as DocxDocument
from docx.opc.coreprops import CoreProperties
from docx.opc.oxml import serialize_part_xml
from docx.opc.packuri import PackURI
from docx.opc.parts.coreprops import CorePropertiesPart
from docx.opc.phys_pkg import PhysPkgWriter
from docx.opc.pkgwriter import PackageWriter
from docx.oxml import OxmlElement
from docx.oxml.document import CT_Document
from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph
from lxml.etree import _Element

from consultation.redline import ChangeKind, ParagraphChange
from mail.reading.docx_changes import OWN_AUTHOR

LANGUAGE_TAGS: dict[str, str] = {"es": "es-ES", "en": "en-US"}

# Who the revision's tracked changes are by, as Word's review pane shows it.
REDLINE_AUTHOR = OWN_AUTHOR  # the reader accepts our own tracked changes by this name
# DOS time in the zip starts in 1980; zipfile stamps members with the wall clock otherwise.
_EARLIEST_ZIP_TIME = dt.datetime(1980, 1, 1, tzinfo=dt.UTC)
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
    dated: dt.datetime,
) -> bytes:
    """Return the .docx bytes: title, heading lines, then paragraphs labelled "1.", "2."…

    ``dated`` is the version's distribution time: the document's created and modified
    properties and its zip members carry it, so the same version always gives the same bytes.
    """
    return _render(title, tuple(paragraphs), tuple(heading_lines), language, _utc(dated))


# A fan-out attaches the same document to every reader of a language: render it once. Building
# a .docx costs milliseconds, more than sending the message.
@functools.lru_cache(maxsize=32)
def _render(
    title: str,
    paragraphs: tuple[str, ...],
    heading_lines: tuple[str, ...],
    language: Literal["es", "en"],
    dated: dt.datetime,
) -> bytes:
    template = _template(language, tracking=True)
    document = template.blank()
    template.add_title(document, _clean(title))
    for line in heading_lines:
        document.add_paragraph(_clean(line))
    for number, text in enumerate(paragraphs, start=1):
        _add_numbered(document, number, _clean(text))
    return template.saved(document, title=_clean(title), dated=dated)


def render_redline_docx(
    *,
    title: str,
    changes: Sequence[ParagraphChange],
    heading_lines: Sequence[str] = (),
    language: Literal["es", "en"],
    dated: dt.datetime,
) -> bytes:
    """The new version as tracked changes against the previous one, by ``REDLINE_AUTHOR`` at
    ``dated``: Word shows each insertion and deletion, and "accept all" gives the new text."""
    template = _template(language, tracking=False)
    document = template.blank()
    template.add_title(document, _clean(title))
    for line in heading_lines:
        document.add_paragraph(_clean(line))
    marks = _Marks(_utc(dated))
    for change in changes:
        _add_change(document.add_paragraph(), change, marks)
    return template.saved(document, title=_clean(title), dated=_utc(dated))


class _Template:
    """python-docx's template, prepared once per language (and with Track Changes on or off):
    a render only fills a copy of its body and dates a copy of its core properties.

    Opening the template parses a 440 KB style sheet and saving serialises it again: that was
    most of a render, for bytes that are the same in every document of a language. Every part
    but the body and the core properties is serialised (and its large ones deflated) here,
    once. The prepared document is never changed after; a render's paragraphs look up its
    styles, read only.
    """

    def __init__(self, language: Literal["es", "en"], *, tracking: bool) -> None:
        self.language = LANGUAGE_TAGS[language]
        self._document = Document()
        _drop_styles_with_effects(self._document)
        _set_language(self._document, self.language)
        if tracking:
            _turn_on_tracking(self._document)
        package = self._document.part.package
        self._body_name = self._document.part.partname.membername
        self._core = next(p for p in package.parts if isinstance(p, CorePropertiesPart))
        for part in package.parts:
            part.before_marshal()
        recorded = _Recorded()
        writer = cast(PhysPkgWriter, recorded)
        PackageWriter._write_content_types_stream(writer, package.parts)  # type: ignore[no-untyped-call]
        PackageWriter._write_pkg_rels(writer, package.rels)  # type: ignore[no-untyped-call]
        PackageWriter._write_parts(writer, package.parts)
        self._members = recorded.members
        # what add_heading(level=0) looks up in the 440 KB style sheet for every document
        self._title_style = self._document.styles["Title"].style_id

    def blank(self) -> DocxDocument:
        """A document of its own over the template's parts: an empty body to fill."""
        body = copy.deepcopy(self._document.element)
        return DocxDocument(cast(CT_Document, body), self._document.part)

    def add_title(self, document: DocxDocument, title: str) -> None:
        """``document.add_heading(title, level=0)``, the style looked up once."""
        document.add_paragraph(title)._p.style = self._title_style

    def saved(self, document: DocxDocument, *, title: str, dated: dt.datetime) -> bytes:
        """The package zipped once with its members dated ``dated`` (UTC; DOS times have no
        zone) rather than the wall clock at render, so the same version gives the same bytes.
        """
        core = copy.deepcopy(self._core.element)
        _fix_core_properties(CoreProperties(core), title=title, language=self.language, dated=dated)
        own = {
            self._body_name: serialize_part_xml(document.element),
            self._core.partname.membername: serialize_part_xml(core),
        }
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as target:
            stamped = _StampedZip(target, dated)
            for name, blob, deflated in self._members:
                if name in own:
                    stamped.write(name, own[name])
                else:
                    stamped.write(name, blob, deflated)
        return out.getvalue()


@functools.lru_cache(maxsize=4)
def _template(language: Literal["es", "en"], *, tracking: bool) -> _Template:
    return _Template(language, tracking=tracking)


def _drop_styles_with_effects(document: DocxDocument) -> None:
    """python-docx's template carries Word 2010's copy of its style sheet (440 KB). Word 2013
    and later, LibreOffice and Google Docs do not read it, and Word 2010 falls back to the
    style sheet itself: it only made every attachment and every render heavier."""
    part = document.part
    for r_id, relationship in list(part.rels.items()):
        if relationship.reltype == _STYLES_WITH_EFFECTS:
            part.drop_rel(r_id)


_STYLES_WITH_EFFECTS = "http://schemas.microsoft.com/office/2007/relationships/stylesWithEffects"


class _Marks:
    """Revision marks: every w:ins / w:del needs a document-unique w:id (ECMA-376 17.13.5)."""

    def __init__(self, dated: dt.datetime) -> None:
        self.date = dated.strftime("%Y-%m-%dT%H:%M:%SZ")
        self.next_id = 0

    def mark(self, tag: str) -> _Element:
        self.next_id += 1
        attributes = {
            qn("w:id"): str(self.next_id),
            qn("w:author"): REDLINE_AUTHOR,
            qn("w:date"): self.date,
        }
        element: _Element = OxmlElement(tag, attributes)
        return element


def _add_change(paragraph: Paragraph, change: ParagraphChange, marks: _Marks) -> None:
    p = paragraph._p
    if change.kind in (ChangeKind.INSERTED, ChangeKind.DELETED):
        # The paragraph mark itself is inserted or deleted, or Word leaves an empty paragraph.
        tag = "w:ins" if change.kind is ChangeKind.INSERTED else "w:del"
        p_pr = p.get_or_add_pPr()
        r_pr = OxmlElement("w:rPr")
        r_pr.append(marks.mark(tag))
        p_pr.append(r_pr)
    old_label = f"{change.old_number}. " if change.old_number is not None else ""
    new_label = f"{change.new_number}. " if change.new_number is not None else ""
    pieces: list[tuple[str, str]] = []
    if old_label == new_label:
        pieces.append(("equal", new_label))
    else:
        pieces += [("delete", old_label), ("insert", new_label)]
    if change.kind is ChangeKind.INSERTED:
        pieces.append(("insert", change.new_text or ""))
    elif change.kind is ChangeKind.DELETED:
        pieces.append(("delete", change.old_text or ""))
    elif change.kind is ChangeKind.UNCHANGED:
        pieces.append(("equal", change.new_text or ""))
    else:
        pieces += [(w.op, w.text) for w in change.words]
    for op, text in pieces:
        if text:
            p.append(_piece(op, _clean(text), marks))


def _piece(op: str, text: str, marks: _Marks) -> _Element:
    run = _run(text, deleted=op == "delete")
    if op == "equal":
        return run
    wrapper = marks.mark("w:ins" if op == "insert" else "w:del")
    wrapper.append(run)
    return wrapper


def _run(text: str, *, deleted: bool) -> _Element:
    """One w:r; deleted text goes in w:delText (ECMA-376 17.3.3.7), line breaks as w:br."""
    run: _Element = OxmlElement("w:r")
    for index, line in enumerate(text.split("\n")):
        if index:
            run.append(OxmlElement("w:br"))
        if line:
            node = OxmlElement("w:delText" if deleted else "w:t")
            node.text = line
            node.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
            run.append(node)
    return run


def _utc(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        raise ValueError("a document's date needs a time zone")
    return moment.astimezone(dt.UTC).replace(microsecond=0)


class _Recorded:
    """python-docx's package writer interface (``write``), keeping each member's bytes in
    order, and the deflated bytes of the large ones."""

    def __init__(self) -> None:
        self.members: list[tuple[str, bytes, bytes | None]] = []

    def write(self, pack_uri: PackURI, blob: bytes) -> None:
        deflated = _deflate(blob) if len(blob) >= _DEFLATE_ONCE else None
        self.members.append((pack_uri.membername, blob, deflated))


class _StampedZip:
    """Members added to a zip with one date."""

    def __init__(self, target: zipfile.ZipFile, dated: dt.datetime) -> None:
        when = max(dated, _EARLIEST_ZIP_TIME)
        self._target = target
        self._stamp = (when.year, when.month, when.day, when.hour, when.minute, when.second)

    def write(self, name: str, blob: bytes, deflated: bytes | None = None) -> None:
        member = zipfile.ZipInfo(name, date_time=self._stamp)
        member.compress_type = zipfile.ZIP_DEFLATED
        member.external_attr = 0o644 << 16
        if deflated is None:
            self._target.writestr(member, blob)
            return
        # What `writestr` does, with the deflated bytes known: the same bytes in the zip.
        member.file_size = len(blob)
        with self._target.open(member, "w") as dest:
            dest._compressor = _Deflated(deflated)  # type: ignore[attr-defined]
            dest.write(blob)


# Deflating the template's style sheet (350 KB) was a third of a render: it is done once, when
# the template is prepared.
_DEFLATE_ONCE = 64 * 1024


def _deflate(blob: bytes) -> bytes:
    """What zipfile's compressor for ZIP_DEFLATED at its default level makes of ``blob``."""
    compressor = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
    return compressor.compress(blob) + compressor.flush()


class _Deflated:
    """zipfile's compressor interface, giving back bytes deflated before."""

    def __init__(self, deflated: bytes) -> None:
        self._left = deflated

    def compress(self, data: bytes) -> bytes:
        out, self._left = self._left, b""
        return out

    def flush(self) -> bytes:
        return b""


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


def _fix_core_properties(
    props: CoreProperties, *, title: str, language: str, dated: dt.datetime
) -> None:
    props.title = title
    props.language = language
    props.author = "consulta"
    props.last_modified_by = "consulta"
    props.comments = ""
    props.revision = 1
    # python-docx writes the time as given with a "Z": it must already be UTC.
    props.created = dated
    props.modified = dated

"""Paragraphs of a .docx attachment, with tracked changes kept as ``[-…-]`` / ``{+…+}`` marks.

Reads ``word/document.xml`` straight from the zip with lxml (python-docx's ``Paragraph.text``
does not show ``w:ins``/``w:del`` runs). Guards against zip bombs and hostile XML: a size cap on
the compressed and uncompressed member, a ratio cap, no entity resolution, no network.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from dataclasses import dataclass

from lxml import etree

from mail.reading.normal import DEL_CLOSE, DEL_OPEN, INS_CLOSE, INS_OPEN, collapse

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_MAX_XML_BYTES = 20_000_000
_MAX_RATIO = 200
_MAX_PARAGRAPHS = 2_000
# The author of the tracked changes in the redline .docx we send with a revision. A focal point
# who returns that file with changes of their own leaves ours in it: ours are already in the
# version they answer, so they are read as accepted and only other authors' changes are marks.
OWN_AUTHOR = "CRM PPT"


class UnreadableDocument(Exception):
    """The attachment is not a .docx we can safely read."""


@dataclass(frozen=True)
class DocParagraph:
    """A paragraph with change marks, and whether the whole paragraph is a tracked insertion."""

    text: str  # with [-deleted-] and {+inserted+} marks
    inserted: bool
    deleted: bool


def is_docx(filename: str, content_type: str) -> bool:
    """Whether an attachment should be read as a Word document."""
    return filename.lower().endswith(".docx") or content_type.endswith("wordprocessingml.document")


def paragraphs(data: bytes) -> list[DocParagraph]:
    """The document's paragraphs in order (body, including tables)."""
    xml = _document_xml(data)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(xml, parser)
    except etree.XMLSyntaxError as error:
        raise UnreadableDocument(f"document.xml is not well-formed: {error}") from error
    body = root.find(f"{{{_W}}}body")
    if body is None:
        raise UnreadableDocument("no w:body in document.xml")
    out: list[DocParagraph] = []
    for element in body.iter(f"{{{_W}}}p"):
        out.append(_paragraph(element))
        if len(out) >= _MAX_PARAGRAPHS:
            break
    return out


def _document_xml(data: bytes) -> bytes:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        raise UnreadableDocument("not a zip archive") from error
    with archive:
        try:
            info = archive.getinfo("word/document.xml")
        except KeyError as error:
            raise UnreadableDocument("no word/document.xml") from error
        if info.file_size > _MAX_XML_BYTES:
            raise UnreadableDocument("document.xml too large")
        if info.compress_size and info.file_size / info.compress_size > _MAX_RATIO:
            raise UnreadableDocument("suspicious compression ratio")
        try:
            with archive.open(info) as member:
                xml = member.read(_MAX_XML_BYTES + 1)
        except (
            zipfile.BadZipFile,
            OSError,
            RuntimeError,
            NotImplementedError,
            EOFError,
            ValueError,
            zlib.error,
        ) as error:
            raise UnreadableDocument(f"cannot read document.xml: {error}") from error
    if len(xml) > _MAX_XML_BYTES:
        raise UnreadableDocument("document.xml too large")
    return xml


def _paragraph(element: etree._Element) -> DocParagraph:
    pieces: list[tuple[str, str]] = []  # (state, text): state is "", "ins" or "del"
    for node in element.iter():
        tag = etree.QName(node).localname if isinstance(node.tag, str) else ""
        if tag not in {"t", "delText", "tab", "br", "cr"}:
            continue
        state = _state(node, element)
        if state == "accepted-del":
            continue
        if tag in {"tab", "br", "cr"}:
            pieces.append((state, " "))
        else:
            pieces.append((state, node.text or ""))
    text = render_pieces(pieces)
    content = [(s, t) for s, t in pieces if t.strip()]
    inserted = bool(content) and all(s == "ins" for s, _ in content)
    deleted = bool(content) and all(s == "del" for s, _ in content)
    return DocParagraph(text, inserted, deleted)


def _state(node: etree._Element, paragraph: etree._Element) -> str:
    """ "ins", "del" or "" (plain); "accepted-del" for text our own redline deleted."""
    parent = node.getparent()
    while parent is not None and parent is not paragraph:
        name = etree.QName(parent).localname
        own = parent.get(f"{{{_W}}}author") == OWN_AUTHOR
        if name in {"del", "moveFrom"}:
            return "accepted-del" if own else "del"
        if name in {"ins", "moveTo"}:
            return "" if own else "ins"
        parent = parent.getparent()
    return ""


def render_pieces(pieces: list[tuple[str, str]]) -> str:
    """Runs of (state, text), state "" / ins / del, as one text with change marks."""
    out: list[str] = []
    current = ""
    for state, text in pieces:
        if state != current:
            out.append({"ins": INS_CLOSE, "del": DEL_CLOSE}.get(current, ""))
            out.append({"ins": INS_OPEN, "del": DEL_OPEN}.get(state, ""))
            current = state
        out.append(text)
    out.append({"ins": INS_CLOSE, "del": DEL_CLOSE}.get(current, ""))
    return collapse("".join(out))

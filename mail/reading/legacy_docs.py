"""Paragraphs of the other word-processor files ministries send: Word 97-2003 (.doc) through
Debian's antiword (catdoc when antiword refuses the file), OpenDocument (.odt) straight from its
zip with lxml, tracked changes kept as the ``[-…-]`` / ``{+…+}`` marks of ``docx_changes``.

antiword and catdoc are small C programs that only print text: run as child processes with a
time limit and no shell. LibreOffice would read more formats but weighs 300 MB and starts in
seconds; these two read what ministries send as .doc in milliseconds.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
import zipfile
import zlib
from pathlib import Path

from lxml import etree

from mail.reading.docx_changes import DocParagraph, UnreadableDocument, render_pieces
from mail.reading.normal import collapse

TOOL_SECONDS = 20.0
_MAX_XML_BYTES = 20_000_000
_MAX_RATIO = 200
_MAX_PARAGRAPHS = 2_000
_OLE2 = bytes.fromhex("d0cf11e0a1b11ae1")  # every Word 6-2003 file is an OLE2 compound file
_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"

__all__ = ["UnreadableDocument", "doc_paragraphs", "is_doc", "is_odt", "odt_paragraphs"]


def is_doc(filename: str, content_type: str) -> bool:
    return filename.lower().endswith(".doc") or content_type == "application/msword"


def is_odt(filename: str, content_type: str) -> bool:
    return filename.lower().endswith(".odt") or content_type.endswith("opendocument.text")


def doc_paragraphs(data: bytes) -> list[DocParagraph]:
    """A Word 97-2003 file's paragraphs (antiword prints one per line with ``-w 0``)."""
    if not data.startswith(_OLE2):  # catdoc would print any bytes back as "text"
        raise UnreadableDocument("not an OLE2 compound file")
    with tempfile.TemporaryDirectory(prefix="consulta-doc-") as folder:
        path = Path(folder) / "note.doc"
        path.write_bytes(data)
        text = _run(["antiword", "-m", "UTF-8.txt", "-w", "0", str(path)])
        if text is None:  # not a Word 8 file antiword knows (Word 6/95, a renamed RTF)
            text = _run(["catdoc", "-d", "utf-8", "-w", str(path)])
    if text is None:
        raise UnreadableDocument("neither antiword nor catdoc could read it")
    lines = [collapse(line) for line in text.replace("\r", "\n").split("\n")]
    return [DocParagraph(line, False, False) for line in lines if line][:_MAX_PARAGRAPHS]


def odt_paragraphs(data: bytes) -> list[DocParagraph]:
    """An OpenDocument text's paragraphs and headings in order, with tracked changes marked."""
    root = _content(data)
    regions = _changed_regions(root)
    body = root.find(f"{{{_OFFICE}}}body")
    if body is None:
        raise UnreadableDocument("no office:body in content.xml")
    out: list[DocParagraph] = []
    for element in body.iter(f"{{{_TEXT}}}p", f"{{{_TEXT}}}h"):
        if _inside_tracked_changes(element):
            continue
        out.append(_odt_paragraph(element, regions))
        if len(out) >= _MAX_PARAGRAPHS:
            break
    return out


def _run(command: list[str]) -> str | None:
    if shutil.which(command[0]) is None:
        return None
    try:
        done = subprocess.run(  # noqa: S603 - a fixed program on a file we wrote
            command, capture_output=True, timeout=TOOL_SECONDS, check=False
        )
    except subprocess.TimeoutExpired:
        raise UnreadableDocument(f"{command[0]} took over {TOOL_SECONDS:.0f} s") from None
    if done.returncode != 0 or not done.stdout.strip():
        return None
    return done.stdout.decode("utf-8", errors="replace")


def _content(data: bytes) -> etree._Element:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        raise UnreadableDocument("not a zip archive") from error
    with archive:
        try:
            info = archive.getinfo("content.xml")
        except KeyError as error:
            raise UnreadableDocument("no content.xml") from error
        if info.file_size > _MAX_XML_BYTES or (
            info.compress_size and info.file_size / info.compress_size > _MAX_RATIO
        ):
            raise UnreadableDocument("content.xml too large")
        try:
            with archive.open(info) as member:
                xml = member.read(_MAX_XML_BYTES + 1)
        except (zipfile.BadZipFile, OSError, RuntimeError, EOFError, ValueError, zlib.error) as e:
            raise UnreadableDocument(f"cannot read content.xml: {e}") from e
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        return etree.fromstring(xml, parser)
    except etree.XMLSyntaxError as error:
        raise UnreadableDocument(f"content.xml is not well-formed: {error}") from error


def _changed_regions(root: etree._Element) -> dict[str, tuple[str, str]]:
    """Each tracked change by id: ("ins", "") or ("del", the deleted words)."""
    regions: dict[str, tuple[str, str]] = {}
    for region in root.iter(f"{{{_TEXT}}}changed-region"):
        ident = region.get(f"{{{_TEXT}}}id") or region.get(
            "{http://www.w3.org/XML/1998/namespace}id"
        )
        if ident is None:
            continue
        if region.find(f"{{{_TEXT}}}deletion") is not None:
            deleted = region.find(f"{{{_TEXT}}}deletion")
            assert deleted is not None
            words = " ".join(
                "".join(str(t) for t in p.itertext())
                for p in deleted.iter(f"{{{_TEXT}}}p", f"{{{_TEXT}}}h")
            )
            regions[ident] = ("del", words)
        elif region.find(f"{{{_TEXT}}}insertion") is not None:
            regions[ident] = ("ins", "")
    return regions


def _inside_tracked_changes(element: etree._Element) -> bool:
    parent = element.getparent()
    while parent is not None:
        if parent.tag == f"{{{_TEXT}}}tracked-changes":
            return True
        parent = parent.getparent()
    return False


def _odt_paragraph(element: etree._Element, regions: dict[str, tuple[str, str]]) -> DocParagraph:
    pieces: list[tuple[str, str]] = []
    inserting: set[str] = set()

    def visit(node: etree._Element) -> None:
        name = etree.QName(node).localname if isinstance(node.tag, str) else ""
        ident = node.get(f"{{{_TEXT}}}change-id") or ""
        if name == "change-start" and regions.get(ident, ("",))[0] == "ins":
            inserting.add(ident)
        elif name == "change-end":
            inserting.discard(ident)
        elif name == "change" and regions.get(ident, ("",))[0] == "del":
            pieces.append(("del", regions[ident][1]))
        elif name in {"s", "tab", "line-break"}:
            pieces.append(("ins" if inserting else "", " "))
        if node.text and name not in {"note", "annotation"}:
            pieces.append(("ins" if inserting else "", node.text))
        for child in node:
            visit(child)
            if child.tail:
                pieces.append(("ins" if inserting else "", child.tail))

    visit(element)
    text = render_pieces(pieces)
    content = [(s, t) for s, t in pieces if t.strip()]
    inserted = bool(content) and all(s == "ins" for s, _ in content)
    deleted = bool(content) and all(s == "del" for s, _ in content)
    return DocParagraph(text, inserted, deleted)

"""Paragraphs of a draft text given as a file (Slack's forms, the web console): .txt, .md, .docx."""

import io
import re
import zipfile
from enum import StrEnum

from docx import Document
from docx.opc.exceptions import PackageNotFoundError
from lxml import etree

from consultation.errors import InvalidInput
from consultation.texts import paragraphs_from_text

SUFFIXES = ("docx", "txt", "md")
MAX_BYTES = 2 * 1024 * 1024
# python-docx inflates every part in memory: refuse a small zip that unpacks into a huge one.
_MAX_UNPACKED = 50 * 1024 * 1024
# consulta numbers paragraphs itself, and its own .docx drafts label them "1. ", "2. "…
_LABEL = re.compile(r"^\d{1,3}[.)]\s+")


class Unreadable(StrEnum):
    """Why a file cannot be a text (the phrasebook says each in the user's language)."""

    KIND = "kind"  # not .docx, .txt or .md
    TOO_LARGE = "too_large"  # past MAX_BYTES
    EMPTY = "empty"  # no paragraphs
    NOT_UTF8 = "not_utf8"  # a .txt or .md in another encoding
    NOT_DOCX = "not_docx"  # named .docx, but not a Word document we can open
    UNAVAILABLE = "unavailable"  # Slack would not give it to us


class UnreadableUpload(Exception):
    def __init__(self, reason: Unreadable) -> None:
        super().__init__(reason.value)
        self.reason = reason


def suffix(name: str) -> str:
    return name.rpartition(".")[2].lower() if "." in name else ""


def paragraphs_from_upload(name: str, data: bytes) -> list[str]:
    """The file's paragraphs in order, numbering labels dropped; raises UnreadableUpload."""
    kind = suffix(name)
    if kind not in SUFFIXES:
        raise UnreadableUpload(Unreadable.KIND)
    if len(data) > MAX_BYTES:
        raise UnreadableUpload(Unreadable.TOO_LARGE)
    found = _docx_paragraphs(data) if kind == "docx" else _text_paragraphs(data)
    unlabelled = [_LABEL.sub("", p, count=1).strip() for p in found]
    if not any(unlabelled):
        raise UnreadableUpload(Unreadable.EMPTY)
    return [p for p in unlabelled if p]


def _text_paragraphs(data: bytes) -> list[str]:
    try:
        text = data.decode("utf-8-sig")  # Notepad writes a byte-order mark
    except UnicodeDecodeError as exc:
        raise UnreadableUpload(Unreadable.NOT_UTF8) from exc
    try:
        return paragraphs_from_text(text)
    except InvalidInput as exc:
        raise UnreadableUpload(Unreadable.EMPTY) from exc


def _docx_paragraphs(data: bytes) -> list[str]:
    """Body paragraphs that are not headings: the title has its own field in the form."""
    _check_zip(data)
    try:
        document = Document(io.BytesIO(data))
    except (PackageNotFoundError, KeyError, ValueError, etree.XMLSyntaxError) as exc:
        raise UnreadableUpload(Unreadable.NOT_DOCX) from exc
    found = []
    for paragraph in document.paragraphs:
        style = paragraph.style.name if paragraph.style is not None else ""
        if style == "Title" or style.startswith("Heading"):
            continue
        found.append(" ".join(paragraph.text.split()))
    return found


def _check_zip(data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise UnreadableUpload(Unreadable.NOT_DOCX) from exc
    if unpacked > _MAX_UNPACKED:
        raise UnreadableUpload(Unreadable.TOO_LARGE)

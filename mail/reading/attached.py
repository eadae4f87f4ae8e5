"""The text of documents attached to a reply: typed and scanned PDFs, images, .doc and .odt.

Each is read within limits (``pdf``, ``ocr``, ``legacy_docs``); a document that cannot be read
gives a review reason instead of text. A .doc or .odt whose paragraphs follow the draft is a
revised text (compared with the draft like a .docx, tracked changes included); any other
readable document is taken for a note verbale (``note_verbale``). .docx files and anything else
are left to ``amendments``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from PIL import Image

from mail.reading import legacy_docs, ocr, pdf
from mail.reading.docx_changes import DocParagraph, UnreadableDocument
from mail.reading.mime import Attachment
from mail.reading.normal import accepted, original
from mail.reading.units import similarity

DocumentKind = Literal["pdf", "scan", "image", "doc", "odt"]
_IMAGES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".gif", ".bmp", ".webp")
_SAME_PARAGRAPH = 0.6  # similarity at which a document's paragraph is taken for a draft's


@dataclass(frozen=True)
class Document:
    """One attachment read as text."""

    filename: str
    kind: DocumentKind
    paragraphs: tuple[DocParagraph, ...]
    page_image: bytes | None = None  # the first page, for a reviewer (OCR'd documents)

    @property
    def text(self) -> str:
        """Its words: extracted lines (PDF, OCR) as they came, paragraphs blank-line separated."""
        joiner = "\n" if self.kind in ("pdf", "scan", "image") else "\n\n"
        return joiner.join(accepted(p.text) for p in self.paragraphs if not p.deleted)

    @property
    def ocr(self) -> bool:
        return self.kind in ("scan", "image")


@dataclass
class Attached:
    notes: list[Document] = field(default_factory=list)  # to read as the answer's own words
    revised: list[Document] = field(default_factory=list)  # revised drafts (.doc / .odt)
    others: list[Attachment] = field(default_factory=list)  # for ``amendments`` (.docx, …)
    reasons: list[str] = field(default_factory=list)


def read_attachments(
    attachments: Sequence[Attachment], paragraphs: Sequence[str], language: str
) -> Attached:
    """Read every document attachment; ``language`` (the roster's, via the draft sent to the
    country) is the one OCR tries first."""
    found = Attached()
    for attachment in attachments:
        try:
            document = _read(attachment, language)
        except (pdf.PdfProblem, ocr.OcrProblem) as problem:
            found.reasons.append(problem.reason)
            continue
        except UnreadableDocument:
            found.reasons.append("attachment_unreadable")
            continue
        if document is None:
            found.others.append(attachment)
        elif document.kind in ("doc", "odt") and _follows_draft(document, paragraphs):
            found.revised.append(document)
        elif document.text.strip():
            found.notes.append(document)
        else:
            found.reasons.append("attachment_empty" if not document.ocr else "ocr_no_text")
    return found


def _read(attachment: Attachment, language: str) -> Document | None:
    name, kind, data = attachment.filename, attachment.content_type, attachment.data
    if pdf.is_pdf(name, kind, data):
        return _pdf(name, data, language)
    if name.lower().endswith(_IMAGES) or kind.startswith("image/"):
        pages = ocr.open_image(data)
        return _scanned(name, "image", pages, language)
    if legacy_docs.is_doc(name, kind):
        return Document(name, "doc", tuple(legacy_docs.doc_paragraphs(data)))
    if legacy_docs.is_odt(name, kind):
        return Document(name, "odt", tuple(legacy_docs.odt_paragraphs(data)))
    return None


def _pdf(name: str, data: bytes, language: str) -> Document:
    text = pdf.read_text(data)
    if not text.scanned:
        return Document(name, "pdf", _lines("\n\n".join(text.pages)))
    pages = pdf.render_pages(data, dpi=ocr.OCR_DPI)
    return _scanned(name, "scan", pages, language)


def _scanned(name: str, kind: DocumentKind, images: list[Image.Image], language: str) -> Document:
    if not images:
        raise ocr.OcrProblem("ocr_no_text")
    read = ocr.read_pages(images, language)
    preview = ocr.preview_png(images[0])
    return Document(name, kind, _lines("\n\n".join(read.pages)), page_image=preview)


def _lines(text: str) -> tuple[DocParagraph, ...]:
    """Extracted text keeps its line breaks (``note_verbale`` rebuilds paragraphs from them)."""
    return tuple(DocParagraph(line, False, False) for line in text.split("\n"))


def _follows_draft(document: Document, draft: Sequence[str]) -> bool:
    """Two or more of the document's paragraphs are the draft's (as changed or not)."""
    matched = 0
    for paragraph in document.paragraphs:
        before = original(paragraph.text)
        if len(before) < 40:
            continue
        if any(similarity(before, p) >= _SAME_PARAGRAPH for p in draft):
            matched += 1
            if matched >= 2:
                return True
    return False

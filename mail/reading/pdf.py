"""Text of a PDF attachment page by page, within limits; pages without a text layer are
rendered to images for OCR (``mail.reading.ocr``).

pypdf reads the text layer, chosen by measurement on the note corpus (``bench/reader.py``):
pypdf, pdfminer.six and pypdfium2 all give every word in order (2.4, 10.2 and 1.3 ms a note),
but only pypdf's layout mode keeps paragraphs apart (a blank line for a vertical gap); PDFium
gives none, and pdfminer.six cuts every justified line into a box of its own. pypdf also
refuses a stream that would inflate past its configured limit (a PDF bomb) and opens files
protected only against editing. pypdfium2 renders pages for OCR: PDFium decodes the image
codecs of scanners (JPEG, CCITT, JBIG2) that a pure-Python reader does not.
"""

from __future__ import annotations

import io
import logging
from contextlib import AbstractContextManager
from dataclasses import dataclass

from PIL import Image

MAX_PAGES = 40  # a note verbale is one to three pages; 40 already is a report, not an answer
MAX_OCR_PAGES = 4  # pages rendered for OCR, from the first
MAX_RENDER_PIXELS = 4_000  # longest side of a rendered page, whatever its declared size
MIN_TEXT_CHARS = 25  # a page with fewer characters in its text layer is treated as scanned
_INFLATE_LIMIT = 20_000_000  # bytes a single stream may inflate to

log = logging.getLogger(__name__)


class PdfProblem(Exception):
    """The PDF cannot be read; ``reason`` is a review reason (``consultation.held``)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class PdfText:
    pages: tuple[str, ...]  # the text layer of each page ("" for a scanned page)

    @property
    def scanned(self) -> bool:
        """No page carries enough text: the document is a scan (or a photograph)."""
        return all(len(page.strip()) < MIN_TEXT_CHARS for page in self.pages)


def is_pdf(filename: str, content_type: str, data: bytes) -> bool:
    return (
        filename.lower().endswith(".pdf")
        or content_type == "application/pdf"
        or data[:1024].lstrip().startswith(b"%PDF-")
    )


def read_text(data: bytes) -> PdfText:
    """The text layer of every page, or ``PdfProblem`` (encrypted, damaged, too many pages,
    a stream that inflates past the limit)."""
    import pypdf
    from pypdf.errors import FileNotDecryptedError, LimitReachedError, PyPdfError

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # a damaged xref warns once per object
    try:
        with _limits():
            reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted and not _opens_without_password(reader):
                raise PdfProblem("attachment_encrypted")
            if len(reader.pages) > MAX_PAGES:
                raise PdfProblem("attachment_too_many_pages")
            pages = tuple(_page_text(page) for page in reader.pages)
    except LimitReachedError:
        raise PdfProblem("attachment_too_large") from None
    except FileNotDecryptedError:
        raise PdfProblem("attachment_encrypted") from None
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError):
        raise PdfProblem("attachment_damaged") from None
    except RecursionError:  # a crafted object graph that refers to itself
        raise PdfProblem("attachment_damaged") from None
    return PdfText(pages)


def _page_text(page: object) -> str:
    """The page's text laid out as printed: a vertical gap between paragraphs becomes a blank
    line (``note_verbale`` rebuilds paragraphs from them); the indentation is dropped."""
    text = page.extract_text(extraction_mode="layout") or ""  # type: ignore[attr-defined]
    return "\n".join(line.strip() for line in str(text).splitlines())


def render_pages(data: bytes, *, dpi: int, pages: int = MAX_OCR_PAGES) -> list[Image.Image]:
    """The first ``pages`` pages as greyscale images at ``dpi`` (capped in pixels)."""
    import pypdfium2

    try:
        document = pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError:
        raise PdfProblem("attachment_damaged") from None
    try:
        images = []
        for index in range(min(len(document), pages)):
            page = document[index]
            width, height = page.get_size()  # points
            scale = min(dpi / 72, MAX_RENDER_PIXELS / max(width, height, 1))
            bitmap = page.render(scale=scale, grayscale=True)
            images.append(bitmap.to_pil().convert("L"))
        return images
    except pypdfium2.PdfiumError:
        raise PdfProblem("attachment_damaged") from None
    finally:
        document.close()


def _opens_without_password(reader: object) -> bool:
    """Many ministries "protect" a PDF against editing only: the empty user password opens it
    (AES needs ``cryptography``, a dependency for that reason)."""
    try:
        return bool(reader.decrypt(""))  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - pypdf raises several types for unsupported ciphers
        return False


def _limits() -> AbstractContextManager[object]:
    """pypdf's per-stream limits (75 MB by default) lowered to what a letter can need."""
    from pypdf._configuration import apply_configuration

    return apply_configuration(
        zlib_maximum_output_length=_INFLATE_LIMIT,
        lzw_maximum_output_length=_INFLATE_LIMIT,
        run_length_maximum_output_length=_INFLATE_LIMIT,
        array_based_stream_maximum_output_length=_INFLATE_LIMIT,
        maximum_declared_stream_length=_INFLATE_LIMIT,
    )

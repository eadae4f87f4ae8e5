"""Words of a scanned page, by Tesseract (Debian's ``tesseract-ocr`` with ``-spa`` and ``-eng``)
through pytesseract, bounded in time; and the small PNG of a page a reviewer sees beside them.

Tesseract runs as a child process of the reader (itself a worker of ``mail.reader_pool``, so the
event loop never waits on it); pytesseract kills it past its timeout. Pages are read two at a
time, one Tesseract thread each: on two cores that halves a two-page note's time, where
Tesseract's own threads gain little on a page this size.
"""

from __future__ import annotations

import io
import os
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from PIL import Image, ImageOps

LANGUAGES = {"es": "spa", "en": "eng"}
BOTH = "spa+eng"
PAGE_SECONDS = 20.0  # one page; a clean A4 page at 300 dpi takes 2-4 s on this machine
OCR_DPI = 300
PREVIEW_WIDTH = 900  # pixels: readable in Slack and an email, ~60-120 kB as PNG
MIN_WORDS = 25  # fewer words than this from a full page: try the other languages, then rotation
Image.MAX_IMAGE_PIXELS = 60_000_000  # a decompression bomb fails in Pillow, not in memory


class OcrProblem(Exception):
    """No text could be had; ``reason`` is a review reason (``consultation.held``)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class OcrText:
    pages: tuple[str, ...]
    languages: str  # what Tesseract was told to read ("spa", "eng", "spa+eng")


def available() -> bool:
    """Whether the Tesseract binary is installed (the reader says so instead of failing)."""
    import shutil

    return shutil.which("tesseract") is not None


def read_pages(images: list[Image.Image], language: str) -> OcrText:
    """The text of each page, in the roster's language first and in both when that reads
    little (a note in the other working language, or a poor scan)."""
    if not available():
        raise OcrProblem("ocr_unavailable")
    first = LANGUAGES.get(language, BOTH)
    pages = _read_all(images, first)
    if first != BOTH and _words(pages) < MIN_WORDS * len(images):
        retry = _read_all(images, BOTH)
        if _words(retry) > _words(pages):
            return OcrText(retry, BOTH)
    return OcrText(pages, first)


def preview_png(image: Image.Image) -> bytes:
    """The page as a reviewer sees it: greyscale, PREVIEW_WIDTH wide, optimised PNG."""
    page = ImageOps.grayscale(image)
    if page.width > PREVIEW_WIDTH:
        height = round(page.height * PREVIEW_WIDTH / page.width)
        page = page.resize((PREVIEW_WIDTH, height), Image.Resampling.LANCZOS)
    page = page.quantize(colors=16)  # scanned text: 16 greys keep it legible at a third the size
    out = io.BytesIO()
    page.save(out, format="PNG", optimize=True)
    return out.getvalue()


def open_image(data: bytes) -> list[Image.Image]:
    """The frames of an image attachment (a multi-page TIFF is a whole scanned note)."""
    try:
        with warnings.catch_warnings():  # past MAX_IMAGE_PIXELS Pillow only warns: refuse it
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            frames = []
            for index in range(min(getattr(image, "n_frames", 1), 4)):
                image.seek(index)
                frames.append(ImageOps.exif_transpose(image).convert("L"))
        return frames
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise OcrProblem("attachment_too_large") from None
    except (OSError, ValueError, SyntaxError, EOFError):
        raise OcrProblem("attachment_damaged") from None


def _read_all(images: list[Image.Image], languages: str) -> tuple[str, ...]:
    with ThreadPoolExecutor(max_workers=2) as pool:
        return tuple(pool.map(lambda image: _read_page(image, languages), images))


def _read_page(image: Image.Image, languages: str) -> str:
    text = _tesseract(image, languages)
    if len(text.split()) >= MIN_WORDS:
        return text
    turned = _upright(image)  # a page scanned sideways or upside down reads as noise
    return _tesseract(turned, languages) if turned is not image else text


def _tesseract(image: Image.Image, languages: str) -> str:
    import pytesseract

    os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # see the module: one thread per page
    try:
        text = pytesseract.image_to_string(
            image, lang=languages, config="--psm 3", timeout=PAGE_SECONDS
        )
    except RuntimeError as exc:  # pytesseract's timeout: it killed Tesseract
        if "timeout" in str(exc).lower():
            raise OcrProblem("ocr_timeout") from None
        raise OcrProblem("ocr_failed") from None
    except pytesseract.TesseractError:
        raise OcrProblem("ocr_failed") from None
    return str(text)


def _upright(image: Image.Image) -> Image.Image:
    """The page turned by the angle Tesseract's orientation detection gives, when it gives one."""
    import pytesseract

    try:
        found = pytesseract.image_to_osd(
            image, config="--psm 0", output_type=pytesseract.Output.DICT, timeout=PAGE_SECONDS
        )
    except (RuntimeError, pytesseract.TesseractError):
        return image
    angle = int(found.get("rotate", 0) or 0)
    return image.rotate(-angle, expand=True, fillcolor=255) if angle else image


def _words(pages: tuple[str, ...]) -> int:
    return sum(len(page.split()) for page in pages)

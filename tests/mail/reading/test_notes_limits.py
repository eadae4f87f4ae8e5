"""Attachments that would cost the reader without end, or that it cannot open: each is held
with a reason a person understands (es/en), and nothing is lost (the message is kept raw)."""

from __future__ import annotations

import io
import zlib

import pytest
from PIL import Image
from pypdf import PdfReader, PdfWriter
from pypdf.generic import NameObject, StreamObject

from consultation.held import describe
from mail.reading import ocr, read_reply
from mail.reading.attached import read_attachments
from mail.reading.mime import Attachment
from tests.fixtures.notes.scoring import HERE
from tests.fixtures.replies import mailers as m
from tests.fixtures.replies.cases_positions import GT
from tests.fixtures.replies.clients import outlook

DRAFT = m.LABOUR.paragraphs("es")
TYPED = (HERE / "documents" / "n01-pdf-es-approve.pdf").read_bytes()
SCANNED = (HERE / "documents" / "n11-scan-es-object.pdf").read_bytes()


def _reasons(data: bytes, filename: str = "nota.pdf", kind: str = "application/pdf") -> list[str]:
    return read_attachments([Attachment(filename, kind, data)], DRAFT, "es").reasons


def _pdf(writer: PdfWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_500_page_pdf_is_not_read() -> None:
    writer = PdfWriter()
    for _ in range(500):
        writer.add_blank_page(width=595, height=842)
    assert _reasons(_pdf(writer)) == ["attachment_too_many_pages"]


def test_a_pdf_bomb_stops_at_the_inflation_limit() -> None:
    """One page whose content stream is 60 KB on disk and 60 MB inflated."""
    writer = PdfWriter()
    page = writer.add_blank_page(width=595, height=842)
    content = StreamObject()
    content.set_data(b"")  # then the compressed bytes as stored, filter declared
    content._data = zlib.compress(b" " * 60_000_000, 9)
    content[NameObject("/Filter")] = NameObject("/FlateDecode")
    page[NameObject("/Contents")] = writer._add_object(content)
    assert _reasons(_pdf(writer)) == ["attachment_too_large"]


def test_a_corrupted_xref_is_rebuilt_and_the_note_still_read() -> None:
    start = TYPED.rindex(b"startxref")
    broken = TYPED[:start] + b"startxref\n999999\n%%EOF\n"
    found = read_attachments([Attachment("nota.pdf", "application/pdf", broken)], DRAFT, "es")
    assert found.reasons == [] and "aprueba el proyecto" in found.notes[0].text


def test_a_pdf_that_is_not_one_is_damaged() -> None:
    assert _reasons(b"%PDF-1.7\n" + bytes(range(256)) * 40) == ["attachment_damaged"]


def test_an_encrypted_pdf_is_held_and_one_protected_only_against_editing_is_read() -> None:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(TYPED)))
    writer.encrypt(user_password="secreto", owner_password="dueño", algorithm="AES-128")
    assert _reasons(_pdf(writer)) == ["attachment_encrypted"]
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(TYPED)))
    writer.encrypt(user_password="", owner_password="dueño", algorithm="AES-128")
    assert _reasons(_pdf(writer)) == []


def test_a_doc_or_odt_that_is_not_one_is_unreadable() -> None:
    garbage = bytes(range(256)) * 20
    assert _reasons(garbage, "nota.doc", "application/msword") == ["attachment_unreadable"]
    odt = "application/vnd.oasis.opendocument.text"
    assert _reasons(b"PK\x03\x04 garbage", "nota.odt", odt) == ["attachment_unreadable"]


def test_an_image_bomb_is_refused_before_it_is_decoded() -> None:
    out = io.BytesIO()
    Image.new("1", (9000, 9000)).save(out, format="PNG")  # 81 Mpx, a few kB
    assert _reasons(out.getvalue(), "nota.png", "image/png") == ["attachment_too_large"]


def test_ocr_past_its_time_is_a_reason_not_a_hang(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ocr, "PAGE_SECONDS", 0.05)
    assert _reasons(SCANNED) == ["ocr_timeout"]


def test_a_held_reason_for_each_limit_reads_as_a_sentence_in_both_languages() -> None:
    raw = outlook(
        "lim",
        GT,
        "Adjunto la nota.",
        m.LABOUR,
        "es",
        attachments=[
            m.attachment(b"%PDF-1.7\n" + bytes(range(256)) * 40, "nota.pdf", "application/pdf")
        ],
    )
    reading = read_reply(raw, DRAFT)
    assert reading.needs_review and "attachment_damaged" in reading.review_reasons
    spanish = describe(",".join(reading.review_reasons), "es")
    english = describe(",".join(reading.review_reasons), "en")
    assert "dañado" in spanish and "damaged" in english
    for code in (
        "attachment_encrypted",
        "attachment_too_many_pages",
        "attachment_too_large",
        "ocr_timeout",
        "ocr_position",
        "takes_note",
    ):
        assert "_" not in describe(code, "es") and "_" not in describe(code, "en")

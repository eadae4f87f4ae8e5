"""Reading a draft text from an uploaded .txt, .md or .docx (pure: bytes in, paragraphs out)."""

import io
import zipfile

import pytest
from docx import Document
from hypothesis import given
from hypothesis import strategies as st

from consultation.uploads import MAX_BYTES, Unreadable, UnreadableUpload, paragraphs_from_upload


def docx_of(*paragraphs: str, title: str | None = None) -> bytes:
    document = Document()
    if title is not None:
        document.add_heading(title, level=0)
    for text in paragraphs:
        document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def reason(name: str, data: bytes) -> Unreadable:
    with pytest.raises(UnreadableUpload) as caught:
        paragraphs_from_upload(name, data)
    return caught.value.reason


def test_a_text_file_is_split_on_blank_lines_with_or_without_a_byte_order_mark() -> None:
    data = "\ufeffPrimer párrafo,\nsigue.\r\n\r\n2. Segundo párrafo.\n".encode()
    assert paragraphs_from_upload("borrador.TXT", data) == [
        "Primer párrafo, sigue.",
        "Segundo párrafo.",
    ]
    assert paragraphs_from_upload("draft.md", b"One.\n\n\n\nTwo.") == ["One.", "Two."]


def test_a_docx_gives_its_non_empty_paragraphs_in_order_without_title_or_labels() -> None:
    data = docx_of("1. First paragraph.", "", "   ", "2. Second  paragraph.", title="A title")
    assert paragraphs_from_upload("draft.docx", data) == ["First paragraph.", "Second paragraph."]


def test_unreadable_files_say_why() -> None:
    assert reason("borrador.txt", "Año".encode("latin-1")) == Unreadable.NOT_UTF8
    assert reason("borrador.docx", b"PK\x03\x04 not really a zip") == Unreadable.NOT_DOCX
    assert reason("borrador.docx", _zip_without_word_parts()) == Unreadable.NOT_DOCX
    assert reason("borrador.pdf", b"%PDF-1.7") == Unreadable.KIND
    assert reason("borrador", b"text") == Unreadable.KIND
    assert reason("borrador.txt", b"x" * (MAX_BYTES + 1)) == Unreadable.TOO_LARGE
    assert reason("borrador.txt", b"  \n\n \n") == Unreadable.EMPTY
    assert reason("borrador.docx", docx_of("", title="Only a title")) == Unreadable.EMPTY


@given(st.lists(st.text(alphabet="abc xyz.,", min_size=1).filter(str.strip), min_size=1))
def test_a_text_file_keeps_every_paragraph_it_is_given(paragraphs: list[str]) -> None:
    cleaned = [p.strip() for p in paragraphs]
    data = "\n\n".join(paragraphs).encode()
    assert paragraphs_from_upload("t.txt", data) == cleaned


def _zip_without_word_parts() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a Word document")
    return buffer.getvalue()

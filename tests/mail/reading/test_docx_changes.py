"""Word attachments: tracked changes accepted, a clean revised copy compared with the draft."""

from __future__ import annotations

import io
import zipfile

import pytest

from mail.reading import read_reply
from mail.reading.amendments import Amendment
from mail.reading.docx_changes import UnreadableDocument, paragraphs
from tests.mail.reading.factories import DRAFT_ES, make_docx, make_message


def test_tracked_changes_are_marked() -> None:
    data = make_docx([[("", "plazo de "), ("del", "cinco"), ("ins", "diez"), ("", " días")]])
    assert [p.text for p in paragraphs(data)] == ["plazo de [-cinco-]{+diez+} días"]


def test_tracked_changes_give_accepted_paragraphs() -> None:
    changed = DRAFT_ES[2].split("cinco")
    new_paragraph = "Los países compartirán información sobre rutas y alertas."
    document = make_docx(
        [
            "Proyecto de Declaración",
            DRAFT_ES[0],
            DRAFT_ES[1],
            [("", changed[0]), ("del", "cinco"), ("ins", "diez"), ("", changed[1])],
            [("ins", new_paragraph)],
            DRAFT_ES[3],
            [("del", DRAFT_ES[4])],
            *DRAFT_ES[5:],
        ]
    )
    raw = make_message(
        "Adjuntamos nuestras propuestas en control de cambios.",
        attachments=[("propuesta.docx", document)],
    )
    reading = read_reply(raw, DRAFT_ES)
    assert reading.position == "amend"
    assert set(reading.amendments) == {
        Amendment("replace", 3, DRAFT_ES[2].replace("cinco", "diez")),
        Amendment("insert_after", 3, new_paragraph),
        Amendment("delete", 5, None),
    }


def test_clean_revised_docx_is_compared_with_the_draft() -> None:
    revised = [f"{i}. {p}" for i, p in enumerate(DRAFT_ES, 1)]
    revised[5] = "6. Encomendamos a la Red la elaboración de un informe semestral."
    del revised[0]
    document = make_docx(["Versión con propuestas", *revised])
    raw = make_message(
        "Remitimos adjunto el texto con nuestras propuestas.",
        attachments=[("texto.docx", document)],
    )
    reading = read_reply(raw, DRAFT_ES)
    assert set(reading.amendments) == {
        Amendment("delete", 1, None),
        Amendment("replace", 6, "Encomendamos a la Red la elaboración de un informe semestral."),
    }


def test_docx_unrelated_to_the_draft_is_flagged() -> None:
    document = make_docx(["Nota verbal", "La Embajada saluda atentamente a la Presidencia."])
    raw = make_message(
        "Adjunto nota verbal con nuestra posición.", attachments=[("nota.docx", document)]
    )
    reading = read_reply(raw, DRAFT_ES)
    assert reading.amendments == ()
    assert "attachment_unmatched" in reading.review_reasons
    assert reading.needs_review


def test_not_a_zip() -> None:
    with pytest.raises(UnreadableDocument):
        paragraphs(b"this is not a zip file")
    raw = make_message("Adjunto propuestas.", attachments=[("x.docx", b"PK\x03\x04garbage")])
    reading = read_reply(raw, DRAFT_ES)
    assert "attachment_unreadable" in reading.review_reasons


def test_zip_bomb_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"<" + b"a" * 50_000_000)
    with pytest.raises(UnreadableDocument):
        paragraphs(buffer.getvalue())


def test_entities_are_not_expanded() -> None:
    xml = (
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x "boom">]>'
        b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        b"<w:body><w:p><w:r><w:t>&x;</w:t></w:r></w:p></w:body></w:document>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", xml)
    assert [p.text for p in paragraphs(buffer.getvalue())] == [""]


def test_corrupt_deflate_stream() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"<w:document/>" * 100)
    data = bytearray(buffer.getvalue())
    start = data.index(b"word/document.xml") + len(b"word/document.xml")
    data[start : start + 20] = b"\xff" * 20
    with pytest.raises(UnreadableDocument):
        paragraphs(bytes(data))

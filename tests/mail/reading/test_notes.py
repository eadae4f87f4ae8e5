"""Notes verbales (tests/fixtures/notes): every note in the corpus is read as a careful person
reads it — position, amendments, why it is held, the note's reference and date."""

from __future__ import annotations

import pytest

from mail.reading import read_reply, split_paragraphs
from mail.reading.note_verbale import paragraphs_of, read_note
from tests.fixtures.notes.build import built
from tests.fixtures.notes.scoring import DRAFTS, HERE, differences, load, read

LABELS = load()


@pytest.mark.parametrize("name", sorted(LABELS))
def test_corpus_note_gives_its_label(name: str) -> None:
    case = LABELS[name]
    reading, _ = read(name, case)
    assert differences(reading, case) == [], f"{name} ({case['note']})"


def test_corpus_covers_every_kind_language_and_doubt() -> None:
    cases = LABELS.values()
    assert {c["kind"] for c in cases} == {"pdf", "scan", "image", "doc", "odt"}
    for kind in ("pdf", "scan", "doc", "odt"):
        assert {c["expected"]["language"] for c in cases if c["kind"] == kind} == {"es", "en"}
    doubts = {reason for c in cases for reason in c["held"]}
    assert doubts == {
        "ocr_position",
        "takes_note",
        "receipt_only",
        "note_other_consultation",
        "note_contradicts_body",
    }
    positions = {c["expected"]["position"] for c in cases}
    assert {"approve", "object", "amend", None} <= positions


def test_a_scanned_note_keeps_its_first_page_as_a_png_for_the_reviewer() -> None:
    name = "n09-scan-es-approve-two-pages.eml"
    reading, _ = read(name, LABELS[name])
    assert reading.note is not None and reading.note.source == "scan"
    image = reading.note.page_image
    assert image is not None and image.startswith(b"\x89PNG") and len(image) < 400_000
    assert "[n09-scan-es-approve-two-pages.pdf]" in reading.own_text  # the OCR text, named
    assert "aprueba el" in reading.own_text


def test_a_typed_note_keeps_no_image_and_the_email_words_come_first() -> None:
    name = "n01-pdf-es-approve.eml"
    reading, _ = read(name, LABELS[name])
    assert reading.note is not None and reading.note.page_image is None
    assert reading.own_text.startswith("Adjunto la nota verbal DGPE/0417/2026")


def test_the_note_formulas_are_not_its_body() -> None:
    text = (
        "EMBAJADA DE LA REPÚBLICA DE GUATEMALA\n\nNota DGPE/0417/2026\n\n"
        "La Embajada de la República de Guatemala saluda atentamente a la Presidencia Pro "
        "Tempore y tiene el honor de comunicar que el Gobierno de Guatemala aprueba el proyecto.\n\n"
        "La Embajada de la República de Guatemala aprovecha la oportunidad para reiterar a la "
        "Presidencia Pro Tempore las seguridades de su más alta y distinguida consideración.\n\n"
        "Santo Domingo, 3 de diciembre de 2026\n\n(firma y sello)"
    )
    note = read_note(text)
    assert note.body == "comunicar que el Gobierno de Guatemala aprueba el proyecto."
    assert (note.reference, note.date, note.formal) == ("DGPE/0417/2026", "2026-12-03", True)


def test_an_english_date_and_reference_in_other_forms() -> None:
    note = read_note(
        "Note No. CAN-CRM/112/2026\n\nThe Embassy of Canada presents its compliments to the "
        "Presidency and has the honour to inform that Canada approves.\n\nDecember 3, 2026"
    )
    assert (note.reference, note.date) == ("CAN-CRM/112/2026", "2026-12-03")
    assert note.body == "inform that Canada approves."


def test_hard_wrapped_lines_become_paragraphs() -> None:
    text = (
        "MINISTERIO DE RELACIONES EXTERIORES\n"
        "El Gobierno de la República comunica a la Presidencia que ha examinado el\n"
        "proyecto con atención y que lo aprueba en los términos en que fue circulado por\n"
        "la Presidencia.\n"
        "Atentamente,\n"
    )
    assert paragraphs_of(text) == [
        "MINISTERIO DE RELACIONES EXTERIORES",
        "El Gobierno de la República comunica a la Presidencia que ha examinado el proyecto "
        "con atención y que lo aprueba en los términos en que fue circulado por la Presidencia.",
        "Atentamente,",
    ]


def test_a_revised_draft_sent_as_odt_is_compared_with_the_draft_not_read_as_a_note() -> None:
    name = "n15-odt-es-tracked.eml"
    reading, _ = read(name, LABELS[name])
    assert reading.note is None and reading.position == "amend"


def test_the_documents_in_the_corpus_are_the_ones_the_messages_carry() -> None:
    for name, case in LABELS.items():
        document = (HERE / case["document"]).read_bytes()
        raw = (HERE / "messages" / name).read_bytes()
        assert len(raw) > len(document), name  # base64 of it, at least
    draft = split_paragraphs((DRAFTS / "drafts/vias-laborales.es.txt").read_text("utf-8"))
    assert read_reply((HERE / "messages" / "n01-pdf-es-approve.eml").read_bytes(), draft).note


def test_committed_typed_and_office_notes_are_what_build_writes() -> None:
    """The scans are left out: drawing them takes a font from the machine (see the README)."""
    files, messages, labels = built(kinds=frozenset({"pdf", "doc", "odt"}))
    assert (HERE / "labels.json").read_bytes() == labels
    for name, data in files.items():
        assert (HERE / "documents" / name).read_bytes() == data, name
    for name, raw in messages.items():
        assert (HERE / "messages" / name).read_bytes() == raw, name

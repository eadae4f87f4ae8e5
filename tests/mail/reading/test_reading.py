"""The public entry point: label shape, review flags, and hostile or odd input."""

from __future__ import annotations

import time

from mail.reading import read_reply, split_paragraphs, to_label
from mail.reading.amendments import Amendment
from tests.mail.reading.factories import DRAFT_ES, make_message


def test_split_paragraphs() -> None:
    assert split_paragraphs("Uno.\r\n\r\nDos\nsigue.\n \n\n\nTres.\n") == [
        "Uno.",
        "Dos\nsigue.",
        "Tres.",
    ]


def test_label_shape() -> None:
    raw = make_message(
        "Proponemos eliminar el párrafo 5 y en el párrafo 3 sustituir «cinco» por «diez»."
    )
    label = to_label(read_reply(raw, DRAFT_ES))
    assert set(label) == {"kind", "position", "extension_requested", "amendments", "language"}
    assert label["position"] == "amend"
    assert {"action": "delete", "paragraph": 5} in label["amendments"]  # type: ignore[operator]


def test_amendment_to_paragraph_99_is_marked_for_review() -> None:
    raw = make_message("Guatemala propone: párrafo 99, sustituir «cinco» por «diez».")
    reading = read_reply(raw, DRAFT_ES)
    assert reading.amendments == ()
    assert reading.needs_review
    assert "amendment_not_applicable" in reading.review_reasons


def test_mixed_signals_are_never_tallied_silently() -> None:
    raw = make_message("Aprobamos el texto. Sin embargo, nos oponemos al párrafo 5.")
    reading = read_reply(raw, DRAFT_ES)
    assert reading.position == "object"
    assert reading.needs_review and "mixed_signals" in reading.review_reasons
    assert reading.confidence < 0.5


def test_html_with_scripts_and_five_megabytes_of_nested_tags() -> None:
    html = (
        "<script>document.write('no tiene objeciones')</script><p>Guatemala aprueba.</p>"
        + "<div><span>" * 220_000
        + "x"
        + "</span></div>" * 220_000
    )
    assert len(html) > 5_000_000
    started = time.perf_counter()
    reading = read_reply(make_message(None, html=html), DRAFT_ES)
    assert time.perf_counter() - started < 30
    assert (reading.kind, reading.position) == ("reply", "approve")


def test_ten_thousand_line_body() -> None:
    body = "Guatemala no tiene objeciones.\n\n" + "\n".join(
        f"línea {i} de un anexo muy largo sin contenido" for i in range(10_000)
    )
    started = time.perf_counter()
    reading = read_reply(make_message(body), DRAFT_ES)
    assert time.perf_counter() - started < 30
    assert reading.position == "approve"


def test_unknown_charset() -> None:
    raw = make_message("Guatemala no tiene objeciones.").replace(
        b'charset="utf-8"', b'charset="x-klingon-42"'
    )
    assert read_reply(raw, DRAFT_ES).position == "approve"


def test_latin1_bytes_declared_as_utf8() -> None:
    raw = make_message("placeholder", charset="utf-8").replace(
        b"placeholder", "Panamá se abstiene.".encode("latin-1")
    )
    raw = raw.replace(b"Content-Transfer-Encoding: 7bit", b"Content-Transfer-Encoding: 8bit")
    assert read_reply(raw, DRAFT_ES).position == "abstain"


def test_empty_body() -> None:
    reading = read_reply(make_message(""), DRAFT_ES)
    assert reading.kind == "reply"
    assert reading.position is None
    assert reading.needs_review


def test_garbage_bytes_do_not_crash() -> None:
    for raw in (b"", b"\x00\xff\xfe garbage", b"Content-Type: multipart/mixed\r\n\r\n--"):
        reading = read_reply(raw, DRAFT_ES)
        assert reading.position is None
        assert reading.amendments == ()


def test_subject_only_position_with_empty_body() -> None:
    raw = make_message("", subject="RE: Consulta escrita 2026-014 - Sin objeciones de Belice")
    reading = read_reply(raw, DRAFT_ES)
    assert reading.position == "approve"
    assert "position_from_subject" in reading.review_reasons


def test_quoted_consultation_text_is_not_the_countrys_position() -> None:
    raw = make_message(
        "Gracias.\n\n-----Original Message-----\nFrom: PPT\nSent: Monday\nTo: X\nSubject: Y\n\n"
        "De no recibirse respuesta, se entenderá que el país no tiene objeciones al texto."
    )
    reading = read_reply(raw, DRAFT_ES)
    assert reading.position is None


def test_relayed_answer_is_flagged() -> None:
    raw = make_message(
        "Les transmito la posición de la Dirección.\n\n"
        "---------- Forwarded message ---------\nFrom: Director <d@minex.gob.example>\n"
        "Date: Mon\nSubject: Consulta\nTo: PF <pf@minex.gob.example>\n\n"
        "Guatemala no tiene objeciones al proyecto.\n",
        subject="Fwd: Consulta escrita 2026-014",
    )
    reading = read_reply(raw, DRAFT_ES)
    assert reading.position == "approve"
    assert "relayed_answer" in reading.review_reasons


def test_amendment_fields_are_frozen() -> None:
    amendment = Amendment("delete", 1, None)
    assert amendment == Amendment("delete", 1, None)

"""Telling replies from automatic replies, bounces and unrelated mail."""

from __future__ import annotations

from mail.reading import read_reply
from tests.mail.reading.factories import DRAFT_ES, make_message

OOO_ES = "Me encuentro fuera de la oficina hasta el lunes 9 de noviembre. A mi regreso atenderé."


def test_auto_submitted_header() -> None:
    raw = make_message(OOO_ES, headers={"Auto-Submitted": "auto-replied"})
    reading = read_reply(raw, DRAFT_ES)
    assert reading.kind == "auto_reply"
    assert reading.position is None
    assert reading.auto_reply_until is not None and reading.auto_reply_until.endswith("-11-09")


def test_auto_submitted_no_is_not_automatic() -> None:
    raw = make_message("Guatemala no tiene objeciones.", headers={"Auto-Submitted": "no"})
    assert read_reply(raw, DRAFT_ES).kind == "reply"


def test_exchange_suppress_header_alone_is_still_a_reply() -> None:
    raw = make_message("No objection from Canada.", headers={"X-Auto-Response-Suppress": "All"})
    reading = read_reply(raw, DRAFT_ES)
    assert (reading.kind, reading.position) == ("reply", "approve")


def test_subject_only_out_of_office() -> None:
    raw = make_message("Ausente hasta el 4 de noviembre.", subject="Out of Office: Consulta")
    assert read_reply(raw, DRAFT_ES).kind == "auto_reply"


def test_person_out_of_office_who_approves_is_a_reply() -> None:
    raw = make_message(
        "Estaré fuera de la oficina la próxima semana, pero les confirmo que Guatemala no tiene "
        "objeciones al proyecto."
    )
    reading = read_reply(raw, DRAFT_ES)
    assert (reading.kind, reading.position) == ("reply", "approve")


def test_body_only_out_of_office_without_headers() -> None:
    raw = make_message("I am out of the office until November 3 with limited access to e-mail.")
    reading = read_reply(raw, DRAFT_ES)
    assert reading.kind == "auto_reply"
    assert reading.language == "en"


def test_precedence_bulk_vacation_answer() -> None:
    raw = make_message(OOO_ES, headers={"Precedence": "bulk"})
    assert read_reply(raw, DRAFT_ES).kind == "auto_reply"


def test_ticket_acknowledgement() -> None:
    raw = make_message(
        "Hemos recibido su solicitud. Este es un mensaje automático, no responda.",
        subject="[Ticket #48213] Consulta escrita 2026-014",
        headers={"X-OTRS-Queue": "Cancilleria"},
    )
    assert read_reply(raw, DRAFT_ES).kind == "auto_reply"


def test_exim_bounce_with_failed_recipients() -> None:
    raw = make_message(
        "This message was created automatically by mail delivery software.\n\n"
        "A message that you sent could not be delivered to one or more of its recipients.\n\n"
        "  jdoe@cancilleria.gob.example\n    550 5.1.1 User unknown",
        subject="Mail delivery failed: returning message to sender",
        headers={"X-Failed-Recipients": "jdoe@cancilleria.gob.example"},
    )
    reading = read_reply(raw, DRAFT_ES)
    assert reading.kind == "bounce"
    assert reading.bounced_addresses == ("jdoe@cancilleria.gob.example",)
    assert reading.language == "en"


def test_qmail_failure_notice() -> None:
    raw = make_message(
        "Hi. This is the qmail-send program at mx.example.\n"
        "I'm afraid I wasn't able to deliver your message to the following addresses.\n\n"
        "<ana@minex.gob.example>:\nSorry, no mailbox here by that name. (#5.1.1)\n",
        subject="failure notice",
        headers={"Return-Path": "<>"},
    )
    raw = raw.replace(
        b"From: Punto Focal <focal@minex.gob.example>", b"From: MAILER-DAEMON@mx.example"
    )
    reading = read_reply(raw, DRAFT_ES)
    assert reading.kind == "bounce"
    assert reading.bounced_addresses == ("ana@minex.gob.example",)


def test_newsletter_is_other() -> None:
    raw = make_message(
        "Boletín mensual de movilidad humana.",
        subject="Boletín | Noviembre",
        headers={"List-Unsubscribe": "<mailto:baja@x.example>", "Precedence": "bulk"},
    )
    raw = raw.replace(b"In-Reply-To: <consulta.2026-014.v1.gt@consulta.example.org>\r\n", b"")
    assert read_reply(raw, DRAFT_ES).kind == "other"


def test_invitation_subject_is_other() -> None:
    raw = make_message("Te han invitado a un evento.", subject="Invitación: Reunión de la Red")
    assert read_reply(raw, DRAFT_ES).kind == "other"


def test_unrelated_thread_is_other() -> None:
    raw = make_message("Nos vemos el jueves en la reunión de la Red.", subject="RE: Almuerzo")
    raw = raw.replace(b"<consulta.2026-014.v1.gt@", b"<CAF1234.abc@")
    assert read_reply(raw, DRAFT_ES).kind == "other"


def test_acknowledgement_is_a_reply_without_position() -> None:
    raw = make_message("Acusamos recibo de la consulta. Les haremos llegar nuestra posición.")
    reading = read_reply(raw, DRAFT_ES)
    assert (reading.kind, reading.position, reading.needs_review) == ("reply", None, False)


def test_person_back_later_who_quotes_the_consultation_is_a_reply() -> None:
    raw = make_message(
        "Acusamos recibo. A mi regreso les enviaremos la posición de Guatemala.\n\n"
        "-----Mensaje original-----\nDe: PPT\nEnviado: lunes\nPara: X\nAsunto: Consulta\n\nTexto."
    )
    reading = read_reply(raw, DRAFT_ES)
    assert (reading.kind, reading.position) == ("reply", None)

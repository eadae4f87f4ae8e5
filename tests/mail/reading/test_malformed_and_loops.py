"""A multipart with no boundary is read as text (as mail clients show it); a list's loop alert,
a read receipt and an Outlook recall request quote our thread but are never a human reply
(issue #16)."""

from __future__ import annotations

import pytest

from mail.reading import read_reply

REPLY = "Aprobamos el texto.\r\n\r\nAna\r\n\r\nEl 2/11/26 a las 10:15, PPT escribió:\r\n> Texto\r\n"


@pytest.mark.parametrize(
    "content_type",
    ["multipart/mixed", 'multipart/alternative; boundary="never-used"', "multipart/related"],
)
def test_a_multipart_without_boundary_lines_is_read_as_text(content_type: str) -> None:
    raw = (
        "From: Ana <ana@cancilleria.gt.example>\r\nTo: consultas@crm.example\r\n"
        "Subject: RE: [CRM-2026-001 v1] Consulta\r\nIn-Reply-To: <consulta.x@crm.example>\r\n"
        f"MIME-Version: 1.0\r\nContent-Type: {content_type}\r\n\r\n{REPLY}"
    ).encode()
    reading = read_reply(raw, ["uno", "dos"])
    assert (reading.kind, reading.position) == ("reply", "approve")
    assert reading.own_text == "Aprobamos el texto.\n\nAna"


@pytest.mark.parametrize(
    ("sender", "subject"),
    [
        ("Mailman <mailman@listas.crm.example>", "Loop alert: RE: [CRM-2026-001 v1] Consulta"),
        ("crm-owner@listas.crm.example", "Mail loop detected: RE: [CRM-2026-001 v1]"),
        ("Sympa <sympa@listas.crm.example>", "Looping message: RE: [CRM-2026-001 v1]"),
        ("listmaster@listas.crm.example", "Bucle de correo: RE: [CRM-2026-001 v1]"),
    ],
)
def test_a_lists_loop_alert_quoting_our_thread_is_not_a_reply(sender: str, subject: str) -> None:
    raw = (
        f"From: {sender}\r\nTo: consultas@crm.example\r\nSubject: {subject}\r\n"
        "References: <consulta.CRM-2026-001.v1.GT.o3@crm.example>\r\n"
        "Content-Type: text/plain\r\n\r\nA message appears to be looping. Aprobamos el texto.\r\n"
    ).encode()
    reading = read_reply(raw, ["uno"])
    assert reading.kind == "other" and reading.position is None


THREAD = (
    "From: Ana <ana@cancilleria.gt.example>\r\nTo: consultas+x@crm.example\r\n"
    "In-Reply-To: <consulta.CRM-2026-001.v1.GT.o1@crm.example>\r\n"
    "References: <consulta.CRM-2026-001.v1.GT.o1@crm.example>\r\nMIME-Version: 1.0\r\n"
)


@pytest.mark.parametrize(("subject", "said"), [("Read", "was read on"), ("Leído", "fue leído el")])
def test_a_read_receipt_is_not_a_reply(subject: str, said: str) -> None:
    raw = (
        f"{THREAD}Subject: {subject}: [CRM-2026-001 v1] Consulta\r\n"
        'Content-Type: multipart/report; report-type=disposition-notification; boundary="B"\r\n'
        "\r\n--B\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        f"Your message\r\n\r\n  Subject: [CRM-2026-001 v1] Consulta\r\n\r\n{said} 2/3/2026.\r\n"
        "--B\r\nContent-Type: message/disposition-notification\r\n\r\n"
        "Reporting-UA: cancilleria.gt.example; Microsoft Outlook 16.0\r\n"
        "Final-Recipient: rfc822;ana@cancilleria.gt.example\r\n"
        "Disposition: manual-action/MDN-sent-manually; displayed\r\n\r\n--B--\r\n"
    ).encode()
    assert read_reply(raw, ["uno"]).kind == "other"


@pytest.mark.parametrize(
    ("subject", "body", "kind"),
    [
        ("Recall", 'Ana would like to recall the message, "RE: [CRM-2026-001 v1]".', "other"),
        ("Recuperar", 'Ana desea recuperar el mensaje "RE: [CRM-2026-001 v1]".', "other"),
        ("RE", "Aprobamos el texto. Ana would like to recall the earlier message.", "reply"),
    ],
)
def test_an_outlook_recall_request_is_not_a_reply(subject: str, body: str, kind: str) -> None:
    raw = (
        f"{THREAD}Subject: {subject}: RE: [CRM-2026-001 v1] Consulta\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    ).encode()
    assert read_reply(raw, ["uno"]).kind == kind

"""A multipart with no boundary is read as text (as mail clients show it), and a list's loop
alert is never a human reply, whatever its robot is called (issue #16)."""

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

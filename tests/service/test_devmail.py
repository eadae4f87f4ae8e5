"""The development mail server: SMTP in; the service's mail delivered by IMAP (where the service's
own listener, in IDLE, picks it up); everything kept as numbered .eml files."""

import asyncio
import time
from collections.abc import AsyncIterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import aioimaplib
import aiosmtplib
import pytest

from mail.imap import Fetched, ImapConfig, ImapListener
from mail.mailbox_state import MemoryMailboxState
from service.devmail import CAPTURED, DevMailServer
from tests.mail.transport.helpers import WAIT, listening

SERVICE = "consultas@crm.example"


@pytest.fixture
async def mail(tmp_path: Path) -> AsyncIterator[DevMailServer]:
    async with DevMailServer(
        folder=tmp_path / "mail", user="consultas", password="secret", service_address=SERVICE
    ) as server:
        yield server


def message(to: str, subject: str, *, sender: str = "puntofocal@cancilleria.gt.example") -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{abs(hash((to, subject)))}@cancilleria.gt.example>"
    msg.set_content("Guatemala aprueba el texto.\n")
    return msg.as_bytes()


async def submit(
    mail: DevMailServer, raw: bytes, *recipients: str, sender: str | None = None
) -> None:
    envelope_sender = "puntofocal@cancilleria.gt.example" if sender is None else sender
    async with aiosmtplib.SMTP(hostname="127.0.0.1", port=mail.smtp_port) as client:
        await client.sendmail(envelope_sender, list(recipients), raw)


async def mailbox(mail: DevMailServer, name: str) -> list[bytes]:
    """What an IMAP client logged in as the service's user finds in ``name``."""
    client = aioimaplib.IMAP4(host="127.0.0.1", port=mail.imap_port, timeout=WAIT)
    await client.wait_hello_from_server()
    assert (await client.login(mail.user, mail.password)).result == "OK"
    assert (await client.select(name)).result == "OK"
    found = await client.uid("fetch", "1:*", "(BODY.PEEK[])")
    await client.logout()
    return [bytes(line) for line in found.lines if isinstance(line, bytearray)]


def parsed(raw: bytes) -> EmailMessage:
    msg = message_from_bytes(raw, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


async def test_the_service_address_and_its_plus_addresses_reach_the_inbox(
    mail: DevMailServer,
) -> None:
    token = "consultas+crm-2026-001.v1.gt.abcdefghij234567@crm.example"
    await submit(mail, message(token, "RE: [CRM-2026-001 v1] Consulta"), token)
    await submit(mail, message(SERVICE, "Consulta directa"), SERVICE.upper())

    inbox = [parsed(raw) for raw in await mailbox(mail, "INBOX")]
    assert [str(m["Subject"]) for m in inbox] == [
        "RE: [CRM-2026-001 v1] Consulta",
        "Consulta directa",
    ]
    # Stamped as a delivery agent would: the envelope, above the message.
    assert inbox[0]["Return-Path"] == "<puntofocal@cancilleria.gt.example>"
    assert inbox[0]["Delivered-To"] == token
    assert await mailbox(mail, CAPTURED) == []
    assert [c.for_service for c in mail.captured] == [True, True]


async def test_other_recipients_are_captured_as_numbered_files(
    mail: DevMailServer, tmp_path: Path
) -> None:
    await submit(
        mail,
        message("puntofocal@cancilleria.cr.example", "[CRM-2026-001 v1] Consulta: Flujos «extra»"),
        "puntofocal@cancilleria.cr.example",
        sender=SERVICE,
    )
    await submit(
        mail,
        message(SERVICE, "Respuesta automática", sender="puntofocal@cancilleria.us.example"),
        SERVICE,
        sender="",  # MAIL FROM:<>
    )

    names = sorted(p.name for p in (tmp_path / "mail").iterdir())
    assert names == [
        "0001-to-puntofocal@cancilleria.cr.example-CRM-2026-001-v1-Consulta-Flujos-extra.eml",
        "0002-from-puntofocal@cancilleria.us.example-Respuesta-automatica.eml",
    ]
    first = (tmp_path / "mail" / names[0]).read_bytes()
    assert parsed(first)["Delivered-To"] == "puntofocal@cancilleria.cr.example"
    assert b"Guatemala aprueba el texto." in first
    assert [parsed(raw)["Subject"] for raw in await mailbox(mail, CAPTURED)] == [
        "[CRM-2026-001 v1] Consulta: Flujos «extra»"
    ]
    # An automatic reply's envelope sender is empty (RFC 3834): kept as such.
    assert mail.captured[1].sender == ""
    assert parsed(mail.captured[1].read())["Return-Path"] == "<>"


async def test_numbering_goes_on_after_an_earlier_run(tmp_path: Path) -> None:
    folder = tmp_path / "mail"
    folder.mkdir()
    (folder / "0041-to-someone@example.org-Old.eml").write_bytes(b"Subject: Old\r\n\r\n")
    async with DevMailServer(folder=folder, service_address=SERVICE) as mail:
        await submit(
            mail, message("ppt@cancilleria.do.example", "Nuevo"), "ppt@cancilleria.do.example"
        )
    assert mail.captured[0].path.name == "0042-to-ppt@cancilleria.do.example-Nuevo.eml"


async def test_the_service_listener_in_idle_sees_a_reply_at_once(mail: DevMailServer) -> None:
    config = ImapConfig(
        host="127.0.0.1",
        port=mail.imap_port,
        username=mail.user,
        password=mail.password,
        timeout=WAIT,
        poll_seconds=3600,  # a poll would take an hour: only IDLE can bring the message
    )
    arrived: asyncio.Queue[Fetched] = asyncio.Queue()

    async def handle(fetched: Fetched) -> None:
        await arrived.put(fetched)

    async with listening(ImapListener(config, MemoryMailboxState()), handle):
        await submit(mail, message(SERVICE, "Antes de escuchar"), SERVICE)
        first = await asyncio.wait_for(arrived.get(), WAIT)
        started = time.monotonic()
        await submit(mail, message(SERVICE, "Mientras escucha"), SERVICE)
        second = await asyncio.wait_for(arrived.get(), WAIT)
        waited = time.monotonic() - started
    assert parsed(first.raw)["Subject"] == "Antes de escuchar"
    assert parsed(second.raw)["Subject"] == "Mientras escucha"
    assert waited < 2.0


async def test_mail_that_came_between_two_commands_is_pushed_when_idle_starts(
    mail: DevMailServer,
) -> None:
    """The listener's last command (a STORE) and its IDLE leave a gap; a message delivered in it
    must be announced as IDLE starts, as Dovecot does, not at the next delivery."""
    client = aioimaplib.IMAP4(host="127.0.0.1", port=mail.imap_port, timeout=WAIT)
    await client.wait_hello_from_server()
    await client.login(mail.user, mail.password)
    await client.select("INBOX")
    assert (await client.noop()).result == "OK"
    await submit(mail, message(SERVICE, "En el hueco"), SERVICE)  # no command of ours in between
    idle = await client.idle_start(timeout=WAIT)
    pushed = await client.wait_server_push(timeout=5.0)
    client.idle_done()
    await asyncio.wait_for(idle, WAIT)
    await client.logout()
    assert b"1 EXISTS" in pushed

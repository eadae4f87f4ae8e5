"""The development mail server: SMTP in; the service's mail delivered by IMAP (where the service's
own listener, in IDLE, picks it up); everything kept as numbered .eml files."""

import asyncio
import re
import signal
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import aioimaplib
import aiosmtplib
import pytest

from consultation.timesource import ManualTime
from mail.imap import Fetched, ImapConfig, ImapListener
from mail.mailbox_state import MemoryMailboxState
from service.devmail import CAPTURED, DevMailServer
from tests.databases import sqlite_database
from tests.factories import make_consultation
from tests.mail.test_inbound import fixture_text
from tests.mail.transport.helpers import WAIT, listening
from tests.service.test_serve import consulta, environment

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


async def submit(port: int, raw: bytes, *recipients: str, sender: str | None = None) -> None:
    envelope_sender = "puntofocal@cancilleria.gt.example" if sender is None else sender
    async with aiosmtplib.SMTP(hostname="127.0.0.1", port=port) as client:
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
    await submit(mail.smtp_port, message(token, "RE: [CRM-2026-001 v1] Consulta"), token)
    await submit(mail.smtp_port, message(SERVICE, "Consulta directa"), SERVICE.upper())

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
        mail.smtp_port,
        message("puntofocal@cancilleria.cr.example", "[CRM-2026-001 v1] Consulta: Flujos «extra»"),
        "puntofocal@cancilleria.cr.example",
        sender=SERVICE,
    )
    await submit(
        mail.smtp_port,
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
            mail.smtp_port,
            message("ppt@cancilleria.do.example", "Nuevo"),
            "ppt@cancilleria.do.example",
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
        await submit(mail.smtp_port, message(SERVICE, "Antes de escuchar"), SERVICE)
        first = await asyncio.wait_for(arrived.get(), WAIT)
        started = time.monotonic()
        await submit(mail.smtp_port, message(SERVICE, "Mientras escucha"), SERVICE)
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
    await submit(
        mail.smtp_port, message(SERVICE, "En el hueco"), SERVICE
    )  # no command of ours in between
    idle = await client.idle_start(timeout=WAIT)
    pushed = await client.wait_server_push(timeout=5.0)
    client.idle_done()
    await asyncio.wait_for(idle, WAIT)
    await client.logout()
    assert b"1 EXISTS" in pushed


async def test_mailserver_and_serve_as_two_processes_as_docker_compose_runs_them(
    tmp_path: Path,
) -> None:
    """`consulta mailserver` on free ports, `consulta serve` pointed at it: the drafts land in
    the folder, a reply to one reaches the service through IMAP, its receipt comes back."""
    time_ = ManualTime(datetime.now(UTC) - timedelta(minutes=1))  # queued a minute ago: due
    async with sqlite_database(tmp_path) as db:
        await make_consultation(db, time_, text=fixture_text())
    folder = tmp_path / "mail-out"
    server = await consulta(
        environment(tmp_path),
        "mailserver",
        "--smtp-port=0",
        "--imap-port=0",
        f"--folder={folder}",
        "--password=compose",
    )
    try:
        assert server.stderr is not None
        banner = (await asyncio.wait_for(server.stderr.readline(), WAIT)).decode()
        smtp_port, imap_port = (int(p) for p in re.findall(r"127\.0\.0\.1:(\d+)", banner))
        service = await consulta(
            environment(
                tmp_path,
                CONSULTA_SMTP__HOST="127.0.0.1",
                CONSULTA_SMTP__PORT=str(smtp_port),
                CONSULTA_SMTP__SECURITY="none",
                CONSULTA_IMAP__HOST="127.0.0.1",
                CONSULTA_IMAP__PORT=str(imap_port),
                CONSULTA_IMAP__SECURITY="none",
                CONSULTA_IMAP__USERNAME="consulta",
                CONSULTA_IMAP__PASSWORD="compose",
                CONSULTA_MAIL__ADDRESS="consulta@consulta.example",
                CONSULTA_MAIL__REPLY_LOCAL="consulta",
                CONSULTA_MAIL__DOMAIN="consulta.example",
                CONSULTA_MAIL__SECRETS='["a secret of sixteen characters or more"]',
            ),
            "serve",
        )
        try:
            draft = await until_file(folder, "-to-puntofocal@cancilleria.gt.example-Consulta")
            original = parsed(draft.read_bytes())
            reply = EmailMessage()
            reply["From"] = "puntofocal@cancilleria.gt.example"
            reply["To"] = str(original["Reply-To"])
            reply["Subject"] = f"RE: {str(original['Subject']).strip()}"
            reply["Message-ID"] = "<compose.reply@cancilleria.gt.example>"
            reply["In-Reply-To"] = str(original["Message-ID"])
            reply.set_content("Guatemala aprueba el texto.\n\nSaludos cordiales,\nPunto Focal\n")
            assert str(original["Reply-To"]).startswith("consulta+")
            await submit(smtp_port, reply.as_bytes(), str(original["Reply-To"]))
            receipt = await until_file(folder, "-to-puntofocal@cancilleria.gt.example-Respuesta")
            body = parsed(receipt.read_bytes()).get_body(("plain",))
            assert body is not None and "Posición: Guatemala aprueba" in body.get_content()
        finally:
            service.send_signal(signal.SIGTERM)
            _, service_err = await asyncio.wait_for(service.communicate(), WAIT)
        assert service.returncode == 0, service_err.decode()
    finally:
        server.send_signal(signal.SIGTERM)
        _, server_err = await asyncio.wait_for(server.communicate(), WAIT)
    assert server.returncode == 0, server_err.decode()
    assert b"Traceback" not in server_err
    assert any("-from-puntofocal@cancilleria.gt.example-RE-" in p.name for p in folder.iterdir())


async def until_file(folder: Path, fragment: str) -> Path:
    async with asyncio.timeout(WAIT):
        while not (found := sorted(p for p in folder.glob("*.eml") if fragment in p.name)):
            await asyncio.sleep(0.05)
    return found[0]

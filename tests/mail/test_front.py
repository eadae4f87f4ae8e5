"""The email front as the service runs it (listener, inbox, outbox together), through real
servers, with faults: a crash mid-batch, SMTP refusals, a killed or refused IDLE, a UIDVALIDITY
change. After each: no message lost, none processed or sent twice."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from sqlmodel import col, select

from consultation.timesource import ManualTime
from mail.front import MailFront, MailFrontConfig
from mail.imap import ImapConfig
from mail.mailbox_store import StoredMailboxState
from mail.smtp import SmtpConfig
from store import queries
from store.database import Database
from store.tables import ContactEmailRow, InboundMessageRow, OutboxRow
from templates import environment
from tests.factories import make_consultation
from tests.mail.test_compose import IDENTITY
from tests.mail.test_inbound import fixture_text
from tests.mail.transport.helpers import WAIT, eventually
from tests.servers.dovecot import Dovecot
from tests.servers.imap_proxy import ImapProxy, running_proxy
from tests.servers.smtpd import SmtpServer

# Spanish-speaking members: their focal points get the draft, and answer, in Spanish.
ANSWERING = ["GT", "SV", "HN", "CR", "NI"]
DRAFTS = 26  # 3 to the Troika, the PPT's consensus note, 22 to the members' focal points


def focal_point(country: str) -> str:
    return f"puntofocal@cancilleria.{country.lower()}.example"


def make_front(
    db: Database,
    time: ManualTime,
    smtpd: SmtpServer,
    imap: Dovecot | ImapProxy | None = None,
    *,
    leader_retry: float = 15.0,
) -> MailFront:
    imap_config = None
    if imap is not None:
        imap_config = ImapConfig(
            host=imap.host,
            port=imap.port,
            username=Dovecot.user,
            password=Dovecot.password,
            timeout=5.0,
            reconnect_initial=0.05,
            reconnect_max=0.4,
        )
    config = MailFrontConfig(
        imap=imap_config,
        smtp=SmtpConfig(host=smtpd.host, port=smtpd.port),
        identity=IDENTITY,
        interval=0.05,
        leader_retry=leader_retry,
    )
    return MailFront(db, config, env=environment(), time=time)


@contextlib.asynccontextmanager
async def running(front: MailFront) -> AsyncIterator[asyncio.Task[None]]:
    stop = asyncio.Event()
    task = asyncio.create_task(front.run(stop))
    try:
        yield task
    finally:
        stop.set()
        await asyncio.wait_for(task, WAIT)


async def until(predicate: Callable[[], Awaitable[bool]]) -> None:
    async with asyncio.timeout(WAIT):
        while not await predicate():
            await asyncio.sleep(0.02)


def parsed(raw: bytes) -> EmailMessage:
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def subjects_to(smtpd: SmtpServer, address: str) -> list[str]:
    return [str(parsed(mail.data)["Subject"]) for mail in smtpd.delivered_to(address)]


def reply_to_draft(smtpd: SmtpServer, country: str, body: str) -> bytes:
    """The focal point presses Reply on the draft it received."""
    [draft] = [
        parsed(m.data)
        for m in smtpd.delivered_to(focal_point(country))
        if "v1]" in str(parsed(m.data)["Subject"])
    ]
    reply = EmailMessage()
    reply["From"] = focal_point(country)
    reply["To"] = str(draft["Reply-To"])
    reply["Subject"] = f"RE: {draft['Subject']}"
    reply["Message-ID"] = f"<reply.{country}@cancilleria.{country.lower()}.example>"
    reply["In-Reply-To"] = str(draft["Message-ID"])
    reply.set_content(f"{body}\n\nSaludos cordiales,\nPunto Focal\n")
    return reply.as_bytes()


async def outbox_sent(db: Database, kind: str | None = None) -> int:
    async with db.session() as session:
        query = select(OutboxRow).where(OutboxRow.status == "sent")
        if kind:
            query = query.where(OutboxRow.kind == kind)
        return len((await session.exec(query)).all())


async def inbound(db: Database) -> list[InboundMessageRow]:
    async with db.session() as session:
        query = select(InboundMessageRow).order_by(col(InboundMessageRow.id))
        return list((await session.exec(query)).all())


async def distributed(db: Database, time: ManualTime, smtpd: SmtpServer) -> str:
    """A consultation out to every focal point, through the front's own sender."""
    consultation = (await make_consultation(db, time, text=fixture_text())).id
    async with running(make_front(db, time, smtpd)):
        await until(lambda: _equals(outbox_sent(db), DRAFTS))
    return consultation


async def _equals(count: Awaitable[int], expected: int) -> bool:
    return await count == expected


def assert_one_receipt_each(smtpd: SmtpServer, countries: list[str]) -> None:
    for country in countries:
        receipts = [s for s in subjects_to(smtpd, focal_point(country)) if "registrada" in s]
        assert len(receipts) == 1, (country, receipts)


async def assert_recorded_once(db: Database, consultation: str, countries: list[str]) -> None:
    rows = await inbound(db)
    assert sorted(r.country or "" for r in rows) == sorted(countries)
    assert {r.status for r in rows} == {"recorded"}
    async with db.session() as session:
        latest = await queries.latest_positions(session, consultation, 1)
        events = await queries.events(session, consultation)
    assert {c: latest[c].value for c in countries} == {c: "approve" for c in countries}
    recorded = [e for e in events if e.kind == "answer_recorded"]
    assert len(recorded) == len(countries)


async def test_a_crash_mid_batch_loses_nothing_and_repeats_nothing(
    db: Database, time: ManualTime, smtpd: SmtpServer, dovecot: Dovecot
) -> None:
    consultation = await distributed(db, time, smtpd)
    for country in ANSWERING:
        await dovecot.append(reply_to_draft(smtpd, country, "Aprobamos el texto."))

    # The process dies while the third message of the batch is stored but not yet processed:
    # a cancellation, like a kill, runs nothing more of the message's own work.
    front = make_front(db, time, smtpd, dovecot)
    process = front.inbox.process

    async def dies_on_the_third(inbound_id: int, **options: Any) -> Any:
        if inbound_id == 3:
            task.cancel()
            await asyncio.Event().wait()  # the cancellation lands here
        return await process(inbound_id, **options)

    front.inbox.process = dies_on_the_third  # type: ignore[method-assign]
    task = asyncio.create_task(front.run(asyncio.Event()))
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, WAIT)
    rows = await inbound(db)
    # The whole fetched batch was stored (one transaction) before the first was read.
    assert [r.status for r in rows] == ["recorded", "recorded"] + ["stored"] * (len(ANSWERING) - 2)

    async with running(make_front(db, time, smtpd, dovecot)):  # the restart
        await until(lambda: _equals(outbox_sent(db, "answer_recorded"), 2 * len(ANSWERING)))

    await assert_recorded_once(db, consultation, ANSWERING)
    assert_one_receipt_each(smtpd, ANSWERING)


async def test_smtp_421_after_three_messages_pauses_sending_then_sends_the_rest_once(
    db: Database, time: ManualTime, smtpd: SmtpServer
) -> None:
    await make_consultation(db, time, text=fixture_text())
    # The fourth MAIL FROM gets "421 closing" and the connection goes: the server refused
    # the sender, so the outbox pauses (a minute) and nobody is blamed.
    smtpd.inject("mail", "421 4.3.2 Service shutting down", after=3)
    front = make_front(db, time, smtpd)
    async with running(front):

        async def paused() -> bool:
            return front.outbox.paused_until is not None

        await until(paused)
        assert front.outbox.paused_until == time.now() + timedelta(minutes=1)
        # the three sent are recorded with their batch, a moment after the pause is set
        await until(lambda: _equals(outbox_sent(db), 3))
        assert len(smtpd.received) == 3
        time.advance(timedelta(minutes=2))  # the pause is over
        front.wake()
        await until(lambda: _equals(outbox_sent(db), DRAFTS))

    assert smtpd.connections == 2  # the 421 closed the first one
    assert len(smtpd.received) == DRAFTS  # each message once, none twice
    assert len({parsed(mail.data)["Message-ID"] for mail in smtpd.received}) == DRAFTS


async def test_smtp_550_for_one_focal_point_marks_it_and_reaches_everyone_else_once(
    db: Database, time: ManualTime, smtpd: SmtpServer
) -> None:
    await make_consultation(db, time, text=fixture_text())
    gone = focal_point("HN")
    smtpd.inject("rcpt", "550 5.1.1 Mailbox unavailable", recipient=gone, times=10)
    front = make_front(db, time, smtpd)
    async with running(front):
        await until(lambda: _equals(outbox_sent(db), DRAFTS - 1 + 2))  # + the two alerts
        time.advance(timedelta(hours=3))  # any backoff is over: stopping drains once more

    assert smtpd.delivered_to(gone) == [] and smtpd.handler.rcpt_commands == DRAFTS + 2
    async with db.session() as session:
        email = await session.get(ContactEmailRow, gone)
    assert email is not None and email.failing and "550" in (email.failure or "")
    alerts = [m for m in smtpd.received if "Correo no entregado" in str(parsed(m.data)["Subject"])]
    assert len(alerts) == 2  # the PPT and the ST, once each
    others = [m.rcpt_tos[0] for m in smtpd.received if m not in alerts]
    assert len(others) == DRAFTS - 1


async def test_imap_connection_killed_during_idle(
    db: Database, time: ManualTime, smtpd: SmtpServer, dovecot: Dovecot
) -> None:
    consultation = await distributed(db, time, smtpd)
    async with running_proxy(dovecot.host, dovecot.port) as proxy:
        async with running(make_front(db, time, smtpd, proxy)):
            await dovecot.append(reply_to_draft(smtpd, "GT", "Aprobamos el texto."))
            await until(lambda: _equals(outbox_sent(db, "answer_recorded"), 2))
            await eventually(lambda: proxy.idle_commands >= 1)
            proxy.drop_all()
            await eventually(lambda: proxy.connections >= 2 and proxy.idle_commands >= 2)
            await dovecot.append(reply_to_draft(smtpd, "SV", "Aprobamos el texto."))
            await until(lambda: _equals(outbox_sent(db, "answer_recorded"), 4))

    await assert_recorded_once(db, consultation, ["GT", "SV"])
    assert_one_receipt_each(smtpd, ["GT", "SV"])


async def test_bye_instead_of_idling(
    db: Database, time: ManualTime, smtpd: SmtpServer, dovecot: Dovecot
) -> None:
    consultation = await distributed(db, time, smtpd)
    async with running_proxy(dovecot.host, dovecot.port) as proxy:
        proxy.bye_on_idle(times=2)
        async with running(make_front(db, time, smtpd, proxy)):
            await eventually(lambda: proxy.idle_commands >= 3)  # refused twice, then idling
            await dovecot.append(reply_to_draft(smtpd, "GT", "Aprobamos el texto."))
            await until(lambda: _equals(outbox_sent(db, "answer_recorded"), 2))
        assert proxy.connections == 3

    await assert_recorded_once(db, consultation, ["GT"])
    assert_one_receipt_each(smtpd, ["GT"])


async def test_uidvalidity_change_rescans_without_duplicates(
    db: Database, time: ManualTime, smtpd: SmtpServer, dovecot: Dovecot
) -> None:
    consultation = await distributed(db, time, smtpd)
    first, later = ANSWERING[:2], ANSWERING[2:]
    for country in first:
        await dovecot.append(reply_to_draft(smtpd, country, "Aprobamos el texto."))
    # The same message delivered twice (a forwarding rule, a retried delivery): one record.
    await dovecot.append(reply_to_draft(smtpd, first[0], "Aprobamos el texto."))
    async with running(make_front(db, time, smtpd, dovecot)):
        await until(lambda: _equals(outbox_sent(db, "answer_recorded"), 2 * len(first)))

    # The mailbox is rebuilt while the service is down: every UID means something else now.
    await dovecot.set_uidvalidity(await dovecot.uidvalidity() + 1000)
    for country in later:
        await dovecot.append(reply_to_draft(smtpd, country, "Aprobamos el texto."))

    async def saved_at(expected: tuple[int, int]) -> bool:
        return await StoredMailboxState(db).load("INBOX") == expected

    async with running(make_front(db, time, smtpd, dovecot)):
        await until(lambda: _equals(outbox_sent(db, "answer_recorded"), 2 * len(ANSWERING)))
        # The position is saved after the last reply is recorded, and its receipts may go
        # out first: a stop in between only means that reply is fetched (and deduplicated)
        # again at the next start. Here the service runs until both are done.
        expected = (await dovecot.uidvalidity(), 6)
        await until(lambda: saved_at(expected))

    await assert_recorded_once(db, consultation, ANSWERING)
    assert_one_receipt_each(smtpd, ANSWERING)

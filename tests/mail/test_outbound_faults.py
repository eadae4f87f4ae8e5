"""Faults kept in proportion, through a real SMTP server (aiosmtpd): a refusal of the sender
blames no address; a failing address holds its notices and recovers."""

import asyncio
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from sqlmodel import select, update

from consultation import reminders
from consultation.timesource import ManualTime
from consultation.vocabulary import Role
from mail.outbound import DrainReport, EmailOutbox
from mail.smtp import SmtpConfig, SmtpSender
from store import queries
from store.database import Database
from store.tables import ContactEmailRow, ContactRow, OutboxRow
from templates import environment
from tests.databases import another_instance
from tests.factories import make_consultation, move
from tests.mail.test_compose import IDENTITY
from tests.mail.test_outbound import GT, drain, rows
from tests.servers.ports import free_port
from tests.servers.smtpd import SmtpServer


async def run_drain(db: Database, smtpd: SmtpServer, time: ManualTime) -> DrainReport:
    async with SmtpSender(SmtpConfig(host=smtpd.host, port=smtpd.port)) as sender:
        outbox = EmailOutbox(db, sender, env=environment(), identity=IDENTITY, time=time)
        return await outbox.drain()


async def address(db: Database, value: str) -> ContactEmailRow:
    async with db.session() as session:
        email = await session.get(ContactEmailRow, value)
    assert email is not None
    return email


async def staff(db: Database, role: Role) -> list[ContactRow]:
    async with db.session() as session:
        return await queries.contacts_with_role(session, role.value)


async def pending_for(db: Database, contact_id: int | None) -> list[OutboxRow]:
    async with db.session() as session:
        query = (
            select(OutboxRow)
            .where(OutboxRow.contact_id == contact_id, OutboxRow.status == "pending")
            .where(OutboxRow.channel == "email")
        )
        return list((await session.exec(query)).all())


def parsed(data: bytes) -> EmailMessage:
    message = message_from_bytes(data, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


async def test_a_5xx_at_rcpt_marks_the_address_alerts_once_and_holds_its_notice(
    db: Database, smtpd: SmtpServer, time: ManualTime
) -> None:
    await make_consultation(db, time)
    smtpd.inject("rcpt", "550 5.1.1 No such user", recipient=GT, times=5)
    report = await run_drain(db, smtpd, time)
    assert (report.retrying, report.failed, report.held) == (0, 0, 1)
    assert report.addresses_failing == [GT]
    email = await address(db, GT)
    assert email.failing and "550" in (email.failure or "")
    assert email.probe_at == time.now() + timedelta(days=1)
    [held] = await pending_for(db, email.contact_id)
    assert held.kind == "draft" and "550" in (held.last_error or "")  # kept, not dropped
    alerts = await rows(db, "delivery_failure")
    assert len(alerts) == 2  # the PPT and the ST, once
    assert {r.status for r in alerts} == {"sent"}
    subjects = [str(parsed(m.data)["Subject"]) for m in smtpd.received]
    assert sum(s.startswith("Correo no entregado: Punto focal de Guatemala") for s in subjects) == 2
    time.advance(timedelta(hours=23))
    assert await drain(db, smtpd, time) == (0, 0, 0)  # no new try before the day is out


async def test_a_failing_address_is_tried_daily_and_a_success_clears_it_and_releases_the_rest(
    db: Database, smtpd: SmtpServer, time: ManualTime
) -> None:
    made = await make_consultation(db, time)
    smtpd.inject("rcpt", "550 5.1.1 No such user", recipient=GT, times=2)
    await drain(db, smtpd, time)
    async with db.transaction() as session:  # a second notice for Guatemala, while failing
        await reminders.remind(session, made.id, move(time))
    report = await run_drain(db, smtpd, time)
    assert report.held == 1 and smtpd.delivered_to(GT) == []  # held at once: no try due
    email = await address(db, GT)
    assert len(await pending_for(db, email.contact_id)) == 2

    time.advance(timedelta(days=1))
    report = await run_drain(db, smtpd, time)  # one try (refused again); the other waits
    assert (report.sent, report.held) == (0, 2) and smtpd.delivered_to(GT) == []
    assert (await address(db, GT)).probe_at == time.now() + timedelta(days=1)

    time.advance(timedelta(days=1))
    report = await run_drain(db, smtpd, time)  # accepted: the mark goes, the other follows
    assert report.sent == 2 and len(smtpd.delivered_to(GT)) == 2
    email = await address(db, GT)
    assert not email.failing and email.probe_at is None and email.failure is None
    assert await pending_for(db, email.contact_id) == []


async def test_a_notice_held_for_a_week_is_given_up_without_another_alert(
    db: Database, smtpd: SmtpServer, time: ManualTime
) -> None:
    await make_consultation(db, time)
    smtpd.inject("rcpt", "550 5.1.1 No such user", recipient=GT, times=100)
    await drain(db, smtpd, time)
    for _ in range(8):
        time.advance(timedelta(days=1))
        await drain(db, smtpd, time)
    email = await address(db, GT)
    assert email.failing and await pending_for(db, email.contact_id) == []
    [draft] = [r for r in await rows(db, "draft") if r.contact_id == email.contact_id]
    assert draft.status == "failed" and "550" in (draft.last_error or "")
    assert len(await rows(db, "delivery_failure")) == 2  # only the first alert


@pytest.mark.parametrize(
    ("stage", "reply"),
    [
        ("mail", "554 5.7.1 Service unavailable; client host blocked"),
        ("data", "554 5.6.0 Message refused"),
    ],
)
async def test_a_refusal_of_the_sender_blames_no_address_retries_and_tells_the_st_once(
    db: Database, smtpd: SmtpServer, time: ManualTime, stage: str, reply: str
) -> None:
    await make_consultation(db, time)
    smtpd.inject(stage, reply, times=4)  # type: ignore[arg-type]
    async with SmtpSender(SmtpConfig(host=smtpd.host, port=smtpd.port)) as sender:
        outbox = EmailOutbox(db, sender, env=environment(), identity=IDENTITY, time=time)
        first = await outbox.drain()
        assert first.refused and (first.sent, first.failed, first.retrying) == (0, 0, 1)
        assert (await outbox.drain()).refused  # paused: nothing tried
        assert len(smtpd.handler.faults) == 1 and smtpd.handler.faults[0].times == 3
        for minutes in (1, 2, 4):  # the pause doubles while the server keeps refusing
            time.advance(timedelta(minutes=minutes))
            assert (await outbox.drain()).refused
        time.advance(timedelta(minutes=8))
        last = await outbox.drain()
    st = await staff(db, Role.ST)
    assert not last.refused and last.sent == 26 + len(st)  # everything, and the ST's alert
    async with db.session() as session:
        marked = (await session.exec(select(ContactEmailRow).where(ContactEmailRow.failing))).all()
    assert marked == []  # nobody blamed
    alerts = await rows(db, "sending_refused")
    assert st and {r.contact_id for r in alerts} == {c.id for c in st}  # once a day each
    assert {r.attempts for r in await rows(db, "draft")} == {1}  # refusals are no attempts
    [alert] = [m for m in smtpd.received if "nuestros envíos" in str(parsed(m.data)["Subject"])]
    body = parsed(alert.data).get_body(("plain",))
    assert body is not None and "554" in body.get_content()


async def test_a_refused_connection_blames_no_address(db: Database, time: ManualTime) -> None:
    await make_consultation(db, time)
    nowhere = SmtpConfig(host="127.0.0.1", port=free_port(), timeout=2)
    async with SmtpSender(nowhere) as sender:
        outbox = EmailOutbox(db, sender, env=environment(), identity=IDENTITY, time=time)
        report = await outbox.drain()
    assert report.refused and report.failed == 0 and report.addresses_failing == []
    assert {r.status for r in await rows(db, "draft")} == {"pending"}


async def test_no_transaction_stays_open_while_the_smtp_server_is_slow(
    db: Database, smtpd: SmtpServer, time: ManualTime
) -> None:
    await make_consultation(db, time)
    gate = smtpd.hold()
    async with SmtpSender(SmtpConfig(host=smtpd.host, port=smtpd.port)) as sender:
        outbox = EmailOutbox(db, sender, env=environment(), identity=IDENTITY, time=time)
        draining = asyncio.create_task(outbox.drain(limit=1))
        async with asyncio.timeout(10):
            while not smtpd.handler.waiting:
                await asyncio.sleep(0.01)
        # Another writer, the row in flight included: on SQLite it would find the database
        # locked; on PostgreSQL it would wait on the row's lock.
        async with another_instance(db) as other, asyncio.timeout(5):
            async with other.transaction() as session:
                await session.exec(update(OutboxRow).values(last_error="touched meanwhile"))
        gate.set()
        report = await draining
    assert report.sent == 1 and len(smtpd.received) == 1


async def test_a_claim_whose_sender_died_is_sent_once_its_lease_runs_out(
    db: Database, smtpd: SmtpServer, time: ManualTime
) -> None:
    await make_consultation(db, time)
    async with db.transaction() as session:  # a sender claims a notice, then dies
        dead = await queries.claim_outbox(session, "email", time.now())
        assert dead is not None and dead.claimed_at == time.now()
    report = await run_drain(db, smtpd, time)
    assert report.sent == 25  # every other one; that one is still another's
    time.advance(queries.OUTBOX_LEASE + timedelta(seconds=1))
    report = await run_drain(db, smtpd, time)
    assert report.sent == 1 and len(smtpd.received) == 26
    message_id = str(parsed(smtpd.received[-1].data)["Message-ID"])
    assert f".o{dead.id}-" in message_id  # the Message-ID the dead sender would have used
    async with db.session() as session:
        row = await session.get(OutboxRow, dead.id)
    assert row is not None and row.status == "sent" and row.claimed_at is None

"""The outbox claims notices in batches: two instances never take the same one, and a stop or a
cancellation between two notices records what was sent and releases the rest at once."""

import asyncio
from collections import Counter
from email import message_from_bytes, policy

import pytest
from sqlmodel import col, select

from consultation.timesource import ManualTime
from mail.outbound import BATCH, EmailOutbox
from mail.smtp import SmtpConfig, SmtpSender
from store import queries
from store.database import Database
from store.tables import OutboxRow
from templates import environment
from tests.databases import another_instance
from tests.factories import make_consultation
from tests.mail.test_compose import IDENTITY
from tests.servers.smtpd import SmtpServer

DUE = 26  # make_consultation's notices: 3 Troika drafts, the PPT's note, 22 drafts


def outbox(db: Database, sender: SmtpSender, time: ManualTime) -> EmailOutbox:
    return EmailOutbox(db, sender, env=environment(), identity=IDENTITY, time=time)


async def email_rows(db: Database) -> list[OutboxRow]:
    async with db.session() as session:
        query = select(OutboxRow).where(OutboxRow.channel == "email")
        return list((await session.exec(query.order_by(col(OutboxRow.id)))).all())


def message_ids(smtpd: SmtpServer) -> list[str]:
    return [
        str(message_from_bytes(m.data, policy=policy.default)["Message-ID"]) for m in smtpd.received
    ]


async def test_a_claim_in_flight_is_skipped_by_another_instance(
    db: Database, time: ManualTime
) -> None:
    if db.is_sqlite:
        pytest.skip("SQLite has one writer at a time: a second claim waits, it cannot skip")
    await make_consultation(db, time)
    async with db.transaction() as first, another_instance(db) as other:
        mine = await queries.claim_outboxes(first, "email", time.now(), limit=BATCH)
        await first.flush()  # the rows are locked while this transaction is open
        async with other.transaction() as second:
            theirs = await queries.claim_outboxes(second, "email", time.now(), limit=BATCH)
    assert len(mine) == BATCH and len(theirs) == DUE - BATCH
    assert {r.id for r in mine} & {r.id for r in theirs} == set()


async def test_two_instances_draining_at_once_send_each_notice_once(
    db: Database, smtpd: SmtpServer, time: ManualTime
) -> None:
    await make_consultation(db, time)
    async with (
        another_instance(db, busy_timeout=5) as other,
        SmtpSender(SmtpConfig(host=smtpd.host, port=smtpd.port)) as one,
        SmtpSender(SmtpConfig(host=smtpd.host, port=smtpd.port)) as two,
    ):
        reports = await asyncio.gather(
            outbox(db, one, time).drain(), outbox(other, two, time).drain()
        )
    assert sum(r.sent for r in reports) == DUE
    assert len(smtpd.received) == DUE
    assert [m for m, n in Counter(message_ids(smtpd)).items() if n > 1] == []


async def test_a_stop_between_two_notices_records_the_sent_and_releases_the_rest(
    db: Database, smtpd: SmtpServer, time: ManualTime
) -> None:
    await make_consultation(db, time)
    gate, stop = smtpd.hold(), asyncio.Event()
    async with SmtpSender(SmtpConfig(host=smtpd.host, port=smtpd.port)) as sender:
        draining = asyncio.create_task(outbox(db, sender, time).drain(stop=stop))
        async with asyncio.timeout(10):
            while not smtpd.handler.waiting:  # the first notice of the batch is at DATA
                await asyncio.sleep(0.01)
        stop.set()
        gate.set()
        report = await draining
        assert report.sent == 1 and len(smtpd.received) == 1
        rows = await email_rows(db)
        assert [r.id for r in rows if r.claimed_at is not None] == []
        # The batch's other claims are due again now, not when their lease would end.
        assert [r for r in rows if r.status == "pending" and r.next_attempt_at > time.now()] == []
        report = await outbox(db, sender, time).drain()
    assert report.sent == DUE - 1 and len(smtpd.received) == DUE
    assert [m for m, n in Counter(message_ids(smtpd)).items() if n > 1] == []


async def test_a_cancelled_drain_records_the_notice_in_flight_and_releases_the_rest(
    db: Database, smtpd: SmtpServer, time: ManualTime
) -> None:
    await make_consultation(db, time)
    gate = smtpd.hold()
    async with SmtpSender(SmtpConfig(host=smtpd.host, port=smtpd.port)) as sender:
        draining = asyncio.create_task(outbox(db, sender, time).drain())
        async with asyncio.timeout(10):
            while not smtpd.handler.waiting:
                await asyncio.sleep(0.01)
        draining.cancel()
        gate.set()
        with pytest.raises(asyncio.CancelledError):
            await draining
    assert len(smtpd.received) == 1
    rows = await email_rows(db)
    assert len([r for r in rows if r.status == "sent"]) == 1  # the one the server accepted
    assert [r.id for r in rows if r.claimed_at is not None] == []

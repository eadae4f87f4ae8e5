"""The outbox drained through a real SMTP server (aiosmtpd): once each, retries, failures."""

from datetime import timedelta
from email import message_from_bytes, policy

from sqlmodel import select

from consultation.timesource import ManualTime
from mail.outbound import EmailOutbox
from mail.smtp import SmtpConfig, SmtpSender
from store.database import Database
from store.tables import OutboxRow
from templates import environment
from tests.factories import make_consultation
from tests.mail.test_compose import IDENTITY
from tests.servers.smtpd import SmtpServer

GT = "puntofocal@cancilleria.gt.example"


async def drain(db: Database, smtpd: SmtpServer, time: ManualTime) -> tuple[int, int, int]:
    async with SmtpSender(SmtpConfig(host=smtpd.host, port=smtpd.port)) as sender:
        outbox = EmailOutbox(db, sender, env=environment(), identity=IDENTITY, time=time)
        report = await outbox.drain()
    return report.sent, report.retrying, report.failed


async def rows(db: Database, kind: str) -> list[OutboxRow]:
    async with db.session() as session:
        return list((await session.exec(select(OutboxRow).where(OutboxRow.kind == kind))).all())


async def test_fan_out_once_over_one_connection(
    db: Database, smtpd: SmtpServer, time: ManualTime
) -> None:
    await make_consultation(db, time)
    sent, _, _ = await drain(db, smtpd, time)
    assert sent == 3 + 1 + 22  # troika drafts, the PPT's consensus note, the drafts
    assert smtpd.connections == 1
    assert len(smtpd.delivered_to(GT)) == 1
    message = message_from_bytes(smtpd.delivered_to(GT)[0].data, policy=policy.default)
    assert "[CRM-2026-001 v1]" in str(message["Subject"])
    assert await drain(db, smtpd, time) == (0, 0, 0)  # nobody gets the same draft twice
    assert len(smtpd.received) == 26


async def test_temporary_refusal_is_retried_later_for_that_recipient_only(
    db: Database, smtpd: SmtpServer, time: ManualTime
) -> None:
    await make_consultation(db, time)
    smtpd.inject("rcpt", "451 4.7.1 Greylisted, try again", recipient=GT, times=1)
    sent, retrying, _ = await drain(db, smtpd, time)
    assert (sent, retrying) == (25, 1)
    assert smtpd.delivered_to(GT) == []
    assert await drain(db, smtpd, time) == (0, 0, 0)  # not due yet: backoff
    time.advance(timedelta(minutes=2))
    assert await drain(db, smtpd, time) == (1, 0, 0)
    assert len(smtpd.delivered_to(GT)) == 1

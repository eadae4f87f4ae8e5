"""SIGTERM takes effect between two notices, not after a drain of a thousand (issue #18):
`consulta serve` with a backlog of 1,000 notices and a slow relay exits 0 within seconds, and
every notice the relay accepted is recorded as sent, so a restart sends none of them again."""

import asyncio
import signal
from collections import Counter
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path

from sqlmodel import col, select

from consultation.timesource import ManualTime
from store.database import Database
from store.tables import OutboxRow
from tests.databases import sqlite_database
from tests.factories import make_consultation
from tests.servers.smtpd import SmtpServer
from tests.service.test_serve import consulta, environment, mail_settings

BACKLOG = 1000
# A bound on shutdown, not a timing of normal work: the issue asks for an exit well within
# docker-compose's 30 s; one notice in flight to this relay takes 0.2 s.
STOPPED_WITHIN = 10.0


async def _backlog(db: Database, time: ManualTime) -> None:
    """A thousand draft notices due: one consultation's drafts, copied."""
    await make_consultation(db, time)
    async with db.transaction() as session:
        query = select(OutboxRow).where(OutboxRow.kind == "draft").order_by(col(OutboxRow.id))
        drafts = list((await session.exec(query)).all())
        for n in range(BACKLOG - len(drafts)):
            model = drafts[n % len(drafts)]
            session.add(
                OutboxRow(
                    **model.model_dump(exclude={"id", "dedupe_key"}),
                    dedupe_key=f"{model.dedupe_key}:copy{n}",
                )
            )


async def test_sigterm_stops_a_drain_of_a_thousand_notices_between_two_of_them(
    tmp_path: Path, smtpd: SmtpServer
) -> None:
    # Queued a minute ago by the system clock, so the service (on that clock) finds them due.
    time = ManualTime(datetime.now(UTC) - timedelta(minutes=1))
    async with sqlite_database(tmp_path) as db:
        await _backlog(db, time)
    smtpd.handler.delay = 0.2
    process = await consulta(environment(tmp_path, **mail_settings(smtpd)), "serve")
    try:
        async with asyncio.timeout(60):
            while len(smtpd.received) < 5:
                await asyncio.sleep(0.05)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            async with asyncio.timeout(STOPPED_WITHIN):
                _, stderr = await process.communicate()
        except TimeoutError:
            process.kill()  # leave nothing running behind a failed test
            await process.wait()
            raise

    assert process.returncode == 0, stderr.decode()
    assert b"Traceback" not in stderr
    received = [
        str(message_from_bytes(m.data, policy=policy.default)["Message-ID"]) for m in smtpd.received
    ]
    assert len(received) < BACKLOG / 2  # it stopped, it did not drain
    assert [m for m, n in Counter(received).items() if n > 1] == []
    async with sqlite_database(tmp_path) as db, db.session() as session:
        rows = (await session.exec(select(OutboxRow))).all()
    sent = [r for r in rows if r.status == "sent"]
    # Everything the relay took is recorded sent; nothing is left claimed in flight.
    assert len(sent) >= len(received)
    assert [r.id for r in rows if r.claimed_at is not None] == []

"""Two `consulta serve` processes on one PostgreSQL schema, one Dovecot mailbox and one SMTP
server, as an operator runs several instances: one listens to the mailbox, both send; killed,
the listener is replaced within the retry interval. Every reply is recorded once, every email
sent once."""

import asyncio
import os
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import ColumnElement, func
from sqlmodel import SQLModel, col, select

from consultation.timesource import ManualTime
from store import queries
from store.database import Database
from store.tables import EventRow, InboundMessageRow, OutboxRow, PositionRow
from tests.databases import postgres_login, postgres_url
from tests.factories import MEMBERS, make_consultation
from tests.mail.test_front import DRAFTS, parsed
from tests.mail.test_inbound import fixture_text
from tests.servers.dovecot import Dovecot
from tests.servers.ports import free_port
from tests.servers.smtpd import SmtpServer
from tests.service.test_serve import CONSULTA, environment, mail_settings, until_received

RETRY = 1.0  # CONSULTA_IMAP__LEADER_RETRY_SECONDS: how often the follower tries for the lock
WAIT = 60.0  # generous, for a loaded machine: only a broken service waits this long
LOCK = "leader lock imap-listener:INBOX"
LATE = "DO"  # its focal points answer after the listener is killed


@pytest.fixture
async def login() -> AsyncIterator[tuple[str, Database]]:
    url = postgres_url()
    if url is None:
        if os.environ.get("CI"):
            pytest.fail("CI must set TEST_DATABASE_URL: several instances need PostgreSQL")
        pytest.skip("TEST_DATABASE_URL is not set: several instances need PostgreSQL")
    async with postgres_login(url) as found:
        yield found


class Instance:
    """One `consulta serve` process, and every line it has logged so far."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lines: list[str] = []
        self._reader = asyncio.ensure_future(self._read())

    @classmethod
    async def start(cls, env: dict[str, str]) -> "Instance":
        process = await asyncio.create_subprocess_exec(
            str(CONSULTA),
            "serve",
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        return cls(process)

    async def _read(self) -> None:
        assert self.process.stderr is not None
        async for line in self.process.stderr:
            self.lines.append(line.decode(errors="replace"))

    def said(self, text: str) -> bool:
        return any(text in line for line in self.lines)

    async def finish(self, signum: int = signal.SIGTERM) -> int:
        if self.process.returncode is None:
            self.process.send_signal(signum)
        try:
            async with asyncio.timeout(WAIT):
                code = await self.process.wait()
        except TimeoutError:
            self.process.kill()  # never leave a process behind, even when the test fails
            await self.process.wait()
            raise
        await self._reader
        return code

    @property
    def log(self) -> str:
        return "".join(self.lines)


@dataclass(frozen=True)
class FocalPoint:
    country: str
    address: str
    language: str


async def focal_points(db: Database) -> list[FocalPoint]:
    found = []
    async with db.session() as session:
        for contact in await queries.focal_points(session, MEMBERS):
            assert contact.id is not None
            for email in await queries.emails_of(session, contact.id):
                [role] = await queries.roles_of(session, contact.id)
                found.append(FocalPoint(str(role.party), email.address, contact.language))
    return found


def reply(smtpd: SmtpServer, point: FocalPoint) -> bytes:
    """The focal point presses Reply on the draft it received, and approves."""
    [draft] = [
        parsed(m.data)
        for m in smtpd.delivered_to(point.address)
        if "v1]" in str(parsed(m.data)["Subject"])
    ]
    answer = EmailMessage()
    answer["From"] = point.address
    answer["To"] = str(draft["Reply-To"])
    answer["Subject"] = f"RE: {draft['Subject']}"
    answer["Message-ID"] = f"<reply.{point.address}>"
    answer["In-Reply-To"] = str(draft["Message-ID"])
    approve = "We approve the text." if point.language == "en" else "Aprobamos el texto."
    answer.set_content(f"{approve}\n\nRegards,\n{point.country}\n")
    return answer.as_bytes()


async def count(db: Database, table: type[SQLModel], *where: ColumnElement[bool]) -> int:
    async with db.session() as session:
        return (await session.exec(select(func.count()).select_from(table).where(*where))).one()


async def settled(db: Database, smtpd: SmtpServer, replies: int) -> bool:
    """Every reply recorded, every email due sent, and the SMTP server saw each one."""
    recorded = await count(db, InboundMessageRow, col(InboundMessageRow.status) == "recorded")
    email = col(OutboxRow.channel) == "email"
    unsent = await count(db, OutboxRow, email, col(OutboxRow.status) != "sent")
    sent = await count(db, OutboxRow, email, col(OutboxRow.status) == "sent")
    return recorded == replies and unsent == 0 and len(smtpd.received) == sent


async def until(predicate: Callable[[], Awaitable[bool] | bool]) -> None:
    async with asyncio.timeout(WAIT):
        while True:
            found = predicate()
            if found if isinstance(found, bool) else await found:
                return
            await asyncio.sleep(0.05)


async def test_two_instances_record_each_reply_once_send_each_email_once_and_take_over(
    tmp_path: Path, smtpd: SmtpServer, dovecot: Dovecot, login: tuple[str, Database]
) -> None:
    url, db = login
    # Queued a minute ago by the system clock, so the services (on that clock) find it due.
    time = ManualTime(datetime.now(UTC) - timedelta(minutes=1))
    await make_consultation(db, time, text=fixture_text())
    points = await focal_points(db)
    early = [p for p in points if p.country != LATE]
    late = [p for p in points if p.country == LATE]
    assert len(early) == 20 and len(late) == 2
    env = environment(
        tmp_path,
        **mail_settings(smtpd, dovecot),
        CONSULTA_DB__URL=url,
        CONSULTA_IMAP__LEADER_RETRY_SECONDS=str(RETRY),
        CONSULTA_MAIL__SEND_INTERVAL="0.2",
    )
    # Each instance has its own HTTP port, as on two machines.
    instances = [
        await Instance.start(env | {"CONSULTA_HTTP__PORT": str(free_port())}) for _ in "ab"
    ]
    try:
        await until_received(smtpd, DRAFTS)
        await until(lambda: any(i.said(f"{LOCK}: held by another instance") for i in instances))
        [leader] = [i for i in instances if i.said(f"{LOCK}: acquired")]
        [follower] = [i for i in instances if i is not leader]

        for point in early:
            await dovecot.append(reply(smtpd, point))
        await until(lambda: settled(db, smtpd, len(early)))
        assert not follower.said(f"{LOCK}: acquired")
        assert "Traceback" not in leader.log

        # The listener dies: its database session ends with it, and the lock with the session.
        killed_at = asyncio.get_running_loop().time()
        assert await leader.finish(signal.SIGKILL) == -signal.SIGKILL
        await until(lambda: follower.said(f"{LOCK}: acquired"))
        takeover = asyncio.get_running_loop().time() - killed_at
        for point in late:
            await dovecot.append(reply(smtpd, point))
        await until(lambda: settled(db, smtpd, len(points)))
    finally:
        codes = [await instance.finish() for instance in instances]
    assert codes == [-signal.SIGKILL if i is leader else 0 for i in instances], follower.log
    assert "Traceback" not in follower.log
    print(f"takeover after SIGKILL: {takeover:.2f}s (retry interval {RETRY}s)")
    assert takeover < RETRY + 5.0

    answers = await count(db, EventRow, col(EventRow.kind) == "answer_recorded")
    positions = await count(db, PositionRow)
    async with db.session() as session:
        inbound = list((await session.exec(select(InboundMessageRow))).all())
        all_answered = list(
            (await session.exec(select(OutboxRow).where(OutboxRow.kind == "all_answered"))).all()
        )
    assert sorted(r.sender or "" for r in inbound) == sorted(p.address for p in points)
    assert {r.status for r in inbound} == {"recorded"}
    assert answers == positions == len(points)  # each reply recorded once

    message_ids = [str(parsed(m.data)["Message-ID"]) for m in smtpd.received]
    assert len(set(message_ids)) == len(message_ids)  # no email sent twice
    for point in points:  # the draft, then a receipt for each of its country's two replies
        assert len(smtpd.delivered_to(point.address)) == 1 + 2, point
    assert [row.status for row in all_answered] == ["sent"]  # the PPT hears it once

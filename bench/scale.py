"""Every step of a consultation at 11, 35 and 193 members (run by hand).

    uv run python bench/scale.py [--members 11 35 193] [--database URL]

For each roster size (two focal points per member, tests/rosters.py, holiday calendars of the
`holidays` package) on a fresh store: the roster import, the send (Troika approvals, then the
distribution that queues a draft per focal point), the fan-out of every queued email to
aiosmtpd's Sink (a process of its own), the ingest of one reply per member from a real Dovecot
(the service's listener: batch stored raw, each reply read and recorded), the receipts that
ingest queued, a render of the Slack status message, the ST's digest with 50 open
consultations (gathered and rendered as email) and the export of a record of 5 versions.

Each line: seconds, the items the step handled (members, notices, replies; one for a render),
SQL statements per item, and the load average (the machine may be shared). A last table gives
the growth factor of each step's seconds and of its statements per item from the smallest
roster to the largest: linear work gives the ratio of the sizes in seconds and 1.0 in
statements per item; a render, 1.0 in both.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the test servers live in tests/

from bench.mail import fill, load, reply, sink  # noqa: E402
from bot.status_board import board  # noqa: E402
from bot.texts import Phrases  # noqa: E402
from consultation import digest, distribution, drafting, record  # noqa: E402
from consultation.exporting import export_record  # noqa: E402
from consultation.roster import Roster  # noqa: E402
from consultation.texts import Text  # noqa: E402
from consultation.timesource import ManualTime  # noqa: E402
from consultation.vocabulary import Language  # noqa: E402
from mail.digest import digest_message  # noqa: E402
from mail.imap import ImapConfig, ImapListener  # noqa: E402
from mail.inbound import BatchIntake, Inbox  # noqa: E402
from mail.mailbox_state import MemoryMailboxState  # noqa: E402
from mail.outbound import EmailOutbox  # noqa: E402
from mail.smtp import SmtpConfig, SmtpSender  # noqa: E402
from store.database import Database  # noqa: E402
from templates import environment  # noqa: E402
from tests.databases import postgres_database, sqlite_database  # noqa: E402
from tests.factories import TEXT_EN, TEXT_ES, move  # noqa: E402
from tests.mail.test_compose import IDENTITY  # noqa: E402
from tests.rosters import import_members  # noqa: E402
from tests.servers.dovecot import running_dovecot  # noqa: E402
from tests.statements import counting  # noqa: E402

START = datetime(2026, 12, 7, 14, 0, tzinfo=UTC)
OPEN = 50  # consultations open for the digest
VERSIONS = 5  # of the exported record


@dataclass
class Step:
    name: str
    members: int
    seconds: float
    items: int
    statements: int
    load: str

    @property
    def per_item(self) -> float:
        return self.statements / max(self.items, 1)


@contextlib.asynccontextmanager
async def store(url: str | None) -> AsyncIterator[Database]:
    if url is None:
        with tempfile.TemporaryDirectory() as folder:
            async with sqlite_database(Path(folder)) as db:
                yield db
        return
    async with postgres_database(url) as db:
        yield db


class Run:
    """One roster size on one fresh store: each step timed and its statements counted."""

    def __init__(self, db: Database, members: int) -> None:
        self.db, self.members, self.steps = db, members, list[Step]()
        self.clock = ManualTime(START)
        self.env = environment()

    async def step(self, name: str, work: Callable[[], Awaitable[int]]) -> None:
        with counting(self.db) as sent:
            began = time.perf_counter()
            items = await work()
            seconds = time.perf_counter() - began
        found = Step(name, self.members, seconds, items, len(sent), load())
        self.steps.append(found)
        print(
            f"  {name:<24} {seconds:8.2f} s  {items:6d} items  "
            f"{found.per_item:7.1f} statements/item  load {found.load}",
            flush=True,
        )

    async def consultation(self, troika: tuple[str, ...]) -> str:
        draft = drafting.Draft(
            title_es="Flujos extracontinentales",
            title_en="Extra-continental flows",
            text=Text(es=TEXT_ES, en=TEXT_EN),
        )
        async with self.db.transaction() as session:
            row = await drafting.open_draft(session, draft, move(self.clock))
        async with self.db.transaction() as session:
            await drafting.submit_to_troika(session, row.id, move(self.clock))
        for country in troika:
            async with self.db.transaction() as session:
                await drafting.answer_troika(
                    session,
                    row.id,
                    country=country,
                    approve=True,
                    comment=None,
                    move=move(self.clock),
                )
        async with self.db.transaction() as session:
            await distribution.send(session, row.id, move(self.clock))
        return row.id


async def one_size(members: int, url: str | None, smtp_port: int) -> list[Step]:
    print(f"{members} members", flush=True)
    async with store(url) as db:
        run = Run(db, members)
        rosters: list[Roster] = []

        async def import_it() -> int:
            rosters.append(await import_members(db, members, at=run.clock.now(), actor="bench"))
            return members

        await run.step("roster import", import_it)
        roster = rosters[0]
        troika = roster.presidency.troika
        made: list[str] = []

        async def send() -> int:
            made.append(await run.consultation(troika))
            return members

        await run.step("send", send)
        await run.step("fan-out", lambda: drain(run, smtp_port))
        await run.step("ingest of every reply", lambda: ingest(run, made[0], roster.members))
        await run.step("receipts", lambda: drain(run, smtp_port))
        await run.step("board render", lambda: render_board(run, made[0]))
        for _ in range(OPEN - 1):
            made.append(await run.consultation(troika))
        await run.step(f"digest, {OPEN} open", lambda: render_digest(run))
        for n in range(2, VERSIONS + 1):
            revised = Text(es=[*TEXT_ES[:-1], f"{TEXT_ES[-1]} (v{n})"], en=None)
            async with db.transaction() as session:
                await distribution.revise(session, made[0], revised, move(run.clock))
        await run.step(f"export, {VERSIONS} versions", lambda: export(run, made[0]))
        return run.steps


async def drain(run: Run, port: int) -> int:
    async with SmtpSender(SmtpConfig(host="127.0.0.1", port=port)) as sender:
        outbox = EmailOutbox(run.db, sender, env=run.env, identity=IDENTITY, time=run.clock)
        report = await outbox.drain(limit=1_000_000)
    return report.sent


async def ingest(run: Run, consultation: str, members: list[str]) -> int:
    messages = [
        reply(consultation, code, f"fp1@{code.lower()}.example", "es", n)
        for n, code in enumerate(members)
    ]
    async with running_dovecot() as dovecot:
        await fill(dovecot, messages)
        config = ImapConfig(
            host=dovecot.host, port=dovecot.port, username=dovecot.user, password=dovecot.password
        )
        intake = BatchIntake(Inbox(run.db, identity=IDENTITY, time=run.clock))
        listener = ImapListener(config, MemoryMailboxState(), on_batch=intake.store)
        return await listener.poll_once(intake.receive)


async def render_board(run: Run, consultation: str) -> int:
    book = Phrases(run.env)(Language.ES)
    async with run.db.session() as session:
        await board(session, consultation, book, Language.ES, run.clock.now())
    return 1  # one render: its statements should not grow with the members


async def render_digest(run: Run) -> int:
    async with run.db.session() as session:
        since = run.clock.now() - timedelta(days=1)
        content = await digest.gather(session, now=run.clock.now(), since=since)
    message = digest_message(
        run.env, content, language=Language.ES, timezone="America/Panama", recipient="ST"
    )
    body = message.get_body(preferencelist=("html",))
    size = len(str(body.get_content())) if body is not None else 0
    print(f"  (digest HTML: {size / 1024:.0f} KB)")
    return 1


async def export(run: Run, consultation: str) -> int:
    async with run.db.session() as session:
        found = await record.gather(session, consultation)
    export_record(run.env, found, fmt="html", language=Language.EN)
    return 1


def growth(steps: list[Step], sizes: list[int]) -> None:
    small, large = min(sizes), max(sizes)
    print(f"\nGrowth from {small} to {large} members (sizes x{large / small:.1f})")
    print(f"  {'step':<24} {'seconds':>8} {'statements/item':>16}")
    names = dict.fromkeys(s.name for s in steps)
    for name in names:
        first = next(s for s in steps if s.name == name and s.members == small)
        last = next(s for s in steps if s.name == name and s.members == large)
        seconds = last.seconds / first.seconds if first.seconds else float("nan")
        per = last.per_item / first.per_item if first.per_item else float("nan")
        print(f"  {name:<24} {seconds:8.1f} {per:16.2f}")


async def main(args: argparse.Namespace) -> None:
    steps: list[Step] = []
    async with sink() as port:
        for members in args.members:
            steps += await one_size(members, args.database, port)
    growth(steps, args.members)


def _arguments() -> Any:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, nargs="+", default=[11, 35, 193])
    parser.add_argument("--database", default=None, help="default: SQLite in a temporary folder")
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(_arguments()))

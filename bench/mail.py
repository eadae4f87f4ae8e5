"""The email front's throughput against the bare libraries it is built on (run by hand).

    uv run python bench/mail.py [--replies 2000] [--consultations 100] [--members 193]
        [--database URL] [--only ingest|fan-out]

Ingest: N replies from registered focal points wait in a real Dovecot. First a raw aioimaplib
client fetches them all (UID FETCH in batches of 50, nothing else); then the service's listener
takes the same mailbox from scratch: fetch, store raw, match, read, record the answer, queue the
receipts, mark processed. The ratio is service rate / raw rate (aim: at least 0.5).

Fan-out: 100 consultations to 11 focal points each, 1,100 drafts waiting in the outbox (or, with
`--members 193`, two focal points for each of 193 members: 386 drafts a consultation, so the
once-per-version .docx weighs as it would at the UN). The raw
side sends the very same composed messages with aiosmtplib over one connection; the service's
drain claims the rows twenty at a time, composes each (templates and .docx once per version and
language, then the reader's greeting, deadline and reply token), sends it and records the
twenty's outcomes together. The ratio is service rate / raw rate (aim: at least 0.5). The SMTP
server is aiosmtpd's Sink in a process of its own, so it does not share the event loop with
either client.

SQLite (a file in a temporary folder) by default; `--database postgresql+asyncpg://…` to use a
server (the bench creates and drops a schema of its own).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the test servers live in tests/

import aioimaplib  # noqa: E402
import aiosmtplib  # noqa: E402
from sqlmodel import col, select, update  # noqa: E402

from consultation.roster import load_roster  # noqa: E402
from consultation.roster_sync import import_roster  # noqa: E402
from consultation.timesource import ManualTime  # noqa: E402
from mail import tokens  # noqa: E402
from mail.compose import compose  # noqa: E402
from mail.docx_render import _render  # noqa: E402
from mail.imap import ImapConfig, ImapListener  # noqa: E402
from mail.inbound import BatchIntake, Inbox  # noqa: E402
from mail.mailbox_state import MemoryMailboxState  # noqa: E402
from mail.outbound import EmailOutbox  # noqa: E402
from mail.smtp import SmtpConfig, SmtpSender  # noqa: E402
from store import queries  # noqa: E402
from store.database import Database  # noqa: E402
from store.tables import ContactEmailRow, ContactRow, InboundMessageRow, OutboxRow  # noqa: E402
from templates import environment  # noqa: E402
from tests.databases import postgres_database, sqlite_database  # noqa: E402
from tests.factories import make_consultation, seed_roster  # noqa: E402
from tests.mail.test_compose import IDENTITY  # noqa: E402
from tests.rosters import roster_text  # noqa: E402
from tests.servers.dovecot import Dovecot, running_dovecot  # noqa: E402
from tests.statements import counting  # noqa: E402

START = datetime(2026, 12, 7, 14, 0, tzinfo=UTC)
BATCH = 50


@contextlib.asynccontextmanager
async def database(url: str | None) -> AsyncIterator[Database]:
    """SQLite in a temporary folder, or a schema of its own on the given PostgreSQL."""
    if url is None:
        with tempfile.TemporaryDirectory() as folder:
            async with sqlite_database(Path(folder)) as db:
                yield db
        return
    async with postgres_database(url) as db:
        yield db


async def consultations(db: Database, clock: ManualTime, count: int) -> list[str]:
    await seed_roster(db, clock.now())
    return [(await make_consultation(db, clock, seed=False)).id for _ in range(count)]


async def focal_points(db: Database) -> list[tuple[str, str, str]]:
    """(country, address, language) of every active focal point of a member country."""
    found = []
    async with db.session() as session:
        for country in await queries.countries(session, status="member"):
            for contact in await queries.focal_points(session, [country.code]):
                assert contact.id is not None
                address = (await queries.emails_of(session, contact.id))[0].address
                found.append((country.code, address, contact.language))
    return found


def reply(consultation: str, country: str, sender: str, language: str, n: int) -> bytes:
    token = tokens.make_token(
        consultation_id=consultation, version=1, country=country, secret=IDENTITY.secrets[0]
    )
    message = EmailMessage()
    message["From"] = sender
    message["To"] = tokens.reply_address(
        local=IDENTITY.reply_local, domain=IDENTITY.domain, token=token
    )
    message["Subject"] = f"RE: [{consultation} v1] consulta"
    message["Message-ID"] = f"<bench.{n}@{sender.split('@')[1]}>"
    approve = "Aprobamos el texto." if language == "es" else "We approve the text."
    message.set_content(f"{approve}\n\nSaludos cordiales,\nPunto Focal\n")
    return message.as_bytes()


async def imap_client(dovecot: Dovecot) -> Any:
    client = aioimaplib.IMAP4(host=dovecot.host, port=dovecot.port, timeout=60)
    await client.wait_hello_from_server()
    await client.login(dovecot.user, dovecot.password)
    return client


async def fill(dovecot: Dovecot, messages: list[bytes]) -> None:
    client = await imap_client(dovecot)
    for raw in messages:
        response = await client.append(raw, mailbox="INBOX")
        assert response.result == "OK", response
    await client.logout()


async def raw_fetch(dovecot: Dovecot, count: int) -> float:
    client = await imap_client(dovecot)
    await client.select("INBOX")
    began = time.perf_counter()
    fetched = 0
    for start in range(1, count + 1, BATCH):
        end = min(start + BATCH - 1, count)
        response = await client.uid("fetch", f"{start}:{end}", "(UID BODY.PEEK[])")
        fetched += sum(isinstance(line, bytearray) for line in response.lines)
    elapsed = time.perf_counter() - began
    await client.logout()
    assert fetched == count, (fetched, count)
    return elapsed


async def ingest(args: argparse.Namespace) -> tuple[float, float, int]:
    clock = ManualTime(START)
    async with database(args.database) as db, running_dovecot() as dovecot:
        ids = await consultations(db, clock, -(-args.replies // 22))
        senders = await focal_points(db)
        messages = [
            reply(ids[n // len(senders)], *senders[n % len(senders)], n)
            for n in range(args.replies)
        ]
        await fill(dovecot, messages)
        raw = await raw_fetch(dovecot, len(messages))

        inbox = Inbox(db, identity=IDENTITY, time=clock)
        config = ImapConfig(
            host=dovecot.host, port=dovecot.port, username=dovecot.user, password=dovecot.password
        )

        intake = BatchIntake(inbox)
        listener = ImapListener(config, MemoryMailboxState(), on_batch=intake.store)
        began = time.perf_counter()
        with counting(db) as sent:
            handled = await listener.poll_once(intake.receive)
        service = time.perf_counter() - began
        async with db.session() as session:
            statuses = list((await session.exec(select(InboundMessageRow.status))).all())
        recorded = statuses.count("recorded")
        assert handled == len(messages) and recorded == len(messages), (handled, recorded)
    return raw, service, len(sent)


async def fan_out(args: argparse.Namespace) -> tuple[float, float, int, int, int]:
    clock = ManualTime(START)
    async with database(args.database) as db, sink() as port:
        troika = await fan_out_roster(db, clock, args.members)
        for _ in range(args.consultations):
            await make_consultation(db, clock, seed=False, **troika)
        async with db.transaction() as session:  # only the drafts are left to send
            await session.exec(
                update(OutboxRow).where(OutboxRow.kind != "draft").values(status="sent")
            )
            rows = list(
                (
                    await session.exec(
                        select(OutboxRow)
                        .where(OutboxRow.status == "pending")
                        .order_by(col(OutboxRow.id))
                    )
                ).all()
            )
            env = environment()
            composed = []
            for row in rows:
                made = await compose(session, row, env=env, identity=IDENTITY, now=clock.now())
                assert made is not None
                composed.append(made)

        smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=port)
        await smtp.connect()
        began = time.perf_counter()
        for made in composed:
            await smtp.send_message(
                made.message, sender=IDENTITY.address, recipients=made.recipients
            )
        raw = time.perf_counter() - began
        await smtp.quit()

        _render.cache_clear()  # the service renders its own documents, as it would
        async with SmtpSender(SmtpConfig(host="127.0.0.1", port=port)) as sender:
            outbox = EmailOutbox(db, sender, env=env, identity=IDENTITY, time=clock)
            began = time.perf_counter()
            with counting(db) as statements:
                report = await outbox.drain(limit=len(rows) + 1)
            service = time.perf_counter() - began
        assert report.sent == len(rows), report
    return raw, service, len(rows), len(statements), _render.cache_info().misses


async def fan_out_roster(db: Database, clock: ManualTime, members: int | None) -> dict[str, Any]:
    """The CRM's roster with one focal point per member (11 drafts a consultation), or one of
    ``members`` with two each (tests/rosters.py); the Troika to name, if not the CRM's."""
    if members is not None:
        roster = load_roster(roster_text(members), source=f"{members} members")
        async with db.transaction() as session:
            await import_roster(session, roster, actor="bench", at=clock.now())
        return {"troika": roster.presidency.troika}
    await seed_roster(db, clock.now())
    async with db.transaction() as session:
        alternates = select(ContactEmailRow.contact_id).where(
            col(ContactEmailRow.address).startswith("migracion@")
        )
        await session.exec(
            update(ContactRow).where(col(ContactRow.id).in_(alternates)).values(active=False)
        )
    return {}


@contextlib.asynccontextmanager
async def sink() -> AsyncIterator[int]:
    """aiosmtpd's Sink (accepts everything, keeps nothing) in a process of its own."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "aiosmtpd",
            "-n",
            "-c",
            "aiosmtpd.handlers.Sink",
            "-l",
            f"127.0.0.1:{port}",
        ],
    )
    try:
        for _ in range(200):
            with contextlib.suppress(OSError):
                with socket.create_connection(("127.0.0.1", port), timeout=0.1):
                    break
            await asyncio.sleep(0.05)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


def load() -> str:
    """The 1-minute load average beside each figure: the machine may be shared."""
    return Path("/proc/loadavg").read_text().split()[0]


def rate_line(label: str, count: int, seconds: float) -> str:
    return f"  {label:<34} {seconds:8.2f} s  {count / seconds:9.1f} msg/s"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--replies", type=int, default=2000)
    parser.add_argument("--consultations", type=int, default=100)
    parser.add_argument("--database", default=None, help="default: SQLite in a temporary folder")
    parser.add_argument(
        "--members",
        type=int,
        default=None,
        help="fan-out to a roster of this many members, two focal points each (default: the"
        " CRM's 11 with one each)",
    )
    parser.add_argument("--only", choices=["ingest", "fan-out"], default=None)
    args = parser.parse_args()
    backend = "SQLite" if args.database is None else "PostgreSQL"

    if args.only != "fan-out":
        raw, service, statements = await ingest(args)
        print(f"Ingest of {args.replies} replies from Dovecot ({backend})  load {load()}")
        print(rate_line("raw aioimaplib fetch (batches of 50)", args.replies, raw))
        print(rate_line("service (fetch, store, match, record)", args.replies, service))
        per = service / args.replies * 1000
        print(f"  {per:.1f} ms and {statements / args.replies:.1f} SQL statements per reply")
        print("  (aim on SQLite: at most 9 ms and 12 statements)")
    if args.only == "ingest":
        return

    raw, service, sent, statements, renders = await fan_out(args)
    print(
        f"Fan-out of {args.consultations} consultations, {sent} drafts ({backend})  load {load()}"
    )
    print(f"  {renders} .docx rendered by the service (once per version and language)")
    print(rate_line("raw aiosmtplib send (composed)", sent, raw))
    print(rate_line("service (claim, compose, send, record)", sent, service))
    print(
        f"  {service / sent * 1000:.1f} ms and {statements / sent:.1f} SQL statements per draft,"
        f" ratio {raw / service:.2f} (aim: at least 0.5)"
    )


if __name__ == "__main__":
    asyncio.run(main())

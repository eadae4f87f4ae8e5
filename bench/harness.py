"""`consulta serve` as production runs it, with its servers around it, for the benches.

A process of its own configured by `CONSULTA_*` variables only: Dovecot (IDLE, or none so the
service polls), aiosmtpd's Sink in a process of its own, the tests' recording Slack Web API in
the bench's loop, and a store (a SQLite file, or a database of its own on a PostgreSQL server)
holding a roster and consultations distributed to its members: the CRM's default roster of 11,
or with ``members`` a roster of that many (two focal points each, tests/rosters.py; the PPT,
the ST and each member's first focal point on Slack, as in the CRM's). Replies are
built as a focal point's mail client would send them: to the signed reply address of the draft.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the test servers live in tests/

from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.ext.asyncio import create_async_engine  # noqa: E402
from sqlmodel import col, func, select  # noqa: E402

from bench.mail import sink  # noqa: E402
from consultation.timesource import ManualTime  # noqa: E402
from consultation.vocabulary import Standing  # noqa: E402
from mail import tokens  # noqa: E402
from store import queries  # noqa: E402
from store.database import Database  # noqa: E402
from store.migrate import upgrade  # noqa: E402
from store.tables import InboundMessageRow, OutboxRow  # noqa: E402
from tests.factories import TROIKA, make_consultation, seed_roster  # noqa: E402
from tests.mail.test_compose import IDENTITY  # noqa: E402
from tests.rosters import import_members  # noqa: E402
from tests.servers.dovecot import Dovecot, running_dovecot  # noqa: E402
from tests.servers.ports import free_port  # noqa: E402
from tests.servers.slack_api import SlackApi, slack_api  # noqa: E402

CONSULTA = Path(sys.executable).parent / "consulta"
CHANNEL = "C0PPTBENCH"
SIGNING_SECRET = "bench-signing-secret-0123456789"
SETTLE_TIMEOUT = 600.0


@dataclass(frozen=True)
class FocalPoint:
    country: str
    address: str
    language: str
    board_name: str  # the country as the PPT's (Spanish) status message names it


@dataclass
class Served:
    """The running service and what the bench drives it with."""

    process: asyncio.subprocess.Process
    dovecot: Dovecot
    slack: SlackApi
    db: Database  # the bench's own connection to the service's store
    consultations: list[str]
    focal_points: list[FocalPoint]
    log: Path

    @property
    def consultation(self) -> str:
        return self.consultations[0]

    def vm(self) -> dict[str, int]:
        """VmRSS and VmHWM of the service's process, in KiB (from /proc/PID/status)."""
        found = {}
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                found[key] = int(value.split()[0])
        return found


def reply(point: FocalPoint, consultation: str, standing: Standing, n: int) -> bytes:
    """An approval, or an amendment to paragraph 3, as plain text in the sender's language."""
    token = tokens.make_token(
        consultation_id=consultation, version=1, country=point.country, secret=IDENTITY.secrets[0]
    )
    message = EmailMessage()
    message["From"] = point.address
    message["To"] = tokens.reply_address(
        local=IDENTITY.reply_local, domain=IDENTITY.domain, token=token
    )
    message["Subject"] = f"RE: [{consultation} v1] consulta"
    message["Message-ID"] = f"<bench.{n}.{uuid.uuid4().hex[:8]}@{point.address.split('@')[1]}>"
    message.set_content(_BODIES[point.language == "es", standing == Standing.APPROVE])
    return message.as_bytes()


_BODIES = {
    (True, True): "Aprobamos el texto.\n\nSaludos cordiales,\nPunto Focal\n",
    (False, True): "We approve the text.\n\nKind regards,\nFocal Point\n",
    (True, False): "Proponemos la siguiente enmienda:\n\nEl párrafo 3 debe decir: «La Secretaría "
    "Técnica elaborará un informe semestral.»\n\nSaludos cordiales,\nPunto Focal\n",
    (False, False): 'We propose the following amendment.\n\nParagraph 3 should read: "The '
    'Technical Secretariat will prepare a biannual report."\n\nKind regards,\nFocal Point\n',
}


def plan(points: list[FocalPoint], count: int) -> list[tuple[FocalPoint, Standing]]:
    """Round-robin over the countries, each one's focal points in turn; every reply flips its
    country between approve and amend, so each one changes the status message."""
    countries = sorted({p.country for p in points})
    by_country = {c: [p for p in points if p.country == c] for c in countries}
    chosen = []
    for n in range(count):
        turn, country = divmod(n, len(countries))
        senders = by_country[countries[country]]
        # Alternating within a turn too: with 193 members a run of 100 replies reaches each
        # country once, and half of them must still amend.
        standing = Standing.APPROVE if (turn + country) % 2 == 0 else Standing.AMEND
        chosen.append((senders[turn % len(senders)], standing))
    return chosen


async def append(client: Any, raw: bytes) -> None:
    response = await client.append(raw, mailbox="INBOX")
    assert response.result == "OK", response


@contextlib.asynccontextmanager
async def served(
    *,
    database: str | None,
    idle: bool,
    poll_seconds: float,
    consultations: int = 1,
    members: int | None = None,
) -> AsyncIterator[Served]:
    with tempfile.TemporaryDirectory(prefix="consulta-bench-") as folder:
        async with (
            store_url(database, Path(folder)) as url,
            running_dovecot(idle=idle) as dovecot,
            sink() as smtp_port,
            slack_api() as api,
        ):
            db = Database(url)
            try:
                made, points = await prepare(db, consultations, members)
                env = environment(url, dovecot, smtp_port, api, poll_seconds=poll_seconds)
                log = Path(folder) / "serve.log"
                with log.open("wb") as output:
                    # In the temporary folder, so no .env of the developer's is read.
                    process = await asyncio.create_subprocess_exec(
                        str(CONSULTA), "serve", env=env, stdout=output, stderr=output, cwd=folder
                    )
                try:
                    it = Served(process, dovecot, api, db, made, points, log)
                    await settled(it)
                    yield it
                finally:
                    await stopped(process, log)
            finally:
                await db.dispose()


async def prepare(
    db: Database, count: int, members: int | None
) -> tuple[list[str], list[FocalPoint]]:
    """The roster (the CRM's, or one of `members`) and `count` consultations distributed to
    the members, queued a minute ago by the system clock so the service (on that clock) finds
    their drafts due."""
    await upgrade(db)
    clock = ManualTime(datetime.now(UTC) - timedelta(minutes=1))
    troika: Sequence[str] = TROIKA
    if members is None:
        await seed_roster(db, clock.now())
    else:
        roster = await import_members(db, members, at=clock.now(), actor="bench", slack=True)
        troika = roster.presidency.troika
    made = [
        (await make_consultation(db, clock, seed=False, troika=troika)).id for _ in range(count)
    ]
    points = []
    async with db.session() as session:
        for country in await queries.countries(session, status="member"):
            for contact in await queries.focal_points(session, [country.code]):
                assert contact.id is not None
                for email in await queries.emails_of(session, contact.id):
                    points.append(
                        FocalPoint(country.code, email.address, contact.language, country.name_es)
                    )
    return made, points


def environment(
    url: str, dovecot: Dovecot, smtp_port: int, api: SlackApi, *, poll_seconds: float
) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith("CONSULTA_")}
    return keep | {
        "CONSULTA_DB__URL": url,
        "CONSULTA_SMTP__HOST": "127.0.0.1",
        "CONSULTA_SMTP__PORT": str(smtp_port),
        "CONSULTA_SMTP__SECURITY": "none",
        "CONSULTA_IMAP__HOST": dovecot.host,
        "CONSULTA_IMAP__PORT": str(dovecot.port),
        "CONSULTA_IMAP__SECURITY": "none",
        "CONSULTA_IMAP__USERNAME": dovecot.user,
        "CONSULTA_IMAP__PASSWORD": dovecot.password,
        "CONSULTA_IMAP__POLL_SECONDS": str(poll_seconds),
        "CONSULTA_MAIL__ADDRESS": IDENTITY.address,
        "CONSULTA_MAIL__DOMAIN": IDENTITY.domain,
        "CONSULTA_MAIL__REPLY_LOCAL": IDENTITY.reply_local,
        "CONSULTA_MAIL__SECRETS": f'["{IDENTITY.secrets[0].decode()}"]',
        "CONSULTA_SLACK__BOT_TOKEN": "xoxb-bench",
        "CONSULTA_SLACK__SIGNING_SECRET": SIGNING_SECRET,
        "CONSULTA_SLACK__STATUS_CHANNEL": CHANNEL,
        "CONSULTA_HTTP__PORT": str(free_port()),
        "CONSULTA_SLACK__API_URL": f"{api.base_url}api/",
    }


async def settled(it: Served) -> None:
    """Start-up done: drafts and Slack notices sent, the status message posted, and the IMAP
    listener past its first catch-up (idling or waiting to poll)."""
    try:
        async with asyncio.timeout(SETTLE_TIMEOUT):
            while not (
                _posted(it)
                and not await pending_outbox(it.db)
                and b"selected, " in it.log.read_bytes()
            ):
                if it.process.returncode is not None:
                    raise RuntimeError(f"consulta serve exited:\n{it.log.read_text()}")
                await asyncio.sleep(0.1)
    except TimeoutError:
        # Say which part never came (a status message needs the PPT on Slack, for one).
        posted, pending = _posted(it), await pending_outbox(it.db)
        raise RuntimeError(
            f"not settled in {SETTLE_TIMEOUT:g} s: status messages posted {posted}, "
            f"{pending} notices pending:\n{it.log.read_text()[-3000:]}"
        ) from None


def _posted(it: Served) -> bool:
    """Every consultation's status message is in the channel."""
    texts = [str(c.args.get("text")) for c in it.slack.of("chat.postMessage")]
    return all(any(f"{made} ·" in text for text in texts) for made in it.consultations)


async def pending_outbox(db: Database) -> int:
    async with db.session() as session:
        query = select(func.count()).select_from(OutboxRow).where(OutboxRow.status == "pending")
        return int((await session.exec(query)).one())


async def inbound_by_status(db: Database) -> dict[str, int]:
    async with db.session() as session:
        query = select(InboundMessageRow.status, func.count()).group_by(
            col(InboundMessageRow.status)
        )
        return {status: int(n) for status, n in (await session.exec(query)).all()}


async def stopped(process: asyncio.subprocess.Process, log: Path) -> None:
    """SIGTERM, as the process manager would; it must exit 0 without a traceback."""
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), 30)
        except TimeoutError:
            process.kill()
            await process.wait()
    text = log.read_text(errors="replace")
    if process.returncode != 0 or "Traceback" in text:
        print(f"consulta serve exited {process.returncode}:\n{text[-4000:]}", file=sys.stderr)


@contextlib.asynccontextmanager
async def store_url(url: str | None, folder: Path) -> AsyncIterator[str]:
    """A SQLite file in `folder`, or a database of its own on the given PostgreSQL server
    (a whole database rather than a schema: the service is configured by its URL alone)."""
    if url is None:
        yield f"sqlite+aiosqlite:///{folder / 'consulta.db'}"
        return
    name = f"consulta_bench_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(url, isolation_level="AUTOCOMMIT")  # no DDL in a transaction
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(url).set(database=name).render_as_string(hide_password=False)
        finally:
            async with admin.connect() as connection:
                await connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f} (1/5/15 min, {os.cpu_count()} CPUs)"

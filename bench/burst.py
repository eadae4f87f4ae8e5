"""A burst against `consulta serve` on SQLite: does it stay up, and how fast does it catch up?
(run by hand)

    uv run python bench/burst.py [--consultations 100] [--replies 300] [--clicks 100]
                                 [--cli 20] [--database URL]

The size of issue #13's fault run: 100 consultations distributed (2,600 drafts sent first),
then at once 300 replies appended to the mailbox (3 per consultation), `--clicks` signed Slack
slash commands (`/consulta estado ID`) to the HTTP port, and `--cli` `consulta remind ID`
processes (each queues reminders to every pending member: thousands of notices in all), while a
probe connection of its own takes SQLite's write lock every 0.2 s and times how long it waits.

Prints: replies/s (first append → every reply processed, measured while the rest of the burst
goes on), notices/s (sent from the start until the outbox is empty; the CLI commands, one after
another, keep queuing until they are done), the longest write-lock wait the probe saw, how
often `serve` logged a database outage, and whether `serve` stayed up. Before the fix it
exited on `database is locked` at `BEGIN IMMEDIATE`; the aim is that it stays up.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import sqlite3
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlmodel import col, func, select  # noqa: E402

from bench.harness import (  # noqa: E402
    CONSULTA,
    SIGNING_SECRET,
    Served,
    append,
    inbound_by_status,
    load_average,
    pending_outbox,
    plan,
    reply,
    served,
)
from bench.mail import imap_client  # noqa: E402
from store.tables import OutboxRow  # noqa: E402
from tests.bot.conftest import CHANNEL, PPT  # noqa: E402

SETTLE = 1800.0


async def sent_count(it: Served) -> int:
    async with it.db.session() as session:
        query = select(func.count()).select_from(OutboxRow).where(OutboxRow.status == "sent")
        return int((await session.exec(query)).one())


async def queued_count(it: Served) -> int:
    async with it.db.session() as session:
        return int((await session.exec(select(func.count(col(OutboxRow.id))))).one())


def http_port(it: Served) -> int:
    for line in it.log.read_text(errors="replace").splitlines():
        if '"consulta serving"' in line:
            return int(json.loads(line)["http"].rsplit(":", 1)[1])
    raise RuntimeError("serve never said where it listens")


def signed(body: str) -> dict[str, str]:
    stamp = str(int(time.time()))
    base = f"v0:{stamp}:{body}".encode()
    digest = hmac.new(SIGNING_SECRET.encode(), base, hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": f"v0={digest}",
        "Content-Type": "application/x-www-form-urlencoded",
    }


async def clicks(it: Served, count: int) -> list[int]:
    port, statuses = http_port(it), []
    async with aiohttp.ClientSession() as http:
        for n in range(count):
            consultation = it.consultations[n % len(it.consultations)]
            body = urlencode(
                {
                    "command": "/consulta",
                    "text": f"estado {consultation}",
                    "user_id": PPT,
                    "channel_id": CHANNEL,
                    "team_id": "T0CRM",
                    "response_url": f"{it.slack.base_url}response/{n}",
                    "trigger_id": f"1.2.{n}",
                }
            )
            answer = await http.post(
                f"http://127.0.0.1:{port}/slack/events", data=body, headers=signed(body)
            )
            statuses.append(answer.status)
    return statuses


async def commands(it: Served, env: dict[str, str], count: int) -> list[int]:
    codes = []
    for n in range(count):
        process = await asyncio.create_subprocess_exec(
            str(CONSULTA),
            "remind",
            it.consultations[n % len(it.consultations)],
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        codes.append(await process.wait())
    return codes


async def all_read(it: Served, replies: int, started: float) -> float:
    """Seconds from the first append until every reply is stored and processed."""
    while it.process.returncode is None:
        statuses = await inbound_by_status(it.db)
        if sum(statuses.values()) >= replies and not statuses.get("stored"):
            break
        await asyncio.sleep(0.2)
    return time.monotonic() - started


async def lock_probe(path: str, stop: asyncio.Event) -> float:
    """The longest wait for SQLite's write lock seen by another connection (seconds)."""
    worst = 0.0
    connection = sqlite3.connect(path, timeout=120, isolation_level=None, check_same_thread=False)

    def take_and_release() -> float:
        started = time.monotonic()
        connection.execute("BEGIN IMMEDIATE")
        waited = time.monotonic() - started
        connection.execute("COMMIT")
        return waited

    try:
        while not stop.is_set():
            worst = max(worst, await asyncio.to_thread(take_and_release))
            await asyncio.sleep(0.2)
    finally:
        connection.close()
    return worst


async def burst(args: argparse.Namespace) -> None:
    async with served(
        database=args.database, idle=True, poll_seconds=5.0, consultations=args.consultations
    ) as it:
        url = make_url(str(it.db.url))
        keep = {k: v for k, v in os.environ.items() if not k.startswith("CONSULTA_")}
        env = keep | {"CONSULTA_DB__URL": it.db.url.render_as_string(hide_password=False)}
        before_sent, before_queued = await sent_count(it), await queued_count(it)
        stop = asyncio.Event()
        probe = (
            asyncio.create_task(lock_probe(url.database or "", stop))
            if url.get_backend_name() == "sqlite"
            else None
        )
        client = await imap_client(it.dovecot)
        started = time.monotonic()
        try:
            chosen = plan(it.focal_points, args.replies)

            async def replies() -> None:
                for n, (point, standing) in enumerate(chosen):
                    consultation = it.consultations[n % len(it.consultations)]
                    await append(client, reply(point, consultation, standing, n))

            reading = asyncio.create_task(all_read(it, args.replies, started))
            _, statuses, codes = await asyncio.gather(
                replies(), clicks(it, args.clicks), commands(it, env, args.cli)
            )
            async with asyncio.timeout(SETTLE):
                read = await reading
                while it.process.returncode is None and await pending_outbox(it.db):
                    await asyncio.sleep(0.5)
            drained = time.monotonic() - started
        finally:
            await client.logout()
            stop.set()
        worst = await probe if probe else None
        sent = await sent_count(it) - before_sent
        queued = await queued_count(it) - before_queued
        log = it.log.read_text(errors="replace")
        up = it.process.returncode is None
        print(
            f"  replies: {args.replies} read in {read:.1f} s: {args.replies / read:.1f} replies/s"
        )
        print(
            f"  notices: {queued} queued during the burst, {sent} sent in {drained:.1f} s: ", end=""
        )
        print(f"{sent / drained:.1f} notices/s")
        print(f"  Slack commands: {len(statuses)}, answered 200: {statuses.count(200)}")
        print(f"  CLI commands: {len(codes)}, exit 0: {codes.count(0)}")
        if worst is not None:
            print(f"  longest wait for the write lock (probe connection): {worst:.3f} s")
        print(f"  outages logged by serve: {log.count('database unavailable')}; ", end="")
        print(f"BEGIN retried: {log.count('database locked at BEGIN')}")
        print(f"  inbound: {await inbound_by_status(it.db)}")
        print(
            f"  serve stayed up: {'yes' if up else 'NO (exit ' + str(it.process.returncode) + ')'}"
        )


async def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--consultations", type=int, default=100)
    parser.add_argument("--replies", type=int, default=300)
    parser.add_argument("--clicks", type=int, default=100)
    parser.add_argument("--cli", type=int, default=20)
    parser.add_argument("--database", default=None, help="default: SQLite in a temporary folder")
    args = parser.parse_args()
    print(f"Load average at start: {load_average()}")
    backend = "SQLite" if args.database is None else "PostgreSQL"
    print(f"Burst: {args.consultations} consultations, {args.replies} replies, ", end="")
    print(f"{args.clicks} Slack commands, {args.cli} CLI commands at once ({backend})")
    await burst(args)


if __name__ == "__main__":
    asyncio.run(main())

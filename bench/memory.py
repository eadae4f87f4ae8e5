"""Resident memory of `consulta serve`: idle, then after ingesting 2,000 replies (run by hand).

    uv run python bench/memory.py [--replies 2000] [--consultations 100] [--settle 10]
                                  [--database URL]

`consulta serve` runs as a process with every front (email in and out, scheduler, Slack over
HTTP) as in bench/harness.py, with 100 consultations out to the members (20 replies each, as
in bench/mail.py: one consultation with 2,000 replies would measure a board of a thousand open
amendments instead). Its VmRSS and VmHWM (peak) are read from /proc/PID/status once start-up
has settled (drafts sent, status messages posted, IMAP idling, then `--settle` seconds more);
then the replies (approvals and amendments from every member's focal points) are APPENDed into
the mailbox, and it is read again once every reply is processed in the store, and once more
when the outbox has sent everything they caused (receipts, status refreshes).

SQLite (a file in a temporary folder) by default; `--database postgresql+asyncpg://…` for a
server (the bench creates and drops a database of its own).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import (  # noqa: E402
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

TIMEOUT = 3600.0


async def until(check: Callable[[], Awaitable[bool]], it: Served) -> None:
    async with asyncio.timeout(TIMEOUT):
        while not await check():
            if it.process.returncode is not None:
                raise SystemExit(f"consulta serve exited:\n{it.log.read_text()[-3000:]}")
            await asyncio.sleep(0.5)


async def processed(it: Served, count: int) -> bool:
    statuses = await inbound_by_status(it.db)
    return sum(statuses.values()) - statuses.get("stored", 0) >= count


async def drained(it: Served) -> bool:
    return await pending_outbox(it.db) == 0


def line(label: str, vm: dict[str, int], extra: str = "") -> str:
    rss, hwm = vm["VmRSS"] / 1024, vm["VmHWM"] / 1024
    return f"  {label:<34} VmRSS {rss:7.1f} MiB  VmHWM {hwm:7.1f} MiB{extra}"


async def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--replies", type=int, default=2000)
    parser.add_argument("--consultations", type=int, default=100)
    parser.add_argument("--settle", type=float, default=10.0, help="seconds idle before reading")
    parser.add_argument("--database", default=None, help="default: SQLite in a temporary folder")
    args = parser.parse_args()
    backend = "SQLite" if args.database is None else "PostgreSQL"
    print(f"Load average at start: {load_average()}")
    per = -(-args.replies // args.consultations)  # replies to each consultation
    async with served(
        database=args.database, idle=True, poll_seconds=60.0, consultations=args.consultations
    ) as it:
        await asyncio.sleep(args.settle)
        print(f"consulta serve, every front, {args.consultations} consultations ({backend})")
        print(line("idle after start-up", it.vm()))
        client = await imap_client(it.dovecot)
        began = time.perf_counter()
        steps = plan(it.focal_points, per)
        for n in range(args.replies):
            point, standing = steps[n % per]
            await append(client, reply(point, it.consultations[n // per], standing, n))
        await client.logout()
        await until(lambda: processed(it, args.replies), it)
        seconds = time.perf_counter() - began
        print(line(f"{args.replies} replies processed", it.vm(), f"  ({seconds:.0f} s)"))
        await until(lambda: drained(it), it)
        seconds = time.perf_counter() - began
        print(line("their notices sent too", it.vm(), f"  ({seconds:.0f} s)"))
        statuses = await inbound_by_status(it.db)
        print(f"  inbound: {', '.join(f'{n} {s}' for s, n in sorted(statuses.items()))}", end="")
        print(f"; status messages updated {len(it.slack.of('chat.update'))} times")


if __name__ == "__main__":
    asyncio.run(main())

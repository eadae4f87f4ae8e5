"""Reply arrival in the IMAP mailbox to the PPT's Slack status message updated (run by hand).

    uv run python bench/latency.py [--roster 11|35|193] [--replies 200] [--mode idle|poll|both]
                                   [--poll-seconds 5] [--gap 5] [--database URL]

`consulta serve` runs as a process configured by environment (bench/harness.py): Dovecot, an
SMTP sink, the recording Slack Web API, one consultation distributed to a roster of `--roster`
members (tests/rosters.py: two focal points each; the PPT, the ST and each member's first focal
point on Slack, as in the CRM's shipped roster). One reply at a time, each from a focal point
to its token reply address, is APPENDed into the mailbox ("arrival"); the replies go round the
countries, and each one leaves its country approving or amending, the other of what it was
(a country's first reply leaves pending), so every reply changes the status message. The clock
stops when the Slack server receives the chat.update (or chat.postMessage) of that consultation
that reflects the reply. Aim: p95 under one second with IDLE.

Which update reflects the reply (`Board.shows`): the bench knows every member's standing, since
all start pending and it waits for each reply's update before the next. An update shows the
reply when (1) its counts by position are the expected ones after this reply (every reply
changes them: pending → approve, or approve ↔ amend), and (2) the replying country is shown as
it now stands: with 11 members the board lists each member on a line of its own, which must
carry the new position's mark; past the members' share of the message (193 members) the board
names only the countries that need attention and counts the rest (bot/board_summary.py), so
the country must be named on the "amending (n)" line if it now amends and absent from it if it
now approves (it is then one of the counted approvals). The expected counts alone would
already tell the states apart; the name makes the check independent of that.

Before each reply the bench waits a random pause, uniform in [0, GAP) seconds (with polling, at
least the poll interval): replies sent back to back would fall in step with the service's
timers and measure one phase of them only. The poll interval is the service's
`CONSULTA_IMAP__POLL_SECONDS` (60 by default in production; 5 here unless told).

Where the time goes, per reply, from the store's own timestamps: arrival → stored raw (IDLE
push or poll, FETCH), stored → recorded (reading, the answer, the receipts and the refresh
queued), recorded → Slack call (the Slack sender's wake-up, the render, the HTTP call). About
0.5 s of the first is Dovecot's own: it waits NOTIFY_DELAY_MSECS (500) after a change before
telling an idling client, to batch deliveries.

SQLite (a file in a temporary folder) by default; `--database postgresql+asyncpg://…` for a
server (the bench creates and drops a database of its own).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlmodel import col, select  # noqa: E402

from bench.harness import (  # noqa: E402
    CHANNEL,
    FocalPoint,
    Served,
    append,
    load_average,
    plan,
    reply,
    served,
)
from bench.mail import imap_client  # noqa: E402
from bot.status_board import MARKS  # noqa: E402
from bot.texts import Phrases, escape  # noqa: E402
from consultation.vocabulary import Language, Standing  # noqa: E402
from store.tables import InboundMessageRow  # noqa: E402
from templates import environment  # noqa: E402
from tests.servers.slack_api import Call  # noqa: E402

BOARD_METHODS = ("chat.update", "chat.postMessage")


@dataclass
class Run:
    label: str
    latencies: list[float] = field(default_factory=list)
    stages: dict[str, list[float]] = field(
        default_factory=lambda: {"arrival → stored": [], "stored → recorded": [], "→ Slack": []}
    )


class Board:
    """What the status message must show after each reply: every member's standing as the
    bench's replies have left it (all pending at the start; one reply at a time, each waited
    for, so exactly one state is expected)."""

    def __init__(self, points: list[FocalPoint], consultation: str) -> None:
        self.consultation = consultation
        self.standings = {p.country: Standing.PENDING for p in points}
        self.book = Phrases(environment())(Language.ES)  # the PPT's channel reads Spanish

    def counts(self) -> dict[str, int]:
        found = {s.value: 0 for s in Standing} | {"held": 0}
        for standing in self.standings.values():
            found[standing.value] += 1
        return found

    def shows(self, call: Call, point: FocalPoint) -> bool:
        """The call is this consultation's status message, its counts are the expected ones,
        and the replying country is shown as it now stands: on its own line with the new mark
        (a board that lists every member), or (a board past its members' budget that names
        only the countries needing attention) named among the amending iff it now amends."""
        if call.method not in BOARD_METHODS or not call.ok or call.args.get("channel") != CHANNEL:
            return False
        if self.consultation not in str(call.args.get("text")):
            return False
        lines = board_lines(call)
        if not any(self.book.counts(c=self.counts()) in line for line in lines):
            return False
        standing, name = self.standings[point.country], f"*{escape(point.board_name)}*"
        own = [line for line in lines if f" {name} — " in line]
        if own:
            return own[0].startswith(f"{MARKS[standing]} {name}")
        amending = self.book.attention_amend(n=self.counts()[Standing.AMEND.value], names="")
        named = any(line.startswith(amending) and name in line for line in lines)
        return named is (standing is Standing.AMEND)


def board_lines(call: Call) -> list[str]:
    """Every line of text of a message's sections and context blocks."""
    texts = []
    for block in call.args.get("blocks") or []:
        if not isinstance(block, dict):
            continue
        if block.get("type") == "section" and isinstance(block.get("text"), dict):
            texts.append(str(block["text"].get("text", "")))
        if block.get("type") == "context":
            texts += [str(e.get("text", "")) for e in block.get("elements", [])]
    return [line for text in texts for line in text.splitlines()]


async def one(
    it: Served,
    board: Board,
    client: Any,
    n: int,
    point: FocalPoint,
    standing: Standing,
    timeout: float,
) -> tuple[float, float]:
    """Append one reply; (seconds until the status message shows it, wall-clock arrival)."""
    raw = reply(point, it.consultation, standing, n)
    board.standings[point.country] = standing
    seen = len(it.slack.calls)
    await append(client, raw)
    arrived, wall = time.perf_counter(), time.time()
    try:
        await it.slack.wait_for(
            lambda calls: any(board.shows(c, point) for c in calls[seen:]), timeout=timeout
        )
    except TimeoutError:
        raise SystemExit(f"reply {n} never showed:\n{it.log.read_text()[-3000:]}") from None
    return time.perf_counter() - arrived, wall


async def stages(it: Served, n: int, wall: float, latency: float, run: Run) -> None:
    async with it.db.session() as session:
        query = select(InboundMessageRow).where(
            col(InboundMessageRow.message_id).contains(f"bench.{n}.")
        )
        row = (await session.exec(query)).one()
    assert row.status == "recorded" and row.processed_at is not None, (row.status, row.reason)
    stored, recorded = row.received_at.timestamp(), row.processed_at.timestamp()
    run.stages["arrival → stored"].append(stored - wall)
    run.stages["stored → recorded"].append(recorded - stored)
    run.stages["→ Slack"].append(wall + latency - recorded)


async def measure(args: argparse.Namespace, *, idle: bool) -> Run:
    label = "IDLE" if idle else f"polling every {args.poll_seconds:g} s"
    run = Run(label)
    gap = args.gap if idle else max(args.gap, args.poll_seconds)
    timeout = 60 + 2 * args.poll_seconds
    rng = random.Random(args.seed)
    async with served(
        database=args.database,
        idle=idle,
        poll_seconds=args.poll_seconds,
        members=args.roster,
    ) as it:
        board = Board(it.focal_points, it.consultation)
        posted = it.slack.of("chat.postMessage")
        if not any(board.shows(c, it.focal_points[0]) for c in posted):
            raise SystemExit(
                "the status message posted at start does not show every member pending"
            )
        client = await imap_client(it.dovecot)
        try:
            for n, (point, standing) in enumerate(plan(it.focal_points, args.replies)):
                await asyncio.sleep(rng.uniform(0, gap))
                latency, wall = await one(it, board, client, n, point, standing, timeout)
                run.latencies.append(latency)
                await stages(it, n, wall, latency, run)
        finally:
            await client.logout()
    return run


def percentiles(values: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[49], cuts[94]


def report(run: Run) -> None:
    p50, p95 = percentiles(run.latencies)
    mean, worst = statistics.fmean(run.latencies), max(run.latencies)
    print(f"  {run.label:<24} p50 {p50:6.3f} s  p95 {p95:6.3f} s  max {worst:6.3f} s  ", end="")
    print(f"mean {mean:6.3f} s  ({len(run.latencies)} replies)  load {load_average()}")
    for stage, values in run.stages.items():
        s50, s95 = percentiles(values)
        print(f"    {stage:<22} p50 {s50:6.3f} s  p95 {s95:6.3f} s  max {max(values):6.3f} s")


async def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--replies", type=int, default=200)
    parser.add_argument("--roster", type=int, choices=[11, 35, 193], default=11, help="members")
    parser.add_argument("--mode", choices=["idle", "poll", "both"], default="both")
    parser.add_argument("--poll-seconds", type=float, default=5.0)
    parser.add_argument("--gap", type=float, default=5.0, help="random pause before a reply")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--database", default=None, help="default: SQLite in a temporary folder")
    args = parser.parse_args()
    backend = "SQLite" if args.database is None else "PostgreSQL"
    print(f"Load average at start: {load_average()}")
    print(
        f"Reply appended → status message updated, {args.replies} replies, "
        f"{args.roster} members ({backend})"
    )
    modes = [True, False] if args.mode == "both" else [args.mode == "idle"]
    for idle in modes:
        report(await measure(args, idle=idle))
    print("  aim: p95 under 1 s with IDLE")


if __name__ == "__main__":
    asyncio.run(main())

"""What held replies cost the boards: SQL statements and time per view (run by hand).

    uv run python bench/boards.py [--held 33] [--rounds 20]

Builds one consultation on a fresh SQLite file with every member's focal points, then counts
the statements and times (median of ``--rounds``) the status view behind every board, the Slack
status message and the ST's digest: with no held reply, then with ``--held`` held replies
spread over the members. The held replies are one query, so the counts should not move.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.status_board import board  # noqa: E402
from bot.texts import Phrases  # noqa: E402
from consultation import digest  # noqa: E402
from consultation.status import consultation_status  # noqa: E402
from consultation.timesource import ManualTime  # noqa: E402
from consultation.vocabulary import Language  # noqa: E402
from store.database import Database  # noqa: E402
from store.migrate import upgrade  # noqa: E402
from templates import environment  # noqa: E402
from tests.conftest import START  # noqa: E402
from tests.factories import MEMBERS, make_consultation  # noqa: E402
from tests.held import hold  # noqa: E402


async def measure(
    db: Database, rounds: int, view: Callable[[], Awaitable[Any]]
) -> tuple[int, float]:
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(db.engine.sync_engine, "before_cursor_execute", count)
    try:
        await view()
        queries = len(statements)
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", count)
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        await view()
        times.append(time.perf_counter() - started)
    return queries, statistics.median(times) * 1000


async def main(held: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite+aiosqlite:///{tmp}/bench.db")
        await upgrade(db)
        clock = ManualTime(START)
        made = await make_consultation(db, clock)
        book = Phrases(environment())(Language.ES)

        async def status() -> Any:
            async with db.session() as s:
                return await consultation_status(s, made.id, now=clock.now())

        async def slack() -> Any:
            async with db.session() as s:
                return await board(s, made.id, book, Language.ES, clock.now())

        async def daily() -> Any:
            async with db.session() as s:
                since = clock.now() - timedelta(days=1)
                return await digest.gather(s, now=clock.now(), since=since)

        views = {"status view": status, "Slack status message": slack, "ST digest": daily}
        print(f"{'view':<22} {'held':>5} {'statements':>11} {'median ms':>10}")
        for n in (0, held):
            for index in range(n):
                await hold(db, clock, made.id, MEMBERS[index % len(MEMBERS)], "question")
            for name, view in views.items():
                queries, ms = await measure(db, rounds, view)
                print(f"{name:<22} {n:>5} {queries:>11} {ms:>10.1f}")
        await db.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--held", type=int, default=33)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(main(args.held, args.rounds))

"""The web console's board: statements and time per page, and what a live page costs while
nothing changes (run by hand).

    uv run python bench/console.py [--consultations 10] [--rounds 20]

Builds ``--consultations`` open consultations on a fresh SQLite file (each with answers, an
amendment and a held reply), serves the console alone on a free port, signs the PPT in through
a real link, then measures: the board page (``GET /``: statements, median and p95 time over
HTTP), the fragment a live stream re-renders, and the fingerprint each stream reads every
``live_seconds`` when nothing rang (one query).
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from sqlalchemy import event

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from consultation.answers import ProposedChange  # noqa: E402
from consultation.timesource import ManualTime  # noqa: E402
from consultation.vocabulary import AmendmentAction, PositionValue  # noqa: E402
from store.database import Database  # noqa: E402
from store.migrate import upgrade  # noqa: E402
from store.tables import OutboxRow  # noqa: E402
from templates import environment  # noqa: E402
from tests.conftest import START  # noqa: E402
from tests.factories import answer, make_consultation, seed_roster  # noqa: E402
from tests.held import hold  # noqa: E402
from tests.servers.ports import free_port  # noqa: E402
from web import live  # noqa: E402
from web.app import application  # noqa: E402
from web.console import Console, WebConfig  # noqa: E402

PPT = "ppt@cancilleria.do.example"


async def seed(db: Database, clock: ManualTime, count: int) -> None:
    await seed_roster(db, clock.now())
    change = ProposedChange(AmendmentAction.REPLACE, 2, "Texto propuesto.")
    for _ in range(count):
        made = await make_consultation(db, clock, seed=False)
        await answer(db, clock, made.id, "GT", PositionValue.APPROVE)
        await answer(db, clock, made.id, "CA", PositionValue.AMEND, changes=(change,))
        await hold(db, clock, made.id, "SV", "question")


async def signed_in(http: aiohttp.ClientSession, base: str, db: Database) -> None:
    async def token(path: str) -> str:
        async with http.get(base + path) as answer_:
            found = re.search(r'name="csrf" value="([^"]+)"', await answer_.text())
        assert found
        return found.group(1)

    await http.post(base + "/sign-in", data={"csrf": await token("/sign-in"), "email": PPT})
    async with db.session() as session:
        rows = (await session.exec(OutboxRow.__table__.select())).all()  # type: ignore[attr-defined]
    link = next(r.payload["link"] for r in rows if r.kind == "sign_in_link")
    path = "/" + link.split("/", 3)[3]
    await http.post(base + path, data={"csrf": await token(path)})


def counting(db: Database) -> list[str]:
    statements: list[str] = []
    event.listen(
        db.engine.sync_engine, "before_cursor_execute", lambda *a: statements.append(str(a[2]))
    )
    return statements


async def timed(rounds: int, work: Any) -> tuple[float, float]:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        await work()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)]


async def main(consultations: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite+aiosqlite:///{tmp}/bench.db")
        await upgrade(db)
        clock = ManualTime(START)
        await seed(db, clock, consultations)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        config = WebConfig(base_url=base, secrets=("bench-secret-" * 4,))
        console = Console(db, clock, environment(), config)
        runner = web.AppRunner(application(console), access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        jar = aiohttp.CookieJar(unsafe=True)
        try:
            async with aiohttp.ClientSession(cookie_jar=jar) as http:
                await signed_in(http, base, db)

                async def board() -> None:
                    async with http.get(base + "/") as answer_:
                        assert answer_.status == 200, answer_.status
                        await answer_.read()

                statements = counting(db)
                await board()
                per_page = len(statements)
                page = await timed(rounds, board)

                async def fingerprint() -> None:
                    async with db.session() as session:
                        await live.fingerprint(session)

                statements.clear()
                await fingerprint()
                per_look = len(statements)
                look = await timed(rounds, fingerprint)
        finally:
            await runner.cleanup()
            await db.dispose()
    print(f"board with {consultations} open consultations (SQLite, over HTTP):")
    print(
        f"  GET /            {per_page:4d} statements  p50 {page[0]:7.1f} ms  p95 {page[1]:7.1f} ms"
    )
    print(
        f"  live fingerprint {per_look:4d} statement   p50 {look[0]:7.2f} ms  p95 {look[1]:7.2f} ms"
    )
    print("  (each open live page reads the fingerprint every 5 s when nothing rang;")
    print("   it renders the board again only when the fingerprint changed)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--consultations", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(main(args.consultations, args.rounds))

"""What the Slack messages and the ST's digest weigh at 11, 35 and 193 members (run by hand).

    uv run python bench/fits.py [--members 11,35,193] [--open 50]

For each roster size, on a fresh SQLite file: one consultation with a long title where a fifth
of the members amend (two amendments each), a few object or abstain, most approve and the rest
are pending; then the status message, a 100-paragraph direct message, and the digest with
``--open`` consultations. Prints blocks, characters of block text (Slack refuses a message past
about 12,000; ours stay under 10,000), the largest section (3,000 at most), and the digest's
HTML (Gmail clips past 102 KB), with the load average.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

from sqlmodel import select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.blocks import block_text  # noqa: E402
from bot.long_text import text_blocks  # noqa: E402
from bot.status_board import board  # noqa: E402
from bot.texts import Phrases  # noqa: E402
from consultation import answers, digest  # noqa: E402
from consultation.answers import Answer, ProposedChange  # noqa: E402
from consultation.links import ConsoleLinks  # noqa: E402
from consultation.timesource import ManualTime  # noqa: E402
from consultation.vocabulary import AmendmentAction, Language, PositionValue  # noqa: E402
from mail.digest import render_digest  # noqa: E402
from store.database import Database  # noqa: E402
from store.migrate import upgrade  # noqa: E402
from store.tables import CountryRow  # noqa: E402
from templates import environment  # noqa: E402
from tests.bot.test_at_scale import LONG_TITLE, PROPOSED  # noqa: E402
from tests.bot.test_long_texts import LONG  # noqa: E402
from tests.conftest import START  # noqa: E402
from tests.factories import make_consultation, move  # noqa: E402
from tests.large_body import seed_large_roster  # noqa: E402

CONSOLE = ConsoleLinks.of("https://consulta.example.org")


def position(i: int, n: int) -> PositionValue | None:
    share = i / n
    if share < 0.2:
        return PositionValue.AMEND
    if share < 0.23:
        return PositionValue.OBJECT
    if share < 0.25:
        return PositionValue.ABSTAIN
    return PositionValue.APPROVE if share < 0.85 else None


async def answer_most(db: Database, clock: ManualTime, cid: str, codes: list[str]) -> None:
    changes = (
        ProposedChange(AmendmentAction.REPLACE, 2, PROPOSED),
        ProposedChange(AmendmentAction.INSERT_AFTER, 3, PROPOSED),
    )
    async with db.transaction() as session:
        for i, code in enumerate(codes):
            chosen = position(i, len(codes))
            if chosen is None:
                continue
            given = Answer(code, 1, chosen, changes if chosen is PositionValue.AMEND else ())
            await answers.record_answer(session, cid, given, move(clock, f"fp@{code}"))


async def one_size(members: int, open_: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite+aiosqlite:///{tmp}/bench.db")
        await upgrade(db)
        clock = ManualTime(START)
        await seed_large_roster(db, clock.now(), members)
        made = await make_consultation(db, clock, seed=False, title=LONG_TITLE)
        async with db.session() as session:
            rows = (
                await session.exec(select(CountryRow).where(CountryRow.status == "member"))
            ).all()
        await answer_most(db, clock, made.id, sorted(c.code for c in rows))
        for language in Language:
            book = Phrases(environment())(language)
            async with db.session() as session:
                blocks, _ = await board(
                    session, made.id, book, language, clock.now(), links=CONSOLE
                )
            largest = max(len(b["text"]["text"]) for b in blocks if b["type"] == "section")
            print(
                f"  status ({language.value}): {len(blocks)} blocks, "
                f"{block_text(blocks):,} characters of block text, largest section {largest:,}"
            )
        shown, attached = text_blocks(
            LONG.es,
            Phrases(environment())(Language.ES),
            consultation_id=made.id,
            version=1,
            language=Language.ES,
        )
        print(
            f"  100-paragraph text ({sum(map(len, LONG.es)):,} characters): {len(shown)} blocks, "
            f"{block_text(shown):,} characters in the message, "
            f"{len(attached.content) if attached else 0:,} in the file"
        )
        for _ in range(open_ - 1):
            await make_consultation(db, clock, seed=False, title=LONG_TITLE)
        clock.advance(timedelta(hours=1))
        async with db.session() as session:
            content = await digest.gather(
                session,
                now=clock.now(),
                since=clock.now() - timedelta(days=3),
                console=CONSOLE.base_url if CONSOLE else None,
            )
        for language in Language:
            _, text, page = render_digest(
                environment(),
                content,
                language=language,
                timezone="America/Costa_Rica",
                recipient="ST",
            )
            print(
                f"  digest ({language.value}), {open_} open: {len(page.encode()) / 1000:.1f} KB "
                f"of HTML, {len(text.encode()) / 1000:.1f} KB of text"
            )


async def main(sizes: list[int], open_: int) -> None:
    for members in sizes:
        print(f"{members} members:")
        await one_size(members, open_)
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", default="11,35,193")
    parser.add_argument("--open", type=int, default=50)
    args = parser.parse_args()
    asyncio.run(main([int(n) for n in args.members.split(",")], args.open))

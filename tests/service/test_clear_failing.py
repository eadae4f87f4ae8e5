"""`consulta clear-failing`: the operator says an address works again; its held notices go."""

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner
from sqlmodel import select

from consultation.timesource import ManualTime
from mail import failing
from service.cli import cli
from service.context import AppContext
from service.settings import DbSettings, Settings
from store.tables import ContactEmailRow, EventRow, OutboxRow
from tests.databases import sqlite_database
from tests.factories import make_consultation
from tests.mail.test_outbound import GT


async def held_for_a_failing_address(tmp_path: Path, time: ManualTime) -> None:
    async with sqlite_database(tmp_path) as db:
        await make_consultation(db, time)
        async with db.transaction() as session:
            email = await session.get(ContactEmailRow, GT)
            assert email is not None
            failing.mark(email, "550 5.1.1 No such user", time.now())
            session.add(email)
            drafts = (
                await session.exec(
                    select(OutboxRow).where(
                        OutboxRow.contact_id == email.contact_id, OutboxRow.channel == "email"
                    )
                )
            ).all()
            for row in drafts:  # held until the next daily try
                row.next_attempt_at = time.now() + timedelta(days=1)
                session.add(row)


async def after(tmp_path: Path) -> tuple[ContactEmailRow, list[OutboxRow], list[EventRow]]:
    async with sqlite_database(tmp_path) as db, db.session() as session:
        email = await session.get(ContactEmailRow, GT)
        assert email is not None
        mine = (OutboxRow.contact_id == email.contact_id, OutboxRow.channel == "email")
        rows = list((await session.exec(select(OutboxRow).where(*mine))).all())
        cleared = select(EventRow).where(EventRow.kind == "address_cleared")
        return email, rows, list((await session.exec(cleared)).all())


def test_clear_failing_unmarks_the_address_releases_its_notices_and_says_so(
    tmp_path: Path,
) -> None:
    time = ManualTime(datetime(2026, 12, 7, 14, tzinfo=UTC))
    asyncio.run(held_for_a_failing_address(tmp_path, time))
    context = AppContext(
        settings=Settings(db=DbSettings(url=f"sqlite+aiosqlite:///{tmp_path / 'consulta.db'}")),
        time=time,
    )

    def run(*args: str) -> str:
        result = CliRunner().invoke(cli, list(args), obj=context, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    said = run("--lang", "es", "--actor", "st@crm.example", "clear-failing", GT.upper())
    assert said.strip() == (
        f"{GT} ya no está marcada como fallida. Mensajes retenidos que saldrán ahora: 1."
    )
    again = run("--lang", "en", "clear-failing", GT)
    assert again.strip() == f"{GT} was not marked as failing; nothing to change."
    unknown = CliRunner().invoke(
        cli, ["--lang", "en", "clear-failing", "x@nowhere.example"], obj=context
    )
    assert unknown.exit_code != 0 and "is not an address of any contact" in unknown.output

    email, rows, [event] = asyncio.run(after(tmp_path))
    assert not email.failing and email.failure is None
    assert rows and all(r.next_attempt_at <= time.now() for r in rows)
    assert event.actor == "st@crm.example" and event.payload["address"] == GT

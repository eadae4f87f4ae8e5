"""SQLite's connections (store/sqlite_driver): one trip to aiosqlite's thread per statement, and
everything a DBAPI cursor reports (rows, row counts, ids, errors) as aiosqlite's own gives it."""

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select, text, update
from sqlalchemy.exc import IntegrityError, OperationalError

from store.database import Database
from store.sqlite_driver import OneTripConnection

metadata = MetaData()
items = Table(
    "items",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String, unique=True, nullable=False),
)


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'driver.db'}")
    async with database.engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    yield database
    await database.dispose()


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The functions sent to aiosqlite's thread, by name, in order."""
    sent: list[str] = []
    original = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        sent.append(getattr(fn, "__name__", repr(fn)))
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    yield sent


async def test_the_engine_opens_one_trip_connections(database: Database) -> None:
    async with database.engine.connect() as connection:
        raw = await connection.get_raw_connection()
        assert isinstance(raw.driver_connection, OneTripConnection)


async def test_a_select_is_one_trip(database: Database, trips: list[str]) -> None:
    async with database.engine.connect() as connection:
        await connection.execute(insert(items), [{"name": "a"}, {"name": "b"}])
        trips.clear()
        rows = (await connection.execute(select(items.c.name).order_by(items.c.id))).all()
        assert [row.name for row in rows] == ["a", "b"]
        assert trips == ["_run"]  # no cursor made, fetched or closed apart


async def test_a_transaction_is_its_statements_plus_begin_and_commit(
    database: Database, trips: list[str]
) -> None:
    async with database.transaction() as session:
        connection = await session.connection()
        await connection.execute(insert(items).values(name="a"))
        await connection.execute(select(items))
    # BEGIN IMMEDIATE, two statements, COMMIT; and no ROLLBACK when the pool takes it back
    assert trips == ["_run", "_run", "_run", "commit"]


async def test_row_counts_ids_and_returning(database: Database) -> None:
    async with database.engine.begin() as connection:
        inserted = await connection.execute(insert(items).values(name="a"))
        assert inserted.inserted_primary_key == (1,)  # the cursor's lastrowid
        returned = await connection.execute(insert(items).values(name="b").returning(items.c.id))
        assert returned.scalar_one() == 2
        many = await connection.execute(insert(items), [{"name": "c"}, {"name": "d"}])
        assert many.rowcount == 2  # executemany
        changed = await connection.execute(
            update(items).where(items.c.id > 1).values(name=items.c.name + "!")
        )
        assert changed.rowcount == 3
        names = await connection.execute(text("SELECT name FROM items ORDER BY id"))
        assert names.fetchmany(2) == [("a",), ("b!",)]
        assert names.fetchone() == ("c!",)
        assert names.fetchall() == [("d!",)]


async def test_errors_are_sqlalchemys_own(database: Database) -> None:
    async with database.engine.connect() as connection:
        await connection.execute(insert(items).values(name="a"))
        with pytest.raises(IntegrityError):
            await connection.execute(insert(items).values(name="a"))
        await connection.rollback()
        with pytest.raises(OperationalError):
            await connection.execute(text("SELECT nothing FROM nowhere"))
        await connection.rollback()
        # the connection is still good after both
        assert (await connection.execute(text("SELECT 1"))).scalar_one() == 1


async def test_a_rollback_undoes_the_transaction(database: Database) -> None:
    with pytest.raises(RuntimeError):
        async with database.transaction() as session:
            connection = await session.connection()
            await connection.execute(insert(items).values(name="gone"))
            raise RuntimeError
    async with database.engine.connect() as connection:
        assert (await connection.execute(select(items))).all() == []

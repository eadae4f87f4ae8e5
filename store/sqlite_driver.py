"""aiosqlite connections whose statements cost one trip to the driver's thread, not four.

aiosqlite runs every sqlite3 call on a thread of its own and awaits each one. Through
SQLAlchemy's adapter a statement is four such trips: make a cursor, execute, fetch the rows,
close the cursor. Each trip is a queue hand-off and a wake-up of the event loop (about 40 µs
here), more than SQLite takes to run a typical statement of ours; at ten statements a reply it
was a fifth of the cost of ingesting one.

The cursor below does all four in a single trip and keeps the results (rows, description, row
count, last row id) on the event loop's side; fetching and closing then cost nothing. The
engine is given these connections through SQLAlchemy's public ``async_creator`` hook; what the
adapter calls on a cursor is the DBAPI-shaped async interface aiosqlite's own cursor offers.

It relies on aiosqlite's ``Connection._execute`` (queue a function for the connection's
thread and await it), which has been there, unchanged, since aiosqlite's first releases;
`tests/store/test_sqlite_driver.py` fails if it goes. Server-side cursors are not offered
(nothing here streams; every result is read whole, as SQLAlchemy's adapter does anyway).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any

import aiosqlite
from sqlalchemy.engine import URL, make_url

_Description = tuple[tuple[Any, ...], ...] | None
_Outcome = tuple[list[Any], _Description, int, int | None]


def _run(
    connection: sqlite3.Connection, sql: str, parameters: Sequence[Any] | dict[str, Any]
) -> _Outcome:
    """On the driver's thread: one statement, its rows read whole, its cursor closed."""
    cursor = connection.cursor()
    try:
        cursor.execute(sql, parameters)
        rows = cursor.fetchall() if cursor.description else []
        return rows, cursor.description, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


def _run_many(connection: sqlite3.Connection, sql: str, parameters: Iterable[Any]) -> _Outcome:
    cursor = connection.cursor()
    try:
        cursor.executemany(sql, parameters)
        return [], cursor.description, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class OneTripCursor:
    """The async cursor SQLAlchemy's aiosqlite adapter drives, one trip per statement."""

    arraysize = 1

    def __init__(self, connection: OneTripConnection) -> None:
        self._connection = connection
        self._rows: list[Any] = []
        self.description: _Description = None
        self.rowcount = -1
        self.lastrowid: int | None = None

    async def __aenter__(self) -> OneTripCursor:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    async def execute(
        self, sql: str, parameters: Sequence[Any] | dict[str, Any] | None = None
    ) -> OneTripCursor:
        outcome = await self._connection.on_thread(
            _run, self._connection._conn, sql, () if parameters is None else parameters
        )
        self._keep(outcome)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> OneTripCursor:
        outcome = await self._connection.on_thread(
            _run_many, self._connection._conn, sql, parameters
        )
        self._keep(outcome)
        return self

    def _keep(self, outcome: _Outcome) -> None:
        self._rows, self.description, self.rowcount, self.lastrowid = outcome

    async def fetchone(self) -> Any:
        return self._rows.pop(0) if self._rows else None

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        count = self.arraysize if size is None else size
        taken, self._rows = self._rows[:count], self._rows[count:]
        return taken

    async def fetchall(self) -> list[Any]:
        taken, self._rows = self._rows, []
        return taken

    async def close(self) -> None:
        self._rows = []


class OneTripConnection(aiosqlite.Connection):
    """aiosqlite's connection, its cursors made on the event loop's side at no cost."""

    def cursor(self) -> OneTripCursor:  # type: ignore[override]
        return OneTripCursor(self)

    async def rollback(self) -> None:
        # The pool rolls back every connection it takes back, after each commit too; outside
        # a transaction there is nothing to undo, and asking costs a trip. (in_transaction
        # reads SQLite's autocommit flag, safe from any thread; this connection's thread is
        # idle whenever SQLAlchemy calls, since it awaits every call.)
        if self._connection is not None and not self._connection.in_transaction:
            return
        await super().rollback()

    async def on_thread(self, function: Callable[..., _Outcome], *arguments: Any) -> _Outcome:
        """``function(*arguments)`` on the connection's thread, in one trip."""
        outcome: _Outcome = await self._execute(function, *arguments)  # type: ignore[no-untyped-call]
        return outcome


def creator(url: str | URL, connect_args: dict[str, Any]) -> Callable[[], Awaitable[Any]]:
    """An ``async_creator`` for ``create_async_engine(url, …)``: the file, URI and options
    SQLAlchemy's own dialect would open for ``url``, opened with these connections."""
    url = make_url(url)
    arguments, options = url.get_dialect()().create_connect_args(url)
    options = {**options, **connect_args}

    async def create() -> OneTripConnection:
        return await connect(*arguments, **options)

    return create


async def connect(database: str, **options: Any) -> OneTripConnection:
    """Open ``database`` (a file name or URI) as aiosqlite.connect would, with these cursors.

    ``options`` go to :func:`sqlite3.connect` (``timeout``, ``uri``, …)."""

    def connector() -> sqlite3.Connection:
        opened: sqlite3.Connection = sqlite3.connect(database, **options)
        return opened

    connection = OneTripConnection(connector, iter_chunk_size=64)
    # SQLAlchemy makes aiosqlite's thread a daemon (a process that never disposed of its
    # engine still exits) only for connections it opens itself; this one is opened here.
    connection._thread.daemon = True
    await connection  # starts the thread and opens the file on it
    return connection

"""The async engine and its transactions, on SQLite (default, a file) or PostgreSQL (asyncpg)."""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from store import sqlite_driver

log = logging.getLogger(__name__)

# SQLite: how long one statement waits for another connection's write lock (its busy handler
# runs in the driver's thread, not on the event loop), and how often a transaction that still
# found the database locked at BEGIN is started again before the error goes to the caller.
BUSY_TIMEOUT = 10.0
BEGIN_RETRIES = 3


def unavailable(exc: BaseException) -> bool:
    """The database was unreachable or busy (an outage, a lock held too long, a dropped
    connection): the same work may succeed later. A programming error (a bad query, a
    constraint) is not: it must surface."""
    if isinstance(exc, OperationalError | InterfaceError):
        return True
    if isinstance(exc, DBAPIError):
        return bool(exc.connection_invalidated)
    # asyncpg raises the socket's own error when it cannot connect at all
    return isinstance(exc, ConnectionError | TimeoutError)


class _LockedAtBegin(Exception):
    """SQLite's write lock was still held when the busy timeout ran out, before any work."""


async def _begin_now(session: AsyncSession, *, last: bool) -> None:
    try:
        await session.connection()  # runs BEGIN IMMEDIATE (the "begin" listener below)
    except OperationalError as exc:
        locked = "database is locked" in str(exc) or "database is busy" in str(exc)
        if locked and not last:
            raise _LockedAtBegin from exc
        raise


class Database:
    def __init__(
        self,
        url: str,
        *,
        echo: bool = False,
        server_settings: dict[str, str] | None = None,
        busy_timeout: float = BUSY_TIMEOUT,
    ) -> None:
        self.url = make_url(url)
        if self.is_sqlite:
            _ensure_parent(self.url.database)
        options = _engine_options(url, busy_timeout)
        if server_settings:  # PostgreSQL session settings, e.g. a search_path
            options["connect_args"] = {"server_settings": server_settings}
        self.engine: AsyncEngine = create_async_engine(url, echo=echo, **options)
        if self.is_sqlite:
            _configure_sqlite(self.engine, busy_timeout)
        self._sessions = async_sessionmaker(
            self.engine, class_=AsyncSession, expire_on_commit=False
        )

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One unit of work: committed when the block ends, rolled back if it raises.

        On SQLite the write lock is taken at the start (BEGIN IMMEDIATE); a start that still
        finds it held after the busy timeout is tried again a few times, since nothing has
        been done yet. The error only reaches the caller after that.
        """
        for attempt in range(BEGIN_RETRIES + 1):
            try:
                async with self._sessions() as session, session.begin():
                    if self.is_sqlite:
                        await _begin_now(session, last=attempt == BEGIN_RETRIES)
                    yield session
                    return
            except _LockedAtBegin:
                log.warning("database locked at BEGIN; trying again (%d)", attempt + 1)
                await asyncio.sleep(0.05 * 2**attempt)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self._sessions() as session:
            yield session

    async def ping(self) -> None:
        """One round trip to the server (a connection from the pool, ``SELECT 1``)."""
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()


def _engine_options(url: str, busy_timeout: float) -> dict[str, Any]:
    if make_url(url).get_backend_name() == "sqlite":
        # a statement in one trip to aiosqlite's thread instead of four (see sqlite_driver)
        return {"async_creator": sqlite_driver.creator(url, {"timeout": busy_timeout})}
    # A connection left from before an outage is tested before use, and replaced.
    return {"pool_pre_ping": True}


def _ensure_parent(database: str | None) -> None:
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)


def _configure_sqlite(engine: AsyncEngine, busy_timeout: float) -> None:
    # pysqlite's implicit transactions defer BEGIN and make SELECT … FOR UPDATE meaningless;
    # BEGIN IMMEDIATE takes the write lock up front, so concurrent use cases serialise
    # instead of failing on a lock upgrade (SQLAlchemy's documented aiosqlite recipe).
    @event.listens_for(engine.sync_engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        # SQLite's advice for WAL: no fsync per commit, only at checkpoints. An OS crash may
        # roll back the last commits, never corrupt; the mail they concern is still in the
        # IMAP mailbox (the position rolls back with them). PostgreSQL is for production.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

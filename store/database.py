"""The async engine and its transactions, on SQLite (default, a file) or PostgreSQL (asyncpg)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession


class Database:
    def __init__(
        self, url: str, *, echo: bool = False, server_settings: dict[str, str] | None = None
    ) -> None:
        self.url = make_url(url)
        if self.is_sqlite:
            _ensure_parent(self.url.database)
        options = _engine_options(url)
        if server_settings:  # PostgreSQL session settings, e.g. a search_path
            options["connect_args"] = {"server_settings": server_settings}
        self.engine: AsyncEngine = create_async_engine(url, echo=echo, **options)
        if self.is_sqlite:
            _configure_sqlite(self.engine)
        self._sessions = async_sessionmaker(
            self.engine, class_=AsyncSession, expire_on_commit=False
        )

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One unit of work: committed when the block ends, rolled back if it raises."""
        async with self._sessions() as session, session.begin():
            yield session

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


def _engine_options(url: str) -> dict[str, Any]:
    if make_url(url).get_backend_name() == "sqlite":
        return {"connect_args": {"timeout": 30}}
    return {"pool_pre_ping": True}


def _ensure_parent(database: str | None) -> None:
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)


def _configure_sqlite(engine: AsyncEngine) -> None:
    # pysqlite's implicit transactions defer BEGIN and make SELECT … FOR UPDATE meaningless;
    # BEGIN IMMEDIATE takes the write lock up front, so concurrent use cases serialise
    # instead of failing on a lock upgrade (SQLAlchemy's documented aiosqlite recipe).
    @event.listens_for(engine.sync_engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        # SQLite's advice for WAL: no fsync per commit, only at checkpoints. An OS crash may
        # roll back the last commits, never corrupt; the mail they concern is still in the
        # IMAP mailbox (the position rolls back with them). PostgreSQL is for production.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

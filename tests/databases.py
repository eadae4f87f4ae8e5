"""Throwaway databases for tests: a SQLite file, or a fresh PostgreSQL schema per test."""

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
from sqlalchemy import text
from sqlalchemy.engine import make_url

from store.database import Database
from store.leader import lock_key
from store.migrate import upgrade

BACKENDS = ["sqlite", "postgresql"]


def postgres_url() -> str | None:
    return os.environ.get("TEST_DATABASE_URL") or None


@asynccontextmanager
async def sqlite_database(directory: Path) -> AsyncIterator[Database]:
    db = Database(f"sqlite+aiosqlite:///{directory / 'consulta.db'}")
    try:
        await upgrade(db)
        yield db
    finally:
        await db.dispose()


@asynccontextmanager
async def postgres_database(url: str) -> AsyncIterator[Database]:
    """A schema of its own, so tests never see each other's rows and leave nothing behind."""
    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = await admin_connection(url)
    await admin.execute(f'CREATE SCHEMA "{schema}"')
    db = Database(url, server_settings={"search_path": schema})
    try:
        await upgrade(db)
        yield db
    finally:
        await db.dispose()
        await admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await admin.close()


async def admin_connection(url: str) -> asyncpg.Connection:
    """A plain asyncpg connection, outside every engine: to look at and break the others."""
    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    return await asyncpg.connect(plain)


@asynccontextmanager
async def same_schema(db: Database) -> AsyncIterator[Database]:
    """Another instance on ``db``'s PostgreSQL schema: an engine and a connection pool of its own."""
    async with db.engine.connect() as connection:
        path = str((await connection.execute(text("SHOW search_path"))).scalar_one())
    other = Database(
        db.url.render_as_string(hide_password=False), server_settings={"search_path": path}
    )
    try:
        yield other
    finally:
        await other.dispose()


@asynccontextmanager
async def postgres_login(url: str) -> AsyncIterator[tuple[str, Database]]:
    """A role with a schema of its own as its search_path, migrated: its URL is all a
    `consulta` process needs (it passes no server settings), and it sees only that schema."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    admin = await admin_connection(url)
    await admin.execute(f'CREATE ROLE "{name}" LOGIN')
    await admin.execute(f'CREATE SCHEMA "{name}" AUTHORIZATION "{name}"')
    await admin.execute(f'ALTER ROLE "{name}" SET search_path = "{name}"')
    login = make_url(url).set(username=name, password=None).render_as_string(hide_password=False)
    db = Database(login)
    try:
        await upgrade(db)
        yield login, db
    finally:
        await db.dispose()
        await admin.execute(
            "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE usename = $1", name
        )
        await admin.execute(f'DROP SCHEMA "{name}" CASCADE')
        await admin.execute(f'DROP ROLE "{name}"')
        await admin.close()


async def holder_pid(db: Database, name: str) -> int | None:
    """The backend holding ``name``'s lock, as PostgreSQL's own lock table says."""
    async with db.engine.connect() as connection:
        schema = str(await connection.scalar(text("SELECT current_schema()")))
    unsigned = lock_key(schema, name) & 0xFFFF_FFFF_FFFF_FFFF
    admin = await admin_connection(_url(db))
    try:
        pid: int | None = await admin.fetchval(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND classid = $1::bigint::oid AND objid = $2::bigint::oid AND objsubid = 1",
            unsigned >> 32,
            unsigned & 0xFFFF_FFFF,
        )
        return pid
    finally:
        await admin.close()


async def kill_backend(db: Database, pid: int) -> None:
    """End a session from outside, as when its process dies or its connection is cut."""
    admin = await admin_connection(_url(db))
    try:
        assert await admin.fetchval("SELECT pg_terminate_backend($1, 5000)", pid)
    finally:
        await admin.close()


def _url(db: Database) -> str:
    return db.url.render_as_string(hide_password=False)


@asynccontextmanager
async def another_instance(db: Database, *, busy_timeout: float = 0.5) -> AsyncIterator[Database]:
    """Another process's view of ``db``: the same SQLite file (with a short busy timeout, so
    a lock held by the first shows as an error, not a wait) or the same PostgreSQL schema."""
    if not db.is_sqlite:
        async with same_schema(db) as other:
            yield other
        return
    other = Database(db.url.render_as_string(hide_password=False), busy_timeout=busy_timeout)
    try:
        yield other
    finally:
        await other.dispose()

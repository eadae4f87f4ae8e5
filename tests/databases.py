"""Throwaway databases for tests: a SQLite file, or a fresh PostgreSQL schema per test."""

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from store.database import Database
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
    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    admin = await asyncpg.connect(plain)
    await admin.execute(f'CREATE SCHEMA "{schema}"')
    db = Database(url, server_settings={"search_path": schema})
    try:
        await upgrade(db)
        yield db
    finally:
        await db.dispose()
        await admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await admin.close()

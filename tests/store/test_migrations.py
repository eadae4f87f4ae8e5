"""The migrations build exactly the schema the tables describe."""

import asyncio
import uuid

import asyncpg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

import store.tables  # noqa: F401
from store.database import Database
from store.migrate import alembic_config, current_revision, upgrade
from tests.databases import postgres_url

HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()


def _diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, SQLModel.metadata))


async def test_models_and_migrations_agree(db: Database) -> None:
    async with db.engine.connect() as connection:
        assert await connection.run_sync(_diff) == []


async def test_upgrade_twice_is_harmless(db: Database) -> None:
    await upgrade(db)
    async with db.engine.connect() as connection:
        assert await connection.run_sync(_diff) == []


async def test_instances_starting_together_migrate_once_on_postgresql() -> None:
    """Every `consulta serve` migrates on start; several starting at once must not collide."""
    url = postgres_url()
    if url is None:
        pytest.skip("TEST_DATABASE_URL is not set")
    schema = f"test_{uuid.uuid4().hex[:12]}"
    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    admin = await asyncpg.connect(plain)
    await admin.execute(f'CREATE SCHEMA "{schema}"')
    instances = [Database(url, server_settings={"search_path": schema}) for _ in range(3)]
    try:
        async with asyncio.timeout(60):  # without the lock they block each other for good
            await asyncio.gather(*(upgrade(db) for db in instances))
        assert [await current_revision(db) for db in instances] == [HEAD] * 3
    finally:
        for db in instances:
            await db.dispose()
        await admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await admin.close()

"""The migrations build exactly the schema the tables describe."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection
from sqlmodel import SQLModel

import store.tables  # noqa: F401
from store.database import Database
from store.migrate import upgrade


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

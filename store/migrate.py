"""Schema migrations (Alembic), run by `consulta db upgrade` and on every start."""

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, text

from store.database import Database

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


async def upgrade(db: Database, revision: str = "head") -> None:
    async with db.engine.begin() as connection:
        if not db.is_sqlite:
            # Several instances starting at once: one migrates, the others wait here and then
            # find the schema current. Held until this transaction ends; keyed by schema, since
            # advisory locks are database-wide.
            await connection.execute(
                text("SELECT pg_advisory_xact_lock(hashtext(current_schema() || :what))"),
                {"what": ":migrate"},
            )
        await connection.run_sync(_upgrade, revision)


async def current_revision(db: Database) -> str | None:
    from alembic.runtime.migration import MigrationContext

    async with db.engine.connect() as connection:
        return await connection.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )


def _upgrade(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


def autogenerate(connection: Connection, message: str) -> None:
    """For developers: write a new revision from the difference between tables and schema."""
    config = alembic_config()
    config.attributes["connection"] = connection
    command.revision(config, message=message, autogenerate=True)

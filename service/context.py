"""What a command needs, built once from settings: the database and the time source."""

from dataclasses import dataclass

from consultation.timesource import SystemTime, TimeSource
from service.settings import Settings
from store.database import Database
from store.migrate import upgrade


@dataclass
class AppContext:
    settings: Settings
    time: TimeSource

    def database(self) -> Database:
        db = self.settings.db
        return Database(db.url, echo=db.echo, busy_timeout=db.busy_timeout_seconds)


def default_context() -> AppContext:
    return AppContext(settings=Settings(), time=SystemTime())


async def open_database(context: AppContext) -> Database:
    """Every command runs on an up-to-date schema (migrations are idempotent)."""
    db = context.database()
    await upgrade(db)
    return db

"""What a command needs, built once from settings: the database and the time source."""

import logging
from dataclasses import dataclass
from pathlib import Path

import click
from sqlalchemy.engine import make_url

from consultation.errors import OperationalError
from consultation.timesource import SystemTime, TimeSource
from consultation.vocabulary import Language
from service.settings import Settings
from store.database import Database
from store.migrate import upgrade

# Commands that may start a database where there is none: they put the first records in it.
# Every other command works on records that must already exist; an empty database invented
# for it (a `status` run outside the project folder) would only say "nothing here", wrongly.
CREATING_COMMANDS = frozenset({"new", "roster", "contacts", "db", "serve", "demo"})
# Commands whose stderr is their log, one JSON object a line: they say it in a log record.
LOGGING_COMMANDS = frozenset({"serve"})

log = logging.getLogger(__name__)


class DatabaseMissing(OperationalError):
    """A command that needs existing records found no database file where settings point."""


@dataclass
class AppContext:
    settings: Settings
    time: TimeSource
    # The command being run (None outside the command line: serve's own start, tests).
    command: str | None = None
    language: Language | None = None  # --lang, over settings.language

    def database(self) -> Database:
        db = self.settings.db
        return Database(db.url, echo=db.echo, busy_timeout=db.busy_timeout_seconds)

    def for_command(self, command: str | None, language: str | None) -> None:
        self.command = command
        self.language = Language(language) if language else None

    @property
    def may_create(self) -> bool:
        return self.command is None or self.command in CREATING_COMMANDS


def default_context() -> AppContext:
    return AppContext(settings=Settings(), time=SystemTime())


async def open_database(context: AppContext) -> Database:
    """Every command runs on an up-to-date schema (migrations are idempotent). A SQLite file
    is created only by a command that may create one, and that says where."""
    path = sqlite_file(context.settings.db.url)
    created = path is not None and not path.exists()
    if path is not None and created and not context.may_create:
        raise DatabaseMissing(_missing(path, _language(context)))
    db = context.database()
    await upgrade(db)
    if created and context.command in LOGGING_COMMANDS:
        log.info("database created", extra={"path": str(path)})
    elif created and context.command is not None:
        label = "base de datos" if _language(context) is Language.ES else "database"
        click.echo(f"{label}: {path}", err=True)  # to the operator, beside the command's output
    return db


def sqlite_file(url: str) -> Path | None:
    """The absolute path of a SQLite database file (relative ones are from the current
    folder, as SQLite opens them); None for PostgreSQL or an in-memory database."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database).expanduser().absolute()


def _language(context: AppContext) -> Language:
    return context.language or context.settings.language


def _missing(path: Path, language: Language) -> str:
    if language is Language.ES:
        return (
            f"no hay base de datos en {path}, y esta orden trabaja sobre una existente: no crea "
            "una vacía. Ejecútela en la carpeta del proyecto, indique la base de datos con "
            "CONSULTA_DB__URL, o créela con `consulta db upgrade`."
        )
    return (
        f"there is no database at {path}, and this command works on an existing one: it does "
        "not create an empty one. Run it in the project folder, point CONSULTA_DB__URL at the "
        "database, or create it with `consulta db upgrade`."
    )

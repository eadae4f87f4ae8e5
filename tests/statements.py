"""Count the SQL statements a piece of work sends (SQLAlchemy's ``before_cursor_execute``)."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from store.database import Database


@contextmanager
def counting(db: Database) -> Iterator[list[str]]:
    """Every statement sent on ``db`` while the block runs, in order."""
    sent: list[str] = []

    def record(*args: Any) -> None:
        sent.append(str(args[2]))

    event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", record)

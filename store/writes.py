"""Writes the ORM makes slow: many rows, or rows that may already be there.

On SQLite the ORM writes one INSERT per row to learn each new id (SQLite cannot tie RETURNING
rows to the parameters they came from, SQLAlchemy's "insertmanyvalues" notes); a notice to 386
focal points is then 386 statements. These go through SQLAlchemy Core in one statement.
"""

import functools
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import insert
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession


async def insert_new(
    session: AsyncSession,
    model: type[SQLModel],
    rows: Sequence[Mapping[str, Any]],
    *,
    unique: str,
) -> int:
    """Write the rows whose ``unique`` column is not taken yet, in one statement (INSERT … ON
    CONFLICT DO NOTHING), in the session's transaction; how many were written. A row already
    there stays as it was: the way to say a thing once, even when a move is retried."""
    if not rows:
        return 0
    await _pending_first(session)
    connection = await session.connection()
    statement = _insert_new(model.__tablename__, unique, connection.dialect.name)
    written = await connection.execute(statement, [dict(r) for r in rows])
    return len(written.all())


@functools.cache
def _insert_new(table_name: str, unique: str, dialect: str) -> Any:
    """Built once per table and dialect: building it costs more than running it."""
    table = SQLModel.metadata.tables[table_name]
    build = sqlite_insert if dialect == "sqlite" else postgresql_insert
    return (
        build(table)
        .on_conflict_do_nothing(index_elements=[table.c[unique]])
        .returning(table.c[unique])
    )


async def insert_one(
    session: AsyncSession, model: type[SQLModel], values: Mapping[str, Any]
) -> int:
    """Write one row in the session's transaction and return its new id: one statement, and
    none of the ORM's unit-of-work bookkeeping (the caller builds the object it returns)."""
    connection = await session.connection()
    written = await connection.execute(_insert_one(model.__tablename__), dict(values))
    return int(written.scalar_one())


@functools.cache
def _insert_one(table_name: str) -> Any:
    table = SQLModel.metadata.tables[table_name]
    return insert(table).returning(table.c.id)


async def _pending_first(session: AsyncSession) -> None:
    """Rows added to the session but not yet written go first: the new row may refer to them
    (a consultation created in the same move). Changed rows can wait for the commit."""
    if session.new:
        await session.flush()

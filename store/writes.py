"""Writes the ORM makes slow: many rows, or rows that may already be there.

On SQLite the ORM writes one INSERT per row to learn each new id (SQLite cannot tie RETURNING
rows to the parameters they came from, SQLAlchemy's "insertmanyvalues" notes); a notice to 386
focal points is then 386 statements. These go through SQLAlchemy Core in one statement.
"""

from collections.abc import Mapping, Sequence
from typing import Any

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
    connection = await session.connection()
    build = sqlite_insert if connection.dialect.name == "sqlite" else postgresql_insert
    table = model.__table__  # type: ignore[attr-defined]
    statement = (
        build(table)
        .on_conflict_do_nothing(index_elements=[table.c[unique]])
        .returning(table.c[unique])
    )
    written = await connection.execute(statement, [dict(r) for r in rows])
    return len(written.all())

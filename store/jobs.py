"""The scheduler's jobs: planned idempotently by key, claimed under a row lock, marked done."""

from datetime import datetime
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from store.tables import ScheduledJobRow


async def plan(
    session: AsyncSession,
    *,
    key: str,
    kind: str,
    due_at: datetime,
    at: datetime,
    consultation_id: str | None = None,
    version: int | None = None,
    move_if_pending: bool = False,
) -> None:
    """Insert the job unless its key exists; ``move_if_pending`` moves an undone job's time.

    One statement (INSERT … ON CONFLICT), so two instances planning the same job at once
    leave one row and neither fails.
    """
    values: dict[str, Any] = {
        "key": key,
        "kind": kind,
        "consultation_id": consultation_id,
        "version": version,
        "due_at": due_at,
        "created_at": at,
        "attempts": 0,
    }
    table = ScheduledJobRow.__table__  # type: ignore[attr-defined]
    dialect = session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table).values(values)
    if move_if_pending:
        statement = insert.on_conflict_do_update(
            index_elements=["key"],
            set_={"due_at": due_at},
            where=table.c.done_at.is_(None) & (table.c.due_at != due_at),
        )
    else:
        statement = insert.on_conflict_do_nothing(index_elements=["key"])
    await session.exec(statement)


async def claim_due(session: AsyncSession, now: datetime) -> ScheduledJobRow | None:
    """The earliest undone job due by ``now``, locked until the transaction ends.

    On PostgreSQL SKIP LOCKED lets a second instance pass over the job another is doing; the
    lock is held through the work, and the row it sees afterwards carries ``done_at``. SQLite
    has no row locks: its transactions start with BEGIN IMMEDIATE, so they already serialise.
    """
    query = (
        select(ScheduledJobRow)
        .where(col(ScheduledJobRow.done_at).is_(None), col(ScheduledJobRow.due_at) <= now)
        .order_by(col(ScheduledJobRow.due_at), col(ScheduledJobRow.id))
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    return (await session.exec(query)).first()


async def pending(session: AsyncSession, *, kind: str | None = None) -> list[ScheduledJobRow]:
    query = select(ScheduledJobRow).where(col(ScheduledJobRow.done_at).is_(None))
    if kind:
        query = query.where(ScheduledJobRow.kind == kind)
    return list((await session.exec(query.order_by(col(ScheduledJobRow.due_at)))).all())


async def done(session: AsyncSession, *, kind: str, outcome: str) -> list[ScheduledJobRow]:
    query = (
        select(ScheduledJobRow)
        .where(ScheduledJobRow.kind == kind, ScheduledJobRow.outcome == outcome)
        .order_by(col(ScheduledJobRow.done_at))
    )
    return list((await session.exec(query)).all())


async def last_done(session: AsyncSession, *, kind: str, outcome: str) -> ScheduledJobRow | None:
    query = (
        select(ScheduledJobRow)
        .where(ScheduledJobRow.kind == kind, ScheduledJobRow.outcome == outcome)
        .order_by(col(ScheduledJobRow.done_at).desc())
        .limit(1)
    )
    return (await session.exec(query)).first()

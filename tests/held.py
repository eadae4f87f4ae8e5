"""Held replies as the email front leaves them: an inbound row in ``review`` with its reasons."""

from datetime import timedelta
from itertools import count

from consultation.timesource import ManualTime
from consultation.vocabulary import PositionValue
from store.database import Database
from store.tables import InboundMessageRow
from tests.factories import answer, make_consultation

_numbers = count(1)


async def hold(
    db: Database,
    time: ManualTime,
    consultation_id: str | None,
    country: str | None,
    reason: str,
    *,
    version: int | None = 1,
    status: str = "review",
) -> int:
    """A reply received now and held (or, with ``status``, one already settled)."""
    n = next(_numbers)
    row = InboundMessageRow(
        dedupe_key=f"<held{n}.{time.now().timestamp()}@example>",
        raw=b"From: someone\r\n\r\n...",
        received_at=time.now(),
        status=status,
        reason=reason,
        consultation_id=consultation_id,
        version=version if consultation_id else None,
        country=country,
        sender=f"puntofocal@{(country or 'x').lower()}.example",
    )
    async with db.transaction() as session:
        session.add(row)
        await session.flush()
        assert row.id is not None
        return row.id


async def canada_changes_its_mind(db: Database, time: ManualTime) -> str:
    """CA objects, then a newer reply of Canada's is held; GT approves after an earlier held
    reply; SV has only a held reply; the rest are pending."""
    made = await make_consultation(db, time)
    await hold(db, time, made.id, "GT", "question")
    time.advance(timedelta(hours=1))
    await answer(db, time, made.id, "CA", PositionValue.OBJECT)
    await answer(db, time, made.id, "GT", PositionValue.APPROVE)
    time.advance(timedelta(hours=1))
    await hold(db, time, made.id, "CA", "mixed_signals")
    await hold(db, time, made.id, "SV", "no_position_found,amendments_not_found")
    await hold(db, time, made.id, "MX", "question", status="recorded")  # settled: not shown
    return made.id

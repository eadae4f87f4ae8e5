"""Failing addresses: when one is tried again, and how its mark is set and cleared.

An address is marked failing by a 5xx at RCPT TO (or a bounce), never by a refusal of the
sender. Notices for a contact whose every address fails are *held*, not dropped: once a day
(`PROBE_INTERVAL`) one of them is tried on the address, and its acceptance clears the mark and
releases the rest at once. A notice held for `HOLD_LIMIT` is given up (an ``email_failed``
event; the PPT and the ST were told when the address failed, and the digest lists it): a
reminder or a draft that old would mislead more than help. `consulta mail clear-failing`
clears the mark by hand (a focal point confirmed the address works).
"""

from datetime import datetime, timedelta

from sqlmodel import col, update
from sqlmodel.ext.asyncio.session import AsyncSession

from store.tables import ContactEmailRow, OutboxRow

PROBE_INTERVAL = timedelta(days=1)
HOLD_LIMIT = timedelta(days=7)


def next_probe(email: ContactEmailRow) -> datetime | None:
    """When a held notice is next tried on this failing address (None: it is not failing)."""
    if not email.failing:
        return None
    if email.probe_at is not None:
        return email.probe_at
    # marked by a bounce: the first try a day after the mark
    return email.failed_at + PROBE_INTERVAL if email.failed_at else None


def probe_due(email: ContactEmailRow, now: datetime) -> bool:
    due = next_probe(email)
    return email.failing and (due is None or due <= now)


def mark(email: ContactEmailRow, reason: str, now: datetime) -> bool:
    """Mark (or keep marked) as failing; the next probe a day from now. True if newly marked."""
    newly = not email.failing
    email.failing, email.failure, email.probe_at = True, reason, now + PROBE_INTERVAL
    if newly:
        email.failed_at = now
    return newly


async def clear(session: AsyncSession, email: ContactEmailRow, now: datetime) -> int:
    """The address works again: unmark it and make its contact's held notices due now.
    Returns how many notices were released."""
    email.failing, email.failure, email.failed_at, email.probe_at = False, None, None, None
    session.add(email)
    released = await session.exec(
        update(OutboxRow)
        .where(col(OutboxRow.contact_id) == email.contact_id)
        .where(col(OutboxRow.channel) == "email", col(OutboxRow.status) == "pending")
        .where(col(OutboxRow.claimed_at).is_(None), col(OutboxRow.next_attempt_at) > now)
        .values(next_attempt_at=now)
    )
    return int(released.rowcount or 0)

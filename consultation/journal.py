"""The audit trail and the outbox: every accepted move writes both in the caller's transaction."""

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from consultation.vocabulary import Role
from store import queries
from store.tables import ContactRow, EventRow, OutboxRow

# Events about delivery, not about the procedure: they leave the status message as it is.
_NOT_ON_THE_BOARD = frozenset({"email_sent", "email_failed", "slack_failed"})
STATUS_BOARD = "status_board"  # the Slack kind of a consultation's live status message


async def record_event(
    session: AsyncSession,
    *,
    consultation_id: str | None,
    kind: str,
    actor: str,
    at: datetime,
    payload: Mapping[str, Any] | None = None,
    inbound_id: int | None = None,
) -> EventRow:
    row = EventRow(
        consultation_id=consultation_id,
        at=at,
        actor=actor,
        kind=kind,
        payload=dict(payload or {}),
        inbound_id=inbound_id,
    )
    session.add(row)
    if consultation_id is not None and kind not in _NOT_ON_THE_BOARD:
        await session.flush()  # the status update names the event by its id
        assert row.id is not None
        await queue_status_update(session, consultation_id=consultation_id, at=at, event=row.id)
    return row


async def queue_status_update(
    session: AsyncSession, *, consultation_id: str, at: datetime, event: int
) -> bool:
    """One refresh of the consultation's Slack status message per event, when the PPT is on
    Slack; the sender renders the state of the moment, so one refresh covers earlier ones."""
    ppt = await queries.contacts_with_role(session, Role.PPT.value)
    if not any(c.slack_user_id for c in ppt):
        return False
    session.add(
        _row(
            "slack",
            f"slack:{STATUS_BOARD}:{consultation_id}:event-{event}",
            STATUS_BOARD,
            at,
            consultation_id,
            None,
            "es",
            contact_id=None,
        )
    )
    await session.flush()
    return True


async def queue_slack(
    session: AsyncSession,
    *,
    kind: str,
    contacts: Iterable[ContactRow],
    consultation_id: str | None,
    at: datetime,
    key: str,
    payload: Mapping[str, Any] | None = None,
) -> int:
    """A direct message to each contact that has a Slack user id; like :func:`queue_emails`,
    a notice already queued under the same key is skipped."""
    on_slack = [c for c in contacts if c.slack_user_id]
    return await _queue(session, "slack", kind, on_slack, consultation_id, at, key, payload)


async def queue_emails(
    session: AsyncSession,
    *,
    kind: str,
    contacts: Iterable[ContactRow],
    consultation_id: str | None,
    at: datetime,
    key: str,
    payload: Mapping[str, Any] | None = None,
) -> int:
    """One message per contact, in the contact's language; ``key`` makes each notice unique.

    A notice already queued with the same key is skipped, so a retried move never says
    anything twice. Returns how many were queued.
    """
    return await _queue(session, "email", kind, contacts, consultation_id, at, key, payload)


async def _queue(
    session: AsyncSession,
    channel: str,
    kind: str,
    contacts: Iterable[ContactRow],
    consultation_id: str | None,
    at: datetime,
    key: str,
    payload: Mapping[str, Any] | None,
) -> int:
    queued = 0
    everyone = list(contacts)
    keys = {c.id: f"{channel}:{kind}:{key}:contact-{c.id}" for c in everyone}
    # One query for every contact's notice, not one each (a draft goes to hundreds).
    query = select(OutboxRow.dedupe_key).where(col(OutboxRow.dedupe_key).in_(keys.values()))
    there = set((await session.exec(query)).all()) if keys else set()
    for contact in everyone:
        assert contact.id is not None
        dedupe = keys[contact.id]
        if dedupe in there:
            continue
        there.add(dedupe)
        session.add(
            _row(
                channel,
                dedupe,
                kind,
                at,
                consultation_id,
                payload,
                contact.language,
                contact_id=contact.id,
            )
        )
        queued += 1
    await session.flush()
    return queued


async def _exists(session: AsyncSession, dedupe: str) -> bool:
    query = select(OutboxRow.id).where(OutboxRow.dedupe_key == dedupe)
    return (await session.exec(query)).first() is not None


async def queue_email_to_address(
    session: AsyncSession,
    *,
    kind: str,
    address: str,
    language: str,
    at: datetime,
    key: str,
    payload: Mapping[str, Any] | None = None,
    consultation_id: str | None = None,
) -> bool:
    """A notice to someone outside the roster (e.g. why their message did not count)."""
    dedupe = f"email:{kind}:{key}"
    if not address or await _exists(session, dedupe):
        return False
    session.add(
        _row("email", dedupe, kind, at, consultation_id, payload, language, address=address)
    )
    await session.flush()
    return True


def _row(
    channel: str,
    dedupe: str,
    kind: str,
    at: datetime,
    consultation_id: str | None,
    payload: Mapping[str, Any] | None,
    language: str,
    *,
    contact_id: int | None = None,
    address: str | None = None,
) -> OutboxRow:
    return OutboxRow(
        dedupe_key=dedupe,
        created_at=at,
        channel=channel,
        kind=kind,
        consultation_id=consultation_id,
        contact_id=contact_id,
        address=address,
        language=language,
        payload=dict(payload or {}),
        next_attempt_at=at,
    )

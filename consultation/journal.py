"""The audit trail and the outbox: every accepted move writes both in the caller's transaction."""

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from consultation.vocabulary import Role
from store import queries
from store.tables import ContactRow, EventRow, OutboxRow
from store.writes import insert_new, insert_one

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
    values: dict[str, Any] = {
        "consultation_id": consultation_id,
        "at": at,
        "actor": actor,
        "kind": kind,
        "payload": dict(payload or {}),
        "inbound_id": inbound_id,
    }
    # Written at once, in one statement (the status refresh names the event by its id).
    row = EventRow(id=await insert_one(session, EventRow, values), **values)
    if consultation_id is not None and kind not in _NOT_ON_THE_BOARD:
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
    key = f"slack:{STATUS_BOARD}:{consultation_id}:event-{event}"
    row = _row("slack", key, STATUS_BOARD, at, consultation_id, None, "es", contact_id=None)
    return await insert_new(session, OutboxRow, [row], unique="dedupe_key") > 0


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
    """One statement for every contact's notice, not one each (a draft goes to hundreds);
    a notice already queued under its key is left as it is."""
    rows: dict[str, dict[str, Any]] = {}
    for contact in contacts:
        assert contact.id is not None
        dedupe = f"{channel}:{kind}:{key}:contact-{contact.id}"
        rows[dedupe] = _row(
            channel,
            dedupe,
            kind,
            at,
            consultation_id,
            payload,
            contact.language,
            contact_id=contact.id,
        )
    return await insert_new(session, OutboxRow, list(rows.values()), unique="dedupe_key")


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
    if not address:
        return False
    dedupe = f"email:{kind}:{key}"
    row = _row("email", dedupe, kind, at, consultation_id, payload, language, address=address)
    return await insert_new(session, OutboxRow, [row], unique="dedupe_key") > 0


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
) -> dict[str, Any]:
    """An outbox row's values, every column given (Core writes no model defaults)."""
    return {
        "dedupe_key": dedupe,
        "created_at": at,
        "channel": channel,
        "kind": kind,
        "consultation_id": consultation_id,
        "contact_id": contact_id,
        "address": address,
        "language": language,
        "payload": dict(payload or {}),
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": at,
        "claimed_at": None,
        "last_error": None,
        "sent_at": None,
    }

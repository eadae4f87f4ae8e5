"""The review queue: replies the email front could not read with confidence, decided by a person.

A reply waits with status ``review`` and what the reader made of it (``reading``). The PPT or
the ST confirms that reading, corrects it, or rejects the reply; the decision is an event with
who made it, and a confirmed or corrected position is recorded like any other answer.
"""

from datetime import datetime
from enum import StrEnum

from sqlmodel.ext.asyncio.session import AsyncSession

from consultation import answers, journal
from consultation.answers import Answer, ProposedChange
from consultation.errors import InvalidInput, NotFound, ProcedureError
from consultation.moves import Move
from consultation.vocabulary import AmendmentAction, PositionValue, Role
from store import queries
from store.tables import InboundMessageRow, PositionRow

REVIEW_NOTICE = "review_item"  # the Slack kind of a reply put to the PPT and the ST


class AlreadyDecided(ProcedureError):
    """The reply has left the review queue (decided by someone else, or a second click)."""


class Decision(StrEnum):
    CONFIRM = "confirm"  # the reader was right: record what it read
    CORRECT = "correct"  # record what the person says the reply means
    REJECT = "reject"  # the reply does not count


async def queue_review(session: AsyncSession, row: InboundMessageRow, *, at: datetime) -> int:
    """Put a reply waiting for review before the PPT and the ST on Slack."""
    assert row.id is not None
    staff = await queries.contacts_with_role(session, Role.PPT.value)
    staff += await queries.contacts_with_role(session, Role.ST.value)
    return await journal.queue_slack(
        session,
        kind=REVIEW_NOTICE,
        contacts=staff,
        consultation_id=row.consultation_id,
        at=at,
        key=f"inbound-{row.id}",
        payload={"inbound_id": row.id},
    )


def reading_answer(row: InboundMessageRow) -> Answer:
    """What the reader extracted, as an answer (the basis of Confirm)."""
    reading = row.reading or {}
    position = reading.get("position")
    return _answer(
        row,
        PositionValue(position) if position else None,
        tuple(
            ProposedChange(AmendmentAction(a["action"]), int(a["paragraph"]), a.get("proposed"))
            for a in reading.get("amendments", [])
        ),
        bool(reading.get("extension_requested")),
    )


def corrected_answer(
    row: InboundMessageRow, position: PositionValue | None, changes: tuple[ProposedChange, ...]
) -> Answer:
    return _answer(row, position, changes, False)


async def decide(
    session: AsyncSession,
    inbound_id: int,
    decision: Decision,
    move: Move,
    *,
    correction: Answer | None = None,
) -> PositionRow | None:
    """Take the reply out of the queue; Confirm and Correct record its position."""
    row = await session.get(InboundMessageRow, inbound_id, with_for_update=True)
    if row is None:
        raise NotFound(f"there is no inbound message {inbound_id}")
    if row.status != "review":
        raise AlreadyDecided(f"message {inbound_id} has already been decided ({row.status})")
    position = None
    if decision is not Decision.REJECT:
        if row.consultation_id is None or not row.country or row.version is None:
            raise InvalidInput("the reply is not tied to a consultation and a country")
        answer = correction if decision is Decision.CORRECT else reading_answer(row)
        if answer is None:
            raise InvalidInput("a correction needs the position to record")
        position = await answers.record_answer(session, row.consultation_id, answer, move)
    row.status = "dropped" if position is None else "recorded"
    row.reason, row.processed_at = f"review:{decision.value}", move.at
    session.add(row)
    await journal.record_event(
        session,
        consultation_id=row.consultation_id,
        kind="review_decided",
        actor=move.actor,
        at=move.at,
        inbound_id=row.id,
        payload={
            "decision": decision.value,
            "country": row.country,
            "position_id": position.id if position else None,
        },
    )
    return position


def _answer(
    row: InboundMessageRow,
    position: PositionValue | None,
    changes: tuple[ProposedChange, ...],
    extension: bool,
) -> Answer:
    assert row.version is not None
    return Answer(
        country=row.country or "",
        version=row.version,
        position=position,
        amendments=changes,
        extension_requested=extension,
        inbound_id=row.id,
    )

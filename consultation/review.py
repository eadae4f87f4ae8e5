"""The review queue: replies the email front could not read with confidence, decided by a person.

A reply waits with status ``review`` and what the reader made of it (``reading``). The PPT or
the ST confirms that reading, corrects it, or rejects the reply; the decision is an event with
who made it, and a confirmed or corrected position is recorded like any other answer.
"""

from datetime import datetime
from enum import StrEnum

from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from consultation import answers, journal
from consultation.answers import Answer, ProposedChange
from consultation.errors import InvalidInput, NotFound, ProcedureError
from consultation.moves import Move
from consultation.vocabulary import AmendmentAction, PositionValue, Role
from store import queries
from store.tables import EventRow, InboundMessageRow, PositionRow

REVIEW_NOTICE = "review_item"  # the Slack kind of a reply put to the PPT and the ST
DECIDED = "review_decided"  # the event of a person's decision on a held reply
SETTLED = "held_settled"  # the event of a held reply closed by a later recorded answer


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
    row: InboundMessageRow,
    position: PositionValue | None,
    changes: tuple[ProposedChange, ...],
    *,
    extension: bool = False,
) -> Answer:
    return _answer(row, position, changes, extension)


async def decide(
    session: AsyncSession,
    inbound_id: int,
    decision: Decision,
    move: Move,
    *,
    correction: Answer | None = None,
    reason: str | None = None,
) -> PositionRow | None:
    """Take the reply out of the queue; Confirm and Correct record its position.

    A recorded position also settles the same country's held replies on that version received
    before this one: the person has read the latest word, which replaces the earlier ones. A
    rejection settles nothing (it records no position, so an earlier held reply is still the
    country's latest unanswered word)."""
    row = await session.get(InboundMessageRow, inbound_id, with_for_update=True)
    if row is None:
        raise NotFound(
            f"there is no inbound message {inbound_id}", phrase="no_message", number=inbound_id
        )
    if row.status != "review":
        raise AlreadyDecided(
            f"message {inbound_id} has already been decided ({row.status})",
            phrase="already_decided",
            number=inbound_id,
        )
    position = None
    if decision is not Decision.REJECT:
        if row.consultation_id is None or not row.country or row.version is None:
            raise InvalidInput(
                "the reply is not tied to a consultation and a country",
                phrase="not_tied",
                number=inbound_id,
            )
        answer = correction if decision is Decision.CORRECT else reading_answer(row)
        if answer is None:
            raise InvalidInput("a correction needs the position to record", phrase="no_correction")
        position = await answers.record_answer(session, row.consultation_id, answer, move)
    held_reason = row.reason
    row.status = "dropped" if position is None else "recorded"
    row.reason, row.processed_at = f"review:{decision.value}", move.at
    session.add(row)
    await journal.record_event(
        session,
        consultation_id=row.consultation_id,
        kind=DECIDED,
        actor=move.actor,
        at=move.at,
        inbound_id=row.id,
        payload={
            "decision": decision.value,
            "country": row.country,
            "version": row.version,
            "position_id": position.id if position else None,
            "held_reason": held_reason,
            "reason": (reason or "").strip() or None,
        },
    )
    if position is not None:
        assert row.consultation_id and row.country and row.version is not None
        await settle_held(
            session,
            row.consultation_id,
            row.country,
            row.version,
            move,
            position=position,
            before=row.id,
        )
    return position


async def settle_held(
    session: AsyncSession,
    consultation_id: str,
    country: str,
    version: int,
    move: Move,
    *,
    position: PositionRow,
    before: int | None = None,
) -> list[int]:
    """Close the country's open held replies on ``version`` (those stored before the inbound
    message ``before`` when given: ids follow the order of arrival): the answer just recorded
    by ``move.actor`` is what counts now. One event each.

    Called by the paths where a person records an answer (``record`` on the command line,
    Slack, a review decision), never by the email front: a newer email being recorded does not
    mean anyone read the older held one (it may say something the newer one does not, e.g. an
    objection's reasons), so it stays before a person."""
    settled: list[int] = []
    for row in await open_held(session, consultation_id, country, version, before=before):
        assert row.id is not None
        held_reason = row.reason
        row.status, row.reason, row.processed_at = "dropped", "review:settled", move.at
        session.add(row)
        await journal.record_event(
            session,
            consultation_id=consultation_id,
            kind=SETTLED,
            actor=move.actor,
            at=move.at,
            inbound_id=row.id,
            payload={
                "country": row.country,
                "version": version,
                "position_id": position.id,
                "held_reason": held_reason,
            },
        )
        settled.append(row.id)
    return settled


async def open_held(
    session: AsyncSession,
    consultation_id: str,
    country: str,
    version: int,
    *,
    before: int | None = None,
) -> list[InboundMessageRow]:
    """The country's replies on ``version`` still waiting for a person (stored before the
    inbound message ``before`` when given)."""
    query = select(InboundMessageRow).where(
        InboundMessageRow.status == "review",
        InboundMessageRow.consultation_id == consultation_id,
        InboundMessageRow.country == country.upper(),
        InboundMessageRow.version == version,
    )
    if before is not None:
        query = query.where(col(InboundMessageRow.id) < before)
    return list((await session.exec(query.order_by(col(InboundMessageRow.id)))).all())


async def held_replies(
    session: AsyncSession, *, everything: bool = False
) -> list[InboundMessageRow]:
    """The replies waiting for a person, oldest first; ``everything`` adds those already
    decided or settled."""
    query = select(InboundMessageRow)
    if everything:
        query = query.where(
            or_(
                col(InboundMessageRow.status) == "review",
                col(InboundMessageRow.reason).startswith("review:"),
            )
        )
    else:
        query = query.where(InboundMessageRow.status == "review")
    order = (col(InboundMessageRow.received_at), col(InboundMessageRow.id))
    return list((await session.exec(query.order_by(*order))).all())


async def decision_of(session: AsyncSession, inbound_id: int) -> EventRow | None:
    """The event that took the reply out of the queue, if one did."""
    query = (
        select(EventRow)
        .where(EventRow.inbound_id == inbound_id, col(EventRow.kind).in_([DECIDED, SETTLED]))
        .order_by(col(EventRow.id).desc())
    )
    return (await session.exec(query)).first()


def held_reason(row: InboundMessageRow, decided: EventRow | None) -> str:
    """The codes it was held for (kept in the decision's event once it was decided), with
    the reader's own doubts: for ``held.describe``."""
    reading = row.reading or {}
    codes = [*(reading.get("review_reasons") or [])]
    original = decided.payload.get("held_reason") if decided else row.reason
    codes += [c for c in str(original or "").split(",") if c and not c.startswith("review:")]
    return ",".join(codes)


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
        note_verbale=(row.reading or {}).get("note_verbale"),
    )

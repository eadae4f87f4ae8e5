"""The end of a period: the tally at the deadline, conclusion with a results notice, withdrawal."""

from sqlmodel.ext.asyncio.session import AsyncSession

from consultation import journal, tally
from consultation.distribution import member_focal_points
from consultation.errors import ConclusionBlocked, InvalidInput
from consultation.lifecycle import Action
from consultation.moves import Move, begin
from consultation.status import ConsultationStatus, consultation_status
from consultation.vocabulary import AmendmentStatus, CountryStatus, Role, Standing, State
from store import queries
from store.tables import ContactRow


async def tally_at_deadline(
    session: AsyncSession, consultation_id: str, move: Move
) -> ConsultationStatus:
    """The period has run: record the outcome and tell the PPT what it can do next."""
    row, target = await begin(session, consultation_id, Action.TALLY)
    status = await consultation_status(session, row.id, now=move.at)
    if not status.deadline_passed:
        raise InvalidInput(
            f"the deadline of {row.id} has not been reached yet", phrase="not_yet", id=row.id
        )
    row.state, row.outcome = target.value, status.result.outcome.value
    session.add(row)
    payload = _outcome_payload(status)
    await journal.record_event(
        session,
        consultation_id=row.id,
        kind="tallied",
        actor=move.actor,
        at=move.at,
        payload=payload,
    )
    assert status.deadline is not None
    await journal.queue_emails(
        session,
        kind="tally",
        contacts=await queries.contacts_with_role(session, Role.PPT.value),
        consultation_id=row.id,
        at=move.at,
        key=f"{row.id}:v{status.version.number}:{status.deadline.isoformat()}",
        payload=payload,
    )
    return await consultation_status(session, row.id, now=move.at)


async def conclude(
    session: AsyncSession, consultation_id: str, move: Move, *, share_positions: bool = False
) -> ConsultationStatus:
    """Close with consensus; before the deadline only when every member answered, none objecting.

    Members' focal points get the results notice (final text, outcome, every country's position);
    observers an information notice, with the positions only if the PPT chooses to share them.
    The outcome recorded is the one at the moment of conclusion: amendments still open are then
    closed as not incorporated, so a view computed afterwards no longer shows them.
    """
    row, target = await begin(session, consultation_id, Action.CONCLUDE)
    status = await consultation_status(session, row.id, now=move.at)
    passed = row.state == State.TALLIED.value or status.deadline_passed
    if not tally.may_conclude(status.result, deadline_passed=passed):
        blocked = ConclusionBlocked(_why_not(status), state=row.state, action=Action.CONCLUDE.value)
        blocked.phrase = "blocked" if status.result.blocking else "unanswered"
        blocked.values |= {
            "id": row.id,
            "countries": ", ".join(
                status.result.blocking or status.result.with_standing(Standing.PENDING)
            ),
        }
        raise blocked
    for amendment in status.open_amendments:  # what the PPT did not take up is closed as such
        amendment.status = AmendmentStatus.NOT_INCORPORATED.value
        session.add(amendment)
    row.state, row.outcome, row.closed_at = target.value, status.result.outcome.value, move.at
    session.add(row)
    payload = {**_outcome_payload(status), "positions_shared": share_positions}
    await journal.record_event(
        session,
        consultation_id=row.id,
        kind="concluded",
        actor=move.actor,
        at=move.at,
        payload=payload,
    )
    key = f"{row.id}:v{status.version.number}"
    await journal.queue_emails(
        session,
        kind="results",
        contacts=await member_focal_points(session),
        consultation_id=row.id,
        at=move.at,
        key=key,
        payload=payload,
    )
    await journal.queue_emails(
        session,
        kind="results_info",
        contacts=await observer_contacts(session),
        consultation_id=row.id,
        at=move.at,
        key=key,
        payload={
            "version": status.version.number,
            "outcome": status.result.outcome.value,
            **({"standings": payload["standings"]} if share_positions else {}),
        },
    )
    return await consultation_status(session, row.id, now=move.at)


async def withdraw(
    session: AsyncSession, consultation_id: str, move: Move, *, reason: str = ""
) -> None:
    """Withdraw from any open state; whoever has seen the text is told."""
    row, target = await begin(session, consultation_id, Action.WITHDRAW)
    previous = State(row.state)
    row.state, row.closed_at = target.value, move.at
    session.add(row)
    await journal.record_event(
        session,
        consultation_id=row.id,
        kind="withdrawn",
        actor=move.actor,
        at=move.at,
        payload={"from": previous.value, "reason": reason},
    )
    audience: list[ContactRow] = []
    if previous in (State.CONSULTING, State.TALLIED):
        audience = await member_focal_points(session)
    elif previous is State.TROIKA_REVIEW:
        for country in row.troika:
            audience += await queries.contacts_with_role(session, Role.TROIKA.value, party=country)
    await journal.queue_emails(
        session,
        kind="withdrawal",
        contacts=audience,
        consultation_id=row.id,
        at=move.at,
        key=row.id,
        payload={"reason": reason},
    )


async def observer_contacts(session: AsyncSession) -> list[ContactRow]:
    """Observer countries and organisations: informed of results, never asked."""
    parties = [
        c.code for c in await queries.countries(session, status=CountryStatus.OBSERVER.value)
    ]
    parties += [o.code for o in await queries.organisations(session)]
    return await queries.focal_points(session, parties)


def _outcome_payload(status: ConsultationStatus) -> dict[str, object]:
    result = status.result
    return {
        "version": status.version.number,
        "outcome": result.outcome.value,
        "standings": {code: standing.value for code, standing in result.standings.items()},
        "blocking": list(result.blocking),
        "silent": list(result.with_standing(Standing.SILENT)),
        "open_amendments": result.open_amendments,
        "extension_requested_by": [m.code for m in status.members if m.extension_requested],
    }


def _why_not(status: ConsultationStatus) -> str:
    row = status.consultation
    if status.result.blocking:
        blocking = ", ".join(status.result.blocking)
        return f"{row.id} cannot be concluded: {blocking} keep consensus from forming"
    pending = ", ".join(status.result.with_standing(Standing.PENDING))
    return (
        f"{row.id} cannot be concluded before its deadline while members have not answered "
        f"({pending})"
    )

"""Reminding the members that have not answered yet: at most once a day, by the PPT's hand."""

from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from consultation import journal
from consultation.errors import InvalidInput
from consultation.lifecycle import Action
from consultation.moves import Move, begin
from consultation.status import consultation_status
from consultation.vocabulary import Standing
from store import queries


async def remind_pending(session: AsyncSession, consultation_id: str, move: Move) -> list[str]:
    """Queue a reminder to the focal points of every member still pending; returns their codes.

    The notice is keyed by the PPT's calendar day, so a second request the same day (a double
    click, a retry) reminds nobody twice.
    """
    row, _ = await begin(session, consultation_id, Action.REMIND)
    status = await consultation_status(session, row.id, now=move.at)
    pending = [m.code for m in status.members if m.standing is Standing.PENDING]
    if not pending:
        raise InvalidInput(f"every member has answered {row.id}: nobody to remind")
    day = move.at.astimezone(ZoneInfo(row.timezone)).date().isoformat()
    payload = {"version": status.version.number, "countries": pending}
    await journal.record_event(
        session,
        consultation_id=row.id,
        kind="reminded",
        actor=move.actor,
        at=move.at,
        payload=payload,
    )
    await journal.queue_emails(
        session,
        kind="reminder",
        contacts=await queries.focal_points(session, pending),
        consultation_id=row.id,
        at=move.at,
        key=f"{row.id}:v{status.version.number}:{day}",
        payload=payload,
    )
    return pending

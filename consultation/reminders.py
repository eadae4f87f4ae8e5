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
    focal_points = await queries.focal_points(session, pending)
    key = f"{row.id}:v{status.version.number}:{day}"
    await journal.queue_emails(
        session,
        kind="reminder",
        contacts=focal_points,
        consultation_id=row.id,
        at=move.at,
        key=key,
        payload=payload,
    )
    # On Slack the text comes again with its buttons, introduced as a reminder.
    await journal.queue_slack(
        session,
        kind="consult_ask",
        contacts=focal_points,
        consultation_id=row.id,
        at=move.at,
        key=f"{key}:reminder",
        payload={**payload, "reminder": True},
    )
    return pending

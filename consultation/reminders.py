"""Reminders to the countries that have not answered, and a note to the PPT about who asked
for more time (with the one command that grants it)."""

from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from consultation import journal
from consultation.lifecycle import Action
from consultation.moves import Move, begin
from consultation.status import consultation_status
from consultation.vocabulary import Role, Standing
from store import queries

# What the PPT is offered when a country asks for more time; it can type another number.
SUGGESTED_EXTENSION_DAYS = 2


@dataclass(frozen=True)
class Reminded:
    consultation_id: str
    version: int
    countries: list[str]  # reminded: still pending on the current version
    extension_requested: list[str]  # pending and asking for more time: flagged to the PPT


async def remind(
    session: AsyncSession,
    consultation_id: str,
    move: Move,
    *,
    automatic: bool = False,
    extension_days: int = SUGGESTED_EXTENSION_DAYS,
) -> Reminded:
    """Remind every member still pending on the current version, through its focal points.

    The scheduler's reminder is one per version and country; the PPT's on-demand reminders are
    keyed by the moment asked, so each request is sent once however often it is retried.
    """
    row, _ = await begin(session, consultation_id, Action.REMIND)
    status = await consultation_status(session, row.id, now=move.at)
    number = status.version.number
    pending = [m for m in status.members if m.standing is Standing.PENDING]
    tag = "auto" if automatic else move.at.isoformat()
    for member in pending:
        focal_points = await queries.focal_points(session, [member.code])
        key = f"{row.id}:v{number}:{member.code}:{tag}"
        await journal.queue_emails(
            session,
            kind="reminder",
            contacts=focal_points,
            consultation_id=row.id,
            at=move.at,
            key=key,
            payload={"version": number, "country": member.code},
        )
        # Focal points on Slack get the text again with its buttons, introduced as a reminder.
        await journal.queue_slack(
            session,
            kind="consult_ask",
            contacts=focal_points,
            consultation_id=row.id,
            at=move.at,
            key=f"reminder:{key}",
            payload={"version": number, "reminder": True},
        )
    reminded = Reminded(
        consultation_id=row.id,
        version=number,
        countries=[m.code for m in pending],
        extension_requested=[m.code for m in pending if m.extension_requested],
    )
    payload = {
        "version": number,
        "countries": reminded.countries,
        "extension_requested_by": reminded.extension_requested,
        "automatic": automatic,
        "extension_days": extension_days,
    }
    await journal.record_event(
        session,
        consultation_id=row.id,
        kind="reminded",
        actor=move.actor,
        at=move.at,
        payload=payload,
    )
    if reminded.countries:
        await journal.queue_emails(
            session,
            kind="reminder_report",
            contacts=await queries.contacts_with_role(session, Role.PPT.value),
            consultation_id=row.id,
            at=move.at,
            key=f"{row.id}:v{number}:{tag}",
            payload=payload,
        )
    return reminded

"""What the store knows about reaching each member beyond its position: out-of-office notes
since the version went out, and focal points' addresses that bounce. Shown on every board."""

from dataclasses import dataclass, field

from sqlmodel.ext.asyncio.session import AsyncSession

from consultation.status import ConsultationStatus
from store import queries


@dataclass(frozen=True)
class Notes:
    """What the store knows about reaching each country, beyond its position."""

    away: dict[str, list[tuple[str, str | None]]] = field(default_factory=dict)
    bouncing: dict[str, list[str]] = field(default_factory=dict)


async def notes_for(session: AsyncSession, status: ConsultationStatus) -> Notes:
    since = status.version.distributed_at or status.version.created_at
    away: dict[str, list[tuple[str, str | None]]] = {}
    for event in await queries.events(session, status.consultation.id):
        country = event.payload.get("country")
        if event.kind == "out_of_office" and country and event.at >= since:
            until = event.payload.get("until")
            away.setdefault(str(country), []).append(
                (str(event.payload.get("contact") or event.actor), str(until) if until else None)
            )
    bouncing: dict[str, list[str]] = {}
    codes = [line.code for line in status.members]
    for party, address in await queries.failing_focal_addresses(session, codes):
        bouncing.setdefault(party, []).append(address)
    return Notes(away, {code: found for code, found in bouncing.items() if found})

"""The start of every move: load the consultation under lock and check the transition."""

from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from consultation.errors import NotFound
from consultation.lifecycle import Action, next_state
from consultation.texts import Text
from consultation.vocabulary import State
from store import queries
from store.tables import ConsultationRow, VersionRow


@dataclass(frozen=True)
class Move:
    """Who asked for a move, and when: every event records both."""

    actor: str
    at: datetime


async def begin(
    session: AsyncSession, consultation_id: str, action: Action
) -> tuple[ConsultationRow, State]:
    row = await load(session, consultation_id, for_update=True)
    return row, next_state(State(row.state), action)


async def load(
    session: AsyncSession, consultation_id: str, *, for_update: bool = False
) -> ConsultationRow:
    row = await queries.consultation(
        session, consultation_id.strip().upper(), for_update=for_update
    )
    if row is None:
        raise NotFound(
            f"there is no consultation {consultation_id}",
            phrase="no_consultation",
            id=consultation_id,
        )
    return row


async def current_version(session: AsyncSession, row: ConsultationRow) -> VersionRow:
    found = await queries.version(session, row.id, row.current_version)
    if found is None:  # the schema guarantees it; a missing row means a corrupt record
        raise NotFound(f"{row.id} has no version {row.current_version}")
    return found


def text_of(version: VersionRow) -> Text:
    return Text(es=version.paragraphs_es, en=version.paragraphs_en)

"""One consultation as the console shows it: where it stands, its whole record, what may be done.

The record is the export's reading (``exporting.record_context``: versions with redlines, each
country's answers with its own words and the message it came from, amendments, the Troika, the
event log in sentences), so the page and the archived file never disagree. What the procedure
allows now follows the same guards as the use cases and Slack's buttons; whether the viewer's
roles allow it is the front's question (``consultation.permissions``).
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jinja2 import Environment
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from consultation import record, review_view, tally
from consultation.drafting import troika_consensus
from consultation.exporting import record_context
from consultation.lifecycle import Action
from consultation.status import ConsultationStatus, consultation_status
from consultation.vocabulary import Language, Standing, State
from store.tables import InboundMessageRow


@dataclass(frozen=True)
class ConsultationPage:
    status: ConsultationStatus
    record: dict[str, Any]  # the export's context, in the reader's language
    held: list[review_view.HeldItem]  # replies on it waiting for a person
    actions: tuple[Action, ...]  # what the procedure allows now, in the order offered
    paragraphs: int  # of the current version (amendments and revisions refer to them)

    @property
    def id(self) -> str:
        return self.status.consultation.id

    @property
    def open_amendments(self) -> list[dict[str, Any]]:
        return [a for a in self.record["amendments"] if a["status"] == "proposed"]

    @property
    def settled_amendments(self) -> list[dict[str, Any]]:
        return [a for a in self.record["amendments"] if a["status"] != "proposed"]

    def may(self, action: Action) -> bool:
        return action in self.actions


async def consultation_page(
    session: AsyncSession,
    env: Environment,
    consultation_id: str,
    *,
    now: datetime,
    language: Language,
) -> ConsultationPage:
    status = await consultation_status(session, consultation_id, now=now)
    found = await record.gather(session, status.consultation.id)
    numbers = [h.inbound_id for h in status.held]
    query = select(InboundMessageRow).where(col(InboundMessageRow.id).in_(numbers))
    held_rows = list((await session.exec(query.order_by(col(InboundMessageRow.id)))).all())
    current = status.version
    return ConsultationPage(
        status=status,
        record=record_context(env, found, language),
        held=await review_view.items_of(session, held_rows, language),
        actions=offered(status),
        paragraphs=len(current.paragraphs_es or current.paragraphs_en or []),
    )


def offered(status: ConsultationStatus) -> tuple[Action, ...]:
    """The PPT's steps the procedure allows right now (the guards the use cases apply)."""
    state = status.state
    found: list[Action] = []
    if state is State.DRAFT:
        found.append(Action.SUBMIT_TO_TROIKA)
    if state is State.TROIKA_REVIEW and troika_consensus(status.troika):
        found.append(Action.SEND)
    if state in (State.CONSULTING, State.TALLIED):
        found.append(Action.REVISE)
        if state is State.CONSULTING and status.result.with_standing(Standing.PENDING):
            found.append(Action.REMIND)
        found.append(Action.EXTEND)
        passed = state is State.TALLIED or status.deadline_passed
        if tally.may_conclude(status.result, deadline_passed=passed):
            found.append(Action.CONCLUDE)
    if state in (State.DRAFT, State.TROIKA_REVIEW, State.CONSULTING, State.TALLIED):
        found.append(Action.WITHDRAW)
    return tuple(found)


def troika_pending(status: ConsultationStatus, country: str | None) -> bool:
    """Whether ``country``'s Troika seat still has to answer the current round."""
    if status.state is not State.TROIKA_REVIEW or country is None:
        return False
    return any(r.country == country and r.status == "pending" for r in status.troika)

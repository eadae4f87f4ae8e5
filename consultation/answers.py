"""Members' answers: a position on the current version, with amendments or a request for time."""

from dataclasses import dataclass
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from consultation import journal, tally
from consultation.errors import InvalidInput, NotAMember, NotFound, SupersededVersion
from consultation.lifecycle import Action, next_state
from consultation.moves import Move, load
from consultation.vocabulary import (
    AmendmentAction,
    CountryStatus,
    PositionValue,
    Role,
    SilenceRule,
    State,
)
from store import queries
from store.tables import AmendmentRow, ConsultationRow, CountryRow, PositionRow
from store.writes import insert_one


@dataclass(frozen=True)
class ProposedChange:
    action: AmendmentAction
    paragraph: int  # in the numbering of the version answered; 0 = before the first (insert_after)
    proposed: str | None = None


@dataclass(frozen=True)
class Answer:
    country: str
    version: int
    position: PositionValue | None  # None: no position stated (e.g. only asks for more time)
    amendments: tuple[ProposedChange, ...] = ()
    extension_requested: bool = False
    note: str | None = None
    contact_id: int | None = None
    inbound_id: int | None = None
    # The note verbale it came in (file, form, reference number, date), kept in the record.
    note_verbale: dict[str, str | None] | None = None


@dataclass(frozen=True)
class Accepted:
    """An answer that passed every check, with what writing it needs."""

    consultation: ConsultationRow
    country: CountryRow
    answer: Answer


async def record_answer(
    session: AsyncSession, consultation_id: str, answer: Answer, move: Move
) -> PositionRow:
    """Record what a country said; its latest position on a version is the one that counts."""
    row = await load(session, consultation_id, for_update=True)
    return await write_answer(session, await accept_answer(session, row, answer), move)


async def accept_answer(
    session: AsyncSession, consultation: ConsultationRow, answer: Answer
) -> Accepted:
    """Every check an answer must pass, and nothing written: a refusal (a `ProcedureError`)
    leaves the caller's transaction as it was, so a caller that goes on after one (the email
    front holds the message) needs no savepoint. ``consultation`` is loaded FOR UPDATE."""
    next_state(State(consultation.state), Action.RECORD_POSITION)
    country = await _member(session, answer.country)
    if answer.version != consultation.current_version:
        raise SupersededVersion(
            f"{consultation.id} is at version {consultation.current_version}; an answer on "
            f"version {answer.version} no longer counts",
            given=answer.version,
            current=consultation.current_version,
        )
    paragraphs = await queries.paragraph_count(
        session, consultation.id, consultation.current_version
    )
    if paragraphs == 0:  # the schema guarantees a text; none means a corrupt record
        raise NotFound(f"{consultation.id} has no version {consultation.current_version}")
    _check_answer(answer, paragraphs)
    return Accepted(consultation, country, answer)


async def write_answer(session: AsyncSession, accepted: Accepted, move: Move) -> PositionRow:
    """Write an accepted answer: its position, amendments, event and notices. Raises no
    `ProcedureError`: every refusal is `accept_answer`'s."""
    row, country, answer = accepted.consultation, accepted.country, accepted.answer
    values: dict[str, Any] = {
        "consultation_id": row.id,
        "version": answer.version,
        "country": country.code,
        "value": answer.position.value if answer.position else None,
        "extension_requested": answer.extension_requested,
        "recorded_at": move.at,
        "recorded_by": move.actor,
        "contact_id": answer.contact_id,
        "inbound_id": answer.inbound_id,
        "note": answer.note,
    }
    # Written at once (its id names the amendments and the receipt), the object built after.
    position_id = await insert_one(session, PositionRow, values)
    position = PositionRow(id=position_id, **values)
    for change in answer.amendments:
        session.add(
            AmendmentRow(
                consultation_id=row.id,
                version=answer.version,
                country=country.code,
                position_id=position_id,
                action=change.action.value,
                paragraph=change.paragraph,
                proposed=change.proposed,
            )
        )
    payload = {
        "version": answer.version,
        "country": country.code,
        "position": position.value,
        "extension_requested": answer.extension_requested,
        "position_id": position.id,
        "amendments": [
            {"action": c.action.value, "paragraph": c.paragraph, "proposed": c.proposed}
            for c in answer.amendments
        ],
    }
    if answer.note_verbale:
        payload["note_verbale"] = answer.note_verbale
    await journal.record_event(
        session,
        consultation_id=row.id,
        kind="answer_recorded",
        actor=move.actor,
        at=move.at,
        payload=payload,
        inbound_id=answer.inbound_id,
    )
    await journal.queue_emails(
        session,
        kind="answer_recorded",
        contacts=await queries.contacts_with_role(
            session, Role.FOCAL_POINT.value, party=country.code
        ),
        consultation_id=row.id,
        at=move.at,
        key=f"{row.id}:position-{position.id}",
        payload=payload,
    )
    await _tell_ppt_when_all_answered(
        session, row.id, answer.version, SilenceRule(row.silence_rule), move
    )
    return position


async def _member(session: AsyncSession, code: str) -> CountryRow:
    country = await queries.country(session, code.strip().upper())
    if country is None:
        raise NotFound(f"there is no country {code} in the roster", phrase="no_country", code=code)
    if country.status != CountryStatus.MEMBER.value:
        raise NotAMember(
            f"{country.name_en} is an observer and takes no part in decisions",
            phrase="observer",
            name_es=country.name_es,
            name_en=country.name_en,
        )
    return country


def _check_answer(answer: Answer, paragraphs: int) -> None:
    if answer.position is None and not answer.extension_requested and not answer.note:
        raise InvalidInput(
            "an answer needs a position, a request for more time, or a note", phrase="empty_answer"
        )
    if answer.position is PositionValue.AMEND and not answer.amendments:
        raise InvalidInput(
            "a position 'amend' needs at least one proposed change", phrase="amend_without_changes"
        )
    for change in answer.amendments:
        lowest = 0 if change.action is AmendmentAction.INSERT_AFTER else 1
        if not lowest <= change.paragraph <= paragraphs:
            raise InvalidInput(
                f"paragraph {change.paragraph} does not exist for {change.action.value} "
                f"(the text has {paragraphs} paragraphs)",
                phrase="no_paragraph",
                paragraph=change.paragraph,
                paragraphs=paragraphs,
            )
        needs_text = change.action is not AmendmentAction.DELETE
        if needs_text and not (change.proposed or "").strip():
            raise InvalidInput(
                f"{change.action.value} of paragraph {change.paragraph} needs the proposed text",
                phrase="no_proposed_text",
                paragraph=change.paragraph,
            )


async def _tell_ppt_when_all_answered(
    session: AsyncSession, consultation_id: str, version: int, silence: SilenceRule, move: Move
) -> None:
    """Every member answered and none objects: the PPT may conclude early.

    Two counts first, so that an answer does not reload the whole tally: only the answer
    that completes the round (every member has a position) pays for it."""
    if await queries.members_answered(session, consultation_id, version) < (
        await queries.count_members(session)
    ):
        return
    members = [c.code for c in await queries.countries(session, status=CountryStatus.MEMBER.value)]
    latest = await queries.latest_positions(session, consultation_id, version)
    answers = {code: PositionValue(p.value) for code, p in latest.items() if p.value}
    open_amendments = await count_open_amendments(session, consultation_id, version)
    result = tally.tally(
        members, answers, open_amendments=open_amendments, deadline_passed=False, silence=silence
    )
    if tally.may_conclude_early(result):
        await journal.queue_emails(
            session,
            kind="all_answered",
            contacts=await queries.contacts_with_role(session, Role.PPT.value),
            consultation_id=consultation_id,
            at=move.at,
            key=f"{consultation_id}:v{version}",
            payload={"version": version, "outcome": result.outcome.value},
        )


async def count_open_amendments(session: AsyncSession, consultation_id: str, version: int) -> int:
    latest = await queries.latest_positions(session, consultation_id, version)
    ids = [p.id for p in latest.values() if p.id is not None]
    return sum(1 for a in await queries.amendments_of(session, ids) if a.status == "proposed")

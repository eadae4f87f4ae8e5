"""The procedure through its use cases, on each database backend."""

from datetime import datetime, timedelta

import pytest
from sqlmodel import select

from consultation import closing, distribution, drafting
from consultation.answers import ProposedChange
from consultation.drafting import AlreadyAnswered
from consultation.errors import (
    ConclusionBlocked,
    ConsultationClosed,
    IllegalTransition,
    InvalidInput,
    NotAMember,
    NotFound,
    NotInTroika,
    SupersededVersion,
    TroikaConsensusMissing,
)
from consultation.status import consultation_status
from consultation.texts import Text
from consultation.timesource import ManualTime
from consultation.vocabulary import (
    AmendmentAction,
    Outcome,
    PositionValue,
    SilenceRule,
    Standing,
    State,
    TroikaStatus,
)
from store import queries
from store.database import Database
from store.tables import AmendmentRow, ConsultationRow, EventRow, OutboxRow
from tests.factories import MEMBERS, TEXT_EN, TEXT_ES, answer, make_consultation, move

REPLACE_2 = ProposedChange(
    AmendmentAction.REPLACE, 2, "Los países miembros intercambiarán información."
)


def at(iso: str) -> datetime:
    return datetime.fromisoformat(iso)


async def state_of(db: Database, consultation_id: str) -> State:
    async with db.session() as session:
        row = await session.get(ConsultationRow, consultation_id)
        assert row is not None
        return State(row.state)


async def outbox(db: Database, kind: str) -> list[OutboxRow]:
    async with db.session() as session:
        rows = (await session.exec(select(OutboxRow).where(OutboxRow.kind == kind))).all()
        return list(rows)


async def event_kinds(db: Database, consultation_id: str) -> list[str]:
    async with db.session() as session:
        return [e.kind for e in await queries.events(session, consultation_id)]


async def test_open_numbers_per_year_and_starts_as_draft(db: Database, time: ManualTime) -> None:
    first = await make_consultation(db, time, state=State.DRAFT)
    second = await make_consultation(db, time, state=State.DRAFT, seed=False)
    assert (first.id, second.id) == ("CRM-2026-001", "CRM-2026-002")
    assert await state_of(db, first.id) is State.DRAFT
    assert await event_kinds(db, first.id) == ["opened"]


async def test_troika_consensus_then_distribution_starts_the_clock(
    db: Database, time: ManualTime
) -> None:
    made = await make_consultation(db, time, state=State.TROIKA_REVIEW)
    troika_mail = await outbox(db, "troika_draft")
    assert {r.payload["country"] for r in troika_mail} == {"MX", "DO", "PA"}
    for country in ("MX", "DO", "PA"):
        async with db.transaction() as session:
            outcome = await drafting.answer_troika(
                session, made.id, country=country, approve=True, comment=None, move=move(time)
            )
    assert outcome is TroikaStatus.APPROVED
    assert len(await outbox(db, "troika_consensus")) == 1  # the one PPT officer
    async with db.transaction() as session:
        version = await distribution.send(session, made.id, move(time))
    assert version.deadline_at is not None
    assert version.deadline_at == at("2026-12-14T23:59:59-04:00")  # Mon 14 Dec, 23:59 DO
    drafts = await outbox(db, "draft")
    assert len(drafts) == 22  # two focal points for each of the 11 members
    assert {r.language for r in drafts} == {"es", "en"}
    assert await state_of(db, made.id) is State.CONSULTING


async def test_distribution_before_troika_consensus_is_refused(
    db: Database, time: ManualTime
) -> None:
    made = await make_consultation(db, time, state=State.TROIKA_REVIEW)
    async with db.transaction() as session:
        await drafting.answer_troika(
            session, made.id, country="MX", approve=True, comment=None, move=move(time)
        )
    with pytest.raises(TroikaConsensusMissing):
        async with db.transaction() as session:
            await distribution.send(session, made.id, move(time))
    draft = await make_consultation(db, time, state=State.DRAFT, seed=False)
    with pytest.raises(TroikaConsensusMissing):
        async with db.transaction() as session:
            await distribution.send(session, draft.id, move(time))


async def test_troika_answer_from_outside_the_troika(db: Database, time: ManualTime) -> None:
    made = await make_consultation(db, time, state=State.TROIKA_REVIEW)
    with pytest.raises(NotInTroika):
        async with db.transaction() as session:
            await drafting.answer_troika(
                session, made.id, country="GT", approve=True, comment=None, move=move(time)
            )


async def test_troika_second_answer_changes_nothing(db: Database, time: ManualTime) -> None:
    made = await make_consultation(db, time, state=State.TROIKA_REVIEW)
    async with db.transaction() as session:
        await drafting.answer_troika(
            session, made.id, country="PA", approve=True, comment=None, move=move(time)
        )
    with pytest.raises(AlreadyAnswered):
        async with db.transaction() as session:
            await drafting.answer_troika(
                session, made.id, country="PA", approve=False, comment="no", move=move(time)
            )
    assert (await event_kinds(db, made.id)).count("troika_answered") == 1


async def test_troika_changes_send_the_draft_back_and_a_new_round_starts(
    db: Database, time: ManualTime
) -> None:
    made = await make_consultation(db, time, state=State.TROIKA_REVIEW)
    async with db.transaction() as session:
        outcome = await drafting.answer_troika(
            session, made.id, country="DO", approve=False, comment="Aclarar el ¶3", move=move(time)
        )
    assert outcome is TroikaStatus.CHANGES_REQUESTED
    assert await state_of(db, made.id) is State.DRAFT
    assert [r.payload["round"] for r in await outbox(db, "troika_changes")] == [1]
    with pytest.raises(IllegalTransition):  # the Troika answers nothing while it is a draft
        async with db.transaction() as session:
            await drafting.answer_troika(
                session, made.id, country="MX", approve=True, comment=None, move=move(time)
            )
    async with db.transaction() as session:
        await drafting.edit_draft(
            session, made.id, Text(es=TEXT_ES[:3], en=TEXT_EN[:3]), move(time)
        )
        assert await drafting.submit_to_troika(session, made.id, move(time)) == 2
    async with db.session() as session:
        reviews = await queries.troika_reviews(session, made.id, 2)
    assert {r.status for r in reviews} == {"pending"}
    assert len(await outbox(db, "troika_draft")) == 6  # one per representative per round


async def test_answers_make_the_tally(db: Database, time: ManualTime) -> None:
    made = await make_consultation(db, time)
    await answer(db, time, made.id, "GT", PositionValue.AMEND, changes=(REPLACE_2,))
    await answer(db, time, made.id, "CA", PositionValue.APPROVE)
    await answer(db, time, made.id, "CA", PositionValue.ABSTAIN)  # a new reply replaces
    async with db.session() as session:
        view = await consultation_status(session, made.id, now=time.now())
    by_code = {m.code: m for m in view.members}
    assert by_code["GT"].standing is Standing.AMEND and by_code["GT"].amendments == 1
    assert by_code["CA"].standing is Standing.ABSTAIN
    assert by_code["BZ"].standing is Standing.PENDING
    assert view.result.outcome is Outcome.CONSENSUS_WITH_AMENDMENTS
    assert len(await outbox(db, "answer_recorded")) == 6  # each answer to that country's 2 FPs


async def test_answer_on_a_superseded_version(db: Database, time: ManualTime) -> None:
    made = await make_consultation(db, time)
    async with db.transaction() as session:
        await distribution.revise(
            session, made.id, Text(es=TEXT_ES[:3], en=TEXT_EN[:3]), move(time)
        )
    with pytest.raises(SupersededVersion) as caught:
        await answer(db, time, made.id, "GT", PositionValue.APPROVE, version=1)
    assert (caught.value.given, caught.value.current) == (1, 2)


async def test_observers_and_unknown_countries_cannot_answer(
    db: Database, time: ManualTime
) -> None:
    made = await make_consultation(db, time)
    with pytest.raises(NotAMember):
        await answer(db, time, made.id, "CO", PositionValue.APPROVE)
    with pytest.raises(NotFound):
        await answer(db, time, made.id, "ZZ", PositionValue.APPROVE)


@pytest.mark.parametrize(
    "change",
    [
        ProposedChange(AmendmentAction.REPLACE, 9, "x"),
        ProposedChange(AmendmentAction.DELETE, 0),
        ProposedChange(AmendmentAction.INSERT_AFTER, 2, "  "),
    ],
)
async def test_amendments_must_apply_to_the_text(
    db: Database, time: ManualTime, change: ProposedChange
) -> None:
    made = await make_consultation(db, time)
    with pytest.raises(InvalidInput):
        await answer(db, time, made.id, "GT", PositionValue.AMEND, changes=(change,))


async def test_revision_restarts_the_clock_and_resets_everyone(
    db: Database, time: ManualTime
) -> None:
    made = await make_consultation(db, time)
    await answer(db, time, made.id, "GT", PositionValue.AMEND, changes=(REPLACE_2,))
    await answer(db, time, made.id, "HN", PositionValue.APPROVE)
    time.advance(timedelta(days=3))  # Thursday 10 December
    revised = TEXT_ES.copy()
    revised[1] = REPLACE_2.proposed or ""
    async with db.transaction() as session:
        version = await distribution.revise(session, made.id, Text(es=revised, en=None), move(time))
    assert version.number == 2
    assert version.deadline_at is not None
    assert version.deadline_at == at("2026-12-17T23:59:59-04:00")  # Thu 17 Dec, 23:59 DO
    async with db.session() as session:
        view = await consultation_status(session, made.id, now=time.now())
        amendment = (await session.exec(select(AmendmentRow))).one()
        earlier = await queries.latest_positions(session, made.id, 1)
    assert {m.standing for m in view.members} == {Standing.PENDING}
    assert amendment.status == "incorporated"  # its text is in version 2, word for word
    assert set(earlier) == {"GT", "HN"}  # the record keeps answers to version 1
    assert len(await outbox(db, "revision")) == 22


async def test_revision_with_identical_text_is_refused(db: Database, time: ManualTime) -> None:
    made = await make_consultation(db, time)
    with pytest.raises(InvalidInput):
        async with db.transaction() as session:
            await distribution.revise(session, made.id, Text(es=TEXT_ES, en=TEXT_EN), move(time))


async def test_extension_moves_the_deadline_by_business_days(
    db: Database, time: ManualTime
) -> None:
    made = await make_consultation(db, time)
    async with db.transaction() as session:
        version = await distribution.extend(session, made.id, 2, move(time))
    assert version.deadline_at is not None
    assert version.deadline_at == at("2026-12-16T23:59:59-04:00")  # Wed 16 Dec, DO
    assert version.days == 7
    assert len(await outbox(db, "extension")) == 22


async def test_deadline_tally_then_conclusion_with_results(db: Database, time: ManualTime) -> None:
    made = await make_consultation(db, time)
    for country in MEMBERS[:8]:
        await answer(db, time, made.id, country, PositionValue.APPROVE)
    with pytest.raises(InvalidInput):  # not yet
        async with db.transaction() as session:
            await closing.tally_at_deadline(session, made.id, move(time))
    time.advance(timedelta(days=8))
    async with db.transaction() as session:
        tallied = await closing.tally_at_deadline(session, made.id, move(time, actor="scheduler"))
    assert tallied.result.outcome is Outcome.CONSENSUS
    assert set(tallied.result.with_standing(Standing.SILENT)) == set(MEMBERS[8:])
    assert await state_of(db, made.id) is State.TALLIED
    async with db.transaction() as session:
        concluded = await closing.conclude(session, made.id, move(time))
    assert concluded.consultation.outcome == "consensus"
    assert len(await outbox(db, "results")) == 22
    assert len(await outbox(db, "results_info")) == 13  # 5 observer countries + 8 organisations
    kinds = await event_kinds(db, made.id)
    assert kinds[-2:] == ["tallied", "concluded"]


async def test_concluding_while_blocked_is_refused(db: Database, time: ManualTime) -> None:
    made = await make_consultation(db, time)
    await answer(db, time, made.id, "NI", PositionValue.OBJECT)
    time.advance(timedelta(days=8))
    async with db.transaction() as session:
        tallied = await closing.tally_at_deadline(session, made.id, move(time))
    assert tallied.result.outcome is Outcome.BLOCKED
    with pytest.raises(ConclusionBlocked, match="NI"):
        async with db.transaction() as session:
            await closing.conclude(session, made.id, move(time))


async def test_explicit_silence_rule_blocks_on_silence(db: Database, time: ManualTime) -> None:
    made = await make_consultation(db, time, silence=SilenceRule.EXPLICIT)
    for country in MEMBERS[:10]:
        await answer(db, time, made.id, country, PositionValue.APPROVE)
    time.advance(timedelta(days=8))
    async with db.transaction() as session:
        tallied = await closing.tally_at_deadline(session, made.id, move(time))
    assert tallied.result.outcome is Outcome.BLOCKED
    assert tallied.result.blocking == ("US",)


async def test_early_conclusion_only_when_all_answered_none_objecting(
    db: Database, time: ManualTime
) -> None:
    made = await make_consultation(db, time)
    for country in MEMBERS[:10]:
        await answer(db, time, made.id, country, PositionValue.APPROVE)
    with pytest.raises(ConclusionBlocked, match="US"):
        async with db.transaction() as session:
            await closing.conclude(session, made.id, move(time))
    await answer(db, time, made.id, "US", PositionValue.ABSTAIN)
    assert len(await outbox(db, "all_answered")) == 1
    async with db.transaction() as session:
        concluded = await closing.conclude(session, made.id, move(time))
    assert concluded.state is State.CONCLUDED


async def test_withdrawn_consultation_accepts_nothing(db: Database, time: ManualTime) -> None:
    made = await make_consultation(db, time)
    async with db.transaction() as session:
        await closing.withdraw(session, made.id, move(time), reason="Superseded by CRM-2026-009")
    assert len(await outbox(db, "withdrawal")) == 22
    with pytest.raises(ConsultationClosed):
        await answer(db, time, made.id, "GT", PositionValue.APPROVE)
    with pytest.raises(ConsultationClosed):
        async with db.transaction() as session:
            await distribution.extend(session, made.id, 1, move(time))


async def test_a_failed_move_leaves_no_event_and_no_notice(db: Database, time: ManualTime) -> None:
    made = await make_consultation(db, time)
    before = await event_kinds(db, made.id)
    with pytest.raises(RuntimeError):
        async with db.transaction() as session:
            await distribution.extend(session, made.id, 3, move(time))
            raise RuntimeError("the process died mid-move")
    assert await event_kinds(db, made.id) == before
    assert await outbox(db, "extension") == []


async def test_every_event_names_actor_and_time(db: Database, time: ManualTime) -> None:
    made = await make_consultation(db, time)
    async with db.session() as session:
        rows = (
            await session.exec(select(EventRow).where(EventRow.consultation_id == made.id))
        ).all()
    assert [e.kind for e in rows] == [
        "opened",
        "submitted_to_troika",
        "troika_answered",
        "troika_answered",
        "troika_answered",
        "troika_consensus",
        "distributed",
    ]
    assert all(e.actor and e.at == time.now() for e in rows)

"""The consultation page's values: the record as exported, held replies, the steps allowed now."""

from consultation.answers import ProposedChange
from consultation.lifecycle import Action
from consultation.page import ConsultationPage, consultation_page, troika_pending
from consultation.timesource import ManualTime
from consultation.vocabulary import AmendmentAction, Language, PositionValue, State
from store.database import Database
from store.tables import InboundMessageRow
from templates import environment
from tests.factories import MEMBERS, answer, make_consultation


async def _page(
    db: Database, time: ManualTime, cid: str, language: Language = Language.EN
) -> ConsultationPage:
    async with db.session() as session:
        return await consultation_page(
            session, environment(), cid, now=time.now(), language=language
        )


async def test_steps_follow_the_procedure(db: Database, time: ManualTime) -> None:
    draft = await make_consultation(db, time, state=State.DRAFT)
    assert (await _page(db, time, draft.id)).actions == (Action.SUBMIT_TO_TROIKA, Action.WITHDRAW)
    review = await make_consultation(db, time, state=State.TROIKA_REVIEW, seed=False)
    found = await _page(db, time, review.id)
    assert found.actions == (Action.WITHDRAW,)  # no Send before the whole Troika agrees
    assert troika_pending(found.status, "MX") and not troika_pending(found.status, "GT")
    consulting = await make_consultation(db, time, seed=False)
    found = await _page(db, time, consulting.id)
    assert found.actions == (Action.REVISE, Action.REMIND, Action.EXTEND, Action.WITHDRAW)
    await answer(db, time, consulting.id, "NI", PositionValue.OBJECT)
    for country in MEMBERS:
        if country != "NI":
            await answer(db, time, consulting.id, country, PositionValue.APPROVE)
    found = await _page(db, time, consulting.id)
    assert Action.CONCLUDE not in found.actions and Action.REMIND not in found.actions
    await answer(db, time, consulting.id, "NI", PositionValue.APPROVE)
    assert Action.CONCLUDE in (await _page(db, time, consulting.id)).actions  # early: all agree


async def test_the_record_answers_amendments_and_held_replies(
    db: Database, time: ManualTime
) -> None:
    made = await make_consultation(db, time)
    change = ProposedChange(AmendmentAction.REPLACE, 2, "Diez días.")
    await answer(db, time, made.id, "GT", PositionValue.AMEND, changes=(change,))
    async with db.transaction() as session:
        session.add(
            InboundMessageRow(
                dedupe_key="<held@x>",
                raw=b"From: alguien@gmail.example\r\n\r\nGuatemala aprueba.\r\n",
                received_at=time.now(),
                status="review",
                reason="unregistered_sender",
                consultation_id=made.id,
                version=1,
                country="GT",
                sender="alguien@gmail.example",
            )
        )
    found = await _page(db, time, made.id, Language.ES)
    assert [a["country"] for a in found.open_amendments] == ["Guatemala"]
    assert found.settled_amendments == [] and found.paragraphs == 4
    (held,) = found.held
    assert (held.country, held.sender) == ("Guatemala", "alguien@gmail.example")
    assert "directorio" in held.reason  # in words, in Spanish
    assert found.record["events"] and found.record["title"] == "Flujos extracontinentales"

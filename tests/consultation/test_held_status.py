"""Held replies in the view of a consultation: which positions they may change, what the outcome
hangs on, and one query for all of them however many there are."""

from typing import Any

from sqlalchemy import event

from consultation import tally
from consultation.status import consultation_status
from consultation.timesource import ManualTime
from consultation.vocabulary import PositionValue
from store.database import Database
from tests.factories import MEMBERS, make_consultation
from tests.held import canada_changes_its_mind, hold


def _tally(**answers: PositionValue) -> tally.Tally:
    return tally.tally(MEMBERS, answers, open_amendments=0, deadline_passed=False)


def test_a_block_hangs_on_held_replies_only_when_every_blocker_has_one() -> None:
    blocked = _tally(CA=PositionValue.OBJECT, US=PositionValue.OBJECT)
    assert tally.hangs_on(blocked, ["CA", "MX"]) == ()  # US blocks whatever Canada meant
    assert tally.hangs_on(blocked, ["US", "CA", "MX"]) == ("CA", "US")


def test_consensus_hangs_on_any_held_reply_that_may_still_decide() -> None:
    agreed = _tally(CA=PositionValue.APPROVE)
    assert tally.hangs_on(agreed, []) == ()
    assert tally.hangs_on(agreed, ["SV", "CA"]) == ("CA", "SV")  # in member order


async def test_the_view_marks_newer_earlier_and_pending_held_replies(
    db: Database, time: ManualTime
) -> None:
    cid = await canada_changes_its_mind(db, time)
    async with db.session() as session:
        view = await consultation_status(session, cid, now=time.now())
    lines = {m.code: m for m in view.members}
    assert lines["CA"].held_newer and lines["CA"].undecided
    assert [h.reasons for h in lines["CA"].held] == ["mixed_signals"]
    assert lines["GT"].held and not lines["GT"].held_newer and not lines["GT"].undecided
    assert lines["SV"].undecided and not lines["SV"].held_newer
    assert not lines["MX"].held  # settled
    assert view.depends_on == ("CA",)  # blocked by Canada alone, whose newer reply is held
    assert len(view.held) == 3


async def test_held_replies_cost_one_query_however_many(db: Database, time: ManualTime) -> None:
    made = await make_consultation(db, time)
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    async def queries_for_the_view() -> int:
        statements.clear()
        event.listen(db.engine.sync_engine, "before_cursor_execute", count)
        try:
            async with db.session() as session:
                await consultation_status(session, made.id, now=time.now())
        finally:
            event.remove(db.engine.sync_engine, "before_cursor_execute", count)
        return len(statements)

    none_held = await queries_for_the_view()
    for country in MEMBERS * 3:
        await hold(db, time, made.id, country, "question")
    assert await queries_for_the_view() == none_held
    assert sum("inbound_message" in s for s in statements) == 1
    assert not any("inbound_message.raw" in s for s in statements)  # never the raw bytes

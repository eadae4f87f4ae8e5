"""A roster for another body (issue #18): any number of members, a Troika or a bureau of any
size, a holiday calendar for every member the `holidays` package knows, and an error naming
the member whose calendar it does not know."""

from typing import Any

import pytest

from consultation import drafting
from consultation.errors import RosterError
from consultation.roster import roster_from_data
from consultation.roster_sync import import_roster
from consultation.timesource import ManualTime
from store import queries
from store.database import Database
from tests.factories import move
from tests.rosters import roster_data


def problems_of(data: dict[str, Any]) -> list[str]:
    with pytest.raises(RosterError) as caught:
        roster_from_data(data)
    return caught.value.problems


@pytest.mark.parametrize("members", [11, 35, 57, 193])
def test_a_roster_of_any_size_with_a_calendar_for_every_member(members: int) -> None:
    roster = roster_from_data(roster_data(members))

    assert len(roster.members) == members
    assert roster.presidency.troika == ("BZ", "DO", "CA")
    assert {c.holiday_calendar for c in roster.countries} == set(roster.members)


def test_a_bureau_of_any_size_reviews_drafts_instead_of_a_troika() -> None:
    roster = roster_from_data(roster_data(193, bureau=22))

    assert len(roster.presidency.troika) == 22
    assert roster.presidency.troika[0] == "DO"


def test_a_member_whose_calendar_is_unknown_is_named() -> None:
    data = roster_data(35)
    data["countries"][20]["calendar"] = "XX"
    code, name = data["countries"][20]["code"], data["countries"][20]["name_en"]

    [problem] = problems_of(data)
    assert problem.startswith(f"countries[20] ({code}, {name}).calendar: ")
    assert "no holiday calendar for XX" in problem


def test_a_bureau_without_the_presidency_or_with_a_stranger_is_refused() -> None:
    data = roster_data(35, bureau=5)
    data["presidency"]["bureau"] = ["BZ", "CA", "ZZ"]

    problems = problems_of(data)
    assert "presidency.bureau: the presidency (DO) must be in it" in problems
    assert "presidency.bureau[2]: ZZ is not a member country of the roster" in problems


def test_a_presidency_naming_neither_a_troika_nor_a_bureau_is_refused() -> None:
    data = roster_data(11)
    del data["presidency"]["next"]

    assert "presidency: name previous and next (a Troika), or a bureau" in " ".join(
        problems_of(data)
    )


async def test_a_draft_goes_to_every_seat_of_the_bureau(db: Database, time: ManualTime) -> None:
    roster = roster_from_data(roster_data(57, bureau=7))
    async with db.transaction() as session:
        await import_roster(session, roster, actor="test", at=time.now())
    draft = drafting.Draft(title_es="Texto", title_en="Text", text=_text())
    async with db.transaction() as session:
        row = await drafting.open_draft(session, draft, move(time))
    async with db.transaction() as session:
        await drafting.submit_to_troika(session, row.id, move(time))
    async with db.session() as session:
        reviews = await queries.troika_reviews(session, row.id, 1)

    assert [r.country for r in reviews] == list(roster.presidency.troika)


def _text() -> Any:
    from consultation.texts import Text

    return Text(es=["Primer párrafo.", "Segundo párrafo."], en=None)

"""The archive finds closed consultations by words (any case, any accent), country and date."""

from datetime import date, timedelta

from consultation import archive, closing
from consultation.archive import Search
from consultation.texts import Text
from consultation.timesource import ManualTime
from consultation.vocabulary import Language, PositionValue, State
from store.database import Database
from tests.factories import MEMBERS, TEXT_EN, TEXT_ES, answer, make_consultation, move


async def _three(db: Database, time: ManualTime) -> tuple[str, str, str]:
    """A concluded one (Nicaragua abstains), a withdrawn draft on returns, one still open."""
    concluded = await make_consultation(db, time)
    for country in MEMBERS:
        value = PositionValue.ABSTAIN if country == "NI" else PositionValue.APPROVE
        await answer(db, time, concluded.id, country, value)
    time.advance(timedelta(days=1))
    async with db.transaction() as session:
        await closing.conclude(session, concluded.id, move(time))
    returns = Text(
        es=["Retorno asistido de personas migrantes.", *TEXT_ES[1:]],
        en=["Assisted return of migrants.", *TEXT_EN[1:]],
    )
    time.advance(timedelta(days=20))
    withdrawn = await make_consultation(db, time, state=State.DRAFT, text=returns, seed=False)
    async with db.transaction() as session:
        await closing.withdraw(session, withdrawn.id, move(time), reason="duplicada")
    still_open = await make_consultation(db, time, seed=False)
    return concluded.id, withdrawn.id, still_open.id


async def _ids(db: Database, query: Search, language: Language = Language.EN) -> list[str]:
    async with db.session() as session:
        return [e.id for e in await archive.search(session, query, language)]


async def test_only_closed_consultations_newest_first(db: Database, time: ManualTime) -> None:
    concluded, withdrawn, _ = await _three(db, time)
    assert await _ids(db, Search()) == [withdrawn, concluded]
    async with db.session() as session:
        (first, second) = await archive.search(session, Search(), Language.ES)
    assert (first.state, second.state, second.outcome) == ("withdrawn", "concluded", "consensus")
    assert second.title == "Flujos extracontinentales" and second.versions == 1


async def test_words_match_titles_and_texts_in_either_language(
    db: Database, time: ManualTime
) -> None:
    concluded, withdrawn, _ = await _three(db, time)
    assert await _ids(db, Search(words="EXTRACONTINENTALES")) == [withdrawn, concluded]
    assert await _ids(db, Search(words="AUMENTO de los flujos")) == [concluded]
    assert await _ids(db, Search(words="secretaria tecnica")) == [withdrawn, concluded]
    assert await _ids(db, Search(words="retorno asistido")) == [withdrawn]
    assert await _ids(db, Search(words="assisted return")) == [withdrawn]
    assert await _ids(db, Search(words="nothing like this")) == []


async def test_country_and_dates(db: Database, time: ManualTime) -> None:
    concluded, withdrawn, _ = await _three(db, time)
    assert await _ids(db, Search(country="ni")) == [concluded]  # answered only the first
    assert await _ids(db, Search(country="DO")) == [withdrawn, concluded]  # the presidency
    assert await _ids(db, Search(country="AR")) == []
    async with db.session() as session:
        (late, early) = await archive.search(session, Search(), Language.EN)
    assert late.closed_at is not None and early.closed_at is not None
    first_day = early.closed_at.date()
    assert await _ids(db, Search(until=first_day)) == [concluded]
    assert await _ids(db, Search(since=first_day + timedelta(days=1))) == [withdrawn]
    assert await _ids(db, Search(since=date(2001, 1, 1), until=date(2001, 12, 31))) == []

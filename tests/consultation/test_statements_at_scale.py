"""The board, the digest and the export cost as many SQL statements at 193 members as at 11:
each view loads what it shows in a fixed number of queries, never one per member (issue #18)."""

from collections.abc import Awaitable, Callable
from datetime import timedelta

from bot.status_board import board
from bot.texts import Phrases
from consultation import digest, record
from consultation.exporting import export_record
from consultation.status import consultation_status
from consultation.timesource import ManualTime
from consultation.vocabulary import Language
from store.database import Database
from templates import environment
from tests.rosters import body_consultation
from tests.statements import counting

View = Callable[[Database, str, ManualTime], Awaitable[object]]


async def _status(db: Database, consultation_id: str, time: ManualTime) -> object:
    async with db.session() as session:
        return await consultation_status(session, consultation_id, now=time.now())


async def _board(db: Database, consultation_id: str, time: ManualTime) -> object:
    book = Phrases(environment())(Language.ES)
    async with db.session() as session:
        return await board(session, consultation_id, book, Language.ES, time.now())


async def _digest(db: Database, consultation_id: str, time: ManualTime) -> object:
    async with db.session() as session:
        since = time.now() - timedelta(days=1)
        return await digest.gather(session, now=time.now(), since=since)


async def _export(db: Database, consultation_id: str, time: ManualTime) -> object:
    async with db.session() as session:
        found = await record.gather(session, consultation_id)
    return export_record(environment(), found, fmt="html", language=Language.EN)


VIEWS: dict[str, View] = {
    "status": _status,
    "board": _board,
    "digest": _digest,
    "export": _export,
}


async def _counts(db: Database, time: ManualTime, members: int) -> dict[str, int]:
    consultation_id, _ = await body_consultation(db, time, members)
    counts = {}
    for name, view in VIEWS.items():
        with counting(db) as sent:
            await view(db, consultation_id, time)
        counts[name] = len(sent)
    return counts


async def test_every_view_sends_as_many_statements_at_193_members_as_at_11(
    db: Database, time: ManualTime
) -> None:
    small = await _counts(db, time, 11)
    # The same store grown to 193 members: one more consultation, answered by all of them.
    large = await _counts(db, time, 193)

    assert large == small
    assert all(0 < count <= 20 for count in large.values()), large


async def test_the_export_shows_every_answer_and_its_source_at_193_members(
    db: Database, time: ManualTime
) -> None:
    consultation_id, codes = await body_consultation(db, time, 193)
    async with db.session() as session:
        found = await record.gather(session, consultation_id)

    [version] = found.versions
    assert set(version.answers) == set(codes)
    sourced = [a for answers in version.answers.values() for a in answers if a.source]
    assert len(sourced) == len(codes[::4])
    assert {m.id for m in found.messages} >= {a.source.id for a in sourced if a.source}

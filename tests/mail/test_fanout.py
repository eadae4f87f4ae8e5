"""A fan-out renders a version's notice once per language and personalises it: each reader's
email is the very one composed for them alone (issue #18: fan-out at least 2x cheaper)."""

from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage

from sqlmodel import col, select, update

from consultation import closing, distribution
from consultation.texts import Text
from consultation.timesource import ManualTime
from consultation.vocabulary import PositionValue
from mail.compose import WITH_TEXT, compose
from mail.fanout import Fanout
from store.database import Database
from store.tables import ContactRow, OutboxRow
from templates import environment
from tests.factories import MEMBERS, TEXT_ES, answer, make_consultation, move
from tests.mail.test_compose import IDENTITY


def _parts(message: EmailMessage) -> list[tuple[str, str | None, bytes]]:
    """Every leaf part as a reader gets it: type, file name, decoded content."""
    parsed = message_from_bytes(message.as_bytes(), policy=policy.default)
    return [
        (part.get_content_type(), part.get_filename(), part.get_payload(decode=True))
        for part in parsed.walk()
        if not part.is_multipart()
    ]


def _headers(message: EmailMessage) -> list[tuple[str, str]]:
    return [(k, str(v)) for k, v in message.items() if k != "Content-Type"]


async def _both_ways(db: Database, time: ManualTime) -> int:
    """Compose every notice carrying the text alone and through one shared fan-out."""
    env, shared, compared = environment(), Fanout(), 0
    async with db.session() as session:
        query = select(OutboxRow).where(col(OutboxRow.kind).in_(WITH_TEXT))
        for row in (await session.exec(query.order_by(col(OutboxRow.id)))).all():
            alone = await compose(session, row, env=env, identity=IDENTITY, now=time.now())
            fanned = await compose(
                session, row, env=env, identity=IDENTITY, now=time.now(), fanout=shared
            )
            assert alone is not None and fanned is not None
            assert _headers(fanned.message) == _headers(alone.message)
            assert _parts(fanned.message) == _parts(alone.message)
            compared += 1
    assert len(shared.rendered) < compared  # it did share
    return compared


async def test_every_reader_of_a_fan_out_gets_the_email_composed_for_them_alone(
    db: Database, time: ManualTime
) -> None:
    made = await make_consultation(db, time)
    async with db.transaction() as session:  # names that HTML escapes, in both places
        await session.exec(
            update(ContactRow)
            .where(col(ContactRow.name).startswith("Punto focal de"))
            .values(name='Punto focal de O\'Higgins & <Ríos> "Z"')
        )
        await distribution.extend(session, made.id, 2, move(time))
    revised = [*TEXT_ES[:1], "Los países intercambiarán información sobre <rutas>.", *TEXT_ES[2:]]
    async with db.transaction() as session:
        await distribution.revise(session, made.id, Text(es=revised, en=None), move(time))
    for country in MEMBERS:
        await answer(db, time, made.id, country, PositionValue.APPROVE, version=2)
    time.advance(timedelta(days=12))
    async with db.transaction() as session:
        await closing.tally_at_deadline(session, made.id, move(time))
        await closing.conclude(session, made.id, move(time))

    assert await _both_ways(db, time) > 40


async def test_a_name_that_would_change_the_html_is_composed_alone(
    db: Database, time: ManualTime
) -> None:
    await make_consultation(db, time)
    async with db.transaction() as session:
        await session.exec(update(ContactRow).values(name="Punto `focal`"))

    assert await _both_ways(db, time) > 20

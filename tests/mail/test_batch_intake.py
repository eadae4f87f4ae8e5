"""A fetched batch: stored whole in two statements, deduplicated as one message at a time
would be, then each reply decided in its own transaction at a bounded number of statements."""

import hashlib
from datetime import timedelta
from email.message import EmailMessage

from sqlmodel import col, select

from consultation.timesource import ManualTime
from mail import tokens
from mail.imap import Fetched
from mail.inbound import BatchIntake, Inbox, Incoming
from store import queries
from store.database import Database
from store.tables import InboundMessageRow, PositionRow
from tests.factories import make_consultation
from tests.mail.test_compose import IDENTITY
from tests.statements import counting

# One statement more than today's count on either store, so that a regression (a lookup per
# message, a savepoint, one INSERT per notice) fails here rather than only in the bench.
STATEMENTS_PER_REPLY = 12


def reply(consultation: str, country: str, sender: str, n: int, *, body: str = "") -> bytes:
    token = tokens.make_token(
        consultation_id=consultation, version=1, country=country, secret=IDENTITY.secrets[0]
    )
    message = EmailMessage()
    message["From"] = sender
    message["To"] = tokens.reply_address(
        local=IDENTITY.reply_local, domain=IDENTITY.domain, token=token
    )
    message["Subject"] = f"RE: [{consultation} v1] consulta"
    message["Message-ID"] = f"<batch.{n}@{sender.split('@')[1]}>"
    message.set_content(body or "Aprobamos el texto.\n\nSaludos cordiales,\nPunto Focal\n")
    return message.as_bytes()


async def focal_points(db: Database) -> list[tuple[str, str]]:
    """(country, address) of every active focal point of a member country."""
    found = []
    async with db.session() as session:
        for country in await queries.countries(session, status="member"):
            for contact in await queries.focal_points(session, [country.code]):
                assert contact.id is not None
                found.append(
                    (country.code, (await queries.emails_of(session, contact.id))[0].address)
                )
    return found


async def rows(db: Database) -> list[InboundMessageRow]:
    async with db.session() as session:
        query = select(InboundMessageRow).order_by(col(InboundMessageRow.id))
        return list((await session.exec(query)).all())


async def test_a_batch_is_stored_once_and_deduplicated_like_single_messages(
    db: Database, time: ManualTime
) -> None:
    made = await make_consultation(db, time)
    (country, sender), *_ = await focal_points(db)
    inbox = Inbox(db, identity=IDENTITY, time=time)
    first = reply(made.id, country, sender, 1)
    seen_before, _ = await inbox.store(first)
    # Rows stored before content keys: the Message-ID cut at 500, or sha256 of the bytes.
    legacy_id = reply(made.id, country, sender, 2)
    no_id = reply(made.id, country, sender, 3).replace(b"Message-ID: <batch.3@", b"X-Was: <")
    async with db.transaction() as session:
        for raw, key, mid in (
            (legacy_id, f"<batch.2@{sender.split('@')[1]}>", f"<batch.2@{sender.split('@')[1]}>"),
            (no_id, f"sha256:{hashlib.sha256(no_id).hexdigest()}", None),
        ):
            session.add(
                InboundMessageRow(
                    dedupe_key=key,
                    message_id=mid,
                    raw=raw,
                    received_at=time.now() - timedelta(days=1),
                    status="recorded",
                )
            )
    fresh = reply(made.id, country, sender, 4)
    reused = reply(made.id, country, sender, 1, body="Objetamos el texto.\n")  # id of `first`
    # The same message again through another route: only trace fields differ.
    relayed = b"Received: from relay.example by mx.example; Mon, 7 Dec 2026\r\n" + fresh

    with counting(db) as sent:
        stored = await inbox.store_batch(
            [
                *(Incoming(raw) for raw in (first, legacy_id, no_id, fresh, reused, relayed)),
            ]
        )
    assert [s.new for s in stored] == [False, False, False, True, True, False]
    assert stored[0].id == seen_before
    assert stored[5].id == stored[3].id  # twice in one batch: one row
    assert stored[4].reason == "reused_message_id"
    # One SELECT for every key, the bytes of rows kept under older keys (only they
    # need hashing), one INSERT for the new rows.
    verbs = [s.split()[0] for s in sent if not s.startswith("BEGIN")]  # SQLite's own
    assert verbs[0] == "SELECT" and verbs[-1] == "INSERT", sent
    assert verbs.count("INSERT") == 1 and len(verbs) <= 4, sent
    kept = await rows(db)
    assert len(kept) == 5
    assert {r.id: r.reason for r in kept}[stored[4].id] == "reused_message_id"
    assert {r.id: r.raw for r in kept}[stored[3].id] == fresh


async def test_a_batch_of_replies_costs_a_bounded_number_of_statements_each(
    db: Database, time: ManualTime
) -> None:
    """22 replies (every focal point of the 11 members) to each of 3 consultations, as the
    IMAP listener hands them over: every one recorded, with its receipts, at no more than
    `STATEMENTS_PER_REPLY` statements each, whatever the batch's size."""
    ids = [(await make_consultation(db, time, seed=n == 0)).id for n in range(3)]
    senders = await focal_points(db)
    messages = [
        Fetched(uid=n + 1, raw=reply(ids[n // len(senders)], *senders[n % len(senders)], n), size=0)
        for n in range(len(ids) * len(senders))
    ]
    intake = BatchIntake(Inbox(db, identity=IDENTITY, time=time))

    with counting(db) as sent:
        for start in range(0, len(messages), 50):  # the listener's fetch batches
            await intake.store(messages[start : start + 50])
            for message in messages[start : start + 50]:
                await intake.receive(message)

    assert {r.status for r in await rows(db)} == {"recorded"}
    async with db.session() as session:
        positions = (await session.exec(select(PositionRow))).all()
    assert len(positions) == len(messages)
    assert len(sent) / len(messages) <= STATEMENTS_PER_REPLY, len(sent) / len(messages)

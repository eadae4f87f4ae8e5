"""Nothing lost, nothing invisible (issue #13, part 5), through Dovecot and the running email
front: a reused Message-ID, automatic-reply headers on a real objection, a message nested too deep,
a message whose processing keeps failing. Each is stored, and decided or held for a person."""

from collections.abc import Sequence

from sqlmodel import select

from consultation.timesource import ManualTime
from mail.mailbox_store import StoredMailboxState
from mail.reading import Reading
from store import queries
from store.database import Database
from store.tables import InboundMessageRow, OutboxRow
from tests.mail.test_front import (
    distributed,
    focal_point,
    inbound,
    make_front,
    parsed,
    reply_to_draft,
    running,
    until,
)
from tests.servers.dovecot import Dovecot
from tests.servers.smtpd import SmtpServer


async def settled(db: Database, count: int) -> bool:
    rows = await inbound(db)
    return len(rows) == count and all(r.status != "stored" for r in rows)


async def listened_to(db: Database, uid: int) -> bool:
    position = await StoredMailboxState(db).load("INBOX")
    return position is not None and position[1] == uid


async def queued(db: Database, kind: str, inbound_id: int) -> list[OutboxRow]:
    async with db.session() as session:
        query = select(OutboxRow).where(OutboxRow.kind == kind)
        rows = (await session.exec(query)).all()
    return [r for r in rows if f":inbound-{inbound_id}:" in r.dedupe_key]


async def assert_held(db: Database, row: InboundMessageRow, reason: str) -> None:
    """Held: status review with its reason, before the PPT and the ST (Slack), the PPT told."""
    assert row.status == "review" and reason in (row.reason or "").split(","), row
    assert row.id is not None
    assert len(await queued(db, "review_item", row.id)) == 2  # the PPT and the ST
    assert len(await queued(db, "reply_flagged", row.id)) >= 1


def with_trace(raw: bytes, hop: str) -> bytes:
    """The same message as another route delivers it: trace fields of its own on top."""
    trace = (
        f"Return-Path: <{hop}@relay.example>\r\n"
        f"Delivered-To: consultas@crm.example\r\nX-Original-To: {hop}@crm.example\r\n"
        f"Received: from {hop}.relay.example by mx.crm.example; Mon, 7 Dec 2026 10:00:00 -0600\r\n"
        f"Authentication-Results: mx.crm.example; spf=pass smtp.mailfrom={hop}.example\r\n"
        f"ARC-Seal: i=1; a=rsa-sha256; d={hop}.example; s=arc; cv=none; b=abc\r\n"
    )
    return trace.encode() + raw


async def test_a_reused_message_id_is_stored_held_and_never_recorded(
    db: Database, time: ManualTime, smtpd: SmtpServer, dovecot: Dovecot
) -> None:
    consultation = await distributed(db, time, smtpd)
    approve = reply_to_draft(smtpd, "GT", "Aprobamos el texto.")
    correction = reply_to_draft(smtpd, "GT", "Rectificamos: Guatemala objeta el texto.")
    assert parsed(approve)["Message-ID"] == parsed(correction)["Message-ID"]
    await dovecot.append(approve)
    await dovecot.append(with_trace(approve, "second"))  # another route: the same message
    await dovecot.append(correction)
    async with running(make_front(db, time, smtpd, dovecot)):
        await until(lambda: settled(db, 2))
        await dovecot.append(approve)  # fetched again: still the same message
        await dovecot.append(with_trace(correction, "third"))
        await until(lambda: listened_to(db, 5))

    first, second = await inbound(db)
    assert first.status == "recorded"
    await assert_held(db, second, "reused_message_id")
    assert second.raw.replace(b"\r\n", b"\n") == correction.replace(b"\r\n", b"\n")
    assert second.reading and second.reading["position"] == "object"
    async with db.session() as session:
        latest = await queries.latest_positions(session, consultation, 1)
    assert latest["GT"].value == "approve"
    assert len(await inbound(db)) == 2


async def test_message_ids_that_differ_after_500_characters_are_two_messages(
    db: Database, time: ManualTime, smtpd: SmtpServer, dovecot: Dovecot
) -> None:
    consultation = await distributed(db, time, smtpd)
    common = "x" * 600
    for country in ("GT", "SV"):
        message = parsed(reply_to_draft(smtpd, country, "Aprobamos el texto."))
        del message["Message-ID"]
        message["Message-ID"] = f"<{common}.{country}@example.org>"
        await dovecot.append(message.as_bytes())
    async with running(make_front(db, time, smtpd, dovecot)):
        await until(lambda: settled(db, 2))

    assert [r.status for r in await inbound(db)] == ["recorded", "recorded"]
    async with db.session() as session:
        latest = await queries.latest_positions(session, consultation, 1)
    assert {latest["GT"].value, latest["SV"].value} == {"approve"}


AUTOMATIC = {
    "GT": ("Auto-Submitted", "auto-generated"),
    "SV": ("X-Autoreply", "yes"),
    "HN": ("Precedence", "auto_reply"),
}


async def test_automatic_reply_headers_on_an_objection_hold_it(
    db: Database, time: ManualTime, smtpd: SmtpServer, dovecot: Dovecot
) -> None:
    consultation = await distributed(db, time, smtpd)
    for country, (name, value) in AUTOMATIC.items():
        message = parsed(reply_to_draft(smtpd, country, "Nuestro país objeta el texto."))
        message[name] = value  # the ministry's gateway stamps every outgoing message
        await dovecot.append(message.as_bytes())
    async with running(make_front(db, time, smtpd, dovecot)):
        await until(lambda: settled(db, 3))

    for row in await inbound(db):
        await assert_held(db, row, "auto_reply_with_position")
        assert row.reading and row.reading["position"] == "object"
    async with db.session() as session:
        latest = await queries.latest_positions(session, consultation, 1)
        events = await queries.events(session, consultation)
    assert not latest and not [e for e in events if e.kind == "out_of_office"]
    assert not [m for m in smtpd.received if "no se registró" in str(parsed(m.data)["Subject"])]


def nested(depth: int, text: str) -> bytes:
    body = f"Content-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n".encode()
    for level in range(depth):
        boundary = f"b{level}".encode()
        body = (
            b'Content-Type: multipart/mixed; boundary="'
            + boundary
            + b'"\r\n\r\n--'
            + boundary
            + b"\r\n"
            + body
            + b"\r\n--"
            + boundary
            + b"--\r\n"
        )
    return body


async def test_a_message_nested_1000_deep_is_held_as_too_complex_with_its_bytes(
    db: Database, time: ManualTime, smtpd: SmtpServer, dovecot: Dovecot
) -> None:
    await distributed(db, time, smtpd)
    reply = parsed(reply_to_draft(smtpd, "GT", "x"))
    header = (
        b"".join(
            f"{name}: {reply[name]}\r\n".encode()
            for name in ("From", "To", "Subject", "Message-ID")
        )
        + f"In-Reply-To: {reply['In-Reply-To']}\r\nMIME-Version: 1.0\r\n".encode()
    )
    raw = header + nested(1000, "Guatemala objeta el texto.")
    await dovecot.append(raw)
    async with running(make_front(db, time, smtpd, dovecot)):
        await until(lambda: settled(db, 1))

    [row] = await inbound(db)
    await assert_held(db, row, "too_complex")
    assert row.raw.replace(b"\r\n", b"\n") == raw.replace(b"\r\n", b"\n")
    assert row.country == "GT" and row.sender == focal_point("GT")


class BrokenReader:
    """A reader with a bug: every message it reads raises (the processing fault of the issue)."""

    def __init__(self) -> None:
        self.reads = 0

    async def read(self, raw: bytes, paragraphs: Sequence[str]) -> Reading:
        self.reads += 1
        raise RecursionError("maximum recursion depth exceeded")

    async def close(self) -> None:
        return None


async def test_a_message_failing_three_times_is_a_held_reply_with_its_error(
    db: Database, time: ManualTime, smtpd: SmtpServer, dovecot: Dovecot
) -> None:
    await distributed(db, time, smtpd)
    await dovecot.append(reply_to_draft(smtpd, "GT", "Guatemala objeta el texto."))
    front = make_front(db, time, smtpd, dovecot)
    reader = BrokenReader()
    front.inbox._reader = reader
    async with running(front):
        await until(lambda: settled(db, 1))

    [row] = await inbound(db)
    await assert_held(db, row, "processing_failed")
    assert reader.reads == 3 and row.attempts == 3
    assert row.error == "RecursionError: maximum recursion depth exceeded"
    assert row.country == "GT"

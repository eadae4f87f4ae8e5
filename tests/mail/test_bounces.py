"""Bounces count only when they answer our own sending (VERP), and are read by their fields:
through the real front (aiosmtpd out, Dovecot in) on SQLite and PostgreSQL."""

from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from sqlmodel import col, select

from bench.bounces import READERS, score
from consultation.timesource import ManualTime
from mail import tokens
from mail.reading.kind import classify
from mail.reading.mime import collect
from store.database import Database
from store.tables import ContactEmailRow, EventRow, InboundMessageRow, OutboxRow
from tests.mail.test_compose import IDENTITY
from tests.mail.test_front import distributed, make_front, running, until
from tests.servers.dovecot import Dovecot
from tests.servers.smtpd import SmtpServer

GT = "puntofocal@cancilleria.gt.example"
GT_OTHER = "migracion@interior.gt.example"
SV = "puntofocal@cancilleria.sv.example"


def dsn(*, to: str, recipient: str, action: str, status: str, n: int = 1) -> bytes:
    return (
        f"From: MAILER-DAEMON@mx.cancilleria.gt.example\r\nTo: {to}\r\n"
        f"Delivered-To: {to}\r\nSubject: Delivery Status Notification\r\n"
        f"Message-ID: <dsn{n}.{action}@mx.cancilleria.gt.example>\r\nMIME-Version: 1.0\r\n"
        "Content-Type: multipart/report; report-type=delivery-status; boundary=B\r\n\r\n"
        "--B\r\nContent-Type: text/plain\r\n\r\nThis is the mail system.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.cancilleria.gt.example\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\nAction: {action}\r\nStatus: {status}\r\n"
        f"Diagnostic-Code: smtp; {status[0]}50 {status} the remote server said so\r\n--B--\r\n"
    ).encode()


def forged_undeliverable() -> bytes:
    """Issue #13: anyone, "Undeliverable", X-Failed-Recipients naming GT's focal points."""
    return (
        "From: postmaster@evil.example\r\nTo: consultas@crm.example\r\n"
        f"Subject: Undeliverable: your message\r\nX-Failed-Recipients: {GT}, {GT_OTHER}\r\n"
        "Authentication-Results: mx.crm.example; dmarc=fail header.from=evil.example\r\n"
        "Message-ID: <forged@evil.example>\r\nContent-Type: text/plain\r\n\r\n"
        f"Delivery has failed to these recipients:\r\n{GT}\r\n{GT_OTHER}\r\n"
    ).encode()


async def verp_of(db: Database, smtpd: SmtpServer, address: str) -> str:
    """The envelope sender the draft to ``address`` went out with (as aiosmtpd received it)."""
    [draft] = [m for m in smtpd.delivered_to(address) if b"v1]" in m.data]
    return draft.mail_from


async def failing(db: Database) -> set[str]:
    async with db.session() as session:
        query = select(ContactEmailRow).where(col(ContactEmailRow.failing).is_(True))
        return {e.address for e in (await session.exec(query)).all()}


async def events(db: Database, kind: str) -> list[EventRow]:
    async with db.session() as session:
        return list((await session.exec(select(EventRow).where(EventRow.kind == kind))).all())


async def alerts(db: Database) -> int:
    async with db.session() as session:
        query = select(OutboxRow).where(OutboxRow.kind == "bounce_alert")
        return len((await session.exec(query)).all())


async def processed(db: Database, count: int) -> bool:
    async with db.session() as session:
        query = select(InboundMessageRow).where(InboundMessageRow.status != "stored")
        return len((await session.exec(query)).all()) >= count


async def deliver(
    db: Database, time: ManualTime, smtpd: SmtpServer, dovecot: Dovecot, *raws: bytes
) -> None:
    before = len(await inbound_rows(db))
    for raw in raws:
        await dovecot.append(raw)
    async with running(make_front(db, time, smtpd, dovecot)):
        await until(lambda: processed(db, before + len(raws)))


# -- through the front ------------------------------------------------------------------------


async def test_each_notice_goes_out_with_a_signed_verp_sender_per_recipient(
    db: Database, time: ManualTime, smtpd: SmtpServer
) -> None:
    await distributed(db, time, smtpd)
    for address in (GT, GT_OTHER, SV):
        sender = await verp_of(db, smtpd, address)
        local, _, domain = sender.partition("@")
        assert domain == "crm.example" and local.startswith("consultas+b.")
        assert len(local) <= tokens.MAX_LOCAL_PART and sender == sender.lower()
        token = tokens.token_from_address(sender, local="consultas")
        assert token is not None
        found = tokens.verp_recipient(
            token, candidates=[SV, GT, GT_OTHER], secrets=IDENTITY.secrets
        )
        assert found == address
    # The From: header is unchanged: replies still go to the person, bounces to the envelope.
    [draft] = [m for m in smtpd.delivered_to(GT) if b"v1]" in m.data]
    message = message_from_bytes(draft.data, policy=policy.default)
    assert IDENTITY.address in str(message["From"])


async def test_a_dsn_to_the_verp_address_marks_exactly_that_address_failing(
    db: Database, time: ManualTime, smtpd: SmtpServer, dovecot: Dovecot
) -> None:
    await distributed(db, time, smtpd)
    verp = await verp_of(db, smtpd, GT)
    # The report names GT's other address too: the signed envelope decides, not the words.
    raw = dsn(to=verp, recipient=GT_OTHER, action="failed", status="5.1.1")
    raw = raw.replace(
        b"Final-Recipient", f"X-Failed-Recipients: {GT_OTHER}\r\nFinal-Recipient".encode(), 1
    )
    await deliver(db, time, smtpd, dovecot, raw)
    assert await failing(db) == {GT}
    async with db.session() as session:
        email = await session.get(ContactEmailRow, GT)
    assert email is not None and email.failure and email.failure.startswith("5.1.1")
    assert await alerts(db) == 1
    [row] = [r for r in await inbound_rows(db)]
    assert row.status == "bounce" and row.reason == f"failed:{GT}"


async def test_a_forged_undeliverable_marks_nothing_and_alerts_nobody(
    db: Database, time: ManualTime, smtpd: SmtpServer, dovecot: Dovecot
) -> None:
    await distributed(db, time, smtpd)
    verp = await verp_of(db, smtpd, GT)
    row_id, _, _ = verp.partition("+b.")[2].partition(".")
    forged_tag = tokens.reply_address(
        local="consultas", domain="crm.example", token=f"b.{row_id.split('.')[0]}.{'a' * 16}"
    )
    await deliver(
        db,
        time,
        smtpd,
        dovecot,
        forged_undeliverable(),
        dsn(to=forged_tag, recipient=GT, action="failed", status="5.1.1", n=2),
    )
    assert await failing(db) == set()
    assert await alerts(db) == 0
    notes = await events(db, "bounce_unverified")
    assert sorted(n.payload["problem"] for n in notes) == ["bad_verp_signature", "no_verp_address"]
    assert {r.status for r in await inbound_rows(db)} == {"bounce"}
    assert not [m for m in smtpd.received if any("evil.example" in r for r in m.rcpt_tos)]


async def test_a_delay_report_is_one_note_a_day_and_the_address_keeps_working(
    db: Database, time: ManualTime, smtpd: SmtpServer, dovecot: Dovecot
) -> None:
    await distributed(db, time, smtpd)
    verp = await verp_of(db, smtpd, GT)
    await deliver(
        db,
        time,
        smtpd,
        dovecot,
        dsn(to=verp, recipient=GT, action="delayed", status="4.4.1", n=1),
        dsn(to=verp, recipient=GT, action="delayed", status="4.4.1", n=2),
    )
    assert len(await events(db, "delivery_delayed")) == 1
    time.advance(timedelta(days=1))
    await deliver(
        db, time, smtpd, dovecot, dsn(to=verp, recipient=GT, action="delayed", status="4.4.7", n=3)
    )
    notes = await events(db, "delivery_delayed")
    assert [n.payload["address"] for n in notes] == [GT, GT]
    assert notes[-1].payload["status"] == "4.4.7"
    assert await failing(db) == set() and await alerts(db) == 0


async def test_a_delivered_report_does_nothing(
    db: Database, time: ManualTime, smtpd: SmtpServer, dovecot: Dovecot
) -> None:
    await distributed(db, time, smtpd)
    verp = await verp_of(db, smtpd, GT)
    await deliver(
        db, time, smtpd, dovecot, dsn(to=verp, recipient=GT, action="delivered", status="2.0.0")
    )
    [row] = await inbound_rows(db)
    assert (row.status, row.reason) == ("bounce", f"delivered:{GT}")
    assert await failing(db) == set() and await alerts(db) == 0
    assert await events(db, "delivery_delayed") == []


async def inbound_rows(db: Database) -> list[InboundMessageRow]:
    async with db.session() as session:
        query = select(InboundMessageRow).order_by(col(InboundMessageRow.id))
        return list((await session.exec(query)).all())


# -- pure parts -------------------------------------------------------------------------------


def test_a_verp_token_binds_row_and_recipient_and_verifies_with_every_key() -> None:
    old, new = b"o" * 32, b"n" * 32
    token = tokens.make_verp(row_id=42, recipient="PuntoFocal@Cancilleria.GT.example", secret=old)
    assert tokens.verp_row(token) == 42
    assert tokens.verp_recipient(token, candidates=[GT_OTHER, GT], secrets=[new, old]) == GT
    with pytest.raises(tokens.TokenForged):
        tokens.verp_recipient(token, candidates=[GT_OTHER], secrets=[new, old])
    with pytest.raises(tokens.TokenForged):  # another row's tag
        tokens.verp_recipient(token.replace("b.42.", "b.43."), candidates=[GT], secrets=[old])
    with pytest.raises(tokens.TokenMalformed):
        tokens.verp_row("crm-2026-001.v1.gt.aaaaaaaaaaaaaaaa")  # a reply token is not one
    # A reply token's key context differs: the same key never signs both the same way.
    reply = tokens.make_token(consultation_id="CRM-1", version=1, country="GT", secret=old)
    assert reply.rsplit(".", 1)[1] != token.rsplit(".", 1)[1]


def test_the_bounce_corpus_is_read_right() -> None:
    figures = score(READERS["combined"])
    assert figures["messages"] >= 30
    assert figures["outcome"] >= 0.95 and figures["addresses_exact"] >= 0.95
    assert figures["false_failures"] == 0  # no delay or success report read as a failure


LOOP_ALERT = (
    b"From: crm-lista-owner@listas.crm.example\r\nTo: consultas@crm.example\r\n"
    b"Subject: Mail loop detected: RE: [CRM-2026-001 v1] Consulta\r\n"
    b"References: <consulta.CRM-2026-001.v1.GT.o3@crm.example>\r\n"
    b"In-Reply-To: <consulta.CRM-2026-001.v1.GT.o3@crm.example>\r\nX-Loop: crm-lista\r\n"
    b"Message-ID: <loop1@listas.crm.example>\r\nContent-Type: text/plain\r\n\r\n"
    b"A message to the list appears to be looping and was held. Aprobamos el texto.\r\n"
)


def test_a_lists_loop_alert_with_references_is_not_a_human_reply() -> None:
    verdict = classify(collect(LOOP_ALERT), "Aprobamos el texto.", substantive=True)
    assert verdict.kind == "other"

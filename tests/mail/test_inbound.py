"""Inbound replies: stored raw, matched, trusted, read and recorded, or kept for review."""

import json
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from sqlmodel import col, select

from consultation.texts import Text, paragraphs_from_text
from consultation.timesource import ManualTime
from consultation.vocabulary import State
from mail import tokens
from mail.inbound import Inbox
from store import queries
from store.database import Database
from store.tables import ContactEmailRow, EventRow, InboundMessageRow, OutboxRow
from tests.factories import make_consultation
from tests.fixtures.replies import CORPUS as FIXTURES
from tests.mail.test_compose import IDENTITY, body, composed

LABELS = json.loads((FIXTURES / "labels.json").read_text(encoding="utf-8"))
DRAFT = "vias-laborales"
APPROVAL = "01-outlook-es-approve-cp1252.eml"  # Guatemala approves, Outlook, top-posted
FIVE_TO_TEN = "31-thunderbird-es-bottom-cinco-por-diez.eml"  # «cinco días» -> «diez días»
GT = "puntofocal@cancilleria.gt.example"


def fixture_text() -> Text:
    def read(lang: str) -> list[str]:
        return paragraphs_from_text(
            (FIXTURES / "drafts" / f"{DRAFT}.{lang}.txt").read_text("utf-8")
        )

    return Text(es=read("es"), en=read("en"))


def reply_address(consultation_id: str, country: str, version: int = 1) -> str:
    token = tokens.make_token(
        consultation_id=consultation_id,
        version=version,
        country=country,
        secret=IDENTITY.secrets[0],
    )
    return tokens.reply_address(local="consultas", domain="crm.example", token=token)


def readdressed(name: str, *, sender: str, to: str, message_id: str | None = "keep") -> bytes:
    """A fixture reply as if sent by ``sender`` to ``to`` (our Reply-To)."""
    message = message_from_bytes((FIXTURES / "messages" / name).read_bytes(), policy=policy.default)
    assert isinstance(message, EmailMessage)
    for header in ("From", "To", "Cc", "Delivered-To", "In-Reply-To", "References"):
        del message[header]
    message["From"] = sender
    message["To"] = to
    if message_id is None:
        del message["Message-ID"]
    elif message_id != "keep":
        del message["Message-ID"]
        message["Message-ID"] = message_id
    return message.as_bytes()


def plain(*, sender: str, to: str, subject: str, body: str, extra: str = "") -> bytes:
    return (
        f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\n{extra}"
        f"Message-ID: <{abs(hash((sender, subject, body)))}@mail.example>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        f"{body}\r\n"
    ).encode()


@pytest.fixture
async def consultation(db: Database, time: ManualTime) -> str:
    return (await make_consultation(db, time, text=fixture_text())).id


def inbox(db: Database, time: ManualTime, **kwargs: str) -> Inbox:
    return Inbox(db, identity=IDENTITY, time=time, **kwargs)  # type: ignore[arg-type]


async def stored(db: Database) -> list[InboundMessageRow]:
    async with db.session() as session:
        return list(
            (
                await session.exec(select(InboundMessageRow).order_by(col(InboundMessageRow.id)))
            ).all()
        )


async def outbox(db: Database, kind: str) -> list[OutboxRow]:
    async with db.session() as session:
        return list((await session.exec(select(OutboxRow).where(OutboxRow.kind == kind))).all())


@pytest.mark.parametrize(
    "name",
    [
        n
        for n, v in sorted(LABELS.items())
        if DRAFT in v["draft"]
        and v["draft"].endswith(".es.txt")
        and v["expected"]["kind"] == "reply"
        and v["expected"]["position"]
    ][:4],
)
async def test_a_focal_points_reply_is_recorded_with_a_receipt(
    db: Database, time: ManualTime, consultation: str, name: str
) -> None:
    raw = readdressed(name, sender=f"Punto Focal <{GT}>", to=reply_address(consultation, "GT"))
    await inbox(db, time).receive(raw)
    [row] = await stored(db)
    expected = LABELS[name]["expected"]
    if row.status == "review":  # the reader was unsure: kept for a human, never tallied
        assert row.reading and row.reading["needs_review"]
        return
    assert row.status == "recorded", row.reason
    async with db.session() as session:
        latest = await queries.latest_positions(session, consultation, 1)
    assert latest["GT"].value == expected["position"]
    assert latest["GT"].inbound_id == row.id
    receipts = await outbox(db, "answer_recorded")
    assert {r.contact_id for r in receipts} and len(receipts) == 2  # both GT focal points


async def test_the_same_message_twice_is_stored_and_recorded_once(
    db: Database, time: ManualTime, consultation: str
) -> None:
    raw = plain(
        sender=GT,
        to=reply_address(consultation, "GT"),
        subject="RE: consulta",
        body="Guatemala aprueba el texto sin comentarios.",
    )
    box = inbox(db, time)
    first, second = await box.receive(raw), await box.receive(raw)
    assert first == second and len(await stored(db)) == 1
    assert len(await outbox(db, "answer_recorded")) == 2


async def test_no_message_id_deduplicates_on_the_bytes(
    db: Database, time: ManualTime, consultation: str
) -> None:
    raw = readdressed(APPROVAL, sender=GT, to=reply_address(consultation, "GT"), message_id=None)
    box = inbox(db, time)
    await box.receive(raw)
    await box.receive(raw)
    [row] = await stored(db)
    assert row.dedupe_key.startswith("sha256:") and row.message_id is None


@pytest.mark.parametrize("mangle", ["forged", "truncated"])
async def test_a_bad_token_goes_to_review_with_one_notice_a_day(
    db: Database, time: ManualTime, consultation: str, mangle: str
) -> None:
    """Since issue #13 a notice goes only to a sender we can trust: here our server stamped
    Guatemala's domain authenticated (without authentication, a bad token proves nothing about
    who sent it, so nobody is written to: see tests/mail/test_trust.py)."""
    good = reply_address(consultation, "GT")
    local, domain = good.split("@")
    bad = (local[:-3] + "aaa" if mangle == "forged" else local.split(".")[0]) + "@" + domain
    box = inbox(db, time, authserv_id="mx.crm.example")
    for n in range(50):  # one sender, fifty bad messages in a day: one notice
        await box.receive(
            plain(sender=GT, to=bad, subject=f"RE {n}", body="Aprobamos.", extra=DMARC_PASS)
        )
    rows = await stored(db)
    assert len(rows) == 50 and {r.status for r in rows} == {"review"}
    assert {r.reason for r in rows} == {"token_forged" if mangle == "forged" else "token_malformed"}
    [notice] = await composed(db, time, "rejection")
    assert str(notice["To"]) == GT
    assert "RE " not in str(notice["Subject"]) and "Aprobamos" not in body(notice, "plain")
    async with db.session() as session:
        assert await queries.latest_positions(session, consultation, 1) == {}


DMARC_PASS = (
    "Authentication-Results: mx.crm.example;\r\n"
    " dkim=pass header.d=cancilleria.gt.example; dmarc=pass header.from=cancilleria.gt.example\r\n"
)


def header_of(raw: bytes) -> bytes:
    return raw.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n"


async def test_a_message_over_the_size_limit_is_reviewed_and_its_sender_told(
    db: Database, time: ManualTime, consultation: str
) -> None:
    raw = plain(
        sender=GT, to=reply_address(consultation, "GT"), subject="RE: scan", body="(a scan)"
    )
    size = 30 * 1024 * 1024
    await inbox(db, time).receive(header_of(raw), size=size, header_only=True)

    [row] = await stored(db)
    assert (row.status, row.reason, row.size, row.header_only) == (
        "review",
        "too_large",
        size,
        True,
    )
    assert (row.consultation_id, row.version, row.country) == (consultation, 1, "GT")
    assert len(await outbox(db, "reply_flagged")) == 2  # the PPT and the ST know
    [notice] = await composed(db, time, "rejection")
    assert str(notice["To"]) == GT
    text = body(notice, "plain")
    assert "ocupa 30 MB y el límite es de 25 MB" in text, text
    async with db.session() as session:
        assert await queries.latest_positions(session, consultation, 1) == {}


async def test_an_oversized_bounce_is_kept_and_never_answered(
    db: Database, time: ManualTime, consultation: str
) -> None:
    raw = plain(
        sender="MAILER-DAEMON@mx.example",
        to="consultas@crm.example",
        subject="Undelivered Mail Returned to Sender",
        body="(the whole original attached)",
        extra="Auto-Submitted: auto-replied\r\n",
    )
    await inbox(db, time).receive(header_of(raw), size=40 * 1024 * 1024, header_only=True)
    [row] = await stored(db)
    assert (row.status, row.reason) == ("review", "too_large")
    assert await outbox(db, "rejection") == []


@pytest.mark.parametrize(
    ("message", "status", "comment"),
    [
        ("Estamos de acuerdo. Aprobamos el texto.", "approved", None),
        (FIVE_TO_TEN, "changes_requested", "sustituir «cinco días» por «diez días»"),
    ],
    ids=["approve", "changes"],
)
async def test_a_troika_seat_answers_the_preliminary_review_by_email(
    db: Database, time: ManualTime, message: str, status: str, comment: str | None
) -> None:
    made = await make_consultation(db, time, state=State.TROIKA_REVIEW, text=fixture_text())
    seat, to = "troika@cancilleria.do.example", reply_address(made.id, "DO")
    if message.endswith(".eml"):  # a real reply proposing a new paragraph 3
        raw = readdressed(message, sender=seat, to=to)
    else:
        raw = plain(sender=seat, to=to, subject="RE: Troika", body=message)
    await inbox(db, time).receive(raw)

    [row] = await stored(db)
    assert (row.status, row.country) == ("recorded", "DO"), row.reason
    async with db.session() as session:
        consultation = await queries.consultation(session, made.id)
        assert consultation is not None
        reviews = {
            r.country: r
            for r in await queries.troika_reviews(session, made.id, consultation.troika_round)
        }
    assert reviews["DO"].status == status
    assert (comment is None) == (reviews["DO"].comment is None)
    if comment:
        assert comment in (reviews["DO"].comment or "")
    [receipt] = await composed(db, time, "troika_recorded")
    assert str(receipt["To"]) == seat
    assert "República Dominicana" in str(receipt["Subject"])


async def test_a_focal_point_cannot_answer_for_the_troika(db: Database, time: ManualTime) -> None:
    made = await make_consultation(db, time, state=State.TROIKA_REVIEW, text=fixture_text())
    raw = plain(
        sender="puntofocal@cancilleria.do.example",
        to=reply_address(made.id, "DO"),
        subject="RE: Troika",
        body="Aprobamos el texto.",
    )
    await inbox(db, time).receive(raw)
    [row] = await stored(db)
    assert (row.status, row.reason) == ("review", "unverified_sender")


async def test_a_valid_token_from_an_unregistered_address_is_not_counted(
    db: Database, time: ManualTime, consultation: str
) -> None:
    """Held as unregistered; since issue #13 nobody outside the roster is written to."""
    await inbox(db, time).receive(
        plain(
            sender="alguien@gmail.example",
            to=reply_address(consultation, "GT"),
            subject="RE: consulta",
            body="Guatemala aprueba el texto.",
        )
    )
    [row] = await stored(db)
    assert (row.status, row.reason, row.country) == ("review", "unregistered_sender", "GT")
    assert await outbox(db, "rejection") == []
    assert len(await outbox(db, "reply_flagged")) == 2  # the PPT and the ST are told


async def test_a_focal_point_of_another_country_cannot_answer_for_guatemala(
    db: Database, time: ManualTime, consultation: str
) -> None:
    await inbox(db, time).receive(
        plain(
            sender="puntofocal@cancilleria.hn.example",
            to=reply_address(consultation, "GT"),
            subject="RE: consulta",
            body="Aprobamos el texto.",
        )
    )
    assert [(r.status, r.reason) for r in await stored(db)] == [("review", "unverified_sender")]


async def test_our_own_mail_coming_back_is_dropped_unanswered(
    db: Database, time: ManualTime, consultation: str
) -> None:
    await inbox(db, time).receive(
        plain(
            sender="CRM <consultas@crm.example>",
            to=reply_address(consultation, "GT"),
            subject="Consulta escrita",
            body="Texto.",
        )
    )
    assert [(r.status, r.reason) for r in await stored(db)] == [("dropped", "loop")]
    assert await outbox(db, "rejection") == []


async def test_dmarc_fail_stamped_by_our_server_goes_to_review(
    db: Database, time: ManualTime, consultation: str
) -> None:
    raw = plain(
        sender=GT,
        to=reply_address(consultation, "GT"),
        subject="RE",
        body="Aprobamos.",
        extra="Authentication-Results: mx.crm.example; dmarc=fail header.from=gt.example\r\n",
    )
    await inbox(db, time, authserv_id="mx.crm.example").receive(raw)
    assert [(r.status, r.reason) for r in await stored(db)] == [("review", "dmarc_fail")]


async def test_a_forged_dmarc_stamp_from_elsewhere_is_ignored(
    db: Database, time: ManualTime, consultation: str
) -> None:
    """Another server's stamp counts for nothing either way: our own pass decides (since issue
    #13 a message without a stamp of ours is not authenticated, so ours is here too)."""
    raw = plain(
        sender=GT,
        to=reply_address(consultation, "GT"),
        subject="RE",
        body="Guatemala aprueba el texto.",
        extra="Authentication-Results: evil.example; dmarc=fail\r\n" + DMARC_PASS,
    )
    await inbox(db, time, authserv_id="mx.crm.example").receive(raw)
    assert [r.status for r in await stored(db)] == ["recorded"]


async def test_a_reply_matched_by_subject_tag_alone_is_held_with_its_consultation(
    db: Database, time: ManualTime, consultation: str
) -> None:
    """Until issue #13 a subject tag made the answer count for the sender's country; anyone can
    type a tag on a spoofed From, so it is now a hint: held, naming the consultation only."""
    await inbox(db, time).receive(
        plain(
            sender=GT,
            to="consultas@crm.example",
            subject=f"RE: Consulta escrita [{consultation} v1]",
            body="Guatemala aprueba el texto sin comentarios.",
        )
    )
    [row] = await stored(db)
    assert (row.status, row.reason) == ("review", "not_linked")
    assert (row.consultation_id, row.country) == (consultation, None)
    async with db.session() as session:
        assert await queries.latest_positions(session, consultation, 1) == {}


async def test_a_reply_to_a_superseded_version_is_kept_and_flagged(
    db: Database, time: ManualTime, consultation: str
) -> None:
    from consultation import distribution
    from tests.factories import move

    text = fixture_text()
    async with db.transaction() as session:
        await distribution.revise(
            session,
            consultation,
            Text(es=text.es[:-1], en=text.en[:-1] if text.en else None),
            move(time),
        )
    await inbox(db, time).receive(
        plain(
            sender=GT,
            to=reply_address(consultation, "GT", version=1),
            subject="RE",
            body="Guatemala aprueba el texto.",
        )
    )
    [row] = await stored(db)
    assert (row.status, row.version) == ("superseded", 1)
    assert len(await outbox(db, "reply_flagged")) == 2  # the PPT and the ST are told


async def test_out_of_office_is_a_note_never_a_position(
    db: Database, time: ManualTime, consultation: str
) -> None:
    name = next(n for n, v in sorted(LABELS.items()) if v["expected"]["kind"] == "auto_reply")
    await inbox(db, time).receive(
        readdressed(name, sender=GT, to=reply_address(consultation, "GT"))
    )
    [row] = await stored(db)
    assert row.status == "auto_reply"
    async with db.session() as session:
        notes = (await session.exec(select(EventRow).where(EventRow.kind == "out_of_office"))).all()
        assert await queries.latest_positions(session, consultation, 1) == {}
    assert [n.payload["country"] for n in notes] == ["GT"]
    assert await outbox(db, "rejection") == []


async def test_a_bounce_marks_the_address_and_alerts_the_st(
    db: Database, time: ManualTime, consultation: str
) -> None:
    async with db.session() as session:
        contact = await queries.contact_by_email(session, GT)
        assert contact is not None
        query = select(OutboxRow).where(OutboxRow.contact_id == contact.id)
        notice = (await session.exec(query)).first()
    assert notice is not None and notice.id is not None
    verp = tokens.verp_address(
        local="consultas",
        domain="crm.example",
        row_id=notice.id,
        recipient=GT,
        secret=IDENTITY.secrets[0],
    )
    bounce = (
        f"From: MAILER-DAEMON@mx.crm.example\r\nTo: {verp}\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <b1@mx.crm.example>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=B\r\n\r\n"
        "--B\r\nContent-Type: text/plain\r\n\r\nThis is the mail system. Delivery failed.\r\n"
        f"--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.crm.example\r\n\r\n"
        f"Final-Recipient: rfc822; {GT}\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 No such user\r\n--B--\r\n"
    ).encode()
    await inbox(db, time).receive(bounce)
    [row] = await stored(db)
    assert row.status == "bounce"
    async with db.session() as session:
        email = await session.get(ContactEmailRow, GT)
    assert email is not None and email.failing
    assert len(await outbox(db, "bounce_alert")) == 1
    assert await outbox(db, "rejection") == []


@pytest.mark.parametrize(
    "raw",
    [
        b"\x00\x01garbage that is not an email at all\xff\xfe",
        b"Subject: no sender\r\nMessage-ID: <nf@x.example>\r\n\r\nAprobamos.\r\n",
        b"From: a@b.example\r\nMessage-ID: <cs@x.example>\r\nContent-Type: text/plain; charset=x-klingon\r\n\r\n\xc3\x28\xa0\xa1\r\n",
        b'From: a@b.example\r\nMessage-ID: <mm@x.example>\r\nContent-Type: multipart/mixed; boundary="never"\r\n\r\n--wrong\r\nbroken',
    ],
    ids=["garbage", "no-from", "unknown-charset", "malformed-mime"],
)
async def test_bad_input_is_kept_with_a_clear_outcome(
    db: Database, time: ManualTime, raw: bytes
) -> None:
    await inbox(db, time).receive(raw)
    [row] = await stored(db)
    assert row.raw == raw
    assert row.status in {"review", "other", "quarantine"} and row.reason

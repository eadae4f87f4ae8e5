"""Issue #14, "everyone is told, once, in their language": each scenario goes through the running
email front (drafts out through aiosmtpd, replies in through Dovecot), on SQLite and PostgreSQL,
and asserts exactly who received what (aiosmtpd records every delivery)."""

import re
from collections import defaultdict
from email.message import EmailMessage

from sqlmodel import select

from consultation import distribution, journal
from consultation.held import codes
from consultation.texts import Text
from consultation.timesource import ManualTime
from mail.authentication import AuthenticationConfig
from mail.notices import reading_payload
from mail.reading.courtesy import is_courtesy
from store import queries
from store.database import Database
from store.tables import InboundMessageRow, OutboxRow
from tests.factories import make_consultation, move
from tests.mail.test_compose import body, composed
from tests.mail.test_front import (
    distributed,
    focal_point,
    inbound,
    parsed,
    reply_to_draft,
    running,
    until,
)
from tests.mail.test_inbound import fixture_text
from tests.mail.test_trust import OURS, draft_to, front, mail
from tests.mail.test_trust import _outbox_idle as outbox_idle
from tests.servers.dovecot import Dovecot
from tests.servers.smtpd import SmtpServer

PPT, ST = "ppt@cancilleria.do.example", "st@crmsolutions.example"
CA, GT = focal_point("CA"), focal_point("GT")
CA_ALTERNATE, GT_ALTERNATE = "migracion@interior.ca.example", "migracion@interior.gt.example"


async def delivered(
    db: Database,
    time: ManualTime,
    smtpd: SmtpServer,
    dovecot: Dovecot,
    raws: list[bytes],
    authentication: AuthenticationConfig | None = None,
) -> list[InboundMessageRow]:
    """Deliver ``raws`` to the running front; return the new rows once each is decided and
    every email it queued has gone out."""
    before = len(await inbound(db))
    for raw in raws:
        await dovecot.append(raw)

    async def decided() -> bool:
        rows = await inbound(db)
        return len(rows) == before + len(raws) and all(r.status != "stored" for r in rows)

    async with running(front(db, time, smtpd, dovecot, authentication)):
        await until(decided)
        await until(lambda: outbox_idle(db))
    return (await inbound(db))[before:]


def mailed(smtpd: SmtpServer, since: int) -> dict[str, list[EmailMessage]]:
    """Who received what since ``since``: address → the messages, in order."""
    out: dict[str, list[EmailMessage]] = defaultdict(list)
    for received in smtpd.received[since:]:
        for address in received.rcpt_tos:
            out[address].append(parsed(received.data))
    return dict(out)


def text_of(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return " ".join(str(part.get_content()).split())


def html_of(message: EmailMessage) -> str:
    part = message.get_body(("html",))
    assert part is not None
    return str(part.get_content())


def reply_to(message: EmailMessage, sender: str, body: str, number: int) -> bytes:
    """``sender`` presses Reply on ``message`` (one of ours)."""
    reply = EmailMessage()
    reply["From"] = sender
    reply["To"] = str(message["Reply-To"])
    reply["Subject"] = f"RE: {message['Subject']}"
    reply["Message-ID"] = f"<reply.{number}@{sender.rpartition('@')[2]}>"
    reply["In-Reply-To"] = str(message["Message-ID"])
    reply["References"] = str(message["Message-ID"])
    reply.set_content(f"{body}\n\nBest regards,\nFocal point\n")
    return reply.as_bytes()


async def test_canadas_held_change_of_position_is_told_to_canada_the_ppt_and_the_st(
    db: Database, time: ManualTime, smtpd: SmtpServer, dovecot: Dovecot
) -> None:
    consultation = await distributed(db, time, smtpd)
    sent = len(smtpd.received)
    objection = "Canada objects to the text. Paragraph 3 is unacceptable to us."
    [first] = await delivered(db, time, smtpd, dovecot, [reply_to_draft(smtpd, "CA", objection)])
    assert (first.status, first.country) == ("recorded", "CA")
    got = mailed(smtpd, sent)
    # The objection as it arrives: the PPT, with Canada's own words; the receipt to both focal
    # points; nobody else.
    assert sorted(got) == sorted([CA, CA_ALTERNATE, PPT])
    [notice] = got[PPT]
    assert str(notice["Subject"]).startswith("Canadá objeta el texto")
    assert "Paragraph 3 is unacceptable to us." in text_of(notice)
    assert "Paragraph 3 is unacceptable to us." in html_of(notice)
    [receipt] = got[CA]
    assert str(receipt["Subject"]).startswith("Answer recorded for Canada")

    sent = len(smtpd.received)
    change = "Canada withdraws its objection and abstains."
    [held] = await delivered(db, time, smtpd, dovecot, [reply_to(receipt, CA, change, 1)])
    assert (held.status, held.reason, held.country) == ("review", "mixed_signals", "CA")
    got = mailed(smtpd, sent)
    assert sorted(got) == sorted([CA, PPT, ST])  # the sender only, not the alternate
    [told] = got[CA]
    words = text_of(told)
    assert str(told["Subject"]).startswith(f"Your reply on {consultation} is under review")
    assert "not yet been recorded as the position of Canada: it gives mixed signals" in words
    assert "Pro-Tempore Presidency and the Technical Secretariat will review it" in words
    assert ".v1.ca." in str(told["Reply-To"]).lower()  # a clearer reply counts
    for staff in (PPT, ST):
        [flag] = got[staff]
        words = text_of(flag)
        assert str(flag["Subject"]).startswith("Respuesta retenida para revisar: Canadá")
        assert "Motivo: contiene señales contradictorias." in words
        assert "«Canada withdraws its objection and abstains.»" in words
        assert "Lo que el servicio registraría: Canadá se abstiene." in words
        assert "mixed_signals" not in words and "mixed_signals" not in html_of(flag)
    async with db.session() as session:
        assert (await queries.latest_positions(session, consultation, 1))["CA"].value == "object"

    # Once per message: the same message fetched again tells nobody anything more.
    sent = len(smtpd.received)
    await dovecot.append(reply_to(receipt, CA, change, 1))
    async with running(front(db, time, smtpd, dovecot)):
        await until(lambda: outbox_idle(db))
    assert len(await inbound(db)) == 2 and smtpd.received[sent:] == []


async def test_a_late_answer_to_v1_after_v2_is_told_with_v2s_deadline(
    db: Database, time: ManualTime, smtpd: SmtpServer, dovecot: Dovecot
) -> None:
    consultation = await distributed(db, time, smtpd)
    v1 = reply_to_draft(smtpd, "GT", "Guatemala aprueba el texto.")
    text = fixture_text()
    async with db.transaction() as session:
        await distribution.revise(
            session, consultation, Text(es=text.es[:-1], en=(text.en or [])[:-1]), move(time)
        )
    async with running(front(db, time, smtpd, dovecot)):  # version 2 goes out
        await until(lambda: outbox_idle(db))
    sent = len(smtpd.received)
    [late] = await delivered(db, time, smtpd, dovecot, [v1])
    assert (late.status, late.version) == ("superseded", 1)
    got = mailed(smtpd, sent)
    assert sorted(got) == sorted([GT, PPT, ST])
    [told] = got[GT]
    words = text_of(told)
    assert str(told["Subject"]).startswith("Su respuesta corresponde a la versión 1")
    assert f"[{consultation} v2]" in str(told["Subject"])
    assert "responde a la versión 1, que ya fue sustituida" in words
    assert "La versión 2 está abierta hasta el" in words and "hora de Guatemala" in words
    assert ".v2.gt." in str(told["Reply-To"]).lower()  # answering it answers version 2
    for staff in (PPT, ST):
        [flag] = got[staff]
        assert "Motivo: responde a una versión anterior." in text_of(flag)


async def test_an_unregistered_colleague_is_not_written_to_its_focal_points_are(
    db: Database, time: ManualTime, smtpd: SmtpServer, dovecot: Dovecot
) -> None:
    """Without authentication configured nothing vouches for the colleague's address."""
    consultation = await distributed(db, time, smtpd)
    reply_address, message_id = draft_to(smtpd, GT)
    colleague = "asesora@gmail.example"
    raw = mail(f"From: {colleague}", f"To: {reply_address}", f"In-Reply-To: {message_id}")
    sent = len(smtpd.received)
    [row] = await delivered(db, time, smtpd, dovecot, [raw])
    assert (row.status, row.reason, row.country) == ("review", "unregistered_sender", "GT")
    got = mailed(smtpd, sent)
    assert sorted(got) == sorted([GT, GT_ALTERNATE, PPT, ST])  # never the colleague
    for focal in (GT, GT_ALTERNATE):
        [told] = got[focal]
        words = text_of(told)
        assert "enviada por asesora@gmail.example en nombre de Guatemala" in words
        assert "queda retenida hasta que un punto focal la confirme" in words
        assert "objeta" not in words  # the colleague's words are never relayed to them
        assert ".v1.gt." in str(told["Reply-To"]).lower()  # their own answer counts
    [flag] = got[PPT]
    words = text_of(flag)
    assert "su remitente no figura en el directorio de puntos focales" in words
    assert "Lo que el servicio registraría: Guatemala objeta el texto." in words
    # Nothing vouches for who wrote it: its words are not relayed, even to the PPT.
    assert "Guatemala objeta el texto.»" not in words
    assert "Sus palabras no se citan aquí" in words
    async with db.session() as session:
        assert await queries.latest_positions(session, consultation, 1) == {}


async def test_an_authenticated_colleague_at_the_ministry_is_told_too(
    db: Database, time: ManualTime, smtpd: SmtpServer, dovecot: Dovecot
) -> None:
    await distributed(db, time, smtpd)
    reply_address, message_id = draft_to(smtpd, GT)
    colleague = "asesora@cancilleria.gt.example"  # the domain of Guatemala's focal point
    stamp = (
        f"Authentication-Results: {OURS}; dkim=pass header.d=cancilleria.gt.example;"
        " dmarc=pass header.from=cancilleria.gt.example"
    )
    raws = [
        mail(stamp, f"From: {colleague}", f"To: {reply_address}", f"In-Reply-To: {message_id}"),
        mail(  # a second colleague elsewhere, authenticated too: a domain nobody vouches for
            "Authentication-Results: mx.crm.example; dmarc=pass header.from=gmail.example",
            "From: otra@gmail.example",
            f"To: {reply_address}",
            f"In-Reply-To: {message_id}",
            number=1,
        ),
    ]
    sent = len(smtpd.received)
    rows = await delivered(db, time, smtpd, dovecot, raws, AuthenticationConfig(authserv_id=OURS))
    assert [(r.status, r.reason) for r in rows] == [("review", "unregistered_sender")] * 2
    got = mailed(smtpd, sent)
    assert sorted(got) == sorted([colleague, GT, GT_ALTERNATE, PPT, ST])
    [told] = got[colleague]
    words = text_of(told)
    assert "no se registró como respuesta de Guatemala" in words
    assert "Hemos informado a los puntos focales registrados de Guatemala" in words
    assert "objeta" not in words and told["Reply-To"] is None
    assert len(got[GT]) == 2  # one notice per colleague (at most one a day each)
    assert len(got[PPT]) == 2  # each held reply, with its words: both domains authenticated
    assert all("«Guatemala objeta el texto.»" in text_of(m) for m in got[PPT])


async def test_thanks_for_the_receipt_is_filed_and_nobody_is_emailed(
    db: Database, time: ManualTime, smtpd: SmtpServer, dovecot: Dovecot
) -> None:
    await distributed(db, time, smtpd)
    await delivered(
        db, time, smtpd, dovecot, [reply_to_draft(smtpd, "GT", "Guatemala aprueba el texto.")]
    )
    [receipt] = [
        m
        for m in (parsed(r.data) for r in smtpd.delivered_to(GT))
        if "registrada" in str(m["Subject"])
    ]
    sent, queued = len(smtpd.received), await outbox_rows(db)
    # Three words beyond the thanks: a courtesy only because it answers our receipt.
    words = "Muchas gracias, Ana María Pérez, por la confirmación."
    assert not is_courtesy(words) and is_courtesy(words, answers_receipt=True)
    thanks = reply_to(receipt, GT, words, 2)
    [row] = await delivered(db, time, smtpd, dovecot, [thanks])
    assert (row.status, row.country) == ("courtesy", "GT")
    assert smtpd.received[sent:] == []
    assert await outbox_rows(db) == queued  # not even a Slack review item


async def outbox_rows(db: Database) -> int:
    async with db.session() as session:
        return len((await session.exec(select(OutboxRow))).all())


async def test_a_subject_tag_never_counts_and_a_forward_counts_only_from_a_focal_point(
    db: Database, time: ManualTime, smtpd: SmtpServer, dovecot: Dovecot
) -> None:
    """README "Security model": the subject tag is a hint; a Fwd: counts only when it carries a
    proof (here the token it was sent to) and comes from a focal point of that country."""
    consultation = await distributed(db, time, smtpd)
    reply_address, _ = draft_to(smtpd, GT)
    tag = f"[{consultation} v1]"
    stamp = f"Authentication-Results: {OURS}; dmarc=pass header.from=cancilleria.gt.example"
    forwarded = (  # our own draft, forwarded: the reader leaves it out of the sender's words
        "---------- Forwarded message ---------\n"
        "From: Consultas CRM <consultas@crm.example>\n"
        f"Subject: {tag} Consulta escrita\nReply-To: {reply_address}\n\n"
        "Se somete a consulta el texto adjunto.\n"
    )
    raws = [
        mail(stamp, f"From: {GT}", "To: consultas@crm.example", subject=f"{tag} Posición"),
        mail(
            stamp,
            f"From: {GT}",
            "To: consultas@crm.example",
            subject=f"Fwd: RE: {tag} Consulta escrita",
            body=forwarded + "Guatemala objeta el texto.",
            number=1,
        ),
        mail(
            "Authentication-Results: mx.crm.example; dmarc=pass header.from=gmail.example",
            "From: asesora@gmail.example",
            f"To: {reply_address}",
            subject=f"Fwd: RE: {tag} Consulta escrita",
            number=2,
        ),
        mail(
            stamp,
            f"From: {GT}",
            f"To: {reply_address}",
            subject=f"Fwd: RE: {tag} Consulta escrita",
            body="Guatemala objeta el texto.\n\n" + forwarded,
            number=3,
        ),
    ]
    sent = len(smtpd.received)
    rows = await delivered(db, time, smtpd, dovecot, raws, AuthenticationConfig(authserv_id=OURS))
    assert [(r.status, r.reason) for r in rows] == [
        ("review", "not_linked"),
        ("review", "not_linked"),
        ("review", "unregistered_sender"),
        ("recorded", None),
    ]
    got = mailed(smtpd, sent)
    [rejection] = [m for m in got[GT] if "no se registró" in str(m["Subject"])]  # once a day
    words = text_of(rejection)
    assert "no responde a un correo de la consulta" in words
    assert "la etiqueta de la consulta en el asunto no basta" in words
    assert "not_linked" not in words
    assert "asesora@gmail.example" not in got  # unregistered, other domain: never written to
    async with db.session() as session:
        assert (await queries.latest_positions(session, consultation, 1))["GT"].value == "object"


# --- every new notice in both languages: words, never an internal code ----------------------

CODES = sorted(
    codes()
    | {"approve", "amend", "object", "abstain", "replace", "delete", "insert_after", "None"}
    | {"reply_flagged", "reply_held", "late_answer", "colleague_reply", "colleague_held"}
    | {"objection_received", "courtesy", "review", "superseded"}
)
READING = {
    "own_text": "Canadá retira su objeción y se abstiene; párrafo 2: suprimir.\n\nSaludos,",
    "position": "amend",
    "amendments": [
        {"action": "replace", "paragraph": 1, "proposed": "Nuevo texto <b>uno</b>."},
        {"action": "delete", "paragraph": 2, "proposed": None},
        {"action": "insert_after", "paragraph": 3, "proposed": "Un párrafo más."},
    ],
    "extension_requested": True,
}


async def test_every_new_notice_renders_in_words_in_both_languages(
    db: Database, time: ManualTime
) -> None:
    made = await make_consultation(db, time, text=fixture_text())
    async with db.transaction() as session:
        row = InboundMessageRow(
            dedupe_key="k",
            raw=b"",
            received_at=time.now(),
            sender="Alguien <colega@cancilleria.gt.example>",
            consultation_id=made.id,
            version=1,
            country="GT",
            reading=READING,
        )
        session.add(row)
        await session.flush()
        readers = [await queries.contact_by_email(session, a) for a in (GT, CA)]
        contacts = [c for c in readers if c is not None]
        common = {"version": 1, "country": "GT", "inbound_id": row.id, "sender": row.sender}
        payloads = {
            "reply_flagged": common | {"reason": "mixed_signals"} | reading_payload(row),
            "objection_received": common | reading_payload(row),
            "reply_held": common | {"reason": "mixed_signals,question"},
            "late_answer": common | {"answered_version": 1},
            "colleague_reply": common,
            "colleague_held": common,
        }
        for kind, payload in payloads.items():
            await journal.queue_emails(
                session,
                kind=kind,
                contacts=contacts,
                consultation_id=made.id,
                at=time.now(),
                key="all",
                payload=payload,
            )
    for kind in payloads:
        messages = await composed(db, time, kind)
        assert [m["Content-Language"] for m in messages] == ["es", "en"], kind
        for message in messages:
            spanish = message["Content-Language"] == "es"
            for part in ("plain", "html"):
                text = body(message, part)
                leaked = [c for c in CODES if re.search(rf"(?<![\w<]){c}(?![\w>])", text)]
                if not spanish:  # English words are words there; underscores never are
                    leaked = [c for c in leaked if "_" in c or c == "None"]
                assert leaked == [], (kind, message["Content-Language"], part, leaked)
    [flagged_es, flagged_en] = await composed(db, time, "reply_flagged")
    text = " ".join(body(flagged_es, "plain").split())
    assert "Motivo: contiene señales contradictorias." in text
    assert "«Canadá retira su objeción y se abstiene; párrafo 2: suprimir.»" in text
    assert "Enmienda 2: suprimir el párrafo 2." in text
    assert "Solicita una prórroga del plazo." in text
    assert "Nuevo texto &lt;b&gt;uno&lt;/b&gt;." in body(flagged_es, "html")
    assert "Amendment 3: insert a paragraph after paragraph 3" in body(flagged_en, "plain")

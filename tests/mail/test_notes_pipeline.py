"""Notes verbales through the whole pipeline: the draft out by aiosmtpd, the answer with its
note attached appended to Dovecot and read over IMAP IDLE, stored raw, read in the worker pool
(OCR included), then recorded or held; the held one reaches the PPT and the ST with the page
image inline."""

import asyncio
from dataclasses import replace
from email import message_from_bytes, policy
from email.message import EmailMessage

from sqlmodel import col, select

from consultation import page_images
from consultation.timesource import ManualTime
from mail.imap import Fetched, ImapConfig, ImapListener
from mail.inbound import Inbox
from mail.mailbox_store import StoredMailboxState
from mail.reader_pool import PoolBounds, PooledReader
from store import queries
from store.database import Database
from store.tables import EventRow, InboundMessageRow
from tests.factories import make_consultation
from tests.fixtures.notes import documents as d
from tests.fixtures.notes.cases import CASES
from tests.mail.test_compose import IDENTITY
from tests.mail.test_inbound import fixture_text
from tests.mail.test_round_trip import drain
from tests.mail.transport.helpers import WAIT
from tests.servers.dovecot import Dovecot
from tests.servers.smtpd import SmtpServer

GT, SV = "puntofocal@cancilleria.gt.example", "puntofocal@cancilleria.sv.example"


def note(consultation: str, country: str, reference: str, body: str) -> d.Note:
    """A note verbale on the test's own consultation (whose number it cites)."""
    return replace(
        CASES[0].document,  # type: ignore[arg-type]
        cites=consultation,
        reference=reference,
        sender=f"El Ministerio de Relaciones Exteriores de {country}",
        body=(body,),
    )


def answer_with_note(draft: EmailMessage, sender: str, body: str, note: bytes, name: str) -> bytes:
    """A focal point's Reply with the ministry's note attached, as Outlook sends it."""
    reply = EmailMessage()
    reply["From"] = f"Punto Focal <{sender}>"
    reply["To"] = str(draft["Reply-To"])
    reply["Subject"] = f"RE: {draft['Subject']}"
    reply["Message-ID"] = f"<note-{name}@cancilleria.example>"
    reply["In-Reply-To"] = str(draft["Message-ID"])
    reply["References"] = str(draft["Message-ID"])
    reply.set_content(f"{body}\n\nSaludos cordiales,\nPunto Focal\n")
    reply.add_attachment(note, maintype="application", subtype="pdf", filename=name)
    return reply.as_bytes()


def draft_to(smtpd: SmtpServer, address: str) -> EmailMessage:
    [sent] = smtpd.delivered_to(address)
    draft = message_from_bytes(sent.data, policy=policy.default)
    assert isinstance(draft, EmailMessage)
    return draft


async def test_typed_note_recorded_and_scanned_note_held_with_its_page(
    db: Database, time: ManualTime, smtpd: SmtpServer, dovecot: Dovecot
) -> None:
    consultation = (await make_consultation(db, time, text=fixture_text())).id
    assert await drain(db, smtpd, time) == 26
    guatemala = note(consultation, "Guatemala", "DGPE/0417/2026", "Guatemala aprueba el proyecto.")
    salvador = note(
        consultation, "El Salvador", "DGPE/SV/0288/2026", "El Salvador aprueba el proyecto."
    )
    typed = answer_with_note(
        draft_to(smtpd, GT),
        GT,
        "Adjunto la nota verbal de Guatemala.",
        d.typed_pdf(guatemala),
        "nota-DGPE-0417-2026.pdf",
    )
    scanned = answer_with_note(
        draft_to(smtpd, SV),
        SV,
        "Adjunto nota escaneada.",
        d.scanned_from_pdf(d.typed_pdf(salvador), seed=7, angle=1.0),
        "nota-SV-0288.pdf",
    )
    reader = PooledReader(PoolBounds(workers=1, timeout_seconds=60, memory_mb=1024))
    inbox = Inbox(db, identity=IDENTITY, time=time, reader=reader)
    done: list[int] = []
    both = asyncio.Event()

    async def handler(message: Fetched) -> None:
        done.append(await inbox.receive(message.raw))
        if len(done) == 2:
            both.set()

    config = ImapConfig(
        host=dovecot.host, port=dovecot.port, username=dovecot.user, password=dovecot.password
    )
    listener = ImapListener(config, StoredMailboxState(db))
    stop = asyncio.Event()
    task = asyncio.create_task(listener.run(handler, stop))
    try:
        await dovecot.append(typed)
        await dovecot.append(scanned)
        async with asyncio.timeout(WAIT + 60):
            while len(done) < 2:
                await asyncio.sleep(0.05)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=WAIT)
        await reader.close()

    async with db.session() as session:
        rows = await session.exec(select(InboundMessageRow).order_by(col(InboundMessageRow.id)))
        first, second = rows.all()
        latest = await queries.latest_positions(session, consultation, 1)
        [answered] = (
            await session.exec(select(EventRow).where(col(EventRow.kind) == "answer_recorded"))
        ).all()
        image = await page_images.page_image(session, second.id or 0)
        none = await page_images.page_image(session, first.id or 0)
    # Stored raw, as received (IMAP's CRLF line ends), before anything read it.
    assert first.raw.replace(b"\r\n", b"\n") == typed
    assert second.raw.replace(b"\r\n", b"\n") == scanned
    # The typed note counts: Guatemala approves, the note's number and date beside the answer.
    assert (first.status, latest["GT"].value) == ("recorded", "approve")
    facts = {
        "filename": "nota-DGPE-0417-2026.pdf",
        "source": "pdf",
        "reference": "DGPE/0417/2026",
        "date": "2026-11-09",
    }
    assert answered.payload["note_verbale"] == facts
    assert (first.reading or {})["note_verbale"] == facts
    # The scanned one is held: an OCR position never counts alone; its page is kept.
    assert second.status == "review" and "ocr_position" in (second.reason or "")
    assert (second.reading or {})["position"] == "approve" and "SV" not in latest
    assert (second.reading or {})["note_verbale"]["reference"] == "DGPE/SV/0288/2026"
    assert image is not None and image.png.startswith(b"\x89PNG") and none is None

    # The PPT and the ST are told, the page inline in the HTML part (multipart/related).
    await drain(db, smtpd, time)
    [flagged] = [
        m
        for m in smtpd.delivered_to("ppt@cancilleria.do.example")
        if "nota-SV-0288-p1.png" in m.data.decode("ascii", "replace")
    ]
    notice = message_from_bytes(flagged.data, policy=policy.default)
    assert isinstance(notice, EmailMessage)
    related = next(p for p in notice.walk() if p.get_content_type() == "multipart/related")
    html, png = list(related.iter_parts())
    cid = str(png["Content-ID"]).strip("<>")
    assert f'src="cid:{cid}"' in str(html.get_content())
    assert png.get_content() == image.png
    plain = str(notice.get_body(("plain",)).get_content())  # type: ignore[union-attr]
    assert "reconocimiento óptico" in plain
    assert "Leída de la nota adjunta: Nota verbal DGPE/SV/0288/2026 del 9 de noviembre" in plain
    # Guatemala's receipt names the note its answer came in.
    receipt = message_from_bytes(smtpd.delivered_to(GT)[-1].data, policy=policy.default)
    assert isinstance(receipt, EmailMessage)
    assert str(receipt["Subject"]).startswith("Respuesta registrada de Guatemala")
    said = str(receipt.get_body(("plain",)).get_content())  # type: ignore[union-attr]
    assert (
        "Recibida en: Nota verbal DGPE/0417/2026 del 9 de noviembre de 2026 "
        "(nota-DGPE-0417-2026.pdf, leída de un PDF con texto)." in said
    )

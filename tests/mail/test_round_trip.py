"""A consultation by email end to end, through real servers: aiosmtpd out, Dovecot in (IDLE)."""

import asyncio
from email import message_from_bytes, policy
from email.message import EmailMessage

from sqlmodel import select

from consultation.timesource import ManualTime
from mail.imap import Fetched, ImapConfig, ImapListener
from mail.inbound import Inbox
from mail.mailbox_store import StoredMailboxState
from mail.outbound import EmailOutbox
from mail.smtp import SmtpConfig, SmtpSender
from store import queries
from store.database import Database
from store.tables import InboundMessageRow
from templates import environment
from tests.factories import make_consultation
from tests.mail.test_compose import IDENTITY
from tests.mail.test_inbound import fixture_text
from tests.mail.transport.helpers import WAIT, eventually
from tests.servers.dovecot import Dovecot
from tests.servers.imap_proxy import running_proxy
from tests.servers.smtpd import SmtpServer

GT = "puntofocal@cancilleria.gt.example"


async def drain(db: Database, smtpd: SmtpServer, time: ManualTime) -> int:
    async with SmtpSender(SmtpConfig(host=smtpd.host, port=smtpd.port)) as sender:
        outbox = EmailOutbox(db, sender, env=environment(), identity=IDENTITY, time=time)
        return (await outbox.drain()).sent


def answer_to(draft: EmailMessage, body: str) -> bytes:
    """What Outlook sends when the focal point presses Reply: to Reply-To, threaded, quoted."""
    reply = EmailMessage()
    reply["From"] = f"Punto Focal Guatemala <{GT}>"
    reply["To"] = str(draft["Reply-To"])
    reply["Subject"] = f"RE: {draft['Subject']}"
    reply["Message-ID"] = "<reply-1@minex.gt.example>"
    reply["In-Reply-To"] = str(draft["Message-ID"])
    reply["References"] = str(draft["Message-ID"])
    quoted = "\n".join(
        f"> {line}" for line in str(draft.get_body(("plain",)).get_content()).splitlines()
    )  # type: ignore[union-attr]
    reply.set_content(f"{body}\n\nSaludos cordiales,\nPunto Focal\n\n{quoted}\n")
    return reply.as_bytes()


async def test_draft_out_reply_in_through_idle_recorded_and_receipted(
    db: Database, time: ManualTime, smtpd: SmtpServer, dovecot: Dovecot
) -> None:
    consultation = (await make_consultation(db, time, text=fixture_text())).id
    assert await drain(db, smtpd, time) == 26
    [sent] = smtpd.delivered_to(GT)
    draft = message_from_bytes(sent.data, policy=policy.default)
    assert isinstance(draft, EmailMessage)

    recorded = asyncio.Event()
    inbox = Inbox(db, identity=IDENTITY, time=time)

    async def handler(message: Fetched) -> None:
        await inbox.receive(message.raw)
        recorded.set()

    async with running_proxy(dovecot.host, dovecot.port) as proxy:
        config = ImapConfig(
            host=proxy.host, port=proxy.port, username=dovecot.user, password=dovecot.password
        )
        listener = ImapListener(config, StoredMailboxState(db))
        stop = asyncio.Event()
        task = asyncio.create_task(listener.run(handler, stop))
        try:
            await eventually(lambda: proxy.idle_commands >= 1)  # settled into IDLE
            await dovecot.append(answer_to(draft, "Guatemala aprueba el texto sin comentarios."))
            await asyncio.wait_for(recorded.wait(), timeout=WAIT)
        finally:
            stop.set()
            await asyncio.wait_for(task, timeout=WAIT)

    async with db.session() as session:
        latest = await queries.latest_positions(session, consultation, 1)
        [row] = (await session.exec(select(InboundMessageRow))).all()
    assert (row.status, latest["GT"].value, latest["GT"].inbound_id) == (
        "recorded",
        "approve",
        row.id,
    )
    assert await drain(db, smtpd, time) == 2  # the receipt, to both Guatemalan focal points
    receipt = message_from_bytes(smtpd.delivered_to(GT)[-1].data, policy=policy.default)
    assert str(receipt["Subject"]).startswith("Respuesta registrada de Guatemala")
    text = str(receipt.get_body(("plain",)).get_content())  # type: ignore[union-attr]
    assert "Posición: Guatemala aprueba el texto." in text
    assert "la última respuesta sustituye a las anteriores" in text
    assert await StoredMailboxState(db).load("INBOX") != (None, 0)  # a restart resumes after it

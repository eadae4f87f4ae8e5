"""The demo's people at their mail programs: find the message they received, press Reply, write,
send over SMTP. Replies quote and thread as Outlook, Gmail and Apple Mail do; an out-of-office
goes out as Exchange sends one (RFC 3834 headers, null envelope sender)."""

import asyncio
from collections.abc import Callable
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, getaddresses, make_msgid, parseaddr
from importlib.resources import files

import aiosmtplib
import arrow

from service.demo_docx import track_replacement
from service.demo_script import Email, Writer
from service.devmail import Captured, DevMailServer

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class MailClient:
    """Every writer's mailbox is what the development server captured for their address."""

    def __init__(self, server: DevMailServer, *, now: Callable[[], datetime]) -> None:
        self._server, self._now = server, now

    async def received(self, address: str, *words: str, timeout: float) -> EmailMessage:
        """The first message to ``address`` whose subject has all of ``words`` (a tag such as
        ``[CRM-2026-001 v1]``, "Recordatorio"), waiting for it up to ``timeout`` seconds."""

        def found() -> Captured | None:
            return next(
                (
                    c
                    for c in self._server.captured
                    if address in c.recipients and all(w in c.subject for w in words)
                ),
                None,
            )

        async with asyncio.timeout(timeout):
            while (captured := found()) is None:
                await asyncio.sleep(0.02)
        message = message_from_bytes(captured.read(), policy=policy.default)
        assert isinstance(message, EmailMessage)
        return message

    async def reply(self, original: EmailMessage, email: Email) -> str:
        """Send ``email`` as a reply to ``original``; returns its Message-ID."""
        writer = email.writer
        if writer.client == "autoreply":
            message = _out_of_office(original, email, self._now())
        else:
            message = _reply(original, email, self._now())
            if email.revised_paragraph is not None:
                _attach_revised(message, original, email, self._now())
            if email.note_verbale is not None:
                scan = files("service").joinpath(email.note_verbale).read_bytes()
                name = f"Nota verbal {email.country} DAM-MIRE-2026-0552.pdf"
                message.add_attachment(scan, maintype="application", subtype="pdf", filename=name)
        to = [address for _, address in getaddresses([str(message["To"])])]
        # RFC 3834 §3.3: an automatic reply goes with a null envelope sender, so nothing
        # answers it in turn.
        sender = "" if writer.client == "autoreply" else writer.address
        async with aiosmtplib.SMTP(hostname="127.0.0.1", port=self._server.smtp_port) as smtp:
            await smtp.sendmail(sender, to, message.as_bytes(policy=policy.SMTP))
        return str(message["Message-ID"])


def _headers(original: EmailMessage, writer: Writer, subject: str, now: datetime) -> EmailMessage:
    message = EmailMessage()
    message["From"] = formataddr((writer.name, writer.address))
    message["To"] = str(original.get("Reply-To") or original["From"])
    message["Subject"] = subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(domain=writer.address.partition("@")[2])
    message["In-Reply-To"] = str(original["Message-ID"])
    earlier = str(original.get("References", "")).split()
    message["References"] = " ".join([*earlier, str(original["Message-ID"])])
    return message


def _reply(original: EmailMessage, email: Email, now: datetime) -> EmailMessage:
    writer = email.writer
    prefix = {"outlook": "RE: ", "gmail": "Re: ", "apple": "Re: "}[writer.client]
    message = _headers(original, writer, prefix + _subject(original), now)
    own = f"{email.text}\n\n{_closing(writer)}\n{writer.name}\n{writer.signature}\n"
    quote = (
        _outlook_quote(original, writer)
        if writer.client == "outlook"
        else _gmail_quote(original, writer)
    )
    message.set_content(f"{own}\n{quote}")
    message["Content-Language"] = writer.language
    return message


def _out_of_office(original: EmailMessage, email: Email, now: datetime) -> EmailMessage:
    writer = email.writer
    prefix = "Automatic reply: " if writer.language == "en" else "Respuesta automática: "
    message = _headers(original, writer, prefix + _subject(original), now)
    message["Auto-Submitted"] = "auto-replied"
    message["X-Auto-Response-Suppress"] = "All"
    message.set_content(f"{email.text}\n\n{writer.name}\n")
    return message


def _attach_revised(
    message: EmailMessage, original: EmailMessage, email: Email, now: datetime
) -> None:
    """Open the draft's Word document, edit one paragraph with Track Changes on, attach it."""
    assert email.revised_paragraph is not None
    number, text = email.revised_paragraph
    for part in original.iter_attachments():
        name = part.get_filename() or ""
        if name.endswith(".docx"):
            content = part.get_content()
            assert isinstance(content, bytes)
            edited = track_replacement(
                content, paragraph=number, new_text=text, author=email.writer.name, at=now
            )
            maintype, subtype = DOCX.split("/")
            revised = name.removesuffix(".docx") + f"-{email.country}.docx"
            message.add_attachment(edited, maintype=maintype, subtype=subtype, filename=revised)
            return
    raise LookupError(f"the message to {email.writer.address} has no Word document to edit")


def _subject(original: EmailMessage) -> str:
    return " ".join(str(original.get("Subject", "")).split())


def _closing(writer: Writer) -> str:
    return "Saludos cordiales," if writer.language == "es" else "Best regards,"


def _body(original: EmailMessage) -> str:
    part = original.get_body(preferencelist=("plain",))
    content = part.get_content() if part is not None else ""
    return str(content).replace("\r\n", "\n").rstrip()


def _outlook_quote(original: EmailMessage, writer: Writer) -> str:
    """Outlook quotes nothing line by line: a rule, the original's header block, its text."""
    name, address = parseaddr(str(original["From"]))
    to = ", ".join(formataddr(pair) for pair in getaddresses([str(original["To"])]))
    sent = arrow.get(original["Date"].datetime)
    if writer.language == "es":
        when = sent.format("dddd, D [de] MMMM [de] YYYY H:mm", locale="es")
        labels = ("De", "Enviado el", "Para", "Asunto")
    else:
        when = sent.format("dddd, MMMM D, YYYY h:mm A", locale="en")
        labels = ("From", "Sent", "To", "Subject")
    values = (f"{name} <{address}>", when, to, _subject(original))
    block = "\n".join(f"{label}: {value}" for label, value in zip(labels, values, strict=True))
    return f"________________________________\n{block}\n\n{_body(original)}\n"


def _gmail_quote(original: EmailMessage, writer: Writer) -> str:
    """Gmail and Apple Mail: an attribution line, then every line of the original after "> "."""
    name, address = parseaddr(str(original["From"]))
    sent = arrow.get(original["Date"].datetime)
    if writer.client == "apple":
        when = sent.format("MMM D, YYYY, [at] h:mm A", locale="en")
        attribution = f"On {when}, {name} <{address}> wrote:"
    elif writer.language == "es":
        when = sent.format("ddd, D MMM YYYY [a las] H:mm", locale="es")
        attribution = f"El {when}, {name} (<{address}>) escribió:"
    else:
        when = sent.format("ddd, MMM D, YYYY [at] h:mm A", locale="en")
        attribution = f"On {when} {name} <{address}> wrote:"
    quoted = "\n".join(f"> {line}".rstrip() for line in _body(original).split("\n"))
    return f"{attribution}\n\n{quoted}\n"

"""A development mail server in one process: SMTP in, IMAP out, every message kept as a file.

What it does with a message submitted over SMTP (any sender, any recipient, no relaying):

- it writes it to ``folder`` as ``0001-to-<recipient>-<subject>.eml`` (``0002-from-<sender>-…``
  when it is for the service), numbered in the order received, so a person can follow a
  consultation by opening the files in order;
- mail for the service's own mailbox (``consulta@…`` and its plus-addresses ``consulta+…@…``,
  which is how replies find their consultation) is APPENDed to that user's INBOX on the embedded
  IMAP server (pymap), where the service's listener reads it, woken by IDLE;
- everything else (what the service sends to focal points, the PPT, the ST) is APPENDed to the
  same user's ``Captured`` mailbox, to browse with any IMAP client.

Like an MTA's delivery agent, it adds ``Return-Path`` (the envelope sender: ``<>`` for an
automatic reply) and one ``Delivered-To`` per envelope recipient above the message. It is for
development and demonstrations only: no TLS, no authentication, everything kept in memory.
"""

import asyncio
import logging
import re
import unicodedata
from collections.abc import Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from email.utils import parseaddr
from pathlib import Path
from types import TracebackType
from typing import Self

from aiosmtpd.smtp import SMTP, Envelope, Session

from service.devmail_imap import DeliveryFailed, Depositor, start_imap

log = logging.getLogger(__name__)

INBOX = "INBOX"
CAPTURED = "Captured"
_NUMBERED = re.compile(r"^(\d{4,})-")


@dataclass(frozen=True)
class Captured:
    """One message as the server received it (the file holds the bytes)."""

    number: int
    path: Path
    sender: str  # the envelope's: "" for an automatic reply (MAIL FROM:<>)
    recipients: tuple[str, ...]
    subject: str
    for_service: bool

    def read(self) -> bytes:
        return self.path.read_bytes()


class DevMailServer:
    """``async with DevMailServer(folder=…) as mail:`` — SMTP on ``mail.smtp_port``, IMAP on
    ``mail.imap_port`` (free ports when 0), until the block ends."""

    def __init__(
        self,
        *,
        folder: Path,
        host: str = "127.0.0.1",
        smtp_port: int = 0,
        imap_port: int = 0,
        user: str = "consulta",
        password: str = "consulta",
        service_address: str = "consulta@consulta.example",
    ) -> None:
        local, _, domain = service_address.lower().partition("@")
        if not local or not domain or "+" in local:
            raise ValueError(f"the service address must be local@domain: {service_address!r}")
        self.folder, self.host, self.user, self.password = folder, host, user, password
        self.service_address = service_address
        self._local, self._domain = local, domain
        self._ports = (smtp_port, imap_port)
        self.captured: list[Captured] = []
        self._stack = AsyncExitStack()
        self._depositor: Depositor | None = None

    @property
    def smtp_port(self) -> int:
        return self._ports[0]

    @property
    def imap_port(self) -> int:
        return self._ports[1]

    async def __aenter__(self) -> Self:
        try:
            await self._start()
        except BaseException:
            await self._stack.aclose()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self._stack.aclose()

    def for_service(self, address: str) -> bool:
        """The service's address, or one of its plus-addresses (``consulta+token@domain``)."""
        local, _, domain = address.strip().strip("<>").lower().rpartition("@")
        return domain == self._domain and local.split("+", 1)[0] == self._local

    async def _start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self._next = _last_number(self.folder) + 1
        imap_port = await start_imap(
            self._stack,
            host=self.host,
            port=self.imap_port,
            user=self.user,
            password=self.password,
        )
        depositor = Depositor(
            host=_reachable(self.host), port=imap_port, user=self.user, password=self.password
        )
        self._stack.push_async_callback(depositor.close)
        await depositor.ensure_mailbox(CAPTURED)
        self._depositor = depositor
        smtp_port = await _start_smtp(self._stack, self, host=self.host, port=self.smtp_port)
        self._ports = (smtp_port, imap_port)

    async def deliver(self, sender: str, recipients: Sequence[str], content: bytes) -> Captured:
        """Keep ``content`` as a file, then put it in the right IMAP mailbox."""
        assert self._depositor is not None, "inside `async with` only"
        number, self._next = self._next, self._next + 1
        raw = _stamped(sender, recipients, content)
        for_service = any(self.for_service(r) for r in recipients)
        header = BytesHeaderParser(policy=default_policy).parsebytes(raw)
        subject = " ".join(str(header.get("Subject", "")).split())
        # A reply is named after who wrote it (the header's From: an auto-reply's envelope is
        # empty); a notice, after whom it is for.
        from_header = parseaddr(str(header.get("From", "")))[1]
        who = (from_header or sender) if for_service else recipients[0]
        more = len(recipients) - 1 if not for_service else 0
        await self._depositor.append(raw, INBOX if for_service else CAPTURED)
        path = self.folder / _file_name(number, for_service, who, more, subject)
        path.write_bytes(raw)
        captured = Captured(number, path, sender, tuple(recipients), subject, for_service)
        self.captured.append(captured)
        log.info("%04d %s -> %s: %s", number, sender or "<>", ", ".join(recipients), subject)
        return captured


class _Delivery:
    """aiosmtpd's handler: accepts every recipient (nothing is relayed), delivers at DATA."""

    def __init__(self, server: DevMailServer) -> None:
        self._server = server

    async def handle_DATA(self, smtp: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        sender = envelope.mail_from or ""
        try:
            # aiosmtpd gives the null sender of MAIL FROM:<> as "<>".
            await self._server.deliver(sender.strip("<>"), envelope.rcpt_tos, content)
        except (DeliveryFailed, OSError) as exc:
            log.warning("delivery failed, the sender is told to try later: %s", exc)
            return "451 4.3.0 Mailbox unavailable, try again later"
        return "250 2.0.0 Delivered"


async def _start_smtp(stack: AsyncExitStack, server: DevMailServer, *, host: str, port: int) -> int:
    loop = asyncio.get_running_loop()
    handler = _Delivery(server)
    sessions: list[SMTP] = []

    def session() -> SMTP:
        # hostname given: aiosmtpd would otherwise ask DNS for our FQDN, which can take seconds.
        protocol = SMTP(handler, hostname="localhost", enable_SMTPUTF8=True, loop=loop)
        sessions.append(protocol)
        return protocol

    listening = await loop.create_server(session, host=host, port=port)

    async def close() -> None:
        listening.close()
        for protocol in sessions:
            if protocol.transport is not None:
                protocol.transport.close()
        await listening.wait_closed()
        # aiosmtpd keeps each session's task privately; ended here so none outlives the loop.
        tasks = [p._handler_coroutine for p in sessions if p._handler_coroutine is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    stack.push_async_callback(close)
    bound: int = listening.sockets[0].getsockname()[1]
    return bound


def _stamped(sender: str, recipients: Sequence[str], content: bytes) -> bytes:
    """What a delivery agent adds on top (RFC 5321 §4.4), with CRLF line ends as IMAP wants."""
    lines = [f"Return-Path: <{sender}>"] + [f"Delivered-To: {r}" for r in recipients]
    body = re.sub(rb"\r?\n", b"\r\n", content)
    return ("\r\n".join(lines) + "\r\n").encode("utf-8") + body


def _file_name(number: int, for_service: bool, who: str, more: int, subject: str) -> str:
    """``0007-to-ppt@cancilleria.do.example-Subject.eml``; ``0008-from-…`` for the service."""
    direction = "from" if for_service else "to"
    address = re.sub(r"[^A-Za-z0-9@.+_-]", "", who)[:64] or "unknown"
    others = f"-and-{more}-more" if more else ""
    return f"{number:04d}-{direction}-{address}{others}-{_slug(subject)}.eml"


def _slug(text: str, limit: int = 80) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9]+", "-", ascii_text).strip("-")
    return slug[:limit].rstrip("-") or "no-subject"


def _last_number(folder: Path) -> int:
    """Numbering goes on after the files of an earlier run, never over them."""
    numbers = [int(m.group(1)) for p in folder.glob("*.eml") if (m := _NUMBERED.match(p.name))]
    return max(numbers, default=0)


def _reachable(host: str) -> str:
    """Where to connect to a server listening on ``host`` (every interface: loopback)."""
    return "127.0.0.1" if host in ("", "0.0.0.0") else host

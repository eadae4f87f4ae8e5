"""A recording aiosmtpd server on a free loopback port that fails on request.

It runs in the test's own event loop (no thread), so the test can read what it recorded without
locks and every connection is closed before the loop goes away.
"""

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Literal

from aiosmtpd.smtp import SMTP, Envelope, Session

Stage = Literal["mail", "rcpt", "data"]


@dataclass(frozen=True)
class ReceivedMail:
    """One accepted DATA transaction: the envelope as the server saw it, and the bytes."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes


@dataclass
class Fault:
    """Answer `reply` (or, with `reply=None`, drop the connection) at `stage`.

    Matching commands first pass `after` times untouched, then fail `times` times.
    At `rcpt`, `recipient` narrows it to one address.
    """

    stage: Stage
    reply: str | None
    recipient: str | None = None
    times: int = 1
    after: int = 0

    def matches(self, stage: Stage, recipient: str | None) -> bool:
        if stage != self.stage or self.times <= 0:
            return False
        if self.recipient is not None and recipient != self.recipient:
            return False
        if self.after > 0:
            self.after -= 1
            return False
        self.times -= 1
        return True


@dataclass
class RecordingHandler:
    """aiosmtpd handler: records every accepted message and applies the injected faults."""

    received: list[ReceivedMail] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    connections: int = 0
    rcpt_commands: int = 0
    gate: asyncio.Event | None = None  # DATA waits for it: a slow server, held by the test
    waiting: int = 0  # DATA commands waiting at the gate now
    delay: float = 0.0  # seconds each DATA takes: a slow relay

    def _fault(self, server: SMTP, stage: Stage, recipient: str | None = None) -> str | None:
        for fault in self.faults:
            if fault.matches(stage, recipient):
                return _apply(server, fault.reply)
        return None

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if failure := self._fault(server, "mail"):
            return failure
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        self.rcpt_commands += 1
        if failure := self._fault(server, "rcpt", address):
            return failure
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.gate is not None:
            self.waiting += 1
            await self.gate.wait()
            self.waiting -= 1
        if self.delay:
            await asyncio.sleep(self.delay)
        if failure := self._fault(server, "data"):
            return failure
        assert envelope.mail_from is not None
        content = envelope.original_content or b""
        self.received.append(ReceivedMail(envelope.mail_from, tuple(envelope.rcpt_tos), content))
        return "250 Message accepted for delivery"


def _apply(server: SMTP, reply: str | None) -> str:
    """The reply to send; a 421 (or a drop) also closes the connection, as real servers do."""
    transport = server.transport
    assert isinstance(transport, asyncio.Transport)
    if reply is None:
        # Abort: no reply at all, the client just sees the connection go.
        transport.abort()
        return "421 unreachable"
    if reply.startswith("421"):
        # Closing after the reply is flushed: close() drains the write buffer first.
        asyncio.get_running_loop().call_soon(transport.close)
    return reply


class _CountingSMTP(SMTP):
    """aiosmtpd's SMTP that counts TCP connections (STARTTLS re-enters connection_made)."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if self.transport is None:
            handler: RecordingHandler = self.event_handler
            handler.connections += 1
        super().connection_made(transport)


@dataclass
class SmtpServer:
    """What a test needs: where to connect, what arrived, and how to make it fail."""

    host: str
    port: int
    handler: RecordingHandler
    protocols: list[_CountingSMTP]

    @property
    def received(self) -> list[ReceivedMail]:
        return self.handler.received

    @property
    def connections(self) -> int:
        return self.handler.connections

    def delivered_to(self, address: str) -> list[ReceivedMail]:
        return [mail for mail in self.received if address in mail.rcpt_tos]

    def inject(
        self,
        stage: Stage,
        reply: str | None,
        *,
        recipient: str | None = None,
        times: int = 1,
        after: int = 0,
    ) -> None:
        self.handler.faults.append(Fault(stage, reply, recipient, times, after))

    def hold(self) -> asyncio.Event:
        """Keep every DATA waiting until the returned event is set (a slow server)."""
        self.handler.gate = asyncio.Event()
        return self.handler.gate

    def drop_connections(self) -> None:
        """Close every open connection, as a restarting MTA or an idle timeout would."""
        for protocol in self.protocols:
            if protocol.transport is not None:
                protocol.transport.close()


@contextlib.asynccontextmanager
async def running_smtpd(
    host: str = "127.0.0.1", *, implicit_tls: ssl.SSLContext | None = None, **smtp_options: Any
) -> AsyncIterator[SmtpServer]:
    """aiosmtpd on a port the OS picks (port 0), so there is no race for a free port.

    `smtp_options` go to aiosmtpd's `SMTP` (e.g. `tls_context` to offer STARTTLS,
    `authenticator`); `implicit_tls` makes the port speak TLS from the first byte.
    """
    loop = asyncio.get_running_loop()
    handler = RecordingHandler()
    protocols: list[_CountingSMTP] = []

    def factory() -> _CountingSMTP:
        protocol = _CountingSMTP(handler, hostname="localhost", loop=loop, **smtp_options)
        protocols.append(protocol)
        return protocol

    server = await loop.create_server(factory, host=host, port=0, ssl=implicit_tls)
    port: int = server.sockets[0].getsockname()[1]
    smtp = SmtpServer(host, port, handler, protocols)
    try:
        yield smtp
    finally:
        server.close()
        smtp.drop_connections()
        await server.wait_closed()
        await _settle(protocols)


async def _settle(protocols: list[_CountingSMTP]) -> None:
    """Let each session's task see its connection end, so no task outlives the loop."""
    tasks = [p._handler_coroutine for p in protocols if p._handler_coroutine is not None]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)

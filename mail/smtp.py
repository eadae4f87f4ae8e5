"""Outbound mail over one reused SMTP connection, with an outcome for every recipient.

The sender knows nothing of consultations: it takes a finished `EmailMessage` and a list of
envelope recipients, and says for each one whether the server accepted it, refused it for now
(4xx at RCPT), refused it for good (5xx at RCPT), or refused *us*: no connection, a 421/5xx
greeting, a TLS or AUTH failure, a refusal at MAIL FROM or DATA. Only a reply to RCPT TO speaks
about one recipient (RFC 5321 §3.3); everything else is the sender's problem (a relay that
blocklisted us for a while, a wrong password) and says nothing about the address, so it never
counts as the recipient's permanent failure. What to do about a refusal (retry, record on the
contact, tell the PPT) is the caller's business; `send_with_retry` covers the common "retry
what is worth retrying" part.

Delivery is at-least-once: if the connection drops after the message was sent but before the
server's reply arrived (RFC 1047), a retry may deliver it again. The receiving side deduplicates
on Message-ID, which is why a retry sends the very same message object.
"""

import asyncio
import enum
import logging
import ssl
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from types import TracebackType
from typing import Literal, Self

import aiosmtplib

from mail.flatten import flatten

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
Security = Literal["none", "starttls", "tls"]

# Failures after which nothing is known except that the conversation is over.
_CONNECTION_ERRORS = (
    aiosmtplib.SMTPServerDisconnected,
    aiosmtplib.SMTPConnectError,
    aiosmtplib.SMTPTimeoutError,
    OSError,
)


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how to submit mail. `security="none"` never upgrades, even if offered."""

    host: str
    port: int
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    security: Security = "none"
    timeout: float = 30.0
    local_hostname: str | None = None
    # For a private CA or a test server's self-signed certificate; None means the system's.
    tls_context: ssl.SSLContext | None = field(default=None, repr=False, compare=False)


class SmtpUnavailable(Exception):
    """The server cannot be reached or refused the session (greeting, EHLO, TLS, AUTH)."""


class _ConnectionFailed(Exception):
    """The conversation ended without a reply code: refused, dropped or timed out."""


class Outcome(enum.Enum):
    ACCEPTED = "accepted"  # the server took responsibility for this recipient (250 after DATA)
    TRANSIENT = "transient"  # 4xx at RCPT: the same send may work later
    PERMANENT = "permanent"  # 5xx at RCPT: this address will not take it; a human has to look
    # The server or the network refused the sender, not this recipient (connection, greeting,
    # TLS, AUTH, MAIL FROM, DATA; any code): retried, and never held against the address.
    SENDER_REFUSED = "sender_refused"


@dataclass(frozen=True)
class RecipientResult:
    recipient: str
    outcome: Outcome
    code: int | None = None  # the SMTP reply code; None when the connection failed first
    message: str = ""


@dataclass(frozen=True)
class DeliveryResult:
    """What happened to each recipient of one message, in the order they were given."""

    results: tuple[RecipientResult, ...]

    def __getitem__(self, recipient: str) -> RecipientResult:
        for result in self.results:
            if result.recipient == recipient:
                return result
        raise KeyError(recipient)

    def _with(self, outcome: Outcome) -> list[str]:
        return [r.recipient for r in self.results if r.outcome is outcome]

    @property
    def accepted(self) -> list[str]:
        return self._with(Outcome.ACCEPTED)

    @property
    def transient(self) -> list[str]:
        return self._with(Outcome.TRANSIENT)

    @property
    def permanent(self) -> list[str]:
        return self._with(Outcome.PERMANENT)

    @property
    def sender_refused(self) -> list[str]:
        return self._with(Outcome.SENDER_REFUSED)

    @property
    def retryable(self) -> list[str]:
        """Recipients worth another try: a 4xx at RCPT, or a refusal of the sender."""
        return [
            r.recipient
            for r in self.results
            if r.outcome in (Outcome.TRANSIENT, Outcome.SENDER_REFUSED)
        ]

    @property
    def settled(self) -> bool:
        """True when no recipient is worth another try."""
        return not self.retryable

    def updated(self, later: "DeliveryResult") -> "DeliveryResult":
        """This result with the recipients of a later attempt replaced by their new outcome."""
        newer = {r.recipient: r for r in later.results}
        return DeliveryResult(tuple(newer.get(r.recipient, r) for r in self.results))


def outcome_of(code: int) -> Outcome:
    # RFC 5321 §4.2.1: 5yz is a permanent negative completion; anything else that is not a
    # success (4yz, or a garbled reply) may go better next time.
    return Outcome.PERMANENT if 500 <= code <= 599 else Outcome.TRANSIENT


def _everyone(
    recipients: Iterable[str], outcome: Outcome, code: int | None, message: str
) -> DeliveryResult:
    return DeliveryResult(tuple(RecipientResult(r, outcome, code, message) for r in recipients))


def _lost(recipients: Iterable[str], failure: Exception) -> DeliveryResult:
    return _everyone(recipients, Outcome.SENDER_REFUSED, None, str(failure))


def _per_recipient(
    recipients: Iterable[str], refused: Mapping[str, aiosmtplib.SMTPResponse]
) -> DeliveryResult:
    def one(recipient: str) -> RecipientResult:
        response = refused.get(recipient)
        if response is None:
            return RecipientResult(recipient, Outcome.ACCEPTED)
        code, message = response.code, response.message
        return RecipientResult(recipient, outcome_of(code), code, message)

    return DeliveryResult(tuple(one(r) for r in recipients))


class SmtpSender:
    """One SMTP connection, opened on first use and reused for every message until closed.

    If the server dropped the connection in between, the next `send` opens a new one. Sends
    are serialised by a lock: one SMTP transaction at a time is what a connection allows.
    Use as `async with SmtpSender(config) as sender:` so the connection ends with a QUIT.
    """

    def __init__(self, config: SmtpConfig, *, sleep: Sleep = asyncio.sleep) -> None:
        self._config = config
        self._sleep = sleep
        self._client: aiosmtplib.SMTP | None = None
        self._lock = asyncio.Lock()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is None or not client.is_connected:
            return
        try:
            await client.quit()
        except (aiosmtplib.SMTPException, OSError):
            client.close()  # the server is gone or rude: nothing left to say politely

    async def send(
        self, msg: EmailMessage, recipients: Sequence[str], *, sender: str | None = None
    ) -> DeliveryResult:
        """One attempt to deliver `msg` to `recipients` (the envelope; headers are not read).

        `sender` is the envelope sender (MAIL FROM); by default the message's Sender or From.
        Never raises for what the server or the network did: that is in the result. A reused
        connection found dead does not count as the attempt: it is replaced, and tried again.
        """
        wanted = list(dict.fromkeys(recipients))
        if not wanted:
            raise ValueError("no recipients")
        async with self._lock:
            reused = self._client is not None and self._client.is_connected
            try:
                return await self._attempt(msg, wanted, sender)
            except _ConnectionFailed as failed:
                if not reused:
                    return _lost(wanted, failed)
            # Servers close connections left idle (RFC 5321 §4.5.3.2), and the close may not
            # have reached us yet: one more try at once, on a fresh connection.
            try:
                return await self._attempt(msg, wanted, sender)
            except _ConnectionFailed as failed:
                return _lost(wanted, failed)

    async def send_each(
        self, msg: EmailMessage, recipients: Sequence[str], *, sender: Callable[[str], str]
    ) -> DeliveryResult:
        """`send` once per recipient, each with its own envelope sender ``sender(recipient)``.

        VERP: a bounce comes back to the envelope sender (RFC 5321 §4.5.5, Return-Path), so an
        envelope sender per recipient tells which address failed without trusting the report's
        words. The same message object goes to each, so its Message-ID is one.
        """
        wanted = list(dict.fromkeys(recipients))
        if not wanted:
            raise ValueError("no recipients")
        results: list[RecipientResult] = []
        for recipient in wanted:
            one = await self.send(msg, [recipient], sender=sender(recipient))
            results += one.results
        return DeliveryResult(tuple(results))

    async def noop(self) -> None:
        """Connect (greeting, EHLO, TLS, AUTH as configured) and say NOOP: the readiness probe.

        Raises `SmtpUnavailable` with the server's or the network's reason."""
        async with self._lock:
            try:
                client = await self._connected()
                await client.noop()
            except (aiosmtplib.SMTPException, *_CONNECTION_ERRORS) as exc:
                self._discard()
                raise SmtpUnavailable(f"{type(exc).__name__}: {exc}") from exc

    async def send_with_retry(
        self,
        msg: EmailMessage,
        recipients: Sequence[str],
        *,
        sender: str | None = None,
        attempts: int = 5,
        backoff: float = 2.0,
        max_backoff: float = 300.0,
    ) -> DeliveryResult:
        """`send`, then again for the recipients with a transient failure, after waiting
        `backoff`, 2×`backoff`, 4×… seconds (at most `max_backoff`), `attempts` times in all.

        Accepted and permanently refused recipients are never sent to again.
        """
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        result = await self.send(msg, recipients, sender=sender)
        for attempt in range(1, attempts):
            if result.settled:
                break
            delay = min(backoff * 2 ** (attempt - 1), max_backoff)
            log.info("retrying %d recipient(s) in %.1fs", len(result.retryable), delay)
            await self._sleep(delay)
            result = result.updated(await self.send(msg, result.retryable, sender=sender))
        return result

    async def _attempt(
        self, msg: EmailMessage, recipients: list[str], sender: str | None
    ) -> DeliveryResult:
        try:
            client = await self._connected()
            refused, _ = await _transmit(client, msg, sender, recipients)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            # aiosmtplib raises only when every RCPT was refused; otherwise it returns them.
            return _per_recipient(recipients, {e.recipient: _response(e) for e in exc.recipients})
        except aiosmtplib.SMTPResponseException as exc:
            # Greeting, EHLO, AUTH, MAIL FROM or DATA: a refusal of the sender or of the whole
            # message, never of one address. (At DATA, aiosmtplib no longer says which RCPTs
            # were refused; a retry finds out.)
            log.warning("SMTP refused a message: %d %s", exc.code, exc.message)
            self._discard()  # after a refused session start the connection is of no use
            return _everyone(recipients, Outcome.SENDER_REFUSED, exc.code, exc.message)
        except _CONNECTION_ERRORS as exc:
            log.warning("SMTP connection to %s failed: %s", self._config.host, exc)
            self._discard()
            raise _ConnectionFailed(str(exc) or type(exc).__name__) from exc
        except aiosmtplib.SMTPException as exc:
            log.warning("SMTP %s cannot take a message: %s", self._config.host, exc)
            if "SMTPUTF8" in str(exc):
                # A non-ASCII address this server cannot carry (RFC 6531): the addresses', for
                # good, however often we ask.
                return _everyone(recipients, Outcome.PERMANENT, None, str(exc))
            # No AUTH method in common, no STARTTLS offered…: our configuration's problem.
            self._discard()
            return _everyone(recipients, Outcome.SENDER_REFUSED, None, str(exc))
        return _per_recipient(recipients, refused)

    async def _connected(self) -> aiosmtplib.SMTP:
        if self._client is not None and self._client.is_connected:
            return self._client
        self._discard()
        client = self._new_client()
        await client.connect()
        self._client = client
        return client

    def _discard(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.close()

    def _new_client(self) -> aiosmtplib.SMTP:
        config = self._config
        return aiosmtplib.SMTP(
            hostname=config.host,
            port=config.port,
            username=config.username,
            password=config.password,
            local_hostname=config.local_hostname,
            timeout=config.timeout,
            use_tls=config.security == "tls",
            # False, not None: None would upgrade whenever offered, and "none" means none.
            start_tls=config.security == "starttls",
            tls_context=config.tls_context,
        )


async def _transmit(
    client: aiosmtplib.SMTP, msg: EmailMessage, sender: str | None, recipients: list[str]
) -> tuple[dict[str, aiosmtplib.SMTPResponse], str]:
    """aiosmtplib's ``send_message``, the message flattened by `mail.flatten` (a fan-out's
    shared attachments flattened once, not once per reader and address)."""
    if sender is None:  # the message's Sender or From, as aiosmtplib reads it
        return await client.send_message(msg, recipients=recipients)
    if client.is_ehlo_or_helo_needed:  # the extensions decide the options below
        try:
            await client.ehlo()
        except aiosmtplib.SMTPHeloError:
            await client.helo()
    options = []
    utf8 = not (sender + "".join(recipients)).isascii()
    if utf8:
        if not client.supports_extension("smtputf8"):
            raise aiosmtplib.SMTPNotSupported(
                "An address containing non-ASCII characters was provided, but SMTPUTF8 is "
                "not supported by this server"
            )
        options.append("SMTPUTF8")
    eight = client.supports_extension("8bitmime")
    if eight:
        options.append("BODY=8BITMIME")
    data = flatten(msg, utf8=utf8, cte_type="8bit" if eight else "7bit")
    return await client.sendmail(sender, recipients, data, mail_options=options)


def _response(error: aiosmtplib.SMTPRecipientRefused) -> aiosmtplib.SMTPResponse:
    return aiosmtplib.SMTPResponse(error.code, error.message)

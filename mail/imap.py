"""Inbound mail from one IMAP mailbox: each new message handed over in UID order, then IDLE.

The listener knows nothing of consultations. It gives the raw bytes and the UID of every message
it has not handled yet to a handler, marks the message processed (a keyword, or a move to a
folder), and remembers how far it got through a `MailboxState`. Between catch-ups it waits in
IDLE (RFC 2177), or polls where the server has no IDLE.

Errors, as a tree:

    ImapError
     ├── ImapConnectionError   refused, dropped, silent, BYE: the listener reconnects (backoff)
     ├── ImapServerError       a NO/BAD to a command it needs: reconnects too (often temporary)
     └── ImapLoginRefused      the credentials are wrong: raised out of `run`, retrying won't help

Anything the handler or the `MailboxState` raises is not an `ImapError`: it goes straight out of
`run`, untouched.
"""

import asyncio
import contextlib
import logging
import re
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

import aioimaplib

from mail.mailbox_state import MailboxState

log = logging.getLogger(__name__)

T = TypeVar("T")
Handler = Callable[[bytes, int], Awaitable[None]]
Sleep = Callable[[float], Awaitable[None]]
Security = Literal["none", "starttls", "tls"]

DONE_KEYWORD = "$Consulta-Done"
# RFC 2177: servers may drop a client idle for 30 minutes, so clients re-IDLE before 29. We
# insist on a wider margin: the renewal may wait behind a slow command, and clocks drift.
MAX_IDLE_RENEW_SECONDS = 25 * 60
# Logging out is a courtesy; never let it hold up a shutdown for long.
_LOGOUT_TIMEOUT = 5.0


class ImapError(Exception):
    """Something went wrong talking to the IMAP server."""


class ImapConnectionError(ImapError):
    """The connection failed, dropped, went silent, or the server said BYE."""


class ImapServerError(ImapError):
    """The server answered NO or BAD to a command the listener cannot do without."""


class ImapLoginRefused(ImapError):
    """The server refused the credentials."""


@dataclass(frozen=True)
class ImapConfig:
    """One mailbox to listen to. Mailbox and folder names must be ASCII (no modified UTF-7)."""

    host: str
    port: int
    username: str
    password: str = field(repr=False)
    mailbox: str = "INBOX"
    security: Security = "none"
    idle_renew_seconds: float = 20 * 60
    # Silence tolerated in IDLE before ending it to check the server still answers.
    watchdog_seconds: float = 4 * 60
    poll_seconds: float = 60.0
    processed: Literal["flag", "move"] = "flag"
    processed_folder: str = "Processed"
    timeout: float = 30.0  # for one command (a FETCH: between two chunks of data)
    fetch_batch: int = 50  # messages per UID FETCH
    reconnect_initial: float = 1.0
    reconnect_max: float = 300.0
    tls_context: ssl.SSLContext | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not 0 < self.idle_renew_seconds <= MAX_IDLE_RENEW_SECONDS:
            raise ValueError(f"idle_renew_seconds must be in (0, {MAX_IDLE_RENEW_SECONDS}]")
        if min(self.watchdog_seconds, self.poll_seconds, self.timeout) <= 0:
            raise ValueError("watchdog_seconds, poll_seconds and timeout must be positive")
        if self.fetch_batch < 1:
            raise ValueError("fetch_batch must be at least 1")
        if not (self.mailbox + self.processed_folder).isascii():
            raise ValueError("mailbox names must be ASCII")
        if self.processed == "move" and self.processed_folder == self.mailbox:
            raise ValueError("processed_folder must differ from mailbox")


class _Interrupted(Exception):
    def __init__(self, event: asyncio.Event) -> None:
        self.event = event


async def _until(aw: Awaitable[T], events: Sequence[asyncio.Event], timeout: float | None) -> T:
    """`aw`'s result, unless one of `events` fires first (`_Interrupted`) or time runs out."""
    task = asyncio.ensure_future(aw)
    waiters = {asyncio.ensure_future(event.wait()): event for event in events}
    try:
        done, _ = await asyncio.wait(
            {task, *waiters}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
        )
    finally:
        pending = [f for f in (task, *waiters) if not f.done()]
        for future in pending:
            future.cancel()
        if pending:
            await asyncio.wait(pending)
    if task in done:
        return task.result()
    for waiter, event in waiters.items():
        if waiter in done:
            raise _Interrupted(event)
    raise TimeoutError


def _quote(name: str) -> str:
    # RFC 3501 §9 quoted string: mailbox names may hold spaces.
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _text(response: Any) -> str:
    lines = [bytes(line) for line in response.lines if isinstance(line, bytes | bytearray)]
    return b" ".join(lines).decode(errors="replace")


def _check(response: Any, what: str) -> Any:
    if response.result != "OK":
        raise ImapServerError(f"{what}: {response.result} {_text(response)}")
    return response


_UIDVALIDITY = re.compile(rb"\[UIDVALIDITY (\d+)\]")
_FETCH_START = re.compile(rb"\d+ FETCH \(")
_FETCH_UID = re.compile(rb"UID (\d+)")
_EXISTS = re.compile(rb"\d+ EXISTS")
_EXISTS_LINE = re.compile(rb"\* \d+ EXISTS")


def _uidvalidity(lines: Sequence[Any]) -> int:
    for line in lines:
        if isinstance(line, bytes) and (match := _UIDVALIDITY.search(line)):
            return int(match.group(1))
    raise ImapServerError("SELECT gave no UIDVALIDITY")  # RFC 3501 §6.3.1 makes it mandatory


def _search_uids(lines: Sequence[Any]) -> list[int]:
    # aioimaplib strips "* SEARCH"; the last line is the tagged completion's text.
    return [int(n) for line in lines[:-1] for n in bytes(line).split() if n.isdigit()]


def _fetched(lines: Sequence[Any]) -> Iterator[tuple[int, bytes]]:
    """(uid, raw) for each message of a `UID FETCH … (UID BODY.PEEK[])` response.

    aioimaplib gives the literal (the message) as a bytearray between the bytes lines of the
    FETCH item; the UID may come before or after it.
    """
    uid: int | None = None
    raw: bytes | None = None
    for line in lines:
        if isinstance(line, bytearray):
            raw = bytes(line)
            continue
        if _FETCH_START.match(line):
            if uid is not None and raw is not None:
                yield uid, raw
            uid, raw = None, None
        if uid is None and (match := _FETCH_UID.search(line)):
            uid = int(match.group(1))
    if uid is not None and raw is not None:
        yield uid, raw


def _uid_set(uids: Sequence[int]) -> str:
    """RFC 3501 sequence set with runs folded: [1, 2, 3, 7] -> "1:3,7"."""
    runs: list[list[int]] = []
    for uid in sorted(uids):
        if runs and uid == runs[-1][1] + 1:
            runs[-1][1] = uid
        else:
            runs.append([uid, uid])
    return ",".join(str(a) if a == b else f"{a}:{b}" for a, b in runs)


def _chunks(items: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class _Protocol(aioimaplib.IMAP4ClientProtocol):  # type: ignore[misc]
    """aioimaplib's protocol that also notices `* n EXISTS` arriving during other commands.

    Servers announce new mail at the end of whatever command is running (RFC 3501 §7.3.1);
    aioimaplib drops such a line unless it is in IDLE. A message that arrives while a catch-up
    runs would then wait in silence until the next one, since IDLE does not announce it again.
    """

    mailbox_grew = False

    def _handle_line(self, line: bytes, current_cmd: Any) -> Any:
        if _EXISTS_LINE.match(line):
            self.mailbox_grew = True
        return super()._handle_line(line, current_cmd)


class _Client(aioimaplib.IMAP4):  # type: ignore[misc]
    """aioimaplib's client, built on `_Protocol`."""

    def create_client(
        self,
        host: str,
        port: int,
        loop: asyncio.AbstractEventLoop | None,
        conn_lost_cb: Callable[[Exception | None], None] | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        loop = loop or asyncio.get_running_loop()
        self.protocol = _Protocol(loop, conn_lost_cb)
        self._client_task = loop.create_task(
            loop.create_connection(lambda: self.protocol, host, port, ssl=ssl_context)
        )


class _Session:
    """One connection, logged in and with the mailbox selected, that knows when it died."""

    def __init__(self, config: ImapConfig) -> None:
        self.config = config
        self.lost = asyncio.Event()
        self.uidvalidity = 0
        self.swept = False  # whether this session marked what earlier ones left unmarked
        self.client: Any = None

    @property
    def mailbox_grew(self) -> bool:
        """Whether the server announced new mail since the last `uids_after`."""
        grew: bool = self.client.protocol.mailbox_grew
        return grew

    @property
    def capabilities(self) -> set[str]:
        caps: set[str] = self.client.protocol.capabilities
        return caps

    async def call(
        self, aw: Awaitable[T], timeout: float | None | Literal["command"] = "command"
    ) -> T:
        """Await an aioimaplib command; give up when the connection drops or time runs out.

        aioimaplib leaves a command waiting forever if the connection is lost under it
        (e.g. `idle_start` after a `* BYE`), hence the race against `lost`.
        """
        limit = self.config.timeout if timeout == "command" else timeout
        try:
            return await _until(aw, [self.lost], limit)
        except _Interrupted:
            raise ImapConnectionError("connection lost") from None
        except (OSError, TimeoutError, aioimaplib.AioImapException) as exc:
            raise ImapConnectionError(f"{type(exc).__name__}: {exc}") from exc

    async def open(self) -> None:
        config = self.config
        tls = config.tls_context or ssl.create_default_context()
        self.client = _Client(
            host=config.host,
            port=config.port,
            timeout=config.timeout,
            conn_lost_cb=lambda _exc: self.lost.set(),
            ssl_context=tls if config.security == "tls" else None,
        )
        await self.call(self.client.wait_hello_from_server())
        if config.security == "starttls":
            await self._starttls(tls)
        await self._login()
        # RFC 3501 §6.2.3: capabilities may change after login (Dovecot adds IDLE, MOVE…).
        await self.call(self.client.protocol.capability())
        await self._select()
        if config.processed == "move":
            await self._ensure_folder(config.processed_folder)

    async def _starttls(self, context: ssl.SSLContext) -> None:
        protocol = self.client.protocol
        if "STARTTLS" not in protocol.capabilities:
            raise ImapServerError("server does not offer STARTTLS")
        command = aioimaplib.Command("STARTTLS", protocol.new_tag(), loop=protocol.loop)
        _check(await self.call(protocol.execute(command)), "STARTTLS")
        loop = asyncio.get_running_loop()
        protocol.transport = await self.call(
            loop.start_tls(protocol.transport, protocol, context, server_hostname=self.config.host)
        )
        # RFC 3501 §6.2.1: forget what was said in clear, ask again.
        await self.call(protocol.capability())

    async def _login(self) -> None:
        response = await self.call(self.client.login(self.config.username, self.config.password))
        if response.result == "OK":
            return
        text = _text(response)
        if "[UNAVAILABLE]" in text:  # RFC 5530: the auth backend is down, not the password wrong
            raise ImapServerError(f"LOGIN: {text}")
        raise ImapLoginRefused(text)

    async def _select(self) -> None:
        response = await self.call(self.client.select(_quote(self.config.mailbox)))
        self.uidvalidity = _uidvalidity(_check(response, "SELECT").lines)

    async def _ensure_folder(self, name: str) -> None:
        response = await self.call(self.client.create(_quote(name)))
        if response.result == "OK" or "[ALREADYEXISTS]" in _text(response):
            return
        # Not every server says ALREADYEXISTS (RFC 5530); ask whether it is there.
        listing = await self.call(self.client.list('""', _quote(name)))
        if len(_check(listing, "LIST").lines) < 2:
            raise ImapServerError(f"CREATE {name}: {_text(response)}")

    async def uids_after(self, last_uid: int) -> list[int]:
        await self.call(self.client.noop())  # lets the server tell us about new mail first
        # What was announced so far, the search finds; what comes later sets the flag again.
        self.client.protocol.mailbox_grew = False
        search = self.client.uid_search("UID", f"{last_uid + 1}:*", charset=None)
        found = _search_uids(_check(await self.call(search), "SEARCH").lines)
        # "N:*" always matches the highest UID, even below N (RFC 3501 §6.4.8).
        return sorted(uid for uid in found if uid > last_uid)

    async def fetch(self, uids: Sequence[int]) -> list[tuple[int, bytes]]:
        uid_set = ",".join(map(str, uids))
        # BODY.PEEK: fetching must not set \Seen; only handling a message does that.
        # No overall timeout: aioimaplib's own one restarts with each chunk of a large body.
        response = await self.call(
            self.client.uid("fetch", uid_set, "(UID BODY.PEEK[])"), timeout=None
        )
        return sorted(_fetched(_check(response, "FETCH").lines))

    async def mark_processed(self, uids: Sequence[int]) -> None:
        if not uids:
            return
        uid_set = _uid_set(uids)
        if self.config.processed == "flag":
            flags = f"(\\Seen {DONE_KEYWORD})"
            response = await self.call(self.client.uid("store", uid_set, "+FLAGS.SILENT", flags))
            _check(response, "STORE")
        else:
            await self._move(uid_set, _quote(self.config.processed_folder))

    async def unmarked_up_to(self, last_uid: int) -> list[int]:
        """Messages at or below `last_uid` (so handled) that are not marked processed."""
        if last_uid == 0:
            return []
        criteria = ["UID", f"1:{last_uid}"]
        if self.config.processed == "flag":
            criteria += ["NOT", "KEYWORD", DONE_KEYWORD]
        search = self.client.uid_search(*criteria, charset=None)
        found = _search_uids(_check(await self.call(search), "SEARCH").lines)
        return sorted(uid for uid in found if uid <= last_uid)

    async def _move(self, uid: str, folder: str) -> None:
        if "MOVE" in self.capabilities:
            _check(await self.call(self.client.uid("move", uid, folder)), "MOVE")
            return
        # RFC 6851 §3.3: without MOVE, COPY then delete. Without UIDPLUS the EXPUNGE also
        # removes whatever else someone marked \Deleted in this mailbox.
        _check(await self.call(self.client.uid("copy", uid, folder)), "COPY")
        store = self.client.uid("store", uid, "+FLAGS.SILENT", "(\\Deleted)")
        _check(await self.call(store), "STORE")
        if "UIDPLUS" in self.capabilities:
            _check(await self.call(self.client.uid("expunge", uid)), "UID EXPUNGE")
        else:
            _check(await self.call(self.client.expunge()), "EXPUNGE")

    async def idle(self, stop: asyncio.Event) -> None:
        """One IDLE: until new mail, `stop`, a renewal, or a silence the watchdog checks on.

        The DONE that ends it is also the watchdog's probe: a live server answers it at once.
        """
        queue = self.client.protocol.idle_queue
        while not queue.empty():  # pushes from before: the catch-up already saw that mail
            queue.get_nowait()
        idle = await self.call(self.client.idle_start(timeout=self.config.idle_renew_seconds))
        await self._wait_for_news(stop)
        self.client.idle_done()
        _check(await self.call(idle), "IDLE")

    async def _wait_for_news(self, stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        renew_at = loop.time() + self.config.idle_renew_seconds
        while (left := renew_at - loop.time()) > 0:
            lines = await self._next_push(stop, min(left, self.config.watchdog_seconds))
            if lines is None or lines == aioimaplib.STOP_WAIT_SERVER_PUSH:
                return
            if any(bytes(line).startswith(b"BYE") for line in lines):
                raise ImapConnectionError(f"server said {_text_of(lines)}")
            if any(_EXISTS.match(line) for line in lines):
                return

    async def _next_push(self, stop: asyncio.Event, timeout: float) -> list[bytes] | None:
        """The next untagged lines the server pushes; None on `stop` or after `timeout`."""
        try:
            lines: list[bytes] = await _until(
                self.client.protocol.idle_queue.get(), [self.lost, stop], timeout
            )
        except TimeoutError:
            return None
        except _Interrupted as interrupted:
            if interrupted.event is stop:
                return None
            raise ImapConnectionError("connection lost during IDLE") from None
        return lines

    async def close(self) -> None:
        """Log out if the connection still works, then make sure nothing of it is left."""
        if self.client is None:
            return
        try:
            if not self.lost.is_set():
                with contextlib.suppress(ImapError):
                    await self._logout()
        finally:
            await self._abandon()

    async def _logout(self) -> None:
        if self.client.has_pending_idle():
            self.client.idle_done()  # LOGOUT waits behind the IDLE, so end it first
        await self.call(self.client.logout(), timeout=_LOGOUT_TIMEOUT)

    async def _abandon(self) -> None:
        client = self.client
        waiter = getattr(client, "_idle_waiter", None)  # aioimaplib's renewal timer
        if waiter is not None:
            waiter.cancel()
        transport = client.protocol.transport
        if transport is not None:
            transport.close()
        tasks = [*client.tasks, *client.protocol.tasks, client._client_task]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def _text_of(lines: Sequence[bytes]) -> str:
    return b" ".join(bytes(line) for line in lines).decode(errors="replace")


@dataclass
class _Backoff:
    """Reconnection delays: initial, doubled each failure, capped; reset once connected."""

    initial: float
    maximum: float
    _next: float = 0.0

    def reset(self) -> None:
        self._next = self.initial

    def next(self) -> float:
        delay = self._next or self.initial
        self._next = min(delay * 2, self.maximum)
        return delay


class ImapListener:
    """Hands every message of one mailbox to a handler, once each in the normal course.

    Contract with the handler:
    - It gets `(raw, uid)` for each message with a UID above the last one saved, in UID order,
      one at a time. Only after it returns is the position saved (so the message is never
      fetched again); the handled messages are then marked processed (`\\Seen` plus the
      `$Consulta-Done` keyword, or moved to `processed_folder`) a batch at a time. Whatever
      was saved but not yet marked when a session ended is marked as the next one starts.
    - It must be idempotent on the message (deduplicate by Message-ID, or a hash of the bytes
      when there is none): a message comes again if the process dies between the handler's
      return and the save, and every message comes again when the mailbox's UIDVALIDITY
      changes (RFC 3501 §2.3.1.1: old UIDs mean nothing then, so the listener rescans from 1).
    - If it raises, that message is neither saved nor marked, the listener logs out and the
      exception leaves `run` as it was: the next run starts with that message again. Wrapping
      per-message failures (quarantine after N tries, …) is the caller's job, in the handler.
    """

    def __init__(
        self, config: ImapConfig, state: MailboxState, *, sleep: Sleep = asyncio.sleep
    ) -> None:
        self._config = config
        self._state = state
        self._sleep = sleep

    async def run(self, handler: Handler, stop: asyncio.Event) -> None:
        """Catch up, then IDLE (or poll) and catch up again, until `stop` is set.

        Reconnects after any `ImapConnectionError` or `ImapServerError`, waiting
        `reconnect_initial` seconds, then twice as long each time, up to `reconnect_max`.
        Cancellation logs out and propagates.
        """
        backoff = _Backoff(self._config.reconnect_initial, self._config.reconnect_max)
        while not stop.is_set():
            try:
                await self._serve(handler, stop, backoff)
            except (ImapConnectionError, ImapServerError) as exc:
                delay = backoff.next()
                log.warning("IMAP %s: %s; reconnecting in %.2fs", self._config.host, exc, delay)
                with contextlib.suppress(_Interrupted):
                    await _until(self._sleep(delay), [stop], None)

    async def poll_once(self, handler: Handler) -> int:
        """Connect, hand over everything new, log out; how many messages were handled."""
        async with self._session() as session:
            return await self._catch_up(session, handler, asyncio.Event())

    async def _serve(self, handler: Handler, stop: asyncio.Event, backoff: _Backoff) -> None:
        async with self._session() as session:
            backoff.reset()
            idle = "IDLE" in session.capabilities
            log.info(
                "IMAP %s: %s selected, %s",
                self._config.host,
                self._config.mailbox,
                "idling" if idle else "polling",
            )
            await self._catch_up(session, handler, stop)
            while not stop.is_set():
                if not session.mailbox_grew:
                    await self._wait(session, stop)
                if not stop.is_set():
                    await self._catch_up(session, handler, stop)

    async def _wait(self, session: _Session, stop: asyncio.Event) -> None:
        if "IDLE" in session.capabilities:
            await session.idle(stop)
            return
        try:
            await _until(stop.wait(), [session.lost], self._config.poll_seconds)
        except TimeoutError:
            pass
        except _Interrupted:
            raise ImapConnectionError("connection lost while waiting to poll") from None

    @contextlib.asynccontextmanager
    async def _session(self) -> AsyncIterator[_Session]:
        session = _Session(self._config)
        try:
            await session.open()
            yield session
        finally:
            await session.close()

    async def _catch_up(self, session: _Session, handler: Handler, stop: asyncio.Event) -> int:
        last_uid = await self._start_point(session)
        if not session.swept:
            await session.mark_processed(await session.unmarked_up_to(last_uid))
            session.swept = True
        handled = 0
        for batch in _chunks(await session.uids_after(last_uid), self._config.fetch_batch):
            done = await self._handle_batch(session, handler, stop, batch)
            # One STORE (or MOVE) per batch, not per message: marking costs a server round
            # trip and a write. Handled but unmarked messages (we died, or the handler failed
            # later in the batch) are marked by the sweep of the next session.
            await session.mark_processed(done)
            handled += len(done)
            if stop.is_set():
                break
        return handled

    async def _handle_batch(
        self, session: _Session, handler: Handler, stop: asyncio.Event, batch: Sequence[int]
    ) -> list[int]:
        done: list[int] = []
        for uid, raw in await session.fetch(batch):
            if stop.is_set():
                break
            await handler(raw, uid)
            await self._state.save(self._config.mailbox, session.uidvalidity, uid)
            done.append(uid)
        return done

    async def _start_point(self, session: _Session) -> int:
        """The last UID handled, or 0 after a UIDVALIDITY change (saved at once)."""
        mailbox = self._config.mailbox
        uidvalidity, last_uid = await self._state.load(mailbox)
        if uidvalidity == session.uidvalidity:
            return last_uid
        if uidvalidity is not None:
            log.warning(
                "UIDVALIDITY of %s changed (%s -> %s): rescanning from UID 1",
                mailbox,
                uidvalidity,
                session.uidvalidity,
            )
        await self._state.save(mailbox, session.uidvalidity, 0)
        return 0

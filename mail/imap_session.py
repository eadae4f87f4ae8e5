"""One IMAP connection, logged in with the mailbox selected, on top of aioimaplib.

The session knows when its connection died (`lost`) and never leaves a command waiting on a
dead one; what to do about it (reconnect, back off) is the listener's business.
"""

import asyncio
import contextlib
import ssl
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Literal, TypeVar

import aioimaplib

from mail import imap_responses as r
from mail.imap_config import (
    DONE_KEYWORD,
    ImapConfig,
    ImapConnectionError,
    ImapError,
    ImapLoginRefused,
    ImapServerError,
)

T = TypeVar("T")

# Logging out is a courtesy; never let it hold up a shutdown for long.
_LOGOUT_TIMEOUT = 5.0


class Interrupted(Exception):
    def __init__(self, event: asyncio.Event) -> None:
        self.event = event


async def until(aw: Awaitable[T], events: Sequence[asyncio.Event], timeout: float | None) -> T:
    """`aw`'s result, unless one of `events` fires first (`Interrupted`) or time runs out."""
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
            raise Interrupted(event)
    raise TimeoutError


class _Protocol(aioimaplib.IMAP4ClientProtocol):  # type: ignore[misc]
    """aioimaplib's protocol that also notices `* n EXISTS` arriving during other commands.

    Servers announce new mail at the end of whatever command is running (RFC 3501 §7.3.1);
    aioimaplib drops such a line unless it is in IDLE. A message that arrives while a catch-up
    runs would then wait in silence until the next one, since IDLE does not announce it again.
    """

    mailbox_grew = False

    def _handle_line(self, line: bytes, current_cmd: Any) -> Any:
        if r.EXISTS_LINE.match(line):
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


class ImapSession:
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
            return await until(aw, [self.lost], limit)
        except Interrupted:
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
        r.check(await self.call(protocol.execute(command)), "STARTTLS")
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
        text = r.text(response)
        if "[UNAVAILABLE]" in text:  # RFC 5530: the auth backend is down, not the password wrong
            raise ImapServerError(f"LOGIN: {text}")
        raise ImapLoginRefused(text)

    async def _select(self) -> None:
        response = await self.call(self.client.select(r.quote(self.config.mailbox)))
        self.uidvalidity = r.uidvalidity(r.check(response, "SELECT").lines)

    async def _ensure_folder(self, name: str) -> None:
        response = await self.call(self.client.create(r.quote(name)))
        if response.result == "OK" or "[ALREADYEXISTS]" in r.text(response):
            return
        # Not every server says ALREADYEXISTS (RFC 5530); ask whether it is there.
        listing = await self.call(self.client.list('""', r.quote(name)))
        if len(r.check(listing, "LIST").lines) < 2:
            raise ImapServerError(f"CREATE {name}: {r.text(response)}")

    async def uids_after(self, last_uid: int) -> list[int]:
        await self.call(self.client.noop())  # lets the server tell us about new mail first
        # What was announced so far, the search finds; what comes later sets the flag again.
        self.client.protocol.mailbox_grew = False
        search = self.client.uid_search("UID", f"{last_uid + 1}:*", charset=None)
        found = r.search_uids(r.check(await self.call(search), "SEARCH").lines)
        # "N:*" always matches the highest UID, even below N (RFC 3501 §6.4.8).
        return sorted(uid for uid in found if uid > last_uid)

    async def fetch(self, uids: Sequence[int]) -> list[tuple[int, bytes]]:
        # BODY.PEEK: fetching must not set \Seen; only handling a message does that.
        # No overall timeout: aioimaplib's own one restarts with each chunk of a large body.
        response = await self.call(
            self.client.uid("fetch", r.uid_set(uids), "(UID BODY.PEEK[])"), timeout=None
        )
        return sorted(r.fetched(r.check(response, "FETCH").lines))

    async def sizes(self, uids: Sequence[int]) -> dict[int, int]:
        """Each message's size in bytes, asked before its body is fetched."""
        response = await self.call(self.client.uid("fetch", r.uid_set(uids), "(UID RFC822.SIZE)"))
        return r.sizes(r.check(response, "FETCH").lines)

    async def fetch_headers(self, uids: Sequence[int]) -> list[tuple[int, bytes]]:
        """The header alone, for messages too large to download whole."""
        response = await self.call(
            self.client.uid("fetch", r.uid_set(uids), "(UID BODY.PEEK[HEADER])")
        )
        return sorted(r.fetched(r.check(response, "FETCH").lines))

    async def mark_processed(self, uids: Sequence[int]) -> None:
        if not uids:
            return
        uid_set = r.uid_set(uids)
        if self.config.processed == "flag":
            flags = f"(\\Seen {DONE_KEYWORD})"
            response = await self.call(self.client.uid("store", uid_set, "+FLAGS.SILENT", flags))
            r.check(response, "STORE")
        else:
            await self._move(uid_set, r.quote(self.config.processed_folder))

    async def unmarked_up_to(self, last_uid: int) -> list[int]:
        """Messages at or below `last_uid` (so handled) that are not marked processed."""
        if last_uid == 0:
            return []
        criteria = ["UID", f"1:{last_uid}"]
        if self.config.processed == "flag":
            criteria += ["NOT", "KEYWORD", DONE_KEYWORD]
        search = self.client.uid_search(*criteria, charset=None)
        found = r.search_uids(r.check(await self.call(search), "SEARCH").lines)
        return sorted(uid for uid in found if uid <= last_uid)

    async def _move(self, uid: str, folder: str) -> None:
        if "MOVE" in self.capabilities:
            r.check(await self.call(self.client.uid("move", uid, folder)), "MOVE")
            return
        # RFC 6851 §3.3: without MOVE, COPY then delete. Without UIDPLUS the EXPUNGE also
        # removes whatever else someone marked \Deleted in this mailbox.
        r.check(await self.call(self.client.uid("copy", uid, folder)), "COPY")
        store = self.client.uid("store", uid, "+FLAGS.SILENT", "(\\Deleted)")
        r.check(await self.call(store), "STORE")
        if "UIDPLUS" in self.capabilities:
            r.check(await self.call(self.client.uid("expunge", uid)), "UID EXPUNGE")
        else:
            r.check(await self.call(self.client.expunge()), "EXPUNGE")

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
        r.check(await self.call(idle), "IDLE")

    async def _wait_for_news(self, stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        renew_at = loop.time() + self.config.idle_renew_seconds
        while (left := renew_at - loop.time()) > 0:
            lines = await self._next_push(stop, min(left, self.config.watchdog_seconds))
            if lines is None or lines == aioimaplib.STOP_WAIT_SERVER_PUSH:
                return
            if any(bytes(line).startswith(b"BYE") for line in lines):
                raise ImapConnectionError(f"server said {r.text_of(lines)}")
            if any(r.EXISTS.match(line) for line in lines):
                return

    async def _next_push(self, stop: asyncio.Event, timeout: float) -> list[bytes] | None:
        """The next untagged lines the server pushes; None on `stop` or after `timeout`."""
        try:
            lines: list[bytes] = await until(
                self.client.protocol.idle_queue.get(), [self.lost, stop], timeout
            )
        except TimeoutError:
            return None
        except Interrupted as interrupted:
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

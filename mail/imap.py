"""Inbound mail from one IMAP mailbox: each new message handed over in UID order, then IDLE.

The listener knows nothing of consultations. It gives every message it has not handled yet to a
handler (the raw bytes, or only the header when the message is over the size limit), marks the
message processed (a keyword, or a move to a folder), and remembers how far it got through a
`MailboxState`. Between catch-ups it waits in IDLE (RFC 2177), or polls where the server has no
IDLE. The connection itself is `mail.imap_session`; the settings and errors, `mail.imap_config`.

Anything the handler or the `MailboxState` raises is not an `ImapError`: it goes straight out of
`run`, untouched.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass

from mail import imap_responses as r
from mail.imap_config import (
    DONE_KEYWORD,
    ImapConfig,
    ImapConnectionError,
    ImapError,
    ImapLoginRefused,
    ImapServerError,
)
from mail.imap_session import ImapSession, Interrupted, until
from mail.mailbox_state import MailboxState

__all__ = [
    "DONE_KEYWORD",
    "Fetched",
    "Handler",
    "ImapConfig",
    "ImapConnectionError",
    "ImapError",
    "ImapListener",
    "ImapLoginRefused",
    "ImapServerError",
]

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class Fetched:
    """One message as the handler gets it."""

    uid: int
    raw: bytes  # the whole message, or only its header when `complete` is False
    size: int  # the whole message's size on the server (RFC822.SIZE)
    complete: bool = True


Handler = Callable[[Fetched], Awaitable[None]]
# Called with each fetched batch before the handler gets its first message (the inbox stores
# the whole batch raw in one transaction).
BatchHandler = Callable[[Sequence[Fetched]], Awaitable[None]]


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
      one at a time (`on_batch`, if given, first gets each fetched batch whole). The position
      is saved once the batch is handled, or as far as it was when the handler raised (so a
      handled message is never fetched again in the normal course); the handled messages
      are then marked processed (`\\Seen` plus the `$Consulta-Done` keyword, or moved to
      `processed_folder`) a batch at a time. Whatever
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
        self,
        config: ImapConfig,
        state: MailboxState,
        *,
        sleep: Sleep = asyncio.sleep,
        on_batch: BatchHandler | None = None,
    ) -> None:
        self._config = config
        self._state = state
        self._sleep = sleep
        self._on_batch = on_batch

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
                with contextlib.suppress(Interrupted):
                    await until(self._sleep(delay), [stop], None)

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

    async def _wait(self, session: ImapSession, stop: asyncio.Event) -> None:
        if "IDLE" in session.capabilities:
            await session.idle(stop)
            return
        try:
            await until(stop.wait(), [session.lost], self._config.poll_seconds)
        except TimeoutError:
            pass
        except Interrupted:
            raise ImapConnectionError("connection lost while waiting to poll") from None

    @contextlib.asynccontextmanager
    async def _session(self) -> AsyncIterator[ImapSession]:
        session = ImapSession(self._config)
        try:
            await session.open()
            yield session
        finally:
            await session.close()

    async def _catch_up(self, session: ImapSession, handler: Handler, stop: asyncio.Event) -> int:
        last_uid = await self._start_point(session)
        if not session.swept:
            await session.mark_processed(await session.unmarked_up_to(last_uid))
            session.swept = True
        handled = 0
        for batch in r.chunks(await session.uids_after(last_uid), self._config.fetch_batch):
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
        self, session: ImapSession, handler: Handler, stop: asyncio.Event, batch: Sequence[int]
    ) -> list[int]:
        done: list[int] = []
        messages = await self._fetch(session, batch)
        if self._on_batch is not None and messages:
            await self._on_batch(messages)
        try:
            for message in messages:
                if stop.is_set():
                    break
                await handler(message)
                done.append(message.uid)
        finally:  # one write per batch: a message handled again is deduplicated anyway
            if done:
                await self._state.save(self._config.mailbox, session.uidvalidity, done[-1])
        return done

    async def _fetch(self, session: ImapSession, batch: Sequence[int]) -> list[Fetched]:
        """The batch in UID order: whole messages, or the header alone of those over the limit.

        The sizes are asked first (one round trip per batch), so an oversized body is never
        downloaded, not even once.
        """
        limit = self._config.max_message_bytes
        sizes = await session.sizes(batch)
        small = [uid for uid in batch if sizes.get(uid, 0) <= limit]
        large = [uid for uid in batch if sizes.get(uid, 0) > limit]
        found = (
            [Fetched(uid, raw, sizes.get(uid, len(raw))) for uid, raw in await session.fetch(small)]
            if small
            else []
        )
        if large:
            for uid, header in await session.fetch_headers(large):
                log.warning(
                    "IMAP message UID %s is %s bytes, over %s: header only", uid, sizes[uid], limit
                )
                found.append(Fetched(uid, header, sizes[uid], complete=False))
        return sorted(found, key=lambda message: message.uid)

    async def _start_point(self, session: ImapSession) -> int:
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

"""The email front as one running piece: replies in from IMAP, notices out over SMTP.

Two loops share nothing but the database:

- listening: every message the IMAP listener hands over is stored raw and processed
  (`Inbox.receive`); then the sender is woken, so a receipt leaves at once, and so is whoever
  else was told (`after_receive`): an answer also queues a refresh of the Slack status message.
  Among several instances on one PostgreSQL only the holder of the listener's leader lock
  listens (`store.leader`); the others try for it every `leader_retry` seconds, so one of them
  listens within that long after the holder stops or its process dies. On SQLite the one
  instance always listens;
- sending: drains the outbox's email notices whenever woken, and every `interval` seconds
  anyway (notices queued by another process, retries that have come due). It also picks up
  messages stored but not processed: left by a crash between the two steps, or by a failure
  that `Inbox` counts towards quarantine.

Start-up processes what an earlier run stored and did not process, before listening. Nothing
is held only in memory: stopping at any point and starting again loses nothing and does
nothing twice (the listener's position, the inbound rows and the outbox rows are in the store).

A database that cannot be reached (an outage, a restart, SQLite locked by another process for
longer than its busy timeout) does not end `run`: each loop logs it, waits (1 s doubling to
`DB_RETRY_MAX`) and tries again; the listener starts over from the stored position. Any other
exception (a programming error) ends `run`: the process manager restarts the service, and the
restart resumes from the store.
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from jinja2 import Environment

from consultation.timesource import TimeSource
from mail.authentication import AuthenticationConfig
from mail.compose import Identity
from mail.imap import Fetched, ImapConfig, ImapListener
from mail.imap_config import DEFAULT_MAX_MESSAGE_BYTES
from mail.imap_session import Interrupted, until
from mail.inbound import BatchIntake, Inbox
from mail.mailbox_state import MailboxState
from mail.mailbox_store import StoredMailboxState
from mail.outbound import DrainReport, EmailOutbox
from mail.reader_pool import Reader
from mail.smtp import SmtpConfig, SmtpSender
from store.database import Database, unavailable
from store.leader import LeaderLock, lead

log = logging.getLogger(__name__)

DB_RETRY_FIRST = 1.0  # seconds
DB_RETRY_MAX = 30.0


@dataclass(frozen=True)
class MailFrontConfig:
    imap: ImapConfig | None  # None: send only (replies are read elsewhere, or not at all)
    smtp: SmtpConfig
    identity: Identity
    authserv_id: str | None = None
    authentication: AuthenticationConfig | None = None  # when given, authserv_id is not read
    interval: float = 10.0  # seconds between outbox checks when nothing wakes the sender
    leader_retry: float = 15.0  # seconds between tries for the listener's lock, and its checks


class MailFront:
    def __init__(
        self,
        db: Database,
        config: MailFrontConfig,
        *,
        env: Environment,
        time: TimeSource,
        state: MailboxState | None = None,
        after_receive: Callable[[], None] | None = None,
        reader: Reader | None = None,
    ) -> None:
        self._db, self._config = db, config
        self._after_receive = after_receive
        self.inbox = Inbox(
            db,
            identity=config.identity,
            time=time,
            authserv_id=config.authserv_id,
            authentication=config.authentication,
            max_message_bytes=(
                config.imap.max_message_bytes if config.imap else DEFAULT_MAX_MESSAGE_BYTES
            ),
            reader=reader,
        )
        self._reader = reader
        self._sender = SmtpSender(config.smtp)
        self.outbox = EmailOutbox(db, self._sender, env=env, identity=config.identity, time=time)
        self._state = state or StoredMailboxState(db)
        self._wake = asyncio.Event()
        self._lock = (
            LeaderLock(db, f"imap-listener:{config.imap.mailbox}", probe=config.leader_retry)
            if config.imap is not None
            else None
        )

    @property
    def leading(self) -> bool:
        """This instance runs the IMAP listener now (it holds the listener's lock)."""
        return self._lock is not None and self._lock.held

    def wake(self) -> None:
        """Something was queued: send now rather than at the next interval."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Until `stop` is set; what is in flight then is finished, not abandoned."""
        try:
            if self._reader is not None:
                await self._reader.start()
            await _despite_outages(
                "processing stored mail", lambda: self.inbox.process_stored(stop=stop), stop
            )
            async with asyncio.TaskGroup() as group:
                if self._config.imap is not None and self._lock is not None:
                    group.create_task(self._listen(self._config.imap, self._lock, stop))
                group.create_task(self._send(stop))
        finally:
            await self._sender.close()
            if self._reader is not None:
                await self._reader.close()

    async def _listen(self, imap: ImapConfig, lock: LeaderLock, stop: asyncio.Event) -> None:
        stored = BatchIntake(self.inbox)

        async def handle(message: Fetched) -> None:
            await stored.receive(message)
            self._wake.set()
            if self._after_receive is not None:
                self._after_receive()

        async def listen(ended: asyncio.Event) -> None:
            # The message in hand when the database went is not marked handled: the next
            # run starts with it again (the inbox deduplicates).
            await _despite_outages(
                "listening",
                lambda: ImapListener(imap, self._state, on_batch=stored.store).run(handle, ended),
                ended,
            )

        await lead(lock, listen, stop, retry=self._config.leader_retry)

    async def _send(self, stop: asyncio.Event) -> None:
        failures = 0
        while True:
            self._wake.clear()
            wait = self._config.interval
            try:
                await self.inbox.process_stored(stop=stop)
                _log(await self.outbox.drain(stop=stop))
                failures = 0
            except Exception as exc:
                if not unavailable(exc):
                    raise
                failures += 1
                wait = _retry_delay(failures)
                log.warning("sending: database unavailable, next try in %.0fs: %s", wait, exc)
            if stop.is_set():
                return
            with contextlib.suppress(TimeoutError, Interrupted):
                await until(self._wake.wait(), [stop], wait)


async def _despite_outages(
    what: str, work: Callable[[], Awaitable[object]], stop: asyncio.Event
) -> None:
    """``work`` until it returns, started again after each database outage; returns at
    ``stop``. Any other exception goes out."""
    failures = 0
    while not stop.is_set():
        try:
            await work()
            return
        except Exception as exc:
            if not unavailable(exc):
                raise
            failures += 1
            wait = _retry_delay(failures)
            log.warning("%s: database unavailable, next try in %.0fs: %s", what, wait, exc)
        with contextlib.suppress(TimeoutError, Interrupted):
            await until(stop.wait(), [stop], wait)


def _retry_delay(failures: int) -> float:
    delay: float = DB_RETRY_FIRST * 2 ** min(failures - 1, 16)
    return min(delay, DB_RETRY_MAX)


def _log(report: DrainReport) -> None:
    if report.sent or report.retrying or report.failed or report.held:
        log.info(
            "outbox: %d sent, %d to retry, %d held for a failing address, %d failed",
            report.sent,
            report.retrying,
            report.held,
            report.failed,
        )

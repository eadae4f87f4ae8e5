"""Leadership among instances sharing one database: a PostgreSQL advisory lock, and a loop that
runs a piece of work only while this instance holds it.

The lock is session-level (``pg_try_advisory_lock``) and lives on a connection of its own, taken
out of the pool for as long as it is held. PostgreSQL releases it when that session ends, so a
holder that dies loses it without doing anything: a killed process at once (its socket closes),
a vanished host or a cut network once the server's TCP keepalives give up on it (set on the
session to about three times ``probe`` seconds). The holder checks its connection every ``probe``
seconds and steps down when it fails; a short overlap with a new holder is possible in that
window, so the work must be idempotent (the IMAP listener's is: the inbox deduplicates).

Advisory locks are database-wide: the key hashes the lock's name with the connection's schema
(``current_schema()``), so instances of different schemas (tests, several deployments) never
exclude each other. SQLite has no such lock: there every try succeeds, which assumes one
instance (SQLite is for the demo and one machine).
"""

import asyncio
import contextlib
import hashlib
import logging
import math
from collections.abc import Awaitable, Callable

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection

from store.database import Database

log = logging.getLogger(__name__)

Work = Callable[[asyncio.Event], Awaitable[None]]


class LeaderLock:
    """A named lock that one instance per database schema holds at a time."""

    def __init__(self, db: Database, name: str, *, probe: float = 15.0) -> None:
        self._db, self.name, self._probe = db, name, probe
        self._connection: AsyncConnection | None = None
        self._held_alone = False  # SQLite: "held" with nobody to exclude

    @property
    def held(self) -> bool:
        return self._connection is not None or self._held_alone

    @property
    def exclusive(self) -> bool:
        """False on SQLite: holding it excludes nobody."""
        return not self._db.is_sqlite

    async def try_acquire(self) -> bool:
        """Take the lock if it is free; True if this instance holds it (already, or now)."""
        if self._db.is_sqlite:
            self._held_alone = True
            return True
        if self._connection is not None:
            return await self.check()
        connection = await self._db.engine.connect()
        try:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            schema = await connection.scalar(text("SELECT coalesce(current_schema(), '')"))
            key = lock_key(str(schema), self.name)
            taken = await connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": key})
            if taken:
                await self._keep_alive(connection)
        except BaseException:
            await _discard(connection)
            raise
        if not taken:
            await connection.close()  # back to the pool: it holds nothing
            return False
        self._connection = connection
        return True

    async def check(self) -> bool:
        """Whether the lock is still ours, i.e. its session still answers; a failed check drops
        the connection (with it, on the server, the lock)."""
        if self._held_alone:
            return True
        if self._connection is None:
            return False
        try:
            async with asyncio.timeout(max(self._probe, 1.0)):
                await self._connection.execute(text("SELECT 1"))
        except (SQLAlchemyError, OSError, TimeoutError) as exc:
            log.warning("leader lock %s: its connection failed: %s", self.name, exc)
            await self.release()
            return False
        return True

    async def release(self) -> None:
        """Give the lock up. Its connection is closed, never returned to the pool: a pooled
        session would keep holding the lock for whoever used it next."""
        self._held_alone = False
        connection, self._connection = self._connection, None
        if connection is not None:
            await _discard(connection)

    async def _keep_alive(self, connection: AsyncConnection) -> None:
        # The server's probes of an idle client: the defaults (the OS's, often two hours) would
        # keep a dead host's lock far longer than the minute a takeover may take.
        idle = max(1, math.ceil(self._probe))
        for setting, value in (("idle", idle), ("interval", max(1, idle // 3)), ("count", 3)):
            await connection.execute(text(f"SET tcp_keepalives_{setting} = {int(value)}"))


def lock_key(schema: str, name: str) -> int:
    """The advisory lock's key (a signed 64-bit integer, PostgreSQL's bigint)."""
    digest = hashlib.blake2b(f"{schema}\0{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


async def _discard(connection: AsyncConnection) -> None:
    with contextlib.suppress(SQLAlchemyError, OSError, TimeoutError):
        async with asyncio.timeout(5.0):
            await connection.invalidate()  # closes the session itself, not just our handle
    with contextlib.suppress(SQLAlchemyError, OSError):
        await connection.close()


async def lead(lock: LeaderLock, work: Work, stop: asyncio.Event, *, retry: float) -> None:
    """Run ``work`` whenever ``lock`` is ours, until ``stop`` is set; try for it every ``retry``
    seconds while another instance holds it.

    ``work(ended)`` must return soon after ``ended`` is set: on ``stop``, or when the lock is
    lost (checked every ``retry`` seconds). Its exceptions leave ``lead``, the lock released.
    """
    following = False
    try:
        while not stop.is_set():
            if await _try(lock):
                alone = "" if lock.exclusive else " (SQLite: a single instance is assumed)"
                log.info("leader lock %s: acquired%s", lock.name, alone)
                following = False
                await _while_held(lock, work, stop, retry)
            elif not following:
                log.info(
                    "leader lock %s: held by another instance; following, trying every %gs",
                    lock.name,
                    retry,
                )
                following = True
            await _either(stop, stop, retry)
    finally:
        await lock.release()


async def _try(lock: LeaderLock) -> bool:
    try:
        return await lock.try_acquire()
    except (SQLAlchemyError, OSError, TimeoutError) as exc:  # the database is away: later
        log.warning("leader lock %s: could not try for it: %s", lock.name, exc)
        return False


async def _while_held(lock: LeaderLock, work: Work, stop: asyncio.Event, retry: float) -> None:
    ended = asyncio.Event()
    watcher = asyncio.create_task(_watch(lock, stop, ended, retry))
    try:
        await work(ended)
    finally:
        ended.set()
        await watcher  # returns at once now: it waits on `ended`
        await lock.release()
        log.info("leader lock %s: released", lock.name)


async def _watch(lock: LeaderLock, stop: asyncio.Event, ended: asyncio.Event, retry: float) -> None:
    try:
        while not (await _either(stop, ended, retry)):
            if not await lock.check():
                log.warning("leader lock %s: lost; stepping down", lock.name)
                return
    finally:
        ended.set()


async def _either(first: asyncio.Event, second: asyncio.Event, timeout: float) -> bool:
    """Wait until one of the events is set (True) or ``timeout`` seconds pass (False)."""
    waiters = [asyncio.ensure_future(event.wait()) for event in {first, second}]
    try:
        done, _ = await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
    return bool(done)

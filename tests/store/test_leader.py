"""The leader lock: one holder per schema, lost with its connection, taken over on the next try;
and `lead`, which runs a piece of work only while the lock is held."""

import asyncio
import logging
from collections.abc import AsyncIterator, Callable

import pytest

from store.database import Database
from store.leader import LeaderLock, lead, lock_key
from tests.databases import (
    holder_pid,
    kill_backend,
    postgres_database,
    postgres_url,
    same_schema,
)

WAIT = 10.0


@pytest.fixture
async def pg(db: Database) -> Database:
    if db.is_sqlite:
        pytest.skip("SQLite has no advisory lock: one instance is assumed")
    return db


@pytest.fixture
async def other(pg: Database) -> AsyncIterator[Database]:
    async with same_schema(pg) as database:
        yield database


async def test_two_holders_one_wins(pg: Database, other: Database) -> None:
    first, second = LeaderLock(pg, "listener"), LeaderLock(other, "listener")
    try:
        assert await first.try_acquire()
        assert not await second.try_acquire()
        assert await first.try_acquire()  # already ours: still ours
        assert first.held and not second.held
        assert await holder_pid(pg, "listener") is not None
    finally:
        await first.release()
        await second.release()


async def test_a_released_lock_goes_to_the_next_try(pg: Database, other: Database) -> None:
    first, second = LeaderLock(pg, "listener"), LeaderLock(other, "listener")
    try:
        assert await first.try_acquire()
        await first.release()
        assert not first.held and await holder_pid(pg, "listener") is None
        assert await second.try_acquire()
    finally:
        await second.release()


async def test_when_the_holders_connection_dies_the_other_takes_over(
    pg: Database, other: Database
) -> None:
    first, second = LeaderLock(pg, "listener"), LeaderLock(other, "listener")
    try:
        assert await first.try_acquire()
        assert not await second.try_acquire()
        pid = await holder_pid(pg, "listener")
        assert pid is not None
        await kill_backend(pg, pid)

        assert await second.try_acquire()  # its next try
        assert not await first.check()  # the old holder finds out on its next check
        assert not first.held
        assert not await first.try_acquire()  # and is a follower now
        assert await holder_pid(pg, "listener") not in (None, pid)
    finally:
        await first.release()
        await second.release()


async def test_keys_are_scoped_to_the_schema(pg: Database) -> None:
    url = postgres_url()
    assert url is not None
    async with postgres_database(url) as elsewhere:
        here, there = LeaderLock(pg, "listener"), LeaderLock(elsewhere, "listener")
        try:
            assert await here.try_acquire()
            assert await there.try_acquire()  # another schema, another lock
        finally:
            await here.release()
            await there.release()
    assert lock_key("test_a", "listener") != lock_key("test_b", "listener")
    assert lock_key("test_a", "listener") != lock_key("test_a", "other")


async def test_sqlite_assumes_a_single_instance(db: Database) -> None:
    if not db.is_sqlite:
        pytest.skip("the SQLite case")
    first, second = LeaderLock(db, "listener"), LeaderLock(db, "listener")
    assert await first.try_acquire() and await second.try_acquire()
    assert not first.exclusive and await first.check()
    await first.release()
    assert not first.held


class Worker:
    """Work for `lead`: notes when it runs, and runs until told it has ended."""

    def __init__(self, name: str, log: list[tuple[str, str]]) -> None:
        self.name, self.log = name, log
        self.running = False

    async def __call__(self, ended: asyncio.Event) -> None:
        self.running = True
        self.log.append((self.name, "start"))
        try:
            await ended.wait()
        finally:
            self.running = False
            self.log.append((self.name, "end"))


class CountingLock(LeaderLock):
    tries = 0

    async def try_acquire(self) -> bool:
        self.tries += 1
        return await super().try_acquire()


async def until(predicate: Callable[[], bool]) -> None:
    async with asyncio.timeout(WAIT):
        while not predicate():
            await asyncio.sleep(0.02)


async def test_lead_runs_the_work_in_one_instance_and_hands_over(
    pg: Database, other: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="store.leader")
    log: list[tuple[str, str]] = []
    one, two = Worker("one", log), Worker("two", log)
    first, second = CountingLock(pg, "work", probe=0.1), CountingLock(other, "work", probe=0.1)
    stop_one, stop_two = asyncio.Event(), asyncio.Event()
    async with asyncio.TaskGroup() as group:
        group.create_task(lead(first, one, stop_one, retry=0.1))
        await until(lambda: one.running)
        group.create_task(lead(second, two, stop_two, retry=0.1))
        await until(lambda: second.tries >= 5)
        assert not two.running and log == [("one", "start")]

        pid = await holder_pid(pg, "work")
        assert pid is not None
        await kill_backend(pg, pid)  # the holder's database connection is gone
        await until(lambda: two.running and not one.running)  # it stepped down, two took over
        assert sorted(log[1:]) == [("one", "end"), ("two", "start")]

        stop_two.set()  # the new holder stops: the lock is free for the first again
        await until(lambda: one.running)
        assert log[3:] == [("two", "end"), ("one", "start")]
        stop_one.set()
    assert log[-1] == ("one", "end")
    assert not first.held and not second.held
    said = [r.getMessage() for r in caplog.records]
    assert "leader lock work: acquired" in said
    assert "leader lock work: held by another instance; following, trying every 0.1s" in said
    assert "leader lock work: lost; stepping down" in said

"""Reading replies away from the event loop: a pool of worker processes, bounded in time and
memory per message.

A heavy reply (tens of megabytes, a dozen .docx with thousands of tracked changes) takes the
reader seconds to minutes of CPU. Read on the event loop it stalls everything the process serves
(``/healthz``, Slack's three-second acknowledgements, the database's keep-alives). In a worker
process it stalls nothing; a worker that runs past its time is killed and replaced, one that runs
out of memory fails alone, and the message is held for a person with the reason in words.
"""

import asyncio
import logging
import multiprocessing
import resource
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Protocol

from mail.orphans import die_with_parent
from mail.reading import Reading, read_reply

log = logging.getLogger(__name__)


class ReadFailed(Exception):
    """The reader gave no reading; ``reason`` says why, as a review reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # read_timeout | read_memory | read_failed


class Reader(Protocol):
    async def start(self) -> None: ...

    async def read(self, raw: bytes, paragraphs: Sequence[str]) -> Reading: ...

    async def close(self) -> None: ...


class InlineReader:
    """Reads on the calling thread: for tests and the CLI, where nothing else waits."""

    async def start(self) -> None:
        return None

    async def read(self, raw: bytes, paragraphs: Sequence[str]) -> Reading:
        return read_reply(raw, list(paragraphs))

    async def close(self) -> None:
        return None


@dataclass(frozen=True)
class PoolBounds:
    workers: int = 1
    timeout_seconds: float = 120.0  # per message
    memory_mb: int = 1024  # address space per worker (RLIMIT_AS)


class PooledReader:
    """Reads in worker processes (forkserver: a clean interpreter, no copy of the service's
    sockets or locks); one pool, replaced whenever a worker is killed or dies."""

    def __init__(self, bounds: PoolBounds) -> None:
        self._bounds = bounds
        self._pool: ProcessPoolExecutor | None = None
        self._starting = asyncio.Lock()  # two first reads at once start one pool

    async def start(self) -> None:
        await self._started()

    async def read(self, raw: bytes, paragraphs: Sequence[str]) -> Reading:
        pool = await self._started()
        future = asyncio.get_running_loop().run_in_executor(pool, read_reply, raw, list(paragraphs))
        try:
            return await asyncio.wait_for(future, self._bounds.timeout_seconds)
        except TimeoutError:
            log.warning(
                "reader: a message took over %ss; worker killed", self._bounds.timeout_seconds
            )
            self._replace(pool)
            raise ReadFailed("read_timeout") from None
        except MemoryError:
            raise ReadFailed("read_memory") from None
        except BrokenProcessPool:
            log.warning("reader: a worker died reading a message; pool replaced")
            self._replace(pool)
            raise ReadFailed("read_failed") from None

    async def close(self) -> None:
        if self._pool is not None:
            self._replace(self._pool)

    async def _started(self) -> ProcessPoolExecutor:
        """The pool, its workers started and the reader loaded in them, untimed: a message's
        time limit is spent reading it, not starting an interpreter and importing lxml (also
        for the first message after a pool was replaced)."""
        async with self._starting:
            if self._pool is None:
                self._pool = await self._new_pool()
            return self._pool

    async def _new_pool(self) -> ProcessPoolExecutor:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["mail.orphans"])  # it ends with this process
        pool = ProcessPoolExecutor(
            max_workers=self._bounds.workers,
            mp_context=context,
            initializer=limit_memory,
            initargs=(self._bounds.memory_mb,),
        )
        loop = asyncio.get_running_loop()
        await asyncio.gather(
            *(loop.run_in_executor(pool, _ready) for _ in range(self._bounds.workers))
        )
        return pool

    def _replace(self, pool: ProcessPoolExecutor) -> None:
        """Kill the workers (a worker stuck in C code ignores anything gentler) and forget the
        pool; the next read starts a new one."""
        # ProcessPoolExecutor offers no way to stop a running task before Python 3.14
        # (terminate_workers); its worker table is the only handle on the processes.
        for process in list(getattr(pool, "_processes", {}).values()):
            process.kill()
        pool.shutdown(wait=False, cancel_futures=True)
        if self._pool is pool:
            self._pool = None


def _ready() -> None:
    """Run in a worker by ``start``: the reader's modules are imported by unpickling this."""


def limit_memory(megabytes: int) -> None:
    """In each worker: past this address space an allocation fails with MemoryError there,
    instead of the kernel's OOM killer choosing a process (perhaps the service's)."""
    die_with_parent()  # and with the forkserver, should it end
    limit = megabytes * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

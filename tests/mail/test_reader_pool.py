"""The reader's worker pool at its bounds: a message past its time, a worker out of memory, a
worker that dies. Each is held with its reason, and the next message is read by a fresh worker."""

import asyncio
import os
import random
from collections.abc import AsyncIterator
from email.message import EmailMessage
from pathlib import Path

import pytest

from mail.reader_pool import PoolBounds, PooledReader, ReadFailed
from tests.mail.heavy_reply import tracked_docx
from tests.mail.reading.factories import DRAFT_ES, make_message

APPROVAL = make_message("Guatemala aprueba el texto sin comentarios.")


def with_docx(count: int, changes: int) -> bytes:
    """A reply carrying ``count`` tracked .docx files: seconds of work for the reader."""
    rng = random.Random(7)
    message = EmailMessage()
    message["From"] = "Punto Focal <focal@minex.gob.example>"
    message["Subject"] = "RE: Consulta"
    message.set_content("Adjuntamos nuestras propuestas.")
    for n in range(count):
        message.add_attachment(
            tracked_docx(rng, changes),
            maintype="application",
            subtype="vnd.openxmlformats-officedocument.wordprocessingml.document",
            filename=f"propuesta-{n}.docx",
        )
    return message.as_bytes()


def with_ballast(size: int) -> bytes:
    message = EmailMessage()
    message["From"] = "Punto Focal <focal@minex.gob.example>"
    message["Subject"] = "RE: Consulta"
    message.set_content("Aprobamos. Adjuntamos los anexos escaneados.")
    message.add_attachment(
        random.Random(3).randbytes(size), maintype="application", subtype="pdf", filename="a.pdf"
    )
    return message.as_bytes()


@pytest.fixture
async def pool() -> AsyncIterator[PooledReader]:
    reader = PooledReader(PoolBounds(workers=1, timeout_seconds=60, memory_mb=1024))
    try:
        yield reader
    finally:
        await reader.close()


async def test_a_message_read_in_a_worker_gives_the_same_reading(pool: PooledReader) -> None:
    reading = await pool.read(APPROVAL, DRAFT_ES)
    assert (reading.kind, reading.position) == ("reply", "approve")


async def test_a_message_past_its_time_is_held_and_the_next_is_read_by_a_new_worker() -> None:
    reader = PooledReader(PoolBounds(workers=1, timeout_seconds=0.5, memory_mb=1024))
    try:
        await reader.start()  # the worker is up: only the reading is timed
        first = _worker_pids(reader)
        with pytest.raises(ReadFailed) as failed:
            await reader.read(with_docx(6, 3000), DRAFT_ES)
        assert failed.value.reason == "read_timeout"
        assert all([await _ended(pid) for pid in first])  # killed, not left to run on
        reading = await reader.read(APPROVAL, DRAFT_ES)
        assert reading.position == "approve"
        assert _worker_pids(reader).isdisjoint(first)
    finally:
        await reader.close()


async def test_a_worker_out_of_memory_holds_the_message_and_the_pool_goes_on() -> None:
    reader = PooledReader(PoolBounds(workers=1, timeout_seconds=60, memory_mb=256))
    try:
        await reader.read(APPROVAL, DRAFT_ES)
        with pytest.raises(ReadFailed) as failed:
            # 60 MB of attachments: the raw bytes, their decoded text and the decoded parts
            # together are far past 256 MB of address space next to the loaded reader.
            await reader.read(with_ballast(60_000_000), DRAFT_ES)
        assert failed.value.reason == "read_memory"
        assert (await reader.read(APPROVAL, DRAFT_ES)).position == "approve"
    finally:
        await reader.close()


async def test_a_worker_that_dies_mid_read_holds_the_message(pool: PooledReader) -> None:
    await pool.read(APPROVAL, DRAFT_ES)
    (pid,) = _worker_pids(pool)
    reading = asyncio.ensure_future(pool.read(with_docx(6, 3000), DRAFT_ES))
    await asyncio.sleep(0.2)  # the worker has the message; then it dies as the OOM killer would
    os.kill(pid, 9)
    with pytest.raises(ReadFailed) as failed:
        await reading
    assert failed.value.reason == "read_failed"
    assert (await pool.read(APPROVAL, DRAFT_ES)).position == "approve"


def _worker_pids(reader: PooledReader) -> set[int]:
    pool = reader._pool  # noqa: SLF001 — the test looks at the processes it must see killed
    assert pool is not None
    return {p.pid for p in getattr(pool, "_processes", {}).values() if p.pid is not None}


async def _ended(pid: int) -> bool:
    """Whether the process has ended (gone, or a zombie its parent has yet to reap), polled for
    a few seconds: a killed process takes a moment to leave."""
    for _ in range(50):
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return True
        if state in ("Z", "X"):
            return True
        await asyncio.sleep(0.1)
    return False

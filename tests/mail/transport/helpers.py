"""Small things the transport tests share: messages, a recording handler, an injected sleep."""

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator, Callable
from email.message import EmailMessage

from mail.imap import Fetched, Handler, ImapListener

WAIT = 15.0  # generous: only a broken listener ever waits this long


class RecordingSleep:
    """An injected `sleep`: remembers each delay asked for, waits only `actual` seconds."""

    def __init__(self, actual: float = 0.0) -> None:
        self.delays: list[float] = []
        self._actual = actual

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        await asyncio.sleep(self._actual)


def make_message(n: int = 1, *, to: str = "focal@example.org") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "consultas@crm.example"
    msg["To"] = to
    msg["Subject"] = f"[CRM-2026-007 v1] draft {n}"
    msg["Message-ID"] = f"<consulta.CRM-2026-007.v1.{n}@crm.example>"
    msg.set_content(f"1. Paragraph one of message {n}.\n")
    return msg


def raw_message(n: int) -> bytes:
    return (
        f"From: focal{n}@example.org\r\nTo: consultas@crm.example\r\n"
        f"Subject: Re: draft {n}\r\nMessage-ID: <reply.{n}@example.org>\r\n\r\n"
        f"We approve ({n}).\r\n"
    ).encode()


def message_number(raw: bytes) -> int:
    match = re.search(rb"Message-ID: <reply\.(\d+)@", raw)
    assert match, raw
    return int(match.group(1))


class Inbox:
    """A handler that records what it was given and lets a test wait for it."""

    def __init__(self) -> None:
        self.handled: list[tuple[int, int]] = []  # (uid, message number)
        self._changed = asyncio.Condition()

    async def __call__(self, message: Fetched) -> None:
        async with self._changed:
            self.handled.append((message.uid, message_number(message.raw)))
            self._changed.notify_all()

    @property
    def numbers(self) -> list[int]:
        return [number for _, number in self.handled]

    async def wait_for(self, count: int) -> None:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: len(self.handled) >= count), WAIT)


@contextlib.asynccontextmanager
async def listening(listener: ImapListener, handler: Handler) -> AsyncIterator[asyncio.Task[None]]:
    """The listener running in the background; stopped (and its failure raised) on exit."""
    stop = asyncio.Event()
    task = asyncio.create_task(listener.run(handler, stop))
    try:
        yield task
    finally:
        stop.set()
        await asyncio.wait_for(task, WAIT)


async def eventually(predicate: Callable[[], bool]) -> None:
    """Wait until `predicate()` holds, asking every 20 ms: for what only a server's state or
    log shows (the listener's own progress is awaited on the `Inbox` instead)."""
    async with asyncio.timeout(WAIT):
        while not predicate():
            await asyncio.sleep(0.02)

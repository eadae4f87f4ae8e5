"""A bell that wakes every live page waiting on it (each waiter gets the next ring)."""

import asyncio
import contextlib


class Bell:
    """``armed = bell.armed()`` before looking at the store, then ``await bell.wait(armed,
    timeout)``: a ring in between is not missed."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def ring(self) -> None:
        event, self._event = self._event, asyncio.Event()
        event.set()

    def armed(self) -> asyncio.Event:
        return self._event

    async def wait(self, armed: asyncio.Event, timeout: float) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await armed.wait()

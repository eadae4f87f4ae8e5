"""Live pages: a section of a page follows the store without a reload (server-sent events).

Why server-sent events: one long HTTP response the browser's ``EventSource`` keeps open and
reopens by itself, through proxies, no library on either side; the console only ever pushes.
A stream re-renders its section when the bell rings (a reply recorded by this instance's mail
front, a move made in this console) or, every ``live_seconds``, when a cheap fingerprint of
the store changed (moves made by another instance, the command line or Slack). The browser
replaces the section's HTML with each message (``static/live.js``); without JavaScript the
page is complete and a reload shows the news.

A page opts in with ``data-live="{{ live }}"`` on the element to refresh, where ``live`` is
``address("/live/…", fragment)`` for the fragment it rendered, and a route at that path that
returns ``stream(request, render)``. The address carries the fragment's digest, so a stream
sends nothing until the section really differs from what the page shows (replacing it for
nothing would move a keyboard user's focus).
"""

import hashlib
import time
from collections.abc import Awaitable, Callable
from urllib.parse import urlencode

from aiohttp import web
from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from store.tables import EventRow, InboundMessageRow, PositionRow
from web.console import console_of
from web.headers import prepare_headers

KEEPALIVE = 20.0  # seconds: a comment line so proxies do not drop a quiet stream


async def fingerprint(session: AsyncSession) -> tuple[object, ...]:
    """Changes whenever a move, an answer or a received message does: three indexed maxima
    and a count, in one statement."""
    query = select(
        select(func.max(EventRow.id)).scalar_subquery(),
        select(func.max(PositionRow.id)).scalar_subquery(),
        select(func.max(InboundMessageRow.id)).scalar_subquery(),
        select(func.count())
        .select_from(InboundMessageRow)
        .where(col(InboundMessageRow.status) == "review")
        .scalar_subquery(),
    )
    return tuple((await session.exec(query)).one())


def digest(fragment: str) -> str:
    return hashlib.sha256(fragment.encode()).hexdigest()[:20]


def address(path: str, fragment: str) -> str:
    """Where a page's live section listens, knowing what the page already shows."""
    return f"{path}?{urlencode({'v': digest(fragment)})}"


async def stream(request: web.Request, render: Callable[[], Awaitable[str]]) -> web.StreamResponse:
    """Send ``render()``'s HTML each time it may have changed, until the browser or the
    service goes."""
    console = console_of(request)
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    prepare_headers(response, secure=console.config.secure)
    await response.prepare(request)
    seen: tuple[object, ...] | None = None
    shown, last_write = request.query.get("v", ""), time.monotonic()
    while not console.closing.is_set():
        armed = console.bell.armed()
        async with console.db.session() as session:
            now_seen = await fingerprint(session)
        try:
            if now_seen != seen:
                seen = now_seen
                fragment = await render()
                if digest(fragment) != shown:
                    shown = digest(fragment)
                    await response.write(_event(fragment))
                    last_write = time.monotonic()
            if time.monotonic() - last_write > KEEPALIVE:
                await response.write(b": still here\n\n")
                last_write = time.monotonic()
        except ConnectionResetError:  # the browser went away
            return response
        await console.bell.wait(armed, console.config.live_seconds)
    return response


def _event(fragment: str) -> bytes:
    lines = "".join(f"data: {line}\n" for line in fragment.splitlines())
    return f"event: refresh\n{lines}\n".encode()

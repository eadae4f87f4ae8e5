"""What every console handler needs, in one place: ``console_of(request)``.

The database, the clock, the one Jinja2 environment, the settings the console runs on, the
mail front's doorbell (a sign-in link leaves at once) and the bell live pages listen to.
"""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from aiohttp import web
from jinja2 import Environment

from consultation.timesource import TimeSource
from store.database import Database
from web.bell import Bell


@dataclass(frozen=True)
class WebConfig:
    """The console's settings, checked by ``service.wiring``."""

    base_url: str  # public address without a trailing slash; sign-in links start with it
    secrets: tuple[str, ...]  # the first signs; all verify (rotation)
    link_minutes: int = 15  # a sign-in link's life
    session_hours: int = 12  # a session's life, whatever the browser does
    per_address: int = 3  # sign-in requests per address per window
    per_client: int = 10  # sign-in requests per IP address per window
    window_minutes: int = 15
    live_seconds: float = 5.0  # live pages look at the store this often when nothing rang
    behind_proxy: bool = False  # the client is X-Forwarded-For's last hop, not the peer

    @property
    def secure(self) -> bool:
        """Cookies only over TLS when the public address is https (a local http console
        for development still works)."""
        return urlsplit(self.base_url).scheme == "https"

    @property
    def origin(self) -> str:
        parts = urlsplit(self.base_url)
        return f"{parts.scheme}://{parts.netloc}"


@dataclass
class Console:
    db: Database
    time: TimeSource
    env: Environment
    config: WebConfig
    # Ring the senders: what a move queued in the outbox (a sign-in link, the notices of a
    # step) should not wait for the senders' next look at it.
    wake_mail: Callable[[], None] = lambda: None
    wake_slack: Callable[[], None] = lambda: None
    bell: Bell = field(default_factory=Bell)  # rung when a move or a reply may change a page
    # Set when the service stops: live streams end so the port closes at once.
    closing: asyncio.Event = field(default_factory=asyncio.Event)

    def moved(self) -> None:
        """After a move committed from the console: its notices leave now, and every live
        page looks again."""
        self.wake_mail()
        self.wake_slack()
        self.bell.ring()


CONSOLE = web.AppKey("console", Console)


def console_of(request: web.Request) -> Console:
    return request.app[CONSOLE]

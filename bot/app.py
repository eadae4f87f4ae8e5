"""The Bolt app: every listener registered on one AsyncApp, and the Slack front run whole."""

import asyncio
from typing import Protocol

from aiohttp import web
from jinja2 import Environment
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot import board_actions, commands, focal_points, forms, review, troika
from bot.context import BotContext
from bot.http import slack_route
from bot.outbox import SlackOutbox
from bot.socket_mode import serve_socket_mode
from consultation.errors import ConsultaError
from consultation.links import ConsoleLinks
from consultation.timesource import TimeSource
from consultation.vocabulary import Language
from store.database import Database


class SlackConfigError(ConsultaError):
    """The Slack settings cannot work; said in one sentence at start-up."""


class SlackOptions(Protocol):
    """What the front reads from the settings (``service.settings.SlackSettings``)."""

    bot_token: str
    signing_secret: str | None
    app_token: str | None
    status_channel: str
    path: str
    api_url: str
    send_interval: float


def build_app(
    ctx: BotContext,
    client: AsyncWebClient,
    *,
    signing_secret: str | None,
    socket_mode: bool = False,
) -> AsyncApp:
    """Over HTTP every request must carry Slack's signature, so the secret is required there;
    Socket Mode requests arrive over a connection the app opened itself."""
    if not socket_mode and not signing_secret:
        raise SlackConfigError(
            "Slack over HTTP needs the app's signing secret: set CONSULTA_SLACK__SIGNING_SECRET "
            "(Basic Information → App Credentials), or CONSULTA_SLACK__APP_TOKEN for Socket Mode."
        )
    app = AsyncApp(client=client, signing_secret=signing_secret or "", name="consulta")
    for module in (commands, troika, forms, board_actions, review, focal_points):
        module.register(app, ctx)
    return app


def web_client(options: SlackOptions) -> AsyncWebClient:
    return AsyncWebClient(token=options.bot_token, base_url=options.api_url)


class SlackFront:
    """The Slack front's parts: the Bolt app, its HTTP route (none in Socket Mode) for the
    service's HTTP server, and what runs beside it (the outbox sender, the socket)."""

    def __init__(
        self,
        options: SlackOptions,
        *,
        db: Database,
        time: TimeSource,
        env: Environment,
        language: Language = Language.ES,
        wake: asyncio.Event | None = None,
        links: ConsoleLinks | None = None,
    ) -> None:
        """``wake`` is the outbox sender's doorbell for whoever else queues Slack notices (the
        email front: a reply's answer queues a status refresh); without it only the front's own
        moves ring, and anything else waits up to ``options.send_interval``. ``links``: the web
        console's pages (``CONSULTA_WEB__BASE_URL``), which long messages point to."""
        if not options.status_channel:
            raise SlackConfigError(
                "Slack needs the PPT channel for the status messages: set "
                "CONSULTA_SLACK__STATUS_CHANNEL to its id (and invite the app to it)."
            )
        self.options = options
        self.ctx = BotContext(
            db, time, env, options.status_channel, language, wake or asyncio.Event(), links
        )
        self.client = web_client(options)
        self.socket_mode = bool(options.app_token)
        self.app = build_app(
            self.ctx,
            self.client,
            signing_secret=options.signing_secret,
            socket_mode=self.socket_mode,
        )

    def routes(self) -> list[web.RouteDef]:
        return [] if self.socket_mode else [slack_route(self.app, self.options.path)]

    async def run(self, stop: asyncio.Event, ready: asyncio.Event | None = None) -> None:
        """Drain the Slack outbox (and hold the socket in Socket Mode) until ``stop``."""
        async with asyncio.TaskGroup() as group:
            outbox = SlackOutbox(self.ctx, self.client)
            group.create_task(outbox.run(stop, idle=self.options.send_interval))
            if self.options.app_token:
                group.create_task(serve_socket_mode(self.app, self.options.app_token, stop, ready))
            elif ready is not None:
                ready.set()

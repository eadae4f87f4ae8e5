"""The Bolt app: every listener registered on one AsyncApp, and the Slack front run whole."""

import asyncio
from typing import Protocol

from jinja2 import Environment
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot import board_actions, commands, focal_points, forms, review, troika
from bot.context import BotContext
from bot.http import serve_http
from bot.outbox import SlackOutbox
from bot.socket_mode import serve_socket_mode
from consultation.errors import ConsultaError
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
    host: str
    port: int
    path: str
    api_url: str


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


async def run_front(
    options: SlackOptions,
    *,
    db: Database,
    time: TimeSource,
    env: Environment,
    stop: asyncio.Event,
    ready: asyncio.Event | None = None,
    language: Language = Language.ES,
) -> None:
    """Serve Slack (Socket Mode when an app-level token is set, else HTTP) and drain the Slack
    outbox until ``stop`` is set; meant for the runner's TaskGroup."""
    if not options.status_channel:
        raise SlackConfigError(
            "Slack needs the PPT channel for the status messages: set "
            "CONSULTA_SLACK__STATUS_CHANNEL to its id (and invite the app to it)."
        )
    ctx = BotContext(db, time, env, options.status_channel, language)
    client = web_client(options)
    socket_mode = bool(options.app_token)
    app = build_app(ctx, client, signing_secret=options.signing_secret, socket_mode=socket_mode)
    async with asyncio.TaskGroup() as group:
        group.create_task(SlackOutbox(ctx, client).run(stop))
        if options.app_token:
            group.create_task(serve_socket_mode(app, options.app_token, stop, ready))
        else:
            group.create_task(
                serve_http(
                    app,
                    host=options.host,
                    port=options.port,
                    path=options.path,
                    stop=stop,
                    ready=ready,
                )
            )

"""`consulta serve`: the long-running service.

It runs the email front (replies in, notices out), the scheduler (deadlines, reminders, the ST's
digest) and, when `CONSULTA_SLACK__BOT_TOKEN` is set, the Slack front (HTTP, or Socket Mode with
an app-level token) in one TaskGroup. If one of them fails, the others are stopped and the
command fails: the process manager restarts it, and the restart resumes from the store.
SIGTERM or SIGINT sets `stop`: the fronts take no new work, finish what is in flight, close
their connections, and the command exits 0.
"""

import asyncio
import contextlib
import logging
import signal
from functools import partial

import click

from bot.app import SlackFront
from consultation.errors import ConsultaError
from consultation.links import ConsoleLinks
from consultation.scheduler import Scheduler
from consultation.vocabulary import Language, Role
from mail.front import MailFront
from mail.probes import imap_ready, smtp_ready
from service import logs
from service.cli_support import app, run, templates
from service.context import AppContext, open_database
from service.http import Check, Readiness, application, listening
from service.settings import Settings
from service.wiring import (
    ConfigurationError,
    checked,
    imap_config,
    mail_front,
    schedule_config,
    smtp_config,
    web_config,
)
from store import queries
from store.database import Database
from web import app as web_app
from web.console import Console

log = logging.getLogger(__name__)


async def serve_until_stopped(
    context: AppContext, stop: asyncio.Event, ready: asyncio.Event | None = None
) -> None:
    """Run every piece until ``stop``; ``ready`` is set once the HTTP port listens."""
    settings = checked(context.settings)  # before touching anything: one clear sentence
    db = await open_database(context)
    # The Slack sender's doorbell: an answer read from email queues a refresh of the status
    # message, which should not wait for the sender's next look at the outbox.
    slack_wake = asyncio.Event()
    console: Console | None = None

    def after_receive() -> None:  # a reply recorded: the Slack status and the console's board
        slack_wake.set()
        if console is not None:
            console.bell.ring()

    try:
        front = mail_front(
            settings, db, env=templates(), time=context.time, after_receive=after_receive
        )
        scheduler = Scheduler(db, context.time, schedule_config(settings))
        slack = (
            SlackFront(
                settings.slack,
                db=db,
                time=context.time,
                env=templates(),
                language=await _ppt_language(db, settings.language),
                wake=slack_wake,
                links=ConsoleLinks.of(settings.web.base_url),
            )
            if settings.slack is not None
            else None
        )
        config = web_config(settings)
        if config is not None:
            console = Console(
                db,
                context.time,
                templates(),
                config,
                wake_mail=front.wake,
                wake_slack=slack_wake.set,
            )
        http = application(
            readiness(settings, db, front, console=console is not None),
            slack.routes() if slack else (),
        )
        if console is not None:
            web_app.install(http, console)
        async with contextlib.AsyncExitStack() as stack:
            try:  # before any work starts: a port taken is one sentence, not a traceback
                await stack.enter_async_context(
                    listening(http, host=settings.http.host, port=settings.http.port)
                )
            except OSError as exc:
                raise ConfigurationError(
                    f"cannot listen on {settings.http.host}:{settings.http.port} "
                    f"(CONSULTA_HTTP__HOST/PORT): {exc}"
                ) from None
            log.info(
                "consulta serving",
                extra={
                    "imap": settings.imap.host or "none (send only)",
                    "smtp": settings.smtp.host,
                    "slack": ("socket mode" if slack.socket_mode else "http") if slack else "off",
                    "http": f"{settings.http.host}:{settings.http.port}",
                    "console": config.base_url if config else "off (no CONSULTA_WEB__SECRETS)",
                    "database": db.url.get_backend_name(),
                },
            )
            if ready is not None:
                ready.set()
            try:
                async with asyncio.TaskGroup() as group:
                    group.create_task(front.run(stop))
                    group.create_task(
                        scheduler.run(stop, interval=settings.schedule.interval_seconds)
                    )
                    if slack is not None:
                        group.create_task(slack.run(stop))
            except* ConsultaError as group:  # a front's own start-up refusal: one sentence
                raise group.exceptions[0] from None
    finally:
        await db.dispose()


def readiness(
    settings: Settings, db: Database, front: MailFront, *, console: bool = False
) -> Readiness:
    """What ``/readyz`` asks: the database, SMTP and, when replies are read, IMAP; and says
    whether this instance is the one listening (several instances: one at a time) and
    whether it serves the web console."""
    checks: dict[str, Check] = {
        "database": db.ping,
        "smtp": partial(smtp_ready, smtp_config(settings)),
    }
    imap = imap_config(settings)
    if imap is not None:
        checks["imap"] = partial(imap_ready, imap)

    def facts() -> dict[str, object]:
        found: dict[str, object] = {"console": "on" if console else "off"}
        if imap is not None:
            found["imap_listener"] = "leading" if front.leading else "following"
        return found

    return Readiness(checks, facts=facts)


async def _ppt_language(db: Database, fallback: Language) -> Language:
    """The PPT channel speaks its officers' language (the roster's), e.g. Spanish for a Dominican
    presidency; the command line's language when the roster names no PPT officer."""
    async with db.session() as session:
        officers = await queries.contacts_with_role(session, Role.PPT.value)
    return Language(officers[0].language) if officers else fallback


async def _serve(context: AppContext) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await serve_until_stopped(context, stop)


@click.command()
@click.pass_context
def serve(ctx: click.Context) -> None:
    """Run the service: read replies, send notices, until SIGTERM or Ctrl-C."""
    context = app(ctx)
    logs.configure(context.settings.log.format, context.settings.log.level)
    run(_serve(context))


COMMANDS = [serve]

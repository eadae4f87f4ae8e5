"""`consulta serve`: the long-running service.

It runs the email front (replies in, notices out), the scheduler (deadlines, reminders, the ST's
digest) and, when `CONSULTA_SLACK__BOT_TOKEN` is set, the Slack front (HTTP, or Socket Mode with
an app-level token) in one TaskGroup. If one of them fails, the others are stopped and the
command fails: the process manager restarts it, and the restart resumes from the store.
SIGTERM or SIGINT sets `stop`: the fronts take no new work, finish what is in flight, close
their connections, and the command exits 0.
"""

import asyncio
import logging
import signal

import click

from bot.app import run_front
from consultation.errors import ConsultaError
from consultation.scheduler import Scheduler
from consultation.vocabulary import Language, Role
from service.cli_support import app, run, templates
from service.context import AppContext, open_database
from service.wiring import checked, mail_front, schedule_config
from store import queries
from store.database import Database

log = logging.getLogger(__name__)


async def serve_until_stopped(context: AppContext, stop: asyncio.Event) -> None:
    settings = checked(context.settings)  # before touching anything: one clear sentence
    db = await open_database(context)
    try:
        front = mail_front(settings, db, env=templates(), time=context.time)
        scheduler = Scheduler(db, context.time, schedule_config(settings))
        log.info(
            "consulta serving: email front%s, scheduler%s",
            "" if settings.imap.host else " (send only)",
            ", Slack front" if settings.slack else "",
        )
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(front.run(stop))
                group.create_task(scheduler.run(stop, interval=settings.schedule.interval_seconds))
                if settings.slack is not None:
                    group.create_task(
                        run_front(
                            settings.slack,
                            db=db,
                            time=context.time,
                            env=templates(),
                            stop=stop,
                            language=await _ppt_language(db, settings.language),
                        )
                    )
        except* ConsultaError as group:  # a front's own start-up refusal: one sentence
            raise group.exceptions[0] from None
    finally:
        await db.dispose()


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
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    run(_serve(app(ctx)))


COMMANDS = [serve]

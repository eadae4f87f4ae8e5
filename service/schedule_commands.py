"""Commands around the clock: the scheduler's tick, the PPT's reminder, the ST's digest."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import click
from sqlmodel.ext.asyncio.session import AsyncSession

from consultation import digest, journal, reminders
from consultation.scheduler import Done, ScheduleConfig, Scheduler, digest_key, last_digest_at
from consultation.vocabulary import Role
from mail.digest import render_digest
from service.cli_support import (
    Phrases,
    app,
    in_transaction,
    language,
    move,
    now,
    run,
    say,
    templates,
)
from service.context import AppContext, open_database
from service.wiring import schedule_config
from store import queries


async def tick_once(context: AppContext) -> list[Done]:
    db = await open_database(context)
    try:
        return await Scheduler(db, context.time, schedule_config(context.settings)).tick()
    finally:
        await db.dispose()


def describe(done: Done, words: Phrases) -> str:
    """One line per job done: the tally's outcome, who was reminded, in the reader's words (a
    failure's detail is the error as raised)."""
    label = done.key.split(":")[1] if done.kind != "digest" else done.key
    detail = done.detail
    if done.kind == "reminder" and done.outcome == "done" and detail != "nobody pending":
        return words("reminded", id=label, version=done.key.rsplit(":v", 1)[-1], countries=detail)
    return words("job_done", label=label, kind=done.kind, outcome=done.outcome, detail=detail)


@click.command()
@click.argument("consultation_id")
@click.pass_context
def remind(ctx: click.Context, consultation_id: str) -> None:
    """Remind the member countries that have not answered (the PPT is told who asked for time)."""
    days = app(ctx).settings.schedule.extension_days
    done = run(
        in_transaction(
            app(ctx),
            lambda s: reminders.remind(s, consultation_id, move(ctx), extension_days=days),
        )
    )
    words = say(ctx)
    if not done.countries:
        click.echo(words("nobody_to_remind", id=done.consultation_id))
        return
    countries = ", ".join(done.countries)
    click.echo(
        words("reminded", id=done.consultation_id, version=done.version, countries=countries)
    )
    if done.extension_requested:
        asked = ", ".join(done.extension_requested)
        click.echo(words("asked_for_time", id=done.consultation_id, countries=asked, days=days))


@click.command("digest")
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), help="The day (default: today).")
@click.option("--dry-run", is_flag=True, help="Print it; send nothing.")
@click.option("--html", is_flag=True, help="Print the HTML version instead of the text.")
@click.pass_context
def digest_command(ctx: click.Context, day: datetime | None, dry_run: bool, html: bool) -> None:
    """The ST's daily digest: printed with --dry-run, otherwise queued for the ST (once a day).

    It shows the consultations as they stand now, with days left counted from 08:00 (ST time)
    of the chosen day, and the news since the last digest sent before it.
    """
    config = schedule_config(app(ctx).settings)
    zone = ZoneInfo(config.st_timezone)
    chosen = day.date() if day else now(ctx).astimezone(zone).date()
    at = _moment(chosen, config, now(ctx))

    async def work(session: AsyncSession) -> str:
        content = await digest.gather(session, now=at, since=await last_digest_at(session, at))
        staff = await queries.contacts_with_role(session, Role.ST.value)
        if dry_run:
            subject, text, page = render_digest(
                templates(),
                content,
                language=language(ctx),
                timezone=config.st_timezone,
                recipient=staff[0].name if staff else "ST",
            )
            return page if html else f"{say(ctx)('subject', text=subject)}\n\n{text}"
        queued = await journal.queue_emails(
            session,
            kind="digest",
            contacts=staff,
            consultation_id=None,
            at=at,
            key=digest_key(chosen),
            payload=content,
        )
        return say(ctx)("digest_queued", day=chosen.isoformat(), count=queued) + "\n"

    click.echo(run(in_transaction(app(ctx), work)), nl=False)


def _moment(day: date, config: ScheduleConfig, current: datetime) -> datetime:
    """The digest's hour on ``day`` in the ST's zone; today, no later than now."""
    due = datetime.combine(day, time(config.digest_hour), tzinfo=ZoneInfo(config.st_timezone))
    return current if due > current and day == current.astimezone(due.tzinfo).date() else due


COMMANDS = [remind, digest_command]

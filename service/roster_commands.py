"""Commands for the roster, the contacts spreadsheet, the schema and the clock."""

from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import click
from sqlmodel.ext.asyncio.session import AsyncSession

from consultation import clock
from consultation.contacts_csv import parse_contacts_csv
from consultation.errors import InvalidInput
from consultation.roster import Roster, default_roster_text, load_roster, warnings
from consultation.roster_sync import SyncReport, import_contacts, import_roster
from service.cli_support import actor, app, in_transaction, now, run, say
from service.context import open_database
from store.migrate import current_revision

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


def read_roster(path: Path | None) -> Roster:
    if path is None:
        return load_roster(default_roster_text(), source="default CRM roster")
    return load_roster(path.read_text(encoding="utf-8"), source=str(path))


@click.group()
def roster() -> None:
    """Countries, organisations, contacts and the presidency."""


@roster.command("check")
@click.argument("file", type=_FILE, required=False)
@click.pass_context
def roster_check(ctx: click.Context, file: Path | None) -> None:
    """Validate a roster file (the shipped CRM roster without FILE)."""
    loaded = read_roster(file)
    members, words = len(loaded.members), say(ctx)
    click.echo(
        words(
            "roster_ok",
            members=members,
            observers=len(loaded.countries) - members,
            organisations=len(loaded.organisations),
            contacts=len(loaded.contacts),
            troika="/".join(loaded.presidency.troika),
        )
    )
    for warning in warnings(loaded):
        click.echo(words("warning", text=warning))


@roster.command("import")
@click.argument("file", type=_FILE, required=False)
@click.pass_context
def roster_import(ctx: click.Context, file: Path | None) -> None:
    """Load a roster into the database (idempotent).

    Without FILE: the file in CONSULTA_ROSTER, else the shipped CRM roster."""
    loaded = read_roster(file or app(ctx).settings.roster)

    async def work(session: AsyncSession) -> SyncReport:
        return await import_roster(session, loaded, actor=actor(ctx), at=now(ctx))

    report = run(in_transaction(app(ctx), work))
    click.echo(_report(ctx, "roster", report))


@click.group()
def contacts() -> None:
    """Focal points and other contacts."""


@contacts.command("import")
@click.argument("file", type=_FILE)
@click.pass_context
def contacts_import(ctx: click.Context, file: Path) -> None:
    """Upsert contacts from a CSV: name,emails,language,timezone,roles[,slack_user_id,active]."""
    entries = parse_contacts_csv(file.read_text(encoding="utf-8-sig"), source=str(file))

    async def work(session: AsyncSession) -> SyncReport:
        return await import_contacts(
            session, entries, actor=actor(ctx), at=now(ctx), source=str(file)
        )

    report = run(in_transaction(app(ctx), work))
    click.echo(_report(ctx, "contacts", report))


@click.group()
def db() -> None:
    """The database schema."""


@db.command("upgrade")
@click.pass_context
def db_upgrade(ctx: click.Context) -> None:
    """Apply pending migrations (also done on every start)."""

    async def work() -> str | None:
        database = await open_database(app(ctx))
        try:
            return await current_revision(database)
        finally:
            await database.dispose()

    click.echo(say(ctx)("schema_at", revision=run(work())))


@click.command()
@click.option(
    "--from",
    "start",
    type=click.DateTime(["%Y-%m-%d"]),
    required=True,
    help="Distribution day (day 0).",
)
@click.option(
    "--days",
    type=click.IntRange(min=1),
    required=True,
    help="Business days (5 standard, 3 urgent).",
)
@click.option("--calendar", required=True, help="Holiday calendar: a country code, e.g. DO.")
@click.option(
    "--timezone", "zone", help="IANA timezone (default: the country's in the CRM roster)."
)
def deadline(start: datetime, days: int, calendar: str, zone: str | None) -> None:
    """Print the deadline of a period as ISO 8601 with its offset."""
    calendar = calendar.strip().upper()
    zone = zone or _roster_timezone(calendar)
    day: date = start.date()
    distributed = datetime.combine(day, time(12), tzinfo=ZoneInfo(zone))
    click.echo(clock.deadline_for(distributed, days, calendar=calendar, timezone=zone).isoformat())


def _roster_timezone(calendar: str) -> str:
    for country in read_roster(None).countries:
        if country.code == calendar:
            return country.timezone
    raise InvalidInput(f"{calendar} is not a CRM country: give --timezone as well")


COMMANDS = [roster, contacts, db, deadline]


def _report(ctx: click.Context, what: str, report: SyncReport) -> str:
    return say(ctx)(
        "sync_report",
        what=what,
        added=len(report.added),
        updated=len(report.updated),
        unchanged=len(report.unchanged),
        deactivated=len(report.deactivated),
    )

"""Commands for the PPT and the ST: the lifecycle of a consultation, without Slack."""

from collections.abc import Awaitable
from pathlib import Path

import click
from sqlmodel.ext.asyncio.session import AsyncSession

from consultation import answers, closing, distribution, drafting, review
from consultation.answers import Answer
from consultation.deadlines import render_deadline
from consultation.lifecycle import OPEN_STATES
from consultation.moves import load
from consultation.presenting import history_text, status_text
from consultation.status import consultation_status
from consultation.vocabulary import Kind, Language, PositionValue, SilenceRule
from service.cli_support import (
    POSITION,
    app,
    change_options,
    in_transaction,
    language,
    move,
    now,
    read_text,
    run,
    say,
    templates,
)
from service.review_commands import changes_from
from service.schedule_commands import describe, tick_once
from store import queries
from store.tables import VersionRow

_TEXT = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.command()
@click.option("--title", required=True, help="Title in Spanish (or the only title).")
@click.option("--title-en", default="", help="Title in English.")
@click.option(
    "--text", "text_es", type=_TEXT, help="Text in Spanish: paragraphs separated by blank lines."
)
@click.option("--text-en", type=_TEXT, help="Text in English, paragraph for paragraph.")
@click.option("--urgent", is_flag=True, help="Urgent procedure: 3 business days instead of 5.")
@click.option(
    "--silence",
    type=click.Choice([r.value for r in SilenceRule]),
    default=SilenceRule.NO_OBJECTION.value,
    show_default=True,
    help="What silence means at the deadline.",
)
@click.pass_context
def new(
    ctx: click.Context,
    title: str,
    title_en: str,
    text_es: Path | None,
    text_en: Path | None,
    urgent: bool,
    silence: str,
) -> None:
    """Open a draft consultation (it goes nowhere until `troika`)."""
    draft = drafting.Draft(
        title_es=title,
        title_en=title_en,
        text=read_text(text_es, text_en),
        kind=Kind.URGENT if urgent else Kind.STANDARD,
        silence=SilenceRule(silence),
    )
    row = run(in_transaction(app(ctx), lambda s: drafting.open_draft(s, draft, move(ctx))))
    click.echo(say(ctx)("opened", id=row.id, paragraphs=draft.text.paragraph_count))


@click.command()
@click.argument("consultation_id")
@click.pass_context
def troika(ctx: click.Context, consultation_id: str) -> None:
    """Put the draft to the Troika for its preliminary reaction."""
    round_ = run(
        in_transaction(app(ctx), lambda s: drafting.submit_to_troika(s, consultation_id, move(ctx)))
    )
    click.echo(say(ctx)("to_troika", id=consultation_id.upper(), round=round_))


@click.command("troika-answer")
@click.argument("consultation_id")
@click.option("--country", required=True, help="The Troika country answering, e.g. MX.")
@click.option("--approve", is_flag=True, help="The country agrees with the draft.")
@click.option("--changes", metavar="COMMENT", help="The country asks for changes (say which).")
@click.pass_context
def troika_answer(
    ctx: click.Context, consultation_id: str, country: str, approve: bool, changes: str | None
) -> None:
    """Record a Troika country's answer."""
    if approve == bool(changes):
        raise click.UsageError("give exactly one of --approve or --changes COMMENT")
    outcome = run(
        in_transaction(
            app(ctx),
            lambda s: drafting.answer_troika(
                s,
                consultation_id,
                country=country,
                approve=approve,
                comment=changes,
                move=move(ctx),
            ),
        )
    )
    click.echo(say(ctx)("troika_recorded", country=country.upper(), outcome=outcome.value))


@click.command()
@click.argument("consultation_id")
@click.pass_context
def send(ctx: click.Context, consultation_id: str) -> None:
    """Distribute to all member countries; the clock starts."""
    version, zone = run(
        in_transaction(
            app(ctx),
            lambda s: _zoned(s, consultation_id, distribution.send(s, consultation_id, move(ctx))),
        )
    )
    click.echo(_sent(ctx, consultation_id, version, zone))


@click.command()
@click.argument("consultation_id")
@click.option("--text", "text_es", type=_TEXT, help="Revised text in Spanish.")
@click.option("--text-en", type=_TEXT, help="Revised text in English.")
@click.option("--note", default="", help="What changed, for the members.")
@click.option(
    "--incorporated",
    metavar="IDS",
    help="Amendment ids taken up, e.g. 3,7 (default: those whose text appears in the new version).",
)
@click.pass_context
def revise(
    ctx: click.Context,
    consultation_id: str,
    text_es: Path | None,
    text_en: Path | None,
    note: str,
    incorporated: str | None,
) -> None:
    """Send a revised text to all members; every country is pending again and the clock restarts."""
    text = read_text(text_es, text_en)
    taken = (
        {int(part) for part in incorporated.split(",") if part.strip()} if incorporated else None
    )
    version, zone = run(
        in_transaction(
            app(ctx),
            lambda s: _zoned(
                s,
                consultation_id,
                distribution.revise(
                    s, consultation_id, text, move(ctx), note=note, incorporated=taken
                ),
            ),
        )
    )
    if version.deadline_at is None:
        click.echo(say(ctx)("draft_replaced", id=consultation_id.upper()))
    else:
        click.echo(_sent(ctx, consultation_id, version, zone))


@click.command()
@click.argument("consultation_id")
@click.option("--days", type=click.IntRange(min=1), required=True, help="Business days to add.")
@click.pass_context
def extend(ctx: click.Context, consultation_id: str, days: int) -> None:
    """Extend the deadline by N business days."""
    version, zone = run(
        in_transaction(
            app(ctx),
            lambda s: _zoned(
                s, consultation_id, distribution.extend(s, consultation_id, days, move(ctx))
            ),
        )
    )
    words = say(ctx)
    click.echo(
        words(
            "extended",
            id=consultation_id.upper(),
            deadline=_iso(version),
            when=_when(ctx, version, zone),
        )
    )


@click.command()
@click.argument("consultation_id")
@click.option("--country", required=True, help="Member country answering, e.g. GT.")
@click.option(
    "--position",
    type=POSITION,
    help="Its position: approve/aprueba, amend/enmiendas, object/objeta, abstain/se abstiene.",
)
@change_options
@click.option("--note", help="Where the answer came from (note verbale, call…).")
@click.pass_context
def record(
    ctx: click.Context,
    consultation_id: str,
    country: str,
    position: PositionValue | None,
    replaces: tuple[tuple[str, str], ...],
    deletes: tuple[int, ...],
    inserts: tuple[tuple[str, str], ...],
    extension: bool,
    note: str | None,
) -> None:
    """Record a member's answer received outside email (a note verbale, a call)."""
    changes = changes_from(replaces, deletes, inserts)

    async def work(session: AsyncSession) -> str:
        row = await load(session, consultation_id)
        answer = Answer(
            country=country,
            version=row.current_version,
            position=position,
            amendments=changes,
            extension_requested=extension,
            note=note,
        )
        acting = move(ctx)
        recorded = await answers.record_answer(session, row.id, answer, acting)
        # The answer recorded by a person closes the country's held replies on this version.
        settled = await review.settle_held(
            session, row.id, recorded.country, row.current_version, acting, position=recorded
        )
        return say(ctx)(
            "recorded",
            country=recorded.country,
            id=row.id,
            version=row.current_version,
            settled=len(settled),
        )

    click.echo(run(in_transaction(app(ctx), work)))


@click.command()
@click.argument("consultation_id", required=False)
@click.pass_context
def status(ctx: click.Context, consultation_id: str | None) -> None:
    """Where a consultation stands (all open ones without an id)."""

    async def work(session: AsyncSession) -> list[str]:
        if consultation_id:
            ids = [consultation_id]
        else:
            open_states = [s.value for s in OPEN_STATES]
            ids = [c.id for c in await queries.consultations(session, states=open_states)]
        views = [await consultation_status(session, i, now=now(ctx)) for i in ids]
        return [status_text(templates(), v, language(ctx)) for v in views]

    boards = run(in_transaction(app(ctx), work))
    click.echo("\n".join(boards) if boards else say(ctx)("no_open"))


@click.command()
@click.argument("consultation_id")
@click.option(
    "--share-positions",
    is_flag=True,
    help="Also tell the observers each member's position (they get the text and outcome).",
)
@click.pass_context
def conclude(ctx: click.Context, consultation_id: str, share_positions: bool) -> None:
    """Conclude with consensus; the members are sent the results, the observers informed."""
    view = run(
        in_transaction(
            app(ctx),
            lambda s: closing.conclude(
                s, consultation_id, move(ctx), share_positions=share_positions
            ),
        )
    )
    click.echo(say(ctx)("concluded", id=view.consultation.id, outcome=view.consultation.outcome))


@click.command()
@click.argument("consultation_id")
@click.option("--reason", default="", help="Why, for the record and the members.")
@click.pass_context
def withdraw(ctx: click.Context, consultation_id: str, reason: str) -> None:
    """Withdraw the consultation."""
    run(
        in_transaction(
            app(ctx), lambda s: closing.withdraw(s, consultation_id, move(ctx), reason=reason)
        )
    )
    click.echo(say(ctx)("withdrawn", id=consultation_id.upper()))


@click.command()
@click.pass_context
def tick(ctx: click.Context) -> None:
    """Do what is due now: deadlines, reminders, the ST's digest (the scheduler runs it too)."""
    done = run(tick_once(app(ctx)))
    words = say(ctx)
    click.echo("\n".join(describe(d, words) for d in done) if done else words("nothing_due"))


@click.command()
@click.argument("consultation_id")
@click.pass_context
def history(ctx: click.Context, consultation_id: str) -> None:
    """The consultation's audit trail, oldest first."""

    async def work(session: AsyncSession) -> str:
        row = await load(session, consultation_id)
        events = await queries.events(session, row.id)
        spanish = language(ctx) is Language.ES
        names = {
            c.code: c.name_es if spanish else c.name_en for c in await queries.countries(session)
        }
        return history_text(
            templates(), events, timezone=row.timezone, language=language(ctx), names=names
        )

    click.echo(run(in_transaction(app(ctx), work)), nl=False)


def _sent(ctx: click.Context, consultation_id: str, version: VersionRow, zone: str) -> str:
    return say(ctx)(
        "sent",
        id=consultation_id.upper(),
        version=version.number,
        deadline=_iso(version),
        when=_when(ctx, version, zone),
    )


def _iso(version: VersionRow) -> str:
    assert version.deadline_at is not None
    return version.deadline_at.isoformat()


def _when(ctx: click.Context, version: VersionRow, zone: str) -> str:
    """The deadline in the consultation's zone, written out in the reader's language."""
    assert version.deadline_at is not None
    return render_deadline(version.deadline_at, timezone=zone, language=language(ctx))


async def _zoned(
    session: AsyncSession, consultation_id: str, done: Awaitable[VersionRow]
) -> tuple[VersionRow, str]:
    """The version a move produced, with the consultation's zone to write its deadline in."""
    version = await done
    return version, (await load(session, consultation_id)).timezone


COMMANDS = [
    new,
    troika,
    troika_answer,
    send,
    revise,
    extend,
    record,
    status,
    conclude,
    withdraw,
    tick,
    history,
]

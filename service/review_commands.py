"""`consulta review …`: the replies held for a person, listed, shown and decided without Slack.

The decisions go through ``consultation.review.decide``, as Slack's buttons do, with the CLI's
actor (``--actor``); the text a person reads comes from ``templates/cli/review_*``.
"""

from dataclasses import dataclass

import click
from sqlmodel.ext.asyncio.session import AsyncSession

from consultation import page_images, review, review_view, zones
from consultation.answers import ProposedChange
from consultation.errors import NotFound
from consultation.page_images import PageImage
from consultation.vocabulary import AmendmentAction, Language, PositionValue
from service.cli_support import (
    POSITION,
    app,
    change_options,
    in_transaction,
    language,
    move,
    run,
    say,
    templates,
)
from store.tables import InboundMessageRow


@click.group("review")
def review_group() -> None:
    """Replies held for a person: list, show, confirm, correct, reject."""


@review_group.command("list")
@click.option("--all", "everything", is_flag=True, help="Also those already decided.")
@click.pass_context
def list_held(ctx: click.Context, everything: bool) -> None:
    """The held replies, oldest first, with why each is held."""
    lang = language(ctx)

    async def work(session: AsyncSession) -> str:
        items = await review_view.held_items(session, lang, everything=everything)
        if not items:
            return say(ctx)("no_held", everything=everything) + "\n"
        zone = await review_view.ppt_zone(session)
        return (
            templates()
            .get_template(f"cli/review_list.{lang.value}.txt")
            .render(
                items=[review_view.as_dict(i) for i in items],
                zone=zones.zone_name(zone, lang),
                count=len(items),
            )
        )

    click.echo(run(in_transaction(app(ctx), work)), nl=False)


@review_group.command("show")
@click.argument("number", type=int)
@click.pass_context
def show(ctx: click.Context, number: int) -> None:
    """The message as received: headers, the sender's own words, the reading, attachments."""
    lang = language(ctx)

    async def work(session: AsyncSession) -> str:
        shown = await review_view.held_message(session, number, lang)
        item = review_view.as_dict(shown.item) | {
            "headers": shown.headers,
            "own_text": shown.own_text,
            "reading": shown.reading,
            "attachments": shown.attachments,
            "header_only": shown.header_only,
            "size": shown.size,
            "note": shown.note,
            "page": shown.has_page,
        }
        return templates().get_template(f"cli/review_show.{lang.value}.txt").render(**item)

    click.echo(run(in_transaction(app(ctx), work)), nl=False)


@review_group.command("page")
@click.argument("number", type=int)
@click.option(
    "--out", "-o", type=click.Path(dir_okay=False), required=True, help="The PNG file to write."
)
@click.pass_context
def page(ctx: click.Context, number: int, out: str) -> None:
    """Save the first page of the scanned note a message carried, as PNG."""
    lang = language(ctx)

    async def work(session: AsyncSession) -> PageImage:
        await review_view.message_row(session, number)
        image = await page_images.page_image(session, number)
        if image is None:
            raise NotFound(
                f"message {number} carries no scanned document", phrase="no_page", number=number
            )
        return image

    image = run(in_transaction(app(ctx), work))
    with open(out, "wb") as file:
        file.write(image.png)
    click.echo(
        f"{out}: primera página de {image.filename}"
        if lang is Language.ES
        else f"{out}: first page of {image.filename}"
    )


@review_group.command("confirm")
@click.argument("number", type=int)
@click.pass_context
def confirm(ctx: click.Context, number: int) -> None:
    """Record what the service read in the reply."""
    click.echo(_decide(ctx, number, review.Decision.CONFIRM))


@review_group.command("correct")
@click.argument("number", type=int)
@click.option("--position", type=POSITION, help="approve/aprueba, amend/enmiendas, object/objeta…")
@change_options
@click.pass_context
def correct(
    ctx: click.Context,
    number: int,
    position: PositionValue | None,
    replaces: tuple[tuple[str, str], ...],
    deletes: tuple[int, ...],
    inserts: tuple[tuple[str, str], ...],
    extension: bool,
) -> None:
    """Record what the reply means, as the person reads it."""
    changes = changes_from(replaces, deletes, inserts)
    fix = Correction(position, changes, extension)
    click.echo(_decide(ctx, number, review.Decision.CORRECT, fix))


@review_group.command("reject")
@click.argument("number", type=int)
@click.option("--reason", required=True, help="Why the reply does not count (for the record).")
@click.pass_context
def reject(ctx: click.Context, number: int, reason: str) -> None:
    """The reply does not count; the reason is recorded with who decided."""
    click.echo(_decide(ctx, number, review.Decision.REJECT, reason=reason))


@dataclass(frozen=True)
class Correction:
    position: PositionValue | None
    changes: tuple[ProposedChange, ...]
    extension: bool


def changes_from(
    replaces: tuple[tuple[str, str], ...],
    deletes: tuple[int, ...],
    inserts: tuple[tuple[str, str], ...],
) -> tuple[ProposedChange, ...]:
    """The changes given as --replace/--delete/--insert-after (``record`` and ``correct``)."""
    changes = [ProposedChange(AmendmentAction.REPLACE, _number(n), t) for n, t in replaces]
    changes += [ProposedChange(AmendmentAction.DELETE, n) for n in deletes]
    changes += [ProposedChange(AmendmentAction.INSERT_AFTER, _number(n), t) for n, t in inserts]
    return tuple(changes)


def _decide(
    ctx: click.Context,
    number: int,
    decision: review.Decision,
    fix: Correction | None = None,
    *,
    reason: str | None = None,
) -> str:
    words, lang, acting = say(ctx), language(ctx), move(ctx)

    async def work(session: AsyncSession) -> str:
        row = await review_view.message_row(session, number)
        correction = None
        if fix is not None:
            correction = review.corrected_answer(
                row, fix.position, fix.changes, extension=fix.extension
            )
        earlier = await _earlier_held(session, row)
        position = await review.decide(
            session, number, decision, acting, correction=correction, reason=reason
        )
        if position is None:
            return words("rejected", number=number)
        names = await review_view.country_names(session, lang)
        return words(
            "confirmed" if decision is review.Decision.CONFIRM else "corrected",
            number=number,
            country=names.get(position.country, position.country),
            id=position.consultation_id,
            version=position.version,
            position=position.value,
            settled=earlier,
        )

    return run(in_transaction(app(ctx), work))


async def _earlier_held(session: AsyncSession, row: InboundMessageRow) -> int:
    if not (row.consultation_id and row.country and row.version is not None):
        return 0
    found = await review.open_held(
        session, row.consultation_id, row.country, row.version, before=row.id
    )
    return len(found)


def _number(text: str) -> int:
    if not text.strip().isdigit():
        raise click.BadParameter(f"{text!r} is not a paragraph number")
    return int(text)


COMMANDS = [review_group]

"""Commands of the email front that need no server: reading a reply as the service would, and
clearing an address's failing mark."""

import json
from dataclasses import dataclass
from pathlib import Path

import click
from sqlmodel.ext.asyncio.session import AsyncSession

from consultation import journal
from consultation.errors import InvalidInput
from consultation.vocabulary import Language
from mail import failing
from mail.reading import read_reply, split_paragraphs, to_label
from service.cli_support import actor, app, in_transaction, language, now, run
from store.tables import ContactEmailRow


@click.command("parse-reply")
@click.option(
    "--draft",
    "draft",
    type=click.Path(path_type=Path),
    required=True,
    help="The text the message answers: UTF-8, paragraphs separated by blank lines.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the label as one JSON object.")
@click.argument("message", type=click.Path(path_type=Path))
def parse_reply(draft: Path, as_json: bool, message: Path) -> None:
    """Read a reply (an .eml file) against its draft: kind, position, amendments, language."""
    try:
        text = draft.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{draft} is not UTF-8 text") from exc
    paragraphs = split_paragraphs(text)
    if not paragraphs:
        raise InvalidInput(f"{draft} has no paragraphs")
    raw = message.read_bytes()
    if not raw.strip():
        raise InvalidInput(f"{message} is empty")
    reading = read_reply(raw, paragraphs)
    label = to_label(reading) | {
        "confidence": round(reading.confidence, 3),
        "needs_review": reading.needs_review,
        "review_reasons": list(reading.review_reasons),
    }
    if as_json:
        click.echo(json.dumps(label, ensure_ascii=False))
        return
    click.echo(json.dumps(label, ensure_ascii=False, indent=2))


@dataclass(frozen=True)
class _Cleared:
    address: str
    known: bool
    was_failing: bool
    released: int = 0


@click.command("clear-failing")
@click.argument("address")
@click.pass_context
def clear_failing(ctx: click.Context, address: str) -> None:
    """Clear an address's failing mark (it works again): its held notices go out at once."""
    wanted = address.strip().lower()
    at, who = now(ctx), actor(ctx)

    async def work(session: AsyncSession) -> _Cleared:
        email = await session.get(ContactEmailRow, wanted)
        if email is None or not email.failing:
            return _Cleared(wanted, email is not None, False)
        reason = email.failure or ""
        released = await failing.clear(session, email, at)
        await journal.record_event(
            session,
            consultation_id=None,
            kind="address_cleared",
            actor=who,
            at=at,
            payload={"address": wanted, "failure": reason, "released": released},
        )
        return _Cleared(wanted, True, True, released)

    done = run(in_transaction(app(ctx), work))
    spanish = language(ctx) is Language.ES
    if not done.known:
        raise click.ClickException(
            f"{done.address} no es una dirección de ningún contacto."
            if spanish
            else f"{done.address} is not an address of any contact."
        )
    if not done.was_failing:
        click.echo(
            f"{done.address} no estaba marcada como fallida; no hay nada que cambiar."
            if spanish
            else f"{done.address} was not marked as failing; nothing to change."
        )
        return
    click.echo(
        f"{done.address} ya no está marcada como fallida. "
        f"Mensajes retenidos que saldrán ahora: {done.released}."
        if spanish
        else f"{done.address} is no longer marked as failing. "
        f"Held messages that will go out now: {done.released}."
    )


COMMANDS = [parse_reply, clear_failing]

"""Plumbing shared by the commands: context, language, transactions, the actor's name."""

import asyncio
import getpass
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

import click
from jinja2 import Environment
from sqlmodel.ext.asyncio.session import AsyncSession

from consultation.errors import InvalidInput
from consultation.moves import Move
from consultation.texts import Text, paragraphs_from_text
from consultation.vocabulary import Language, PositionValue, position_from_words
from service.context import AppContext, open_database
from templates import environment

T = TypeVar("T")


def app(ctx: click.Context) -> AppContext:
    found = ctx.find_object(AppContext)
    assert found is not None, "the command group sets an AppContext"
    return found


def language(ctx: click.Context) -> Language:
    chosen = ctx.find_root().params.get("lang")
    return Language(chosen) if chosen else app(ctx).settings.language


@lru_cache(maxsize=1)
def templates() -> Environment:
    """Built once per process and shared by every command."""
    return environment()


class Phrases:
    """``say("opened", id=…)``: the CLI's sentences (``templates/cli/phrases.*``), one macro
    per sentence, in the reader's language."""

    def __init__(self, env: Environment, language: Language) -> None:
        self.language = language
        self._module = env.get_template(f"cli/phrases.{language.value}.txt").module

    def __call__(self, name: str, **values: Any) -> str:
        return str(getattr(self._module, name)(**values)).strip()

    def has(self, name: str) -> bool:
        return bool(name) and hasattr(self._module, name)


def say(ctx: click.Context) -> Phrases:
    return Phrases(templates(), language(ctx))


class PositionType(click.ParamType[PositionValue, Any]):
    """A position in either language: approve/aprueba, amend/enmiendas, object/objeta,
    abstain/se abstiene (``consultation.vocabulary.POSITION_WORDS``)."""

    name = "position"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> PositionValue:
        if isinstance(value, PositionValue):
            return value
        found = position_from_words(str(value))
        if found is None:
            words = say(ctx) if ctx is not None else Phrases(templates(), Language.EN)
            self.fail(words("bad_position", value=value), param, ctx)
        return found


POSITION = PositionType()

F = TypeVar("F", bound=Callable[..., Any])


def change_options(command: F) -> F:
    """The changes an answer proposes and its request for time, as ``record`` and ``review
    correct`` take them: --replace N TEXT, --delete N, --insert-after N TEXT, --extension."""
    options = [
        click.option(
            "--replace",
            "replaces",
            nargs=2,
            multiple=True,
            metavar="N TEXT",
            help="Paragraph N becomes TEXT.",
        ),
        click.option(
            "--delete", "deletes", type=int, multiple=True, metavar="N", help="Delete paragraph N."
        ),
        click.option(
            "--insert-after",
            "inserts",
            nargs=2,
            multiple=True,
            metavar="N TEXT",
            help="New paragraph after N (0: first).",
        ),
        click.option("--extension", is_flag=True, help="The country asks for more time."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


async def in_transaction(context: AppContext, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    db = await open_database(context)
    try:
        async with db.transaction() as session:
            return await work(session)
    finally:
        await db.dispose()


def move(ctx: click.Context) -> Move:
    return Move(actor=actor(ctx), at=now(ctx))


def now(ctx: click.Context) -> datetime:
    return app(ctx).time.now()


def actor(ctx: click.Context) -> str:
    chosen = ctx.find_root().params.get("actor")
    return str(chosen) if chosen else f"cli:{getpass.getuser()}"


def read_text(es: Path | None, en: Path | None) -> Text:
    if es is None and en is None:
        raise click.UsageError("give the text with --text FILE (Spanish) and/or --text-en FILE")
    return Text(es=_paragraphs(es), en=_paragraphs(en))


def _paragraphs(path: Path | None) -> list[str] | None:
    if path is None:
        return None
    try:
        content = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"{path} is not UTF-8 text (save it as UTF-8 or Markdown)", phrase="not_utf8", path=path
        ) from exc
    return paragraphs_from_text(content, source=str(path))

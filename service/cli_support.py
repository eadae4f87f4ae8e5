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
from consultation.vocabulary import Language
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
        raise InvalidInput(f"{path} is not UTF-8 text (save it as UTF-8 or Markdown)") from exc
    return paragraphs_from_text(content, source=str(path))

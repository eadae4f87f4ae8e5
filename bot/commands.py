"""``/consulta``: subcommands in Spanish and English, each answered in the user's language."""

from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import forms, lifecycle, status_board
from bot.acting import Refusal, Reply, act
from bot.context import BotContext
from bot.people import Person, person
from bot.texts import Phrasebook, escape
from consultation.deadlines import render_deadline
from consultation.lifecycle import OPEN_STATES
from consultation.permissions import Deed
from consultation.vocabulary import Language
from store import queries

# Each word and the language it gives away (for someone the roster does not know yet).
WORDS: dict[str, tuple[str, Language | None]] = {
    "nueva": ("new", Language.ES),
    "new": ("new", Language.EN),
    "troika": ("troika", None),
    "enviar": ("send", Language.ES),
    "send": ("send", Language.EN),
    "revisar": ("revise", Language.ES),
    "revise": ("revise", Language.EN),
    "estado": ("status", Language.ES),
    "status": ("status", Language.EN),
    "prorrogar": ("extend", Language.ES),
    "extend": ("extend", Language.EN),
    "concluir": ("conclude", Language.ES),
    "conclude": ("conclude", Language.EN),
    "retirar": ("withdraw", Language.ES),
    "withdraw": ("withdraw", Language.EN),
    "recordar": ("remind", Language.ES),
    "remind": ("remind", Language.EN),
    "ayuda": ("help", Language.ES),
    "help": ("help", Language.EN),
}


@dataclass(frozen=True)
class Command:
    name: str  # the English word; "unknown" when the word is not one of ours
    args: list[str]
    word: str
    language: Language | None


def parse(text: str) -> Command:
    words = text.split()
    if not words:
        return Command("help", [], "", None)
    word = words[0].casefold()
    name, language = WORDS.get(word, ("unknown", None))
    return Command(name, words[1:], words[0], language)


def register(app: AsyncApp, ctx: BotContext) -> None:
    async def on_command(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, respond: AsyncRespond
    ) -> None:
        await ack()  # within Slack's 3 seconds; the move and the answer follow
        await run(ctx, parse(body.get("text", "")), body, client, respond)

    app.command("/consulta")(on_command)


async def run(
    ctx: BotContext,
    command: Command,
    body: dict[str, Any],
    client: AsyncWebClient,
    respond: AsyncRespond,
) -> None:
    user, fallback = body["user_id"], command.language or Language.ES
    if command.name in ("new", "revise"):
        reply = await forms.open_form(ctx, client, command.name, command.args, body, fallback)
    elif command.name == "status":
        await _status(ctx, command, user, fallback, respond)
        return
    else:
        reply = await _answer(ctx, command, user, fallback)
    if reply is not None:
        await respond(text=reply.text, response_type="ephemeral")


async def _answer(ctx: BotContext, command: Command, user: str, fallback: Language) -> Reply:
    async with ctx.db.session() as session:
        who = await person(session, user, fallback=fallback)
    book, language = ctx.phrases(who.language), who.language
    if command.name == "help":
        return Reply(book.help(), True, language)
    if not who.in_roster:
        return Reply(book.not_in_roster(), False, language)
    if command.name == "unknown":
        return Reply(book.unknown_command(word=escape(command.word)), False, language)
    if not who.may(Deed.STEER):
        return Reply(book.not_ppt(command=command.name), False, language)
    try:
        cid, rest = await _target(ctx, command, book)
        if command.name == "extend":
            return await lifecycle.extend(ctx, user, cid, _days(rest, book), fallback)
    except Refusal as refusal:
        return Reply(refusal.sentence, False, language)
    if command.name == "troika":
        return await lifecycle.submit_to_troika(ctx, user, cid, fallback)
    if command.name == "send":
        return await lifecycle.send(ctx, user, cid, fallback)
    if command.name == "conclude":
        return await lifecycle.conclude(ctx, user, cid, fallback)
    if command.name == "withdraw":
        return await lifecycle.withdraw(ctx, user, cid, " ".join(rest), fallback)
    assert command.name == "remind"
    return await lifecycle.remind(ctx, user, cid, fallback)


async def _target(ctx: BotContext, command: Command, book: Phrasebook) -> tuple[str, list[str]]:
    """The consultation named first, else the only open one; a Refusal with the usage."""
    args = command.args
    if args and (args[0].upper().startswith("CRM-") or command.name not in ("extend", "withdraw")):
        return args[0].upper(), args[1:]
    async with ctx.db.session() as session:
        states = [s.value for s in OPEN_STATES]
        open_ids = [c.id for c in await queries.consultations(session, states=states)]
    if len(open_ids) == 1:
        return open_ids[0], args
    raise Refusal(book.which_one(command=command.name, ids=open_ids))


def _days(rest: list[str], book: Phrasebook) -> int:
    if len(rest) != 1 or not rest[0].isdigit() or int(rest[0]) < 1:
        raise Refusal(book.positive_days())
    return int(rest[0])


async def _status(
    ctx: BotContext, command: Command, user: str, fallback: Language, respond: AsyncRespond
) -> None:
    """Anyone in the roster may ask: one consultation as its status message, or the open ones."""
    found: dict[str, Any] = {}

    async def work(session: AsyncSession, who: Person, book: Phrasebook) -> str:
        now = ctx.time.now()
        if command.args:
            blocks, text = await status_board.board(
                session,
                command.args[0].upper(),
                book,
                who.language,
                now,
                with_buttons=who.may(Deed.STEER),  # the steps are the PPT's: others only read
                links=ctx.links,
            )
            found["blocks"] = blocks
            return text
        return await open_list(session, book, who.language)

    cid = command.args[0] if command.args else ""
    reply = await act(ctx, user, work, consultation_id=cid, fallback=fallback)
    await respond(text=reply.text, blocks=found.get("blocks"), response_type="ephemeral")


async def open_list(session: AsyncSession, book: Phrasebook, language: Language) -> str:
    """One line per open consultation: id, title, where it stands, its deadline."""
    return "\n".join(await open_lines(session, book, language)) or book.no_open()


async def open_lines(session: AsyncSession, book: Phrasebook, language: Language) -> list[str]:
    rows = await queries.consultations(session, states=[s.value for s in OPEN_STATES])
    lines = []
    for row in rows:
        title = escape(row.title_es if language is Language.ES else row.title_en)
        line = f"• *{row.id}* · {title} · {book.state(value=row.state)}"
        version = await queries.version(session, row.id, row.current_version)
        if version is not None and version.deadline_at is not None:
            deadline = render_deadline(
                version.deadline_at, timezone=row.timezone, language=language
            )
            line += f" · {deadline}"
        lines.append(line)
    return lines

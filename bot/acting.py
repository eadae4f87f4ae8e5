"""Run one move for a Slack user: who they are, the use case in one transaction, and every
refusal turned into one sentence in their language."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.context import BotContext
from bot.people import Person, person
from bot.texts import Phrasebook
from consultation.drafting import AlreadyAnswered
from consultation.errors import (
    ConclusionBlocked,
    ConsultationClosed,
    IllegalTransition,
    InvalidInput,
    NotAllowed,
    NotFound,
    ProcedureError,
    TroikaConsensusMissing,
)
from consultation.status import consultation_status
from consultation.vocabulary import Language, Standing


class Refusal(Exception):
    """A sentence for the user, already in their language; nothing was changed."""

    def __init__(self, sentence: str) -> None:
        super().__init__(sentence)
        self.sentence = sentence


@dataclass(frozen=True)
class Reply:
    text: str
    done: bool  # False: refused, nothing changed
    language: Language


Work = Callable[[AsyncSession, Person, Phrasebook], Awaitable[str]]


async def act(
    ctx: BotContext,
    user_id: str,
    work: Work,
    *,
    consultation_id: str = "",
    fallback: Language = Language.ES,
) -> Reply:
    """``work`` runs in one transaction: it commits when it returns, rolls back if it raises."""
    language = fallback
    try:
        async with ctx.db.transaction() as session:
            who = await person(session, user_id, fallback=fallback)
            language = who.language
            book = ctx.phrases(language)
            if not who.in_roster:
                raise Refusal(book.not_in_roster())
            text = await work(session, who, book)
    except Refusal as refusal:
        return Reply(refusal.sentence, False, language)
    except ProcedureError as exc:
        return Reply(await explain(ctx, exc, language, consultation_id), False, language)
    ctx.wake.set()  # the outbox has something new: say it now
    return Reply(text, True, language)


async def explain(
    ctx: BotContext, exc: ProcedureError, language: Language, consultation_id: str
) -> str:
    """A typed error of the procedure as one sentence (the edge where errors become words)."""
    book = ctx.phrases(language)
    cid = consultation_id.strip().upper()
    if isinstance(exc, AlreadyAnswered):
        return book.already_answered(country=getattr(exc, "country", ""))
    if isinstance(exc, TroikaConsensusMissing):
        return book.troika_missing(id=cid)
    if isinstance(exc, ConclusionBlocked):
        async with ctx.db.session() as session:
            status = await consultation_status(session, cid, now=ctx.time.now())
        pending = status.result.with_standing(Standing.PENDING)
        return book.conclusion_blocked(
            id=cid, blocking=list(status.result.blocking), pending=list(pending)
        )
    if isinstance(exc, ConsultationClosed):
        return book.closed(id=cid, state=exc.state)
    if isinstance(exc, IllegalTransition):
        return book.illegal(id=cid, action=exc.action, state=exc.state)
    if isinstance(exc, NotFound) and cid:
        return book.not_found(id=cid)
    if isinstance(exc, NotAllowed):
        return book.not_allowed(detail=str(exc))
    if isinstance(exc, InvalidInput):
        return book.invalid(detail=str(exc).rstrip("."))
    return book.invalid(detail=str(exc).rstrip("."))


async def show(client: AsyncWebClient, body: dict[str, Any], reply: Reply) -> None:
    """Done: the buttons give way to who answered. Refused: a sentence only the clicker sees."""
    channel, user = body["channel"]["id"], body["user"]["id"]
    if not reply.done:
        await client.chat_postEphemeral(channel=channel, user=user, text=reply.text)
        return
    kept = [b for b in body["message"].get("blocks", []) if b.get("type") != "actions"]
    blocks = [*kept, {"type": "context", "elements": [{"type": "mrkdwn", "text": reply.text}]}]
    await client.chat_update(
        channel=channel, ts=body["message"]["ts"], text=reply.text, blocks=blocks
    )

"""The PPT's moves from Slack, whichever way they are asked for (a command, a button, a form)."""

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.acting import Refusal, Reply, Work, act
from bot.context import BotContext
from bot.people import Person
from bot.texts import Phrasebook
from consultation import closing, distribution, drafting, reminders
from consultation.deadlines import render_deadline
from consultation.moves import load
from consultation.permissions import Deed
from consultation.texts import Text
from consultation.vocabulary import Language


def ppt_only(command: str, work: Work) -> Work:
    """Lifecycle moves are the PPT's (the roster says who); anyone else gets the usage."""

    async def guarded(session: AsyncSession, who: Person, book: Phrasebook) -> str:
        if not who.may(Deed.STEER):
            raise Refusal(book.not_ppt(command=command))
        return await work(session, who, book)

    return guarded


def _deadline(who: Person, deadline: datetime | None, language: Language) -> str:
    """In the reader's zone and language, like every deadline consulta shows."""
    assert deadline is not None  # a distributed version always has one
    zone = who.contact.timezone if who.contact else "UTC"
    return render_deadline(deadline, timezone=zone, language=language)


async def submit_to_troika(ctx: BotContext, user: str, cid: str, fallback: Language) -> Reply:
    async def work(session: AsyncSession, who: Person, book: Phrasebook) -> str:
        round_ = await drafting.submit_to_troika(session, cid, who.move(ctx.time.now()))
        row = await load(session, cid)
        return book.troika_sent(id=row.id, round=round_, countries=row.troika)

    return await act(ctx, user, ppt_only("troika", work), consultation_id=cid, fallback=fallback)


async def send(ctx: BotContext, user: str, cid: str, fallback: Language) -> Reply:
    async def work(session: AsyncSession, who: Person, book: Phrasebook) -> str:
        version = await distribution.send(session, cid, who.move(ctx.time.now()))
        return book.sent(id=cid.upper(), deadline=_deadline(who, version.deadline_at, who.language))

    return await act(ctx, user, ppt_only("send", work), consultation_id=cid, fallback=fallback)


async def revise(
    ctx: BotContext, user: str, cid: str, text: Text, note: str, fallback: Language
) -> Reply:
    async def work(session: AsyncSession, who: Person, book: Phrasebook) -> str:
        version = await distribution.revise(session, cid, text, who.move(ctx.time.now()), note=note)
        if version.deadline_at is None:
            return book.draft_replaced(id=cid.upper())
        deadline = _deadline(who, version.deadline_at, who.language)
        return book.revised(id=cid.upper(), version=version.number, deadline=deadline)

    return await act(ctx, user, ppt_only("revise", work), consultation_id=cid, fallback=fallback)


async def extend(ctx: BotContext, user: str, cid: str, days: int, fallback: Language) -> Reply:
    async def work(session: AsyncSession, who: Person, book: Phrasebook) -> str:
        version = await distribution.extend(session, cid, days, who.move(ctx.time.now()))
        return book.extended(
            id=cid.upper(), deadline=_deadline(who, version.deadline_at, who.language)
        )

    return await act(ctx, user, ppt_only("extend", work), consultation_id=cid, fallback=fallback)


async def conclude(ctx: BotContext, user: str, cid: str, fallback: Language) -> Reply:
    async def work(session: AsyncSession, who: Person, book: Phrasebook) -> str:
        view = await closing.conclude(session, cid, who.move(ctx.time.now()))
        return book.concluded(id=view.consultation.id, outcome=view.consultation.outcome)

    return await act(ctx, user, ppt_only("conclude", work), consultation_id=cid, fallback=fallback)


async def withdraw(ctx: BotContext, user: str, cid: str, reason: str, fallback: Language) -> Reply:
    async def work(session: AsyncSession, who: Person, book: Phrasebook) -> str:
        await closing.withdraw(session, cid, who.move(ctx.time.now()), reason=reason)
        return book.withdrawn(id=cid.upper())

    return await act(ctx, user, ppt_only("withdraw", work), consultation_id=cid, fallback=fallback)


async def remind(ctx: BotContext, user: str, cid: str, fallback: Language) -> Reply:
    async def work(session: AsyncSession, who: Person, book: Phrasebook) -> str:
        reminded = await reminders.remind(session, cid, who.move(ctx.time.now()))
        if not reminded.countries:
            return book.nobody_to_remind(id=cid.upper())
        return book.reminded(id=cid.upper(), countries=reminded.countries)

    return await act(ctx, user, ppt_only("remind", work), consultation_id=cid, fallback=fallback)

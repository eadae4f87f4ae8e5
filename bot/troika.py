"""The Troika in chat: the draft with Approve / Request changes, and the PPT told of the result."""

import json
from datetime import datetime
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.acting import Refusal, Reply, Work, act, show
from bot.blocks import Block, button, section
from bot.context import BotContext
from bot.long_text import TextFile, text_blocks
from bot.people import Person
from bot.status_board import SEND
from bot.texts import Phrasebook, escape
from consultation import drafting
from consultation.moves import current_version, load, text_of
from consultation.permissions import Deed
from consultation.vocabulary import Language, TroikaStatus
from store import queries
from store.tables import CountryRow, OutboxRow

APPROVE, CHANGES, CHANGES_VIEW = "troika_approve", "troika_changes", "troika_changes"


async def direct_message(
    session: AsyncSession, row: OutboxRow, book: Phrasebook, language: Language, now: datetime
) -> tuple[list[Block], str, TextFile | None]:
    """The blocks and notification text of a queued direct message (``row.kind``), and the
    whole draft as a file when it is too long for one message."""
    assert row.consultation_id is not None
    consultation = await load(session, row.consultation_id)
    title = escape(consultation.title_es if language is Language.ES else consultation.title_en)
    round_ = int(row.payload.get("round", consultation.troika_round))
    if row.kind == "troika_ask":
        country = str(row.payload["country"])
        name = await _country_name(session, country, language)
        intro = book.troika_ask(id=consultation.id, title=title, round=round_, country=name)
        version = await current_version(session, consultation)
        draft = text_of(version).in_language(language)
        value = json.dumps({"c": consultation.id, "r": round_, "k": country})
        buttons = [
            button(book.approve(), APPROVE, value, "primary"),
            button(book.request_changes(), CHANGES, value, "danger"),
        ]
        shown, attached = text_blocks(
            draft, book, consultation_id=consultation.id, version=version.number, language=language
        )
        blocks = [section(intro), *shown]
        blocks.append({"type": "actions", "block_id": "troika_answer", "elements": buttons})
        return blocks, intro, attached
    if row.kind == "troika_agreed":
        text = book.troika_agreed(id=consultation.id, title=title)
        send = button(book.send_now(), SEND, json.dumps({"c": consultation.id}), "primary")
        return [section(text), {"type": "actions", "elements": [send]}], text, None
    if row.kind == "troika_returned":
        reviews = await queries.troika_reviews(session, consultation.id, round_)
        comments = [
            (r.country, escape(r.comment or ""))
            for r in reviews
            if r.status == TroikaStatus.CHANGES_REQUESTED.value
        ]
        text = book.troika_returned(id=consultation.id, title=title, comments=comments)
        return [section(text)], text, None
    raise ValueError(f"no Slack message for outbox kind {row.kind!r}")


def register(app: AsyncApp, ctx: BotContext) -> None:
    async def on_approve(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        value = json.loads(body["actions"][0]["value"])
        reply = await answer(ctx, body["user"]["id"], value, approve=True, comment=None)
        await show(client, body, reply)

    async def on_changes(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        value = json.loads(body["actions"][0]["value"])
        reply = await act(ctx, body["user"]["id"], _check_seat(value))
        if not reply.done:
            await show(client, body, reply)
            return
        book = ctx.phrases(reply.language)
        meta = {**value, "channel": body["channel"]["id"], "ts": body["message"]["ts"]}
        await client.views_open(
            trigger_id=body["trigger_id"], view=_changes_view(book, meta, value["k"])
        )

    async def on_changes_submitted(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, view: dict[str, Any]
    ) -> None:
        await ack()
        meta = json.loads(view["private_metadata"])
        comment = view["state"]["values"]["comment"]["value"]["value"] or ""
        reply = await answer(ctx, body["user"]["id"], meta, approve=False, comment=comment)
        # A view carries no message: the draft is drawn again under the answer.
        async with ctx.db.session() as session:
            blocks, *_ = await direct_message(
                session, _ask(meta), ctx.phrases(reply.language), reply.language, ctx.time.now()
            )
        message = {"ts": meta["ts"], "blocks": blocks}
        await show(client, {**body, "channel": {"id": meta["channel"]}, "message": message}, reply)

    app.action(APPROVE)(on_approve)
    app.action(CHANGES)(on_changes)
    app.view(CHANGES_VIEW)(on_changes_submitted)


async def answer(
    ctx: BotContext, user: str, value: dict[str, Any], *, approve: bool, comment: str | None
) -> Reply:
    """Only the country's own representatives, only in the current round, only once."""
    seat = _check_seat(value)

    async def work(session: AsyncSession, who: Person, book: Phrasebook) -> str:
        await seat(session, who, book)
        country = str(value["k"])
        try:
            await drafting.answer_troika(
                session,
                str(value["c"]),
                country=country,
                approve=approve,
                comment=comment,
                move=who.move(ctx.time.now()),
            )
        except drafting.AlreadyAnswered as exc:
            raise Refusal(book.already_answered(country=country)) from exc
        return book.troika_answered(
            country=country, approve=approve, who=escape(who.name), comment=escape(comment or "")
        )

    return await act(ctx, user, work, consultation_id=str(value["c"]))


def _ask(meta: dict[str, Any]) -> OutboxRow:
    return OutboxRow(
        dedupe_key="",
        created_at=datetime.min,
        channel="slack",
        kind="troika_ask",
        consultation_id=str(meta["c"]),
        payload={"round": meta["r"], "country": meta["k"]},
        next_attempt_at=datetime.min,
    )


def _check_seat(value: dict[str, Any]) -> Work:
    async def seat(session: AsyncSession, who: Person, book: Phrasebook) -> str:
        country = str(value["k"])
        if not who.may(Deed.ANSWER_FOR_TROIKA, country):
            raise Refusal(book.not_your_country(country=country))
        row = await load(session, str(value["c"]))
        if row.troika_round != int(value["r"]):  # an old round's buttons, replayed
            raise Refusal(book.round_over(id=row.id))
        return ""

    return seat


def _changes_view(book: Phrasebook, meta: dict[str, Any], country: str) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": CHANGES_VIEW,
        "private_metadata": json.dumps(meta),
        "title": {"type": "plain_text", "text": book.changes_title()[:24]},
        "submit": {"type": "plain_text", "text": book.submit()},
        "close": {"type": "plain_text", "text": book.cancel()},
        "blocks": [
            {
                "type": "input",
                "block_id": "comment",
                "label": {"type": "plain_text", "text": book.comment(country=country)},
                "element": {"type": "plain_text_input", "action_id": "value", "multiline": True},
            }
        ],
    }


async def _country_name(session: AsyncSession, code: str, language: Language) -> str:
    country = await session.get(CountryRow, code)
    if country is None:
        return code
    return country.name_es if language is Language.ES else country.name_en

"""The status message's buttons (Remind pending, Extend, Conclude, Send) and the App Home tab."""

import json
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot import forms, lifecycle
from bot.acting import Reply
from bot.blocks import Block, context, header, packed, section
from bot.commands import open_lines
from bot.context import BotContext
from bot.people import person
from bot.status_board import CONCLUDE, EXTEND, REMIND, SEND
from bot.texts import Phrasebook
from consultation.links import ConsoleLinks
from consultation.permissions import Deed


def register(app: AsyncApp, ctx: BotContext) -> None:
    async def on_remind(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await _tell(client, body, await lifecycle.remind(ctx, *_who_what(body), ctx.board_language))

    async def on_conclude(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        user, cid = _who_what(body)
        await _tell(client, body, await lifecycle.conclude(ctx, user, cid, ctx.board_language))

    async def on_send(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        user, cid = _who_what(body)
        await _tell(client, body, await lifecycle.send(ctx, user, cid, ctx.board_language))

    async def on_extend(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        user, cid = _who_what(body)
        async with ctx.db.session() as session:
            who = await person(session, user, fallback=ctx.board_language)
        book = ctx.phrases(who.language)
        if not who.in_roster or not who.may(Deed.STEER):
            refusal = book.not_ppt(command="extend") if who.in_roster else book.not_in_roster()
            await _tell(client, body, Reply(refusal, False, who.language))
            return
        meta = {"c": cid, "channel": body["channel"]["id"], "response_url": body["response_url"]}
        await client.views_open(trigger_id=body["trigger_id"], view=forms.extend_view(book, meta))

    async def on_home(event: dict[str, Any], client: AsyncWebClient) -> None:
        """Whoever opens the app's Home tab sees the open consultations, in their language."""
        async with ctx.db.session() as session:
            who = await person(session, event["user"], fallback=ctx.board_language)
            book = ctx.phrases(who.language)
            lines = await open_lines(session, book, who.language) if who.in_roster else []
        blocks = home(lines, book, ctx.links, in_roster=who.in_roster)
        await client.views_publish(user_id=event["user"], view={"type": "home", "blocks": blocks})

    app.action(REMIND)(on_remind)
    app.action(EXTEND)(on_extend)
    app.action(CONCLUDE)(on_conclude)
    app.action(SEND)(on_send)
    app.event("app_home_opened")(on_home)


# Characters of the Home tab's list: a view holds 100 blocks of up to 3,000 characters each, so
# about a thousand open consultations; past that the list says how many more and links.
HOME_BUDGET = 200_000


def home(
    lines: list[str], book: Phrasebook, links: ConsoleLinks | None, *, in_roster: bool
) -> list[Block]:
    """Every open consultation, one line each, in as many sections as it takes."""
    blocks = [header(book.home_title())]
    if not in_roster:
        return [*blocks, section(book.not_in_roster())]
    if not lines:
        return [*blocks, section(book.no_open())]
    url = links.board() if links is not None else ""
    blocks += packed(lines, budget=HOME_BUDGET, more=lambda n: book.home_more(n=n, url=url))
    if links is not None:
        blocks.append(context(book.home_console(url=url)))
    return blocks


def _who_what(body: dict[str, Any]) -> tuple[str, str]:
    return body["user"]["id"], str(json.loads(body["actions"][0]["value"])["c"])


async def _tell(client: AsyncWebClient, body: dict[str, Any], reply: Reply) -> None:
    """Only the clicker sees the answer; the status message itself updates from the outbox."""
    await client.chat_postEphemeral(
        channel=body["channel"]["id"], user=body["user"]["id"], text=reply.text
    )

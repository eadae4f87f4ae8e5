"""Modals for what does not fit on a command line: a new draft, a revised text, more days."""

import json
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import lifecycle, submitted
from bot.acting import Refusal, Reply, act
from bot.context import BotContext
from bot.people import Person, person
from bot.texts import Phrasebook
from consultation import drafting
from consultation.lifecycle import OPEN_STATES
from consultation.moves import current_version, load
from consultation.permissions import Deed
from consultation.texts import Text
from consultation.uploads import SUFFIXES
from consultation.vocabulary import Kind, Language
from store import queries

NEW, REVISE, EXTEND = "consultation_new", "consultation_revise", "consultation_extend"


async def open_form(
    ctx: BotContext,
    client: AsyncWebClient,
    name: str,
    args: list[str],
    body: dict[str, Any],
    fallback: Language,
) -> Reply | None:
    """Open the modal for ``new`` or ``revise``; a refusal instead when it is not the PPT."""
    async with ctx.db.session() as session:
        who = await person(session, body["user_id"], fallback=fallback)
        book = ctx.phrases(who.language)
        if not who.in_roster:
            return Reply(book.not_in_roster(), False, who.language)
        if not who.may(Deed.STEER):
            return Reply(book.not_ppt(command=name), False, who.language)
        meta: dict[str, Any] = {
            "channel": body.get("channel_id", ""),
            "response_url": body.get("response_url", ""),
        }
        if name == "new":
            view = new_view(book, meta)
        else:
            try:
                cid = await _only_or_named(session, args, book)
                row = await load(session, cid)
            except Refusal as refusal:
                return Reply(refusal.sentence, False, who.language)
            version = await current_version(session, row)
            view = revise_view(
                book, {**meta, "c": row.id}, version.paragraphs_es, version.paragraphs_en
            )
    await client.views_open(trigger_id=body["trigger_id"], view=view)
    return None


async def _only_or_named(session: AsyncSession, args: list[str], book: Phrasebook) -> str:
    if args:
        found = await queries.consultation(session, args[0].upper())
        if found is None:
            raise Refusal(book.not_found(id=args[0].upper()))
        return found.id
    open_ids = [
        c.id for c in await queries.consultations(session, states=[s.value for s in OPEN_STATES])
    ]
    if len(open_ids) != 1:
        raise Refusal(book.which_one(command="revise", ids=open_ids))
    return open_ids[0]


def register(app: AsyncApp, ctx: BotContext) -> None:
    async def _book(body: dict[str, Any]) -> Phrasebook:
        """A field error is said before the ack, in the language of whoever submitted."""
        async with ctx.db.session() as session:
            who = await person(session, body["user"]["id"], fallback=Language.ES)
        return ctx.phrases(who.language)

    async def _text_or_errors(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, view: dict[str, Any]
    ) -> Text | None:
        """The form's text (typed or a file), acknowledged; or None once the field's error has
        been shown in the form (nothing is created)."""
        try:
            text = await submitted.text(view, client, await _book(body))
        except submitted.FieldError as exc:
            await ack(response_action="errors", errors={exc.field: exc.message})
            return None
        await ack()
        return text

    async def on_new(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, view: dict[str, Any]
    ) -> None:
        values = submitted.values(view)
        text = await _text_or_errors(ack, body, client, view)
        if text is None:
            return
        draft = drafting.Draft(
            title_es=values.get("title_es") or "",
            title_en=values.get("title_en") or "",
            text=text,
            kind=Kind(values.get("kind") or Kind.STANDARD.value),
        )

        async def work(session: AsyncSession, who: Person, book: Phrasebook) -> str:
            row = await drafting.open_draft(session, draft, who.move(ctx.time.now()))
            return book.opened(id=row.id, paragraphs=draft.text.paragraph_count)

        reply = await act(ctx, body["user"]["id"], lifecycle.ppt_only("new", work))
        await tell(client, body, view, reply)

    async def on_revise(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, view: dict[str, Any]
    ) -> None:
        values = submitted.values(view)
        text = await _text_or_errors(ack, body, client, view)
        if text is None:
            return
        cid = json.loads(view["private_metadata"])["c"]
        note = values.get("note") or ""
        reply = await lifecycle.revise(ctx, body["user"]["id"], cid, text, note, Language.ES)
        await tell(client, body, view, reply)

    async def on_extend(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, view: dict[str, Any]
    ) -> None:
        days = (submitted.values(view).get("days") or "").strip()
        if not days.isdigit() or int(days) < 1:
            await ack(response_action="errors", errors={"days": "1, 2, 3…"})
            return
        await ack()
        cid = json.loads(view["private_metadata"])["c"]
        reply = await lifecycle.extend(ctx, body["user"]["id"], cid, int(days), Language.ES)
        await tell(client, body, view, reply)

    app.view(NEW)(on_new)
    app.view(REVISE)(on_revise)
    app.view(EXTEND)(on_extend)


async def tell(
    client: AsyncWebClient, body: dict[str, Any], view: dict[str, Any], reply: Reply
) -> None:
    """A form has no response_url of its own: answer through the command's (it works in any
    channel, the app a member or not), else ephemerally where the form was asked for, else in
    a direct message."""
    user = body["user"]["id"]
    meta = json.loads(view.get("private_metadata") or "{}")
    if meta.get("response_url"):
        webhook = AsyncWebhookClient(meta["response_url"])
        # From a button, Slack would replace the message unless told otherwise.
        answer = await webhook.send(
            text=reply.text, response_type="ephemeral", replace_original=False
        )
        if answer.status_code == 200:
            return
    if meta.get("channel"):
        try:
            await client.chat_postEphemeral(channel=meta["channel"], user=user, text=reply.text)
            return
        except SlackApiError:  # the app is not in that channel
            pass
    await client.chat_postMessage(channel=user, text=reply.text)


def new_view(book: Phrasebook, meta: dict[str, Any]) -> dict[str, Any]:
    kinds = [
        {"text": _plain(book.standard()), "value": Kind.STANDARD.value},
        {"text": _plain(book.urgent()), "value": Kind.URGENT.value},
    ]
    blocks = [
        _input("title_es", book.title_es()),
        _input("title_en", book.title_en(), optional=True),
        # Optional for Slack: the text may come as a file instead (see bot.submitted.text).
        _input("text_es", book.text_es(), multiline=True, optional=True),
        _upload("file_es", book.file_es()),
        _input("text_en", book.text_en(), multiline=True, optional=True),
        _upload("file_en", book.file_en()),
        {
            "type": "input",
            "block_id": "kind",
            "label": _plain(book.procedure()),
            "element": {
                "type": "radio_buttons",
                "action_id": "value",
                "options": kinds,
                "initial_option": kinds[0],
            },
        },
    ]
    return _modal(NEW, book.new_title(), book, meta, blocks)


def revise_view(
    book: Phrasebook, meta: dict[str, Any], es: list[str] | None, en: list[str] | None
) -> dict[str, Any]:
    blocks = [
        _input("text_es", book.text_es(), multiline=True, optional=True, initial=es),
        _upload("file_es", book.file_es()),
        _input("text_en", book.text_en(), multiline=True, optional=True, initial=en),
        _upload("file_en", book.file_en()),
        _input("note", book.note(), multiline=True, optional=True),
    ]
    return _modal(REVISE, book.revise_title(id=meta["c"]), book, meta, blocks)


def extend_view(book: Phrasebook, meta: dict[str, Any]) -> dict[str, Any]:
    days = {
        "type": "input",
        "block_id": "days",
        "label": _plain(book.days()),
        "element": {
            "type": "number_input",
            "action_id": "value",
            "is_decimal_allowed": False,
            "min_value": "1",
            "max_value": "30",
        },
    }
    return _modal(EXTEND, book.extend_title(), book, meta, [days])


def _modal(
    callback_id: str, title: str, book: Phrasebook, meta: dict[str, Any], blocks: list[Any]
) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": callback_id,
        "private_metadata": json.dumps(meta),
        "title": _plain(title[:24]),  # Slack's limit for a modal's title
        "submit": _plain(book.submit()),
        "close": _plain(book.cancel()),
        "blocks": blocks,
    }


def _input(
    block_id: str,
    label: str,
    *,
    multiline: bool = False,
    optional: bool = False,
    initial: list[str] | None = None,
) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": "value",
        "multiline": multiline,
    }
    text = "\n\n".join(initial or [])
    if text and len(text) <= 3000:  # Slack's limit; a longer text is never cut, only not shown
        element["initial_value"] = text
    return {
        "type": "input",
        "block_id": block_id,
        "optional": optional,
        "label": _plain(label),
        "element": element,
    }


def _upload(block_id: str, label: str) -> dict[str, Any]:
    """A text as a file: longer than a text box takes (3,000 characters), or kept in Word."""
    return {
        "type": "input",
        "block_id": block_id,
        "optional": True,
        "label": _plain(label),
        "element": {
            "type": "file_input",
            "action_id": "value",
            "filetypes": list(SUFFIXES),
            "max_files": 1,
        },
    }


def _plain(text: str) -> dict[str, str]:
    return {"type": "plain_text", "text": text}

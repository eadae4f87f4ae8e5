"""Focal points on Slack (for contacts with a Slack user id): the text with Approve, Object and
Propose amendments; the same rules as an emailed answer, through the same use case."""

import json
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.acting import Refusal, Reply, Work, act, show
from bot.blocks import Block, button, section
from bot.context import BotContext
from bot.long_text import TextFile, text_blocks
from bot.people import Person
from bot.texts import Phrasebook, escape
from consultation import answers, review
from consultation.answers import Answer, ProposedChange
from consultation.deadlines import render_deadline
from consultation.errors import SupersededVersion
from consultation.moves import load, text_of
from consultation.permissions import Deed
from consultation.vocabulary import AmendmentAction, Language, PositionValue, Role, SilenceRule
from store import queries
from store.tables import ContactRow, CountryRow, OutboxRow

ASK = "consult_ask"  # the Slack kind of the text sent to a focal point
APPROVE, OBJECT, AMEND, AMEND_VIEW = (
    "consult_approve",
    "consult_object",
    "consult_amend",
    "consult_amend",
)


async def consult_message(
    session: AsyncSession, row: OutboxRow, book: Phrasebook, contact: ContactRow
) -> tuple[list[Block], str, TextFile | None]:
    """The blocks, the notification text, and the whole text as a file when it is too long."""
    assert row.consultation_id is not None and contact.id is not None
    language = Language(contact.language)
    consultation = await load(session, row.consultation_id)
    version = await queries.version(session, consultation.id, int(row.payload["version"]))
    assert version is not None and version.deadline_at is not None
    country = await _country_of(session, contact.id)
    name = (country.name_es if language is Language.ES else country.name_en) if country else "?"
    intro = book.consult_ask(
        id=consultation.id,
        title=escape(consultation.title_es if language is Language.ES else consultation.title_en),
        version=version.number,
        country=name,
        days=version.days,
        deadline=render_deadline(version.deadline_at, timezone=contact.timezone, language=language),
        silence=consultation.silence_rule == SilenceRule.NO_OBJECTION.value,
    )
    if row.payload.get("reminder"):
        intro = f"{book.reminder()} {intro}"
    shown, attached = text_blocks(
        text_of(version).in_language(language),
        book,
        consultation_id=consultation.id,
        version=version.number,
        language=language,
    )
    found = [section(intro), *shown]
    if country is not None:
        value = json.dumps({"c": consultation.id, "v": version.number, "k": country.code})
        found.append(
            {
                "type": "actions",
                "block_id": "consult_answer",
                "elements": [
                    button(book.approve(), APPROVE, value, "primary"),
                    button(book.object(), OBJECT, value, "danger"),
                    button(book.propose_amendments(), AMEND, value),
                ],
            }
        )
    return found, intro, attached


def register(app: AsyncApp, ctx: BotContext) -> None:
    async def on_approve(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        value = json.loads(body["actions"][0]["value"])
        await show(
            client, body, await record(ctx, body["user"]["id"], value, PositionValue.APPROVE)
        )

    async def on_object(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        value = json.loads(body["actions"][0]["value"])
        await show(client, body, await record(ctx, body["user"]["id"], value, PositionValue.OBJECT))

    async def on_amend(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        value = json.loads(body["actions"][0]["value"])
        reply = await act(ctx, body["user"]["id"], _seat(value))
        if not reply.done:
            await show(client, body, reply)
            return
        meta = {**value, "channel": body["channel"]["id"], "ts": body["message"]["ts"]}
        view = _amend_view(ctx.phrases(reply.language), meta)
        await client.views_open(trigger_id=body["trigger_id"], view=view)

    async def on_amend_submitted(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, view: dict[str, Any]
    ) -> None:
        values = view["state"]["values"]
        number = (values["paragraph"]["value"].get("value") or "").strip()
        chosen = values["action"]["value"].get("selected_option")
        proposed = (values["proposed"]["value"].get("value") or "").strip() or None
        if not number.isdigit():
            await ack(response_action="errors", errors={"paragraph": "0, 1, 2…"})
            return
        await ack()
        meta = json.loads(view["private_metadata"])
        change = ProposedChange(AmendmentAction(chosen["value"]), int(number), proposed)
        reply = await record(ctx, body["user"]["id"], meta, PositionValue.AMEND, (change,))
        if not reply.done:
            await client.chat_postEphemeral(
                channel=meta["channel"], user=body["user"]["id"], text=reply.text
            )
            return
        await client.chat_postMessage(channel=meta["channel"], text=reply.text)

    app.action(APPROVE)(on_approve)
    app.action(OBJECT)(on_object)
    app.action(AMEND)(on_amend)
    app.view(AMEND_VIEW)(on_amend_submitted)


async def record(
    ctx: BotContext,
    user: str,
    value: dict[str, Any],
    position: PositionValue,
    changes: tuple[ProposedChange, ...] = (),
) -> Reply:
    """The country's position, like an emailed answer; a repeated identical one changes nothing."""
    seat = _seat(value)

    async def work(session: AsyncSession, who: Person, book: Phrasebook) -> str:
        await seat(session, who, book)
        cid, country, version = str(value["c"]), str(value["k"]), int(value["v"])
        latest = (await queries.latest_positions(session, cid, version)).get(country)
        if latest is not None and latest.value == position.value and not changes:
            raise Refusal(book.same_answer(country=country))
        if position is PositionValue.AMEND and latest is not None and latest.value == "amend":
            # Amendments proposed one form at a time add up: the latest answer is the one
            # that counts, so it carries the earlier ones too.
            assert latest.id is not None
            earlier = await queries.amendments_of(session, [latest.id])
            proposed = (
                *(
                    ProposedChange(AmendmentAction(a.action), a.paragraph, a.proposed)
                    for a in earlier
                ),
                *changes,
            )
        else:
            proposed = changes
        assert who.contact is not None
        answer = Answer(country, version, position, proposed, contact_id=who.contact.id)
        acting = who.move(ctx.time.now())
        try:
            recorded = await answers.record_answer(session, cid, answer, acting)
        except SupersededVersion as exc:
            raise Refusal(book.superseded(id=cid, version=exc.current)) from exc
        # The focal point's own answer, given in person, closes its held replies on this version.
        await review.settle_held(session, cid, country, version, acting, position=recorded)
        return book.answer_recorded(country=country, position=position.value, who=escape(who.name))

    return await act(ctx, user, work, consultation_id=str(value["c"]))


def _seat(value: dict[str, Any]) -> Work:
    async def seat(session: AsyncSession, who: Person, book: Phrasebook) -> str:
        country = str(value["k"])
        if not who.may(Deed.ANSWER_FOR_COUNTRY, country):
            raise Refusal(book.not_focal_point(country=country))
        return ""

    return seat


async def _country_of(session: AsyncSession, contact_id: int) -> CountryRow | None:
    for role in await queries.roles_of(session, contact_id):
        if role.role == Role.FOCAL_POINT.value and role.party:
            country = await session.get(CountryRow, role.party)
            if country is not None and country.status == "member":
                return country
    return None


def _amend_view(book: Phrasebook, meta: dict[str, Any]) -> dict[str, Any]:
    actions = [
        {"text": {"type": "plain_text", "text": book.action_name(value=a.value)}, "value": a.value}
        for a in AmendmentAction
    ]
    return {
        "type": "modal",
        "callback_id": AMEND_VIEW,
        "private_metadata": json.dumps(meta),
        "title": {"type": "plain_text", "text": book.amend_title()[:24]},
        "submit": {"type": "plain_text", "text": book.submit()},
        "close": {"type": "plain_text", "text": book.cancel()},
        "blocks": [
            _input("paragraph", book.paragraph(), {"type": "plain_text_input"}),
            _input(
                "action",
                book.amend_action(),
                {"type": "static_select", "options": actions, "initial_option": actions[0]},
            ),
            _input(
                "proposed",
                book.proposed_text(),
                {"type": "plain_text_input", "multiline": True},
                optional=True,
            ),
        ],
    }


def _input(block_id: str, label: str, element: dict[str, Any], *, optional: bool = False) -> Block:
    return {
        "type": "input",
        "block_id": block_id,
        "optional": optional,
        "label": {"type": "plain_text", "text": label},
        "element": {**element, "action_id": "value"},
    }

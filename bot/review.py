"""The review queue in chat: a reply the email front could not read with confidence, put to the
PPT and the ST with Confirm, Correct (a form) and Reject; the decision is recorded with who."""

import json
import re
from datetime import datetime
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.acting import Refusal, Reply, act, show
from bot.blocks import Block, button, context, excerpt, packed, section
from bot.context import BotContext
from bot.people import Person
from bot.texts import Phrasebook, escape
from consultation import held, review
from consultation.answers import ProposedChange
from consultation.errors import NotFound
from consultation.links import ConsoleLinks
from consultation.page_images import PageImage
from consultation.permissions import Deed
from consultation.vocabulary import AmendmentAction, Language, PositionValue
from store.tables import InboundMessageRow, OutboxRow

CONFIRM, CORRECT, REJECT, CORRECT_VIEW = (
    "review_confirm",
    "review_correct",
    "review_reject",
    "review_correct",
)
_QUOTE = 1500  # characters of the sender's own words; the whole message is in the console
_READING = 3000  # the reading and its amendments, each amendment's text in excerpt
_PROPOSED = 240
_LINE = re.compile(r"^(?P<sign>[+-]?)\s*(?P<n>\d+)\s*(?::\s*(?P<text>.*))?$")


async def review_message(
    session: AsyncSession,
    row: OutboxRow,
    book: Phrasebook,
    language: Language,
    *,
    links: ConsoleLinks | None = None,
) -> tuple[list[Block], str]:
    """The held reply in excerpts (what was read, the sender's words), with where to read it
    whole: the console's page for it, or the command line."""
    inbound = await session.get(InboundMessageRow, int(row.payload["inbound_id"]))
    if inbound is None:
        raise NotFound(f"inbound message {row.payload['inbound_id']} is gone")
    reading = inbound.reading or {}
    # Why it is held: the reader's doubts, and the hold's own reason when it is another (a
    # reused Message-ID, a message too complex or too slow to read, a failure).
    codes = [*(reading.get("review_reasons") or []), *(inbound.reason or "").split(",")]
    reasons = held.describe(",".join(codes), language)  # words, never a code
    intro = book.review_intro(
        sender=escape(inbound.sender or "?"),
        country=inbound.country or "",
        id=inbound.consultation_id or "",
        version=inbound.version or "",
        reasons=escape(reasons),
    )
    amendments = reading.get("amendments") or []
    lines = [
        book.review_read(
            position=reading.get("position"),
            amendments=len(amendments),
            extension=bool(reading.get("extension_requested")),
        )
    ]
    lines += [
        book.amendment(
            number=n,
            country=inbound.country or "",
            action=a["action"],
            paragraph=a["paragraph"],
            proposed=escape(excerpt(a.get("proposed"), _PROPOSED)),
        )
        for n, a in enumerate(amendments, start=1)
    ]
    more = lambda n: book.more_read(n=n)  # noqa: E731
    blocks: list[Block] = [section(intro), *packed(lines, budget=_READING, more=more)]
    own = " ".join(str(reading.get("own_text") or "").split())
    if own:
        blocks.append(section("> " + escape(excerpt(own, _QUOTE))))
    # Where to read it whole: always the console when there is one; otherwise the command
    # line, said when this message shows only part of it.
    cut = len(own) > _QUOTE or sum(len(line) + 1 for line in lines) > _READING
    cut = cut or any(len(a.get("proposed") or "") > _PROPOSED for a in amendments)
    if inbound.id is not None and (links is not None or cut):
        url = links.review(inbound.id) if links is not None else ""
        blocks.append(context(book.review_whole(url=url, number=inbound.id)))
    value = json.dumps({"i": inbound.id})
    buttons = [button(book.reject(), REJECT, value, "danger")]
    if inbound.consultation_id and inbound.country and inbound.version is not None:
        buttons = [
            button(book.confirm(), CONFIRM, value, "primary"),
            button(book.correct(), CORRECT, value, None),
            *buttons,
        ]
    blocks.append({"type": "actions", "block_id": "review", "elements": buttons})
    return blocks, intro


def page_comment(language: Language, page: PageImage) -> str:
    """Said with the page image a held scanned note is uploaded with, under its message."""
    if language is Language.ES:
        return (
            f"Primera página de {page.filename}, tal como llegó: compárela con el texto que "
            "leyó el servicio."
        )
    return (
        f"First page of {page.filename}, as it arrived: compare it with the text the service read."
    )


def register(app: AsyncApp, ctx: BotContext) -> None:
    async def on_confirm(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        inbound = int(json.loads(body["actions"][0]["value"])["i"])
        await show(
            client, body, await decide(ctx, body["user"]["id"], inbound, review.Decision.CONFIRM)
        )

    async def on_reject(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        inbound = int(json.loads(body["actions"][0]["value"])["i"])
        await show(
            client, body, await decide(ctx, body["user"]["id"], inbound, review.Decision.REJECT)
        )

    async def on_correct(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        reply = await act(ctx, body["user"]["id"], _staff_only)
        if not reply.done:
            await show(client, body, reply)
            return
        meta = {
            "i": int(json.loads(body["actions"][0]["value"])["i"]),
            "channel": body["channel"]["id"],
            "ts": body["message"]["ts"],
        }
        view = _correct_view(ctx.phrases(reply.language), meta)
        await client.views_open(trigger_id=body["trigger_id"], view=view)

    async def on_corrected(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, view: dict[str, Any]
    ) -> None:
        meta = json.loads(view["private_metadata"])
        values = view["state"]["values"]
        chosen = values["position"]["value"].get("selected_option")
        try:
            changes = parse_amendments(values["amendments"]["value"].get("value") or "")
        except ValueError as exc:
            await ack(response_action="errors", errors={"amendments": str(exc)})
            return
        await ack()
        position = PositionValue(chosen["value"]) if chosen else None
        reply = await decide(
            ctx, body["user"]["id"], int(meta["i"]), review.Decision.CORRECT, (position, changes)
        )
        async with ctx.db.session() as session:
            blocks, _ = await review_message(
                session,
                _notice(meta["i"]),
                ctx.phrases(reply.language),
                reply.language,
                links=ctx.links,
            )
        message = {"ts": meta["ts"], "blocks": blocks}
        await show(client, {**body, "channel": {"id": meta["channel"]}, "message": message}, reply)

    app.action(CONFIRM)(on_confirm)
    app.action(CORRECT)(on_correct)
    app.action(REJECT)(on_reject)
    app.view(CORRECT_VIEW)(on_corrected)


async def decide(
    ctx: BotContext,
    user: str,
    inbound_id: int,
    decision: review.Decision,
    correction: tuple[PositionValue | None, tuple[ProposedChange, ...]] | None = None,
) -> Reply:
    async def work(session: AsyncSession, who: Person, book: Phrasebook) -> str:
        await _staff_only(session, who, book)
        answer = None
        if correction is not None:
            row = await session.get(InboundMessageRow, inbound_id)
            if row is None:
                raise NotFound(f"there is no inbound message {inbound_id}")
            answer = review.corrected_answer(row, *correction)
        try:
            await review.decide(
                session, inbound_id, decision, who.move(ctx.time.now()), correction=answer
            )
        except review.AlreadyDecided as exc:
            raise Refusal(book.already_decided()) from exc
        return book.review_decided(decision=decision.value, who=escape(who.name))

    return await act(ctx, user, work)


async def _staff_only(session: AsyncSession, who: Person, book: Phrasebook) -> str:
    if not who.may(Deed.REVIEW):
        raise Refusal(book.not_staff())
    return ""


def parse_amendments(text: str) -> tuple[ProposedChange, ...]:
    """``2: text`` replaces ¶2, ``-3`` deletes ¶3, ``+0: text`` inserts at the start."""
    found = []
    for line in (raw.strip() for raw in text.splitlines()):
        if not line:
            continue
        match = _LINE.match(line)
        if match is None:
            raise ValueError(line)
        sign, number, proposed = match["sign"], int(match["n"]), (match["text"] or "").strip()
        if sign == "-" and not proposed:
            found.append(ProposedChange(AmendmentAction.DELETE, number))
        elif sign in ("", "+") and proposed:
            action = AmendmentAction.INSERT_AFTER if sign == "+" else AmendmentAction.REPLACE
            found.append(ProposedChange(action, number, proposed))
        else:
            raise ValueError(line)
    return tuple(found)


def _correct_view(book: Phrasebook, meta: dict[str, Any]) -> dict[str, Any]:
    options = [
        {"text": {"type": "plain_text", "text": book.standing(value=p.value)}, "value": p.value}
        for p in PositionValue
    ]
    return {
        "type": "modal",
        "callback_id": CORRECT_VIEW,
        "private_metadata": json.dumps(meta),
        "title": {"type": "plain_text", "text": book.review_title()[:24]},
        "submit": {"type": "plain_text", "text": book.submit()},
        "close": {"type": "plain_text", "text": book.cancel()},
        "blocks": [
            {
                "type": "input",
                "block_id": "position",
                "optional": True,
                "label": {"type": "plain_text", "text": book.review_position()},
                "element": {"type": "static_select", "action_id": "value", "options": options},
            },
            {
                "type": "input",
                "block_id": "amendments",
                "optional": True,
                "label": {"type": "plain_text", "text": book.review_amendments()},
                "element": {"type": "plain_text_input", "action_id": "value", "multiline": True},
            },
        ],
    }


def _notice(inbound_id: int) -> OutboxRow:
    return OutboxRow(
        dedupe_key="",
        created_at=datetime.min,
        channel="slack",
        kind=review.REVIEW_NOTICE,
        payload={"inbound_id": inbound_id},
        next_attempt_at=datetime.min,
    )

"""The Slack outbox: a 429 waits out Retry-After, a 5xx backs off, and the status message ends
up showing the latest state, posted once and then updated in place."""

import asyncio
import json
from datetime import timedelta
from typing import Any

import pytest
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import col, select, update

from bot.context import BotContext
from bot.outbox import SlackOutbox
from consultation import journal
from consultation.timesource import ManualTime
from consultation.vocabulary import Language, PositionValue
from store import queries
from store.database import Database
from store.tables import OutboxRow, SlackStatusMessageRow
from templates import environment
from tests.bot.conftest import CHANNEL, Front
from tests.databases import another_instance, same_schema
from tests.factories import answer, make_consultation
from tests.servers.slack_api import SlackApi

WAIT = 15.0


async def pending(db: Database) -> list[OutboxRow]:
    async with db.session() as session:
        query = select(OutboxRow).where(OutboxRow.channel == "slack", OutboxRow.status == "pending")
        return list((await session.exec(query.order_by(col(OutboxRow.id)))).all())


async def test_a_429_waits_for_retry_after_and_a_500_backs_off(
    front: Front, db: Database, time: ManualTime
) -> None:
    made = await make_consultation(db, time, seed=False)  # sent: the board has a lot to say
    front.api.fail("chat.postMessage", 429, retry_after=30)

    throttled = await front.drain()
    assert (throttled.sent, throttled.retrying, throttled.throttled) == (0, 1, True)
    [first, *rest] = await pending(db)
    assert first.kind == "status_board" and first.attempts == 1 and rest  # the others wait too
    assert first.next_attempt_at == time.now() + timedelta(seconds=30)
    assert first.last_error == "HTTP 429: ratelimited"

    time.advance(timedelta(seconds=29))
    assert (await front.drain()).throttled
    assert len(front.api.calls_of("chat.postMessage")) == 1  # only the refused call so far

    time.advance(timedelta(seconds=2))
    await front.drain()
    assert await pending(db) == []
    boards = [c for c in front.api.of("chat.postMessage") if c.args["channel"] == CHANNEL]
    assert len(boards) == 1  # posted once; the older refreshes were folded into it

    await answer(db, time, made.id, "GT", PositionValue.OBJECT)
    front.api.fail("chat.update", 500)
    failing = await front.drain()
    assert failing.retrying == 1 and failing.sent == 0
    [row] = [r for r in await pending(db) if r.kind == "status_board"]
    assert row.last_error == "HTTP 500: no error code"
    assert row.next_attempt_at == time.now() + timedelta(seconds=30)

    await answer(db, time, made.id, "MX", PositionValue.APPROVE)  # while the retry waits
    time.advance(timedelta(seconds=30))
    await front.drain()
    assert await pending(db) == []
    updates = [c for c in front.api.of("chat.update") if c.args["channel"] == CHANNEL]
    assert len(updates) == 1  # one update said both answers: the older refresh was superseded
    final = json.dumps(updates[0].args["blocks"], ensure_ascii=False)
    assert ":no_entry: *Guatemala* — objeta" in final
    assert ":white_check_mark: *México* — aprueba" in final
    async with db.session() as session:
        where = await session.get(SlackStatusMessageRow, made.id)
    assert where is not None and where.channel == CHANNEL and updates[0].args["ts"] == where.ts


async def test_two_senders_post_a_consultations_status_message_once(
    db: Database, time: ManualTime, api: SlackApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    if db.is_sqlite:
        pytest.skip("SQLite runs a single instance")
    made = await make_consultation(db, time)
    async with db.transaction() as session:  # only two refreshes of its status are left to send
        await session.exec(
            update(OutboxRow).where(col(OutboxRow.channel) == "slack").values(status="sent")
        )
        for event in (10_001, 10_002):
            assert await journal.queue_status_update(
                session, consultation_id=made.id, at=time.now(), event=event
            )

    # Each sender holds one of the two refreshes before either looks for the message: the
    # moment two senders would both find it unposted.
    both_claimed, claimed = asyncio.Barrier(2), []
    claim = queries.claim_outbox

    async def claim_then_meet(*args: Any, **kwargs: Any) -> OutboxRow | None:
        row = await claim(*args, **kwargs)
        if row is not None:
            claimed.append(row.id)
            if len(claimed) <= 2:
                async with asyncio.timeout(WAIT):
                    await both_claimed.wait()
        return row

    monkeypatch.setattr(queries, "claim_outbox", claim_then_meet)
    client = AsyncWebClient(token="xoxb-test-token", base_url=f"{api.base_url}api/")
    async with same_schema(db) as other:
        senders = [
            SlackOutbox(BotContext(database, time, environment(), CHANNEL, Language.ES), client)
            for database in (db, other)
        ]
        async with asyncio.timeout(WAIT):
            reports = await asyncio.gather(*(sender.drain() for sender in senders))

    assert len(set(claimed)) == 2
    assert [(r.sent, r.failed) for r in reports] == [(1, 0), (1, 0)]
    [post] = api.of("chat.postMessage")
    [refresh] = api.of("chat.update")
    assert post.args["channel"] == CHANNEL and refresh.args["channel"] == CHANNEL
    async with db.session() as session:
        where = await session.get(SlackStatusMessageRow, made.id)
    assert where is not None and where.ts == refresh.args["ts"]
    assert await pending(db) == []


async def test_no_transaction_stays_open_while_slack_is_slow(
    front: Front, db: Database, time: ManualTime
) -> None:
    await make_consultation(db, time, seed=False)
    gate = front.api.hold("chat.postMessage")
    draining = asyncio.create_task(front.outbox.drain(limit=1))
    async with asyncio.timeout(WAIT):  # the status message's post is in flight
        while not front.api.waiting("chat.postMessage"):
            await asyncio.sleep(0.01)
    async with another_instance(db) as other, asyncio.timeout(5):
        async with other.transaction() as session:  # on SQLite: not "database is locked"
            await session.exec(update(OutboxRow).values(last_error="touched meanwhile"))
            await session.exec(update(SlackStatusMessageRow).values(updated_at=time.now()))
    gate.set()
    report = await draining
    assert report.sent == 1 and len(front.api.of("chat.postMessage")) == 1

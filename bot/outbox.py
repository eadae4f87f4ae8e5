"""Drain the outbox's Slack notices: the status messages and direct messages, each sent once.

Like the email sender: one transaction per notice, the row locked while it is sent (``SKIP
LOCKED`` on PostgreSQL). A 429 waits as long as Slack's Retry-After says, a 5xx or a broken
connection backs off; the row stays pending until Slack accepts it. An error Slack will
repeat forever (``channel_not_found``, ``invalid_auth``…) fails the row and is recorded.
"""

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import focal_points, review, status_board, troika
from bot.context import BotContext
from consultation import journal
from consultation.review import REVIEW_NOTICE
from consultation.vocabulary import Language
from store import queries
from store.tables import ContactRow, OutboxRow, SlackStatusMessageRow

log = logging.getLogger(__name__)

FIRST_BACKOFF = timedelta(seconds=30)
MAX_BACKOFF = timedelta(minutes=30)
MAX_ATTEMPTS = 20  # about half a day of 5xx: then a human should look


@dataclass
class DrainReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    throttled: bool = False  # Slack said 429: nothing more is tried until its Retry-After


class _Permanent(Exception):
    """Retrying will not help: the notice fails and the failure is recorded."""


class _Transient(Exception):
    def __init__(self, reason: str, wait: timedelta | None = None) -> None:
        super().__init__(reason)
        self.wait = wait


class SlackOutbox:
    def __init__(self, ctx: BotContext, client: AsyncWebClient) -> None:
        self._ctx, self._client = ctx, client
        # Slack's rate limits are per method and workspace: after a 429 every call waits.
        self._paused_until: datetime | None = None

    async def drain(self, *, limit: int = 1000) -> DrainReport:
        report = DrainReport()
        for _ in range(limit):
            if self._paused_until is not None and self._ctx.time.now() < self._paused_until:
                report.throttled = True
                break
            claimed: int | None = None
            try:
                async with self._ctx.db.transaction() as session:
                    row = await queries.claim_outbox(session, "slack", self._ctx.time.now())
                    if row is None:
                        break
                    claimed = row.id
                    await self._attempt(session, row, report)
            except Exception as exc:  # noqa: BLE001 — the shunt: a human looks, the queue goes on
                if claimed is None:
                    raise
                log.exception("slack outbox %s could not be sent", claimed)
                await self._shunt(claimed, f"{type(exc).__name__}: {exc}", report)
        return report

    async def _shunt(self, row_id: int, reason: str, report: DrainReport) -> None:
        async with self._ctx.db.transaction() as session:
            row = await session.get(OutboxRow, row_id)
            if row is not None:
                await self._give_up(session, row, reason[:2000], report)

    async def run(self, stop: asyncio.Event, *, idle: float = 5.0) -> None:
        """Drain, then sleep until a move wakes us, ``idle`` passes or ``stop`` is set."""
        while not stop.is_set():
            self._ctx.wake.clear()
            await self.drain()
            waiters = [asyncio.ensure_future(e.wait()) for e in (stop, self._ctx.wake)]
            try:
                await asyncio.wait(waiters, timeout=idle, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiter in waiters:
                    waiter.cancel()

    async def _attempt(self, session: AsyncSession, row: OutboxRow, report: DrainReport) -> None:
        now = self._ctx.time.now()
        row.attempts += 1
        try:
            await self._deliver(session, row)
        except _Transient as exc:
            if row.attempts >= MAX_ATTEMPTS:
                await self._give_up(session, row, str(exc), report)
                return
            row.next_attempt_at = now + (exc.wait or _backoff(row.attempts))
            if exc.wait is not None:
                self._paused_until = row.next_attempt_at
            row.last_error = str(exc)
            session.add(row)
            report.retrying += 1
            return
        except SlackApiError as exc:
            await self._give_up(session, row, _describe(exc), report)
            return
        except _Permanent as exc:
            await self._give_up(session, row, str(exc), report)
            return
        row.status, row.sent_at, row.last_error = "sent", now, None
        session.add(row)
        report.sent += 1

    async def _deliver(self, session: AsyncSession, row: OutboxRow) -> None:
        if row.kind == journal.STATUS_BOARD:
            await self._board(session, row)
            return
        contact = await session.get(ContactRow, row.contact_id) if row.contact_id else None
        if contact is None or not contact.slack_user_id:
            raise _Permanent("the contact has no Slack user id any more")
        book = self._ctx.phrases(Language(row.language))
        language = Language(row.language)
        if row.kind == focal_points.ASK:
            blocks, text = await focal_points.consult_message(session, row, book, contact)
        elif row.kind == REVIEW_NOTICE:
            blocks, text = await review.review_message(session, row, book, language)
        else:
            blocks, text = await troika.direct_message(
                session, row, book, language, self._ctx.time.now()
            )
        await self._call(
            "chat_postMessage", channel=contact.slack_user_id, text=text, blocks=blocks
        )

    async def _board(self, session: AsyncSession, row: OutboxRow) -> None:
        """Post the status message once, then update it in place.

        The consultation's ``slack_status_message`` row is claimed first (inserted if missing,
        then locked), so two senders holding refreshes of one consultation take turns: the
        first posts, the second finds the message and updates it. Every other refresh queued
        for the consultation that no sender holds is then folded into this one *before* it is
        rendered: whatever they announce is already committed, so the render shows it; a move
        committed later queues a refresh of its own. Should this call fail, this row stays
        pending and renders afresh on retry.
        """
        assert row.consultation_id is not None
        now = self._ctx.time.now()
        posted = await _claim_board(session, row.consultation_id, now)
        held_elsewhere = (
            select(OutboxRow.id)
            .where(col(OutboxRow.id) != row.id, col(OutboxRow.status) == "pending")
            .where(col(OutboxRow.channel) == "slack", col(OutboxRow.kind) == journal.STATUS_BOARD)
            .where(col(OutboxRow.consultation_id) == row.consultation_id)
            .with_for_update(skip_locked=True)  # waiting on another sender's row could deadlock
        )
        await session.exec(
            update(OutboxRow)
            .where(col(OutboxRow.id).in_(held_elsewhere))
            .values(status="sent", sent_at=now, last_error=f"folded into outbox {row.id}")
        )
        language = self._ctx.board_language
        blocks, text = await status_board.board(
            session, row.consultation_id, self._ctx.phrases(language), language, now
        )
        if not posted.ts:
            answer = await self._call(
                "chat_postMessage", channel=self._ctx.status_channel, text=text, blocks=blocks
            )
            posted.channel, posted.ts = str(answer["channel"]), str(answer["ts"])
            posted.posted_at = now
        else:
            await self._call(
                "chat_update", channel=posted.channel, ts=posted.ts, text=text, blocks=blocks
            )
        posted.updated_at = now
        session.add(posted)

    async def _call(self, method: str, **arguments: Any) -> Any:
        try:
            return await getattr(self._client, method)(**arguments)
        except SlackApiError as exc:
            status = exc.response.status_code if exc.response is not None else 0
            if status == 429:
                raise _Transient(_describe(exc), _retry_after(exc)) from exc
            if status >= 500:
                raise _Transient(_describe(exc)) from exc
            raise
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise _Transient(f"{type(exc).__name__}: {exc}") from exc

    async def _give_up(
        self, session: AsyncSession, row: OutboxRow, reason: str, report: DrainReport
    ) -> None:
        row.status, row.last_error = "failed", reason
        session.add(row)
        report.failed += 1
        log.warning("slack outbox %s (%s) failed: %s", row.id, row.kind, reason)
        await journal.record_event(
            session,
            consultation_id=row.consultation_id,
            kind="slack_failed",
            actor="consulta",
            at=self._ctx.time.now(),
            payload={"outbox_id": row.id, "kind": row.kind, "reason": reason},
        )


async def _claim_board(
    session: AsyncSession, consultation_id: str, now: datetime
) -> SlackStatusMessageRow:
    """The consultation's status message row, locked for this transaction; an empty ``ts``
    means not posted yet. The insert waits for another sender's uncommitted one (PostgreSQL),
    so only one of them ever posts; SQLite's transactions take turns anyway."""
    table = SlackStatusMessageRow.__table__  # type: ignore[attr-defined]
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    await session.exec(
        insert(table)
        .values(consultation_id=consultation_id, channel="", ts="", posted_at=now, updated_at=now)
        .on_conflict_do_nothing(index_elements=["consultation_id"])
    )
    query = (
        select(SlackStatusMessageRow)
        .where(SlackStatusMessageRow.consultation_id == consultation_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.exec(query)).one()


def _retry_after(exc: SlackApiError) -> timedelta:
    """Slack's Retry-After is whole seconds; a missing or odd one waits a minute."""
    header = exc.response.headers.get("Retry-After", "") if exc.response is not None else ""
    seconds = int(header) if str(header).strip().isdigit() else 60
    return timedelta(seconds=max(seconds, 1))


def _backoff(attempts: int) -> timedelta:
    wait: timedelta = FIRST_BACKOFF * 2 ** min(attempts - 1, 16)
    return min(wait, MAX_BACKOFF)


def _describe(exc: SlackApiError) -> str:
    response = exc.response
    if response is None or not hasattr(response, "status_code"):
        return str(exc)
    error = response.get("error") if isinstance(response.data, dict) else None
    return f"HTTP {response.status_code}: {error or 'no error code'}"

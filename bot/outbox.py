"""Drain the outbox's Slack notices: the status messages and direct messages, each sent once.

Like the email sender: a notice is claimed (in flight, with a lease) in one short transaction,
sent with no transaction open, and its outcome recorded in another; a sender that died is
replaced when the lease runs out. A 429 waits as long as Slack's Retry-After says, a 5xx or a broken
connection backs off; the row stays pending until Slack accepts it. An error Slack will
repeat forever (``channel_not_found``, ``invalid_auth``…) fails the row and is recorded.
"""

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import focal_points, review, status_board, troika
from bot.context import BotContext
from bot.long_text import TextFile
from consultation import journal, page_images
from consultation.page_images import PageImage
from consultation.review import REVIEW_NOTICE
from consultation.vocabulary import Language
from store import queries
from store.database import unavailable
from store.tables import ContactRow, OutboxRow, SlackStatusMessageRow

log = logging.getLogger(__name__)

FIRST_BACKOFF = timedelta(seconds=30)
MAX_BACKOFF = timedelta(minutes=30)
MAX_ATTEMPTS = 20  # about half a day of 5xx: then a human should look
BOARD_WAIT = 30.0  # seconds a sender waits for another to finish with a status message


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


@dataclass(frozen=True)
class _Call:
    """One Web API call prepared in the claim's transaction and made after it committed."""

    row_id: int
    method: str = ""  # empty: nothing to call (settled already, or ``busy``)
    arguments: dict[str, Any] = field(default_factory=dict)
    board: str | None = None  # the consultation whose status message this call posts/updates
    busy: datetime | None = None  # another sender holds that status message until then
    page: PageImage | None = None  # a held scanned note's page: uploaded under the message
    page_comment: str = ""
    # A direct message's whole text, uploaded into its thread once the message is posted.
    attached: TextFile | None = None


class SlackOutbox:
    """Claim (one transaction), call Slack, record (another): no transaction waits on Slack."""

    def __init__(
        self, ctx: BotContext, client: AsyncWebClient, *, board_wait: float = BOARD_WAIT
    ) -> None:
        self._ctx, self._client = ctx, client
        self._board_wait = board_wait
        # Slack's rate limits are per method and workspace: after a 429 every call waits.
        self._paused_until: datetime | None = None

    async def drain(self, *, limit: int = 1000, stop: asyncio.Event | None = None) -> DrainReport:
        """Send what is due, up to ``limit`` calls, until ``stop`` is set: the service
        stops between two calls, not after a drain."""
        report = DrainReport()
        for _ in range(limit):
            if stop is not None and stop.is_set():
                break
            if self._paused_until is not None and self._ctx.time.now() < self._paused_until:
                report.throttled = True
                break
            claimed: list[int] = []
            try:
                call = await self._claim(claimed, report)
                if call is None:
                    break
                if call.busy is not None:
                    call = await self._after_board_is_free(call, report)
                if call.method:
                    await self._send(call, report)
            except Exception as exc:  # noqa: BLE001 — the shunt: a human looks, the queue goes on
                if not claimed or unavailable(exc):
                    raise
                log.exception("slack outbox %s could not be sent", claimed[0])
                await self._shunt(claimed[0], f"{type(exc).__name__}: {exc}", report)
        return report

    async def _claim(self, claimed: list[int], report: DrainReport) -> _Call | None:
        now = self._ctx.time.now()
        async with self._ctx.db.transaction() as session:
            row = await queries.claim_outbox(session, "slack", now)
            if row is None:
                return None
            assert row.id is not None
            claimed.append(row.id)
            return await self._prepare(session, row, now, report)

    async def _after_board_is_free(self, call: _Call, report: DrainReport) -> _Call:
        """Another sender is posting or updating this status message: wait for it (one
        HTTP call) and prepare afresh, so one message is posted and updates land in order.
        A holder that never finishes (a dead process) leaves the row to retry at its lease."""
        deadline = asyncio.get_running_loop().time() + self._board_wait
        while call.busy is not None and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.05)
            now = self._ctx.time.now()
            async with self._ctx.db.transaction() as session:
                row = await session.get(OutboxRow, call.row_id, populate_existing=True)
                assert row is not None
                call = await self._prepare(session, row, now, report)
        if call.busy is not None:
            await self._record_transient(
                call, _Transient("the status message is being sent by another sender"), report
            )
            return _Call(call.row_id)
        return call

    async def _prepare(
        self, session: AsyncSession, row: OutboxRow, now: datetime, report: DrainReport
    ) -> _Call:
        assert row.id is not None
        try:
            return await self._render(session, row, now)
        except _Permanent as exc:
            row.attempts += 1
            await self._give_up(session, row, str(exc), report)
            return _Call(row.id)

    async def _render(self, session: AsyncSession, row: OutboxRow, now: datetime) -> _Call:
        assert row.id is not None
        if row.kind == journal.STATUS_BOARD:
            return await self._board(session, row, now)
        contact = await session.get(ContactRow, row.contact_id) if row.contact_id else None
        if contact is None or not contact.slack_user_id:
            raise _Permanent("the contact has no Slack user id any more")
        book = self._ctx.phrases(Language(row.language))
        language = Language(row.language)
        attached: TextFile | None = None
        if row.kind == focal_points.ASK:
            blocks, text, attached = await focal_points.consult_message(session, row, book, contact)
        elif row.kind == REVIEW_NOTICE:
            blocks, text = await review.review_message(
                session, row, book, language, links=self._ctx.links
            )
            page = await page_images.page_image(session, int(row.payload["inbound_id"]))
            arguments = {"channel": contact.slack_user_id, "text": text, "blocks": blocks}
            comment = review.page_comment(language, page) if page else ""
            return _Call(row.id, "chat_postMessage", arguments, page=page, page_comment=comment)
        else:
            blocks, text, attached = await troika.direct_message(session, row, book, language, now)
        posted = row.payload.get("posted")
        if attached is not None and posted:  # the message went out; its file did not yet
            return _Call(row.id, "files_upload_v2", _upload(attached, posted))
        arguments = {"channel": contact.slack_user_id, "text": text, "blocks": blocks}
        return _Call(row.id, "chat_postMessage", arguments, attached=attached)

    async def _board(self, session: AsyncSession, row: OutboxRow, now: datetime) -> _Call:
        """Post the status message once, then update it in place.

        The consultation's ``slack_status_message`` row is claimed first (inserted if missing,
        then held with ``claimed_until``), so two senders holding refreshes of one
        consultation take turns: the first posts, the second waits, finds the message and
        updates it. Every other refresh queued for the consultation that no sender holds is
        then folded into this one *before* it is rendered: whatever they announce is already
        committed, so the render shows it; a move committed later queues a refresh of its
        own. Should the call fail, this row stays pending and renders afresh on retry.
        """
        assert row.consultation_id is not None and row.id is not None
        posted = await _claim_board(session, row.consultation_id, now)
        if posted.claimed_until is not None and posted.claimed_until > now:
            return _Call(row.id, board=row.consultation_id, busy=posted.claimed_until)
        posted.claimed_until = now + queries.OUTBOX_LEASE
        session.add(posted)
        held_elsewhere = (
            select(OutboxRow.id)
            .where(col(OutboxRow.id) != row.id, col(OutboxRow.status) == "pending")
            .where(col(OutboxRow.claimed_at).is_(None))  # not in another sender's hands
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
            session,
            row.consultation_id,
            self._ctx.phrases(language),
            language,
            now,
            links=self._ctx.links,
        )
        if not posted.ts:
            arguments = {"channel": self._ctx.status_channel, "text": text, "blocks": blocks}
            return _Call(row.id, "chat_postMessage", arguments, board=row.consultation_id)
        arguments = {"channel": posted.channel, "ts": posted.ts, "text": text, "blocks": blocks}
        return _Call(row.id, "chat_update", arguments, board=row.consultation_id)

    async def _send(self, call: _Call, report: DrainReport) -> None:
        try:
            answer = await self._call(call.method, **call.arguments)
            if call.attached is not None:
                where = {"channel": str(answer["channel"]), "ts": str(answer["ts"])}
                await self._posted(call.row_id, where)
                await self._call("files_upload_v2", **_upload(call.attached, where))
        except _Transient as exc:
            await self._record_transient(call, exc, report)
            return
        except SlackApiError as exc:
            await self._shunt(call.row_id, _describe(exc), report, board=call.board)
            return
        now = self._ctx.time.now()
        async with self._ctx.db.transaction() as session:
            row = await session.get(OutboxRow, call.row_id, populate_existing=True)
            assert row is not None
            row.attempts += 1
            row.status, row.sent_at, row.last_error, row.claimed_at = "sent", now, None, None
            session.add(row)
            if call.board is not None:
                posted = await _free_board(session, call.board)
                if posted is not None:
                    if not posted.ts:
                        posted.channel, posted.ts = str(answer["channel"]), str(answer["ts"])
                        posted.posted_at = now
                    posted.updated_at = now
        report.sent += 1
        if call.page is not None:
            await self._upload_page(call, answer)

    async def _upload_page(self, call: _Call, answer: Any) -> None:
        """The scanned page under the review message, in its thread. The message is out and
        recorded already: a failed upload is logged, never a reason to post it again (the
        page is also in the review email and the console)."""
        assert call.page is not None
        try:
            await self._call(
                "files_upload_v2",
                channel=str(answer["channel"]),
                thread_ts=str(answer["ts"]),
                file=call.page.png,
                filename=call.page.image_name,
                title=call.page.image_name,
                initial_comment=call.page_comment,
            )
        except (_Transient, SlackApiError, SlackRequestError) as exc:
            log.warning("slack outbox %s: the page image was not uploaded: %s", call.row_id, exc)

    async def _posted(self, row_id: int, posted: dict[str, str]) -> None:
        """The message is out: a retry only uploads its file, never posts it twice."""
        async with self._ctx.db.transaction() as session:
            row = await session.get(OutboxRow, row_id, populate_existing=True)
            assert row is not None
            row.payload = {**row.payload, "posted": posted}
            session.add(row)

    async def _record_transient(self, call: _Call, exc: _Transient, report: DrainReport) -> None:
        now = self._ctx.time.now()
        async with self._ctx.db.transaction() as session:
            row = await session.get(OutboxRow, call.row_id, populate_existing=True)
            assert row is not None
            if call.board is not None:
                await _free_board(session, call.board)
            row.attempts += 1
            if row.attempts >= MAX_ATTEMPTS:
                await self._give_up(session, row, str(exc), report)
                return
            row.next_attempt_at = now + (exc.wait or _backoff(row.attempts))
            if exc.wait is not None:
                self._paused_until = row.next_attempt_at
            row.last_error, row.claimed_at = str(exc), None
            session.add(row)
            report.retrying += 1

    async def _shunt(
        self, row_id: int, reason: str, report: DrainReport, *, board: str | None = None
    ) -> None:
        async with self._ctx.db.transaction() as session:
            row = await session.get(OutboxRow, row_id, populate_existing=True)
            if board is None and row is not None and row.kind == journal.STATUS_BOARD:
                board = row.consultation_id
            if board is not None:
                await _free_board(session, board)
            if row is not None:
                row.attempts += 1
                await self._give_up(session, row, reason[:2000], report)

    async def run(self, stop: asyncio.Event, *, idle: float = 5.0) -> None:
        """Drain, then sleep until a move wakes us, ``idle`` passes or ``stop`` is set.

        A database that cannot be reached (an outage, SQLite locked for too long) skips a
        round, logged, and waits longer each time (up to a minute): the notices stay in the
        outbox. Any other error still ends the loop."""
        failures = 0
        while not stop.is_set():
            self._ctx.wake.clear()
            wait = idle
            try:
                await self.drain(stop=stop)
                failures = 0
            except Exception as exc:
                if not unavailable(exc):
                    raise
                failures += 1
                wait = min(idle * 2**failures, 60.0)
                log.warning("slack outbox: database unavailable, next try in %.0fs: %s", wait, exc)
            waiters = [asyncio.ensure_future(e.wait()) for e in (stop, self._ctx.wake)]
            try:
                await asyncio.wait(waiters, timeout=wait, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiter in waiters:
                    waiter.cancel()

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
        except (aiohttp.ClientError, TimeoutError, SlackRequestError) as exc:
            # SlackRequestError: a file's upload step (files_upload_v2) was refused.
            raise _Transient(f"{type(exc).__name__}: {exc}") from exc

    async def _give_up(
        self, session: AsyncSession, row: OutboxRow, reason: str, report: DrainReport
    ) -> None:
        row.status, row.last_error, row.claimed_at = "failed", reason, None
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
    """The consultation's status message row, locked for this (short) transaction; an empty
    ``ts`` means not posted yet. The insert waits for another sender's uncommitted one
    (PostgreSQL), so the second sees the first's ``claimed_until``."""
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


async def _free_board(session: AsyncSession, consultation_id: str) -> SlackStatusMessageRow | None:
    posted = await session.get(SlackStatusMessageRow, consultation_id, populate_existing=True)
    if posted is not None:
        posted.claimed_until = None
        session.add(posted)
    return posted


def _upload(attached: TextFile, posted: dict[str, str]) -> dict[str, Any]:
    """``files_upload_v2`` into the direct message's thread, under the message it completes."""
    return {"channel": posted["channel"], "thread_ts": posted["ts"], **attached.arguments()}


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

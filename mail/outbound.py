"""Drain the outbox's email notices over SMTP: each sent once, retried with backoff, failures
recorded on the contact and reported to the PPT and the ST.

No transaction stays open while SMTP talks: a notice is *claimed* (marked in flight with a lease,
committed), composed, sent, then its outcome is recorded in a second transaction. Another
sender (a second instance on PostgreSQL) skips a claimed notice until its lease runs out, so a
sender that died mid-send is replaced, with the same Message-ID (the row's id names it).

What a refusal means depends on where it came (see `mail.smtp`):

- a 4xx at RCPT TO: that recipient is retried with backoff, `MAX_ATTEMPTS` times;
- a 5xx at RCPT TO: that address is marked failing (the PPT and the ST are told once); the
  contact's notices are held and tried on it once a day (`mail.failing`);
- a refusal of the *sender* (no connection, greeting, TLS, AUTH, MAIL FROM, DATA): no address
  is blamed and no attempt is counted. The outbox pauses (1 minute doubling to 30), the
  notice is tried again after the pause, the operator gets an ERROR log line each time and
  the ST at most one alert email a day (`sending_refused`), at once for a 5xx, after three
  refusals in a row otherwise: the relay's trouble can last hours, and one email a day says
  it without burying the ST; the log line is for monitoring.
"""

import asyncio
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from jinja2 import Environment
from sqlmodel.ext.asyncio.session import AsyncSession

from consultation import journal
from consultation.timesource import TimeSource
from consultation.vocabulary import Role
from mail import failing, tokens
from mail.compose import Composed, Identity, compose
from mail.fanout import Fanout
from mail.prefetch import Prefetched, prefetch
from mail.smtp import DeliveryResult, SmtpSender
from store import queries
from store.database import Database
from store.tables import ContactEmailRow, ContactRow, OutboxRow

log = logging.getLogger(__name__)
T = TypeVar("T")

# Waits between attempts for a temporary refusal: 1 min doubling to 2 h, about a day in all.
FIRST_BACKOFF = timedelta(minutes=1)
MAX_BACKOFF = timedelta(hours=2)
MAX_ATTEMPTS = 16
# Waits after the server refused the sender: short at first (a relay restarting), then calmer.
FIRST_PAUSE = timedelta(minutes=1)
MAX_PAUSE = timedelta(minutes=30)
SENDING_REFUSED = "sending_refused"
# The ST is told at once of a 5xx refusal of the sender (a blocklist, a policy: it will not fix
# itself in a minute), and of any other refusal once it has lasted this many tries in a row
# (1 + 2 minutes of pauses).
ALERT_AFTER = 3


@dataclass
class DrainReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    held: int = 0  # for an address that fails: kept, tried again at its next probe
    addresses_failing: list[str] = field(default_factory=list)
    refused: bool = False  # the server refused the sender: the outbox pauses


# Notices claimed in one transaction and recorded in another: a fan-out's statements and
# commits shared by twenty, while a stop still comes between two notices.
BATCH = 20


@dataclass(frozen=True)
class _Claimed:
    row_id: int
    composed: Composed | None  # None: settled without sending (held, or given up)


class EmailOutbox:
    """Sends due email notices: claim (one transaction), send, record (another)."""

    def __init__(
        self,
        db: Database,
        sender: SmtpSender,
        *,
        env: Environment,
        identity: Identity,
        time: TimeSource,
    ) -> None:
        self._db, self._sender, self._env = db, sender, env
        self._identity, self._time = identity, time
        self._paused_until: datetime | None = None
        self._refusals = 0  # sender refusals in a row: the pause doubles with each

    @property
    def paused_until(self) -> datetime | None:
        return self._paused_until

    async def drain(self, *, limit: int = 1000, stop: asyncio.Event | None = None) -> DrainReport:
        """Send what is due, up to ``limit`` notices (none while paused after a refusal),
        until ``stop`` is set: the service stops between two notices, not after a drain
        (docker-compose allows 30 s; a thousand notices to a slow relay take minutes).

        Notices are claimed `BATCH` at a time and their outcomes recorded together. Stopped,
        paused or cancelled, it records what was sent and releases the claims it did not use,
        so they go out at once on the next drain. Cancelled, it first finishes the notice in
        flight: a message the SMTP server has accepted is recorded as sent before the
        cancellation goes on, so a shutdown never leads to sending it again. (A kill before
        the batch's record still can; the retry then carries the same Message-ID, which mail
        clients collapse.)
        """
        report = DrainReport()
        fanout = Fanout()  # a version's notice rendered once for all its readers
        left = limit
        while left > 0:
            if stop is not None and stop.is_set():
                break
            if self._paused():
                report.refused = True
                break
            claiming = asyncio.ensure_future(self._claim(report, fanout, min(BATCH, left)))
            try:
                batch = await asyncio.shield(claiming)
            except asyncio.CancelledError:  # claimed meanwhile: released, not left leased
                await _finished(self._record_all(await claiming, [], report))
                raise
            if not batch:
                break
            left -= len(batch)
            await self._send_all(batch, report, stop)
        return report

    def _paused(self) -> bool:
        return self._paused_until is not None and self._time.now() < self._paused_until

    async def _send_all(
        self, batch: list[_Claimed], report: DrainReport, stop: asyncio.Event | None
    ) -> None:
        """Send a claimed batch one notice after another, then record it in one transaction
        (also when stopped, paused or cancelled between two notices)."""
        sent: list[tuple[_Claimed, DeliveryResult]] = []
        failing_now: set[str] = set()  # refused for good by this batch: not tried again in it
        try:
            for claimed in batch:
                composed = claimed.composed
                if composed is None:
                    continue
                if (stop is not None and stop.is_set()) or self._paused():
                    break
                if failing_now & set(composed.recipients):
                    continue  # released: composed anew, it leaves that address out
                # Shielded: a cancellation waits for the server's answer, which is recorded.
                result = await _finished(self._send(claimed, composed, sent))
                failing_now.update(result.permanent)
                if result.sender_refused:
                    break  # the outbox pauses (`_sender_refused`); the rest is released
        finally:
            await _finished(self._record_all(batch, sent, report))

    async def _send(
        self,
        claimed: _Claimed,
        composed: Composed,
        sent: list[tuple[_Claimed, DeliveryResult]],
    ) -> DeliveryResult:
        result = await self._sender.send_each(
            composed.message,
            composed.recipients,
            sender=_verp_sender(self._identity, claimed.row_id),
        )
        sent.append((claimed, result))
        return result

    async def _claim(self, report: DrainReport, fanout: Fanout, limit: int) -> list[_Claimed]:
        """Claim up to ``limit`` due notices and compose them, in one short transaction (an
        empty list: nothing is due)."""
        now = self._time.now()
        async with self._db.transaction() as session:
            rows = await queries.claim_outboxes(session, "email", now, limit=limit)
            found = await prefetch(session, rows)
            return [await self._compose(session, row, report, fanout, found) for row in rows]

    async def _compose(
        self,
        session: AsyncSession,
        row: OutboxRow,
        report: DrainReport,
        fanout: Fanout,
        found: Prefetched,
    ) -> _Claimed:
        assert row.id is not None
        now = self._time.now()
        composed = await compose(
            session,
            row,
            env=self._env,
            identity=self._identity,
            now=now,
            fanout=fanout,
            prefetched=found,
        )
        if composed is None:
            await self._hold_or_give_up(session, row, report)
            return _Claimed(row.id, None)
        for address in composed.recipients:  # a failing one is this notice's probe
            email = await session.get(ContactEmailRow, address)
            if email is not None and email.failing:
                email.probe_at = now + failing.PROBE_INTERVAL  # no other notice probes it
                session.add(email)
        return _Claimed(row.id, composed)

    async def _record_all(
        self,
        batch: list[_Claimed],
        sent: list[tuple[_Claimed, DeliveryResult]],
        report: DrainReport,
    ) -> None:
        """Each sent notice's outcome, and the release of the claims left unsent (due now,
        so the next drain, this instance's or another's, takes them at once)."""
        done = {claimed.row_id for claimed, _ in sent}
        unsent = [c.row_id for c in batch if c.composed is not None and c.row_id not in done]
        if not sent and not unsent:
            return
        now = self._time.now()
        async with self._db.transaction() as session:
            rows = await queries.outbox_rows(session, [*done, *unsent])
            accepted = [a for _, result in sent for a in result.accepted]
            emails = await queries.contact_emails(session, accepted)
            for claimed, result in sent:
                assert claimed.composed is not None
                row = rows[claimed.row_id]
                await self._record(session, row, claimed.composed, result, report, emails)
            for row_id in unsent:
                row = rows[row_id]
                row.claimed_at, row.next_attempt_at = None, now
                session.add(row)

    async def _hold_or_give_up(
        self, session: AsyncSession, row: OutboxRow, report: DrainReport
    ) -> None:
        """Every address of the contact fails: keep the notice until the next probe, or
        give it up once it is older than `failing.HOLD_LIMIT`."""
        now = self._time.now()
        probes = [
            failing.next_probe(e) for e in await queries.emails_of(session, row.contact_id or 0)
        ]
        due = min((p for p in probes if p is not None), default=None)
        if due is None or now - row.created_at >= failing.HOLD_LIMIT:
            reason = row.last_error or "no deliverable address left for this contact"
            await self._give_up(session, row, reason, report, alert=due is None)
            return
        row.claimed_at, row.next_attempt_at = None, max(due, now)
        session.add(row)
        report.held += 1

    async def _record(
        self,
        session: AsyncSession,
        row: OutboxRow,
        composed: Composed,
        result: DeliveryResult,
        report: DrainReport,
        emails: dict[str, ContactEmailRow],
    ) -> None:
        now = self._time.now()
        row.claimed_at = None
        delivered = [*row.payload.get("delivered_to", []), *result.accepted]
        row.payload = {**row.payload, "delivered_to": delivered}
        for address in result.accepted:
            await self._recovered(session, emails.get(address))
        for address in result.permanent:
            await self._mark_failing(session, row, address, result, report)
        if result.sender_refused:
            await self._sender_refused(session, row, result, report)
        elif result.transient:
            row.attempts += 1
            if row.attempts >= MAX_ATTEMPTS:
                await self._give_up(session, row, _describe(result), report)
                return
            row.next_attempt_at = now + _backoff(row.attempts)
            row.last_error = _describe(result, only=result.transient)
            report.retrying += 1
        elif delivered:
            self._refusals, self._paused_until = 0, None
            row.attempts += 1
            row.status, row.sent_at = "sent", now
            report.sent += 1
        else:  # every address refused at RCPT: held until the next probe
            row.attempts += 1
            if now - row.created_at >= failing.HOLD_LIMIT:
                await self._give_up(session, row, _describe(result), report, alert=False)
                return
            row.next_attempt_at = now + failing.PROBE_INTERVAL
            row.last_error = _describe(result)
            report.held += 1
        session.add(row)
        _log_outcome(row, result)
        if result.accepted:
            await journal.record_event(
                session,
                consultation_id=row.consultation_id,
                kind="email_sent",
                actor="consulta",
                at=now,
                payload={
                    "outbox_id": row.id,
                    "kind": row.kind,
                    "to": result.accepted,
                    "message_id": str(composed.message["Message-ID"]),
                },
            )

    async def _recovered(self, session: AsyncSession, email: ContactEmailRow | None) -> None:
        if email is not None and email.failing:
            released = await failing.clear(session, email, self._time.now())
            log.info(
                "address %s accepts mail again; %d held notice(s) released",
                email.address,
                released,
            )

    async def _sender_refused(
        self, session: AsyncSession, row: OutboxRow, result: DeliveryResult, report: DrainReport
    ) -> None:
        """The server refused us, not the recipients: pause, retry later, tell the operator."""
        now = self._time.now()
        self._refusals += 1
        pause = min(FIRST_PAUSE * 2 ** min(self._refusals - 1, 16), MAX_PAUSE)
        self._paused_until = row.next_attempt_at = now + pause
        reason = _describe(result, only=result.sender_refused)
        row.last_error = reason
        report.refused, report.retrying = True, report.retrying + 1
        for address in result.sender_refused:  # a probe that did not happen is due again
            email = await session.get(ContactEmailRow, address)
            if email is not None and email.failing:
                email.probe_at = row.next_attempt_at
                session.add(email)
        log.error(
            "the SMTP server refused the sender; sending paused for %s: %s",
            pause,
            reason,
            extra={"outbox": row.id, "until": self._paused_until.isoformat()},
        )
        code = next((r.code for r in result.results if r.code), None)
        if (code or 0) < 500 and self._refusals < ALERT_AFTER:
            return  # a 4xx or a dropped connection may be a relay restarting: the log says it
        await journal.queue_emails(
            session,
            kind=SENDING_REFUSED,
            contacts=await queries.contacts_with_role(session, Role.ST.value),
            consultation_id=None,
            at=now,
            key=f"sending-refused:{now.date().isoformat()}",  # at most one a day
            payload={"reason": reason, "code": code or 0, "since": now.isoformat()},
        )

    async def _mark_failing(
        self,
        session: AsyncSession,
        row: OutboxRow,
        address: str,
        result: DeliveryResult,
        report: DrainReport,
    ) -> None:
        email = await session.get(ContactEmailRow, address)
        if email is None:
            return
        refusal = result[address]
        reason = f"{refusal.code or ''} {refusal.message}".strip()
        newly = failing.mark(email, reason, self._time.now())
        session.add(email)
        if newly:
            report.addresses_failing.append(address)
            await self._alert(session, row, address, reason)

    async def _give_up(
        self,
        session: AsyncSession,
        row: OutboxRow,
        reason: str,
        report: DrainReport,
        *,
        alert: bool = True,
    ) -> None:
        row.status, row.last_error, row.claimed_at = "failed", reason, None
        session.add(row)
        report.failed += 1
        log.warning("outbox %s (%s) failed: %s", row.id, row.kind, reason)
        await journal.record_event(
            session,
            consultation_id=row.consultation_id,
            kind="email_failed",
            actor="consulta",
            at=self._time.now(),
            payload={"outbox_id": row.id, "kind": row.kind, "reason": reason},
        )
        if alert and row.kind != "delivery_failure":  # never alert about an alert: no loops
            await self._alert(session, row, None, reason)

    async def _alert(
        self, session: AsyncSession, row: OutboxRow, address: str | None, reason: str
    ) -> None:
        contact = await session.get(ContactRow, row.contact_id) if row.contact_id else None
        staff = await queries.contacts_with_role(session, Role.PPT.value)
        staff += await queries.contacts_with_role(session, Role.ST.value)
        await journal.queue_emails(
            session,
            kind="delivery_failure",
            contacts=staff,
            consultation_id=row.consultation_id,
            at=self._time.now(),
            key=f"outbox-{row.id}:{address or 'all'}",
            payload={
                "version": row.payload.get("version"),
                "failed_kind": row.kind,
                "contact": contact.name if contact else "?",
                "address": address or "",
                "reason": reason,
            },
        )


async def _finished(work: Coroutine[Any, Any, T]) -> T:
    """``work`` carried to its end even if the caller is cancelled meanwhile; the cancellation
    goes on once it is done (a send the server accepted, then its record, are never cut)."""
    task = asyncio.ensure_future(work)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        await task
        raise


def _log_outcome(row: OutboxRow, result: DeliveryResult) -> None:
    log.info(
        "email notice %s",
        row.status if row.status == "sent" else "to be retried",
        extra={
            "outbox": row.id,
            "kind": row.kind,
            "consultation": row.consultation_id,
            "accepted": len(result.accepted),
            "refused": len(result.permanent),
            "deferred": len(result.retryable),
        },
    )


def _backoff(attempts: int) -> timedelta:
    wait: timedelta = FIRST_BACKOFF * 2 ** min(attempts - 1, 16)
    return min(wait, MAX_BACKOFF)


def _describe(result: DeliveryResult, *, only: list[str] | None = None) -> str:
    """``addr: 550 No such user; …`` for every recipient, or for ``only`` those."""
    chosen = [r for r in result.results if only is None or r.recipient in only]
    return "; ".join(f"{r.recipient}: {r.code or ''} {r.message}".strip() for r in chosen)


def _verp_sender(identity: Identity, row_id: int) -> Callable[[str], str]:
    """Each recipient's envelope sender names this row and that address, signed (VERP): a bounce
    then proves which notice to which address failed (see `mail.bounces`)."""

    def sender(recipient: str) -> str:
        return tokens.verp_address(
            local=identity.reply_local,
            domain=identity.domain,
            row_id=row_id,
            recipient=recipient,
            secret=identity.secrets[0],
        )

    return sender

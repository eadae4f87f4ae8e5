"""Drain the outbox's email notices over SMTP: each sent once, retried with backoff, failures
recorded on the contact and reported to the PPT and the ST."""

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from jinja2 import Environment
from sqlmodel.ext.asyncio.session import AsyncSession

from consultation import journal
from consultation.timesource import TimeSource
from consultation.vocabulary import Role
from mail import tokens
from mail.compose import Identity, compose
from mail.smtp import DeliveryResult, SmtpSender
from store import queries
from store.database import Database
from store.tables import ContactEmailRow, ContactRow, OutboxRow

log = logging.getLogger(__name__)

# Waits between attempts for a temporary refusal: 1 min doubling to 2 h, about a day in all.
FIRST_BACKOFF = timedelta(minutes=1)
MAX_BACKOFF = timedelta(hours=2)
MAX_ATTEMPTS = 16


@dataclass
class DrainReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    addresses_failing: list[str] = field(default_factory=list)


class EmailOutbox:
    """Sends due email notices, one database transaction per notice.

    The row is locked while its message is sent (``SKIP LOCKED`` on PostgreSQL), so two
    instances never send the same notice; recipients already accepted are remembered on the
    row, so a retry goes only to those still missing.
    """

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

    async def drain(self, *, limit: int = 1000) -> DrainReport:
        """Send what is due, up to ``limit`` notices.

        Cancelled, it first finishes the notice in flight: a message the SMTP server has
        accepted is recorded as sent before the cancellation goes on, so a shutdown never
        leads to sending it again. (A kill between the server's acceptance and the commit
        still can; the retry then carries the same Message-ID, which mail clients collapse.)
        """
        report = DrainReport()
        for _ in range(limit):
            one = asyncio.ensure_future(self._next(report))
            try:
                more = await asyncio.shield(one)
            except asyncio.CancelledError:
                await one
                raise
            if not more:
                break
        return report

    async def _next(self, report: DrainReport) -> bool:
        async with self._db.transaction() as session:
            row = await queries.claim_outbox(session, "email", self._time.now())
            if row is None:
                return False
            await self._deliver(session, row, report)
            return True

    async def _deliver(self, session: AsyncSession, row: OutboxRow, report: DrainReport) -> None:
        now = self._time.now()
        composed = await compose(session, row, env=self._env, identity=self._identity, now=now)
        if composed is None:
            await self._give_up(
                session, row, "no deliverable address left for this contact", report
            )
            return
        result = await self._sender.send_each(
            composed.message, composed.recipients, sender=_verp_sender(self._identity, row)
        )
        delivered = [*row.payload.get("delivered_to", []), *result.accepted]
        row.payload = {**row.payload, "delivered_to": delivered}
        row.attempts += 1
        for address in result.permanent:
            await self._mark_failing(session, row, address, result, report)
        if result.transient and row.attempts < MAX_ATTEMPTS:
            row.next_attempt_at = now + _backoff(row.attempts)
            row.last_error = _describe(result, only=result.transient)
            report.retrying += 1
        elif delivered:
            row.status, row.sent_at = "sent", now
            report.sent += 1
        else:  # every address refused for good: the address alerts above already said so
            await self._give_up(session, row, _describe(result), report, alert=not result.permanent)
            return
        session.add(row)
        log.info(
            "email notice %s",
            row.status if row.status == "sent" else "to be retried",
            extra={
                "outbox": row.id,
                "kind": row.kind,
                "consultation": row.consultation_id,
                "accepted": len(result.accepted),
                "refused": len(result.permanent),
                "deferred": len(result.transient),
            },
        )
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

    async def _mark_failing(
        self,
        session: AsyncSession,
        row: OutboxRow,
        address: str,
        result: DeliveryResult,
        report: DrainReport,
    ) -> None:
        email = await session.get(ContactEmailRow, address)
        refusal = result[address]
        if email is not None and not email.failing:
            email.failing, email.failure, email.failed_at = (
                True,
                f"{refusal.code} {refusal.message}".strip(),
                self._time.now(),
            )
            session.add(email)
            report.addresses_failing.append(address)
            await self._alert(session, row, address, email.failure or "")

    async def _give_up(
        self,
        session: AsyncSession,
        row: OutboxRow,
        reason: str,
        report: DrainReport,
        *,
        alert: bool = True,
    ) -> None:
        row.status, row.last_error = "failed", reason
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


def _backoff(attempts: int) -> timedelta:
    wait: timedelta = FIRST_BACKOFF * 2 ** min(attempts - 1, 16)
    return min(wait, MAX_BACKOFF)


def _describe(result: DeliveryResult, *, only: list[str] | None = None) -> str:
    """``addr: 550 No such user; …`` for every recipient, or for ``only`` those."""
    chosen = [r for r in result.results if only is None or r.recipient in only]
    return "; ".join(f"{r.recipient}: {r.code or ''} {r.message}".strip() for r in chosen)


def _verp_sender(identity: Identity, row: OutboxRow) -> Callable[[str], str]:
    """Each recipient's envelope sender names this row and that address, signed (VERP): a bounce
    then proves which notice to which address failed (see `mail.bounces`)."""
    assert row.id is not None

    def sender(recipient: str) -> str:
        return tokens.verp_address(
            local=identity.reply_local,
            domain=identity.domain,
            row_id=row.id or 0,
            recipient=recipient,
            secret=identity.secrets[0],
        )

    return sender

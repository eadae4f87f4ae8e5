"""A bounce counts only when it answers our own sending: addressed to a valid VERP address of
ours, it marks failing exactly the address the signed token names, as its report's fields say.

Anyone can write "Undeliverable" and an `X-Failed-Recipients:` header; only we can sign the
envelope sender a notice went out with (`mail.tokens.verp_address`). So:

- verified, ``failed`` (5.x.x): the address is marked failing with the status and diagnostic,
  and the ST is alerted (``bounce_alert``);
- verified, ``delayed`` (4.x.x): a note ("delivery to X delayed"), at most one per address a day;
- verified, ``delivered``/``relayed``/``expanded`` (2.x.x): filed, nothing else;
- anything else that looks like a bounce: filed as an unverified bounce (a note in the ST's
  digest, no alert), logged, and never marks an address failing.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from email.message import EmailMessage

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from consultation import journal
from consultation.vocabulary import Role
from mail import tokens
from mail.compose import Identity
from mail.reading import kind
from mail.reading.delivery_report import DeliveryReport, guessed_action, read_report
from mail.reading.mime import collect
from store import queries
from store.tables import ContactEmailRow, EventRow, InboundMessageRow, OutboxRow

log = logging.getLogger(__name__)

# Where MTAs write the envelope recipient a report was delivered to (RFC 5321 §4.4 leaves it to
# them): Postfix and Dovecot LDA Delivered-To, Postfix X-Original-To, Exim Envelope-To.
_ENVELOPE_HEADERS = ("Delivered-To", "X-Original-To", "Envelope-To", "To")


@dataclass(frozen=True)
class Verp:
    """A VERP address of ours whose signature holds: the notice and the address it went to."""

    row: OutboxRow
    address: str


async def file_bounce(
    session: AsyncSession,
    inbound: InboundMessageRow,
    message: EmailMessage,
    *,
    identity: Identity,
    now: datetime,
) -> str:
    """Act on a message the reader took for a bounce; returns the reason kept on the row."""
    verp, problem = await find_verp(session, message, identity=identity)
    if verp is None:
        return await _unverified(session, inbound, message, problem, now=now)
    report = read_report(message)
    entry = report.about(verp.address)
    text = kind.notice_text(collect(inbound.raw))
    action = entry.action if entry else guessed_action(message, text)
    _cross_check(report, verp, inbound)
    if action == "failed":
        status = entry.status if entry else ""
        diagnostic = entry.diagnostic if entry else ""
        return await _failed(session, inbound, verp, f"{status} {diagnostic}".strip(), now=now)
    if action == "delayed":
        return await _delayed(session, inbound, verp, report, now=now)
    return f"delivered:{verp.address}"


async def find_verp(
    session: AsyncSession, message: EmailMessage, *, identity: Identity
) -> tuple[Verp | None, str]:
    """The first VERP address of ours in the envelope headers that a key signs, or why none."""
    problem = "no_verp_address"
    for name in _ENVELOPE_HEADERS:
        for value in message.get_all(name, []):
            for address in str(value).split(","):
                token = tokens.token_from_address(address, local=identity.reply_local)
                if token is None or not _our_domain(address, identity.domain):
                    continue
                found, problem = await _verified(session, token, identity, problem)
                if found is not None:
                    return found, ""
    return None, problem


async def _verified(
    session: AsyncSession, token: str, identity: Identity, problem: str
) -> tuple[Verp | None, str]:
    try:
        row = await session.get(OutboxRow, tokens.verp_row(token))
    except tokens.TokenMalformed:
        return None, problem  # a reply token, or mangled: not a VERP address
    candidates = await _addresses_of(session, row) if row is not None else []
    try:
        address = tokens.verp_recipient(token, candidates=candidates, secrets=identity.secrets)
    except tokens.TokenForged:
        return None, "bad_verp_signature"
    assert row is not None
    return Verp(row, address), ""


async def _addresses_of(session: AsyncSession, row: OutboxRow) -> list[str]:
    found = [str(a) for a in row.payload.get("delivered_to", [])]
    if row.address:
        found.append(row.address)
    if row.contact_id is not None:
        found += [e.address for e in await queries.emails_of(session, row.contact_id)]
    return list(dict.fromkeys(a.lower() for a in found))


def _our_domain(address: str, domain: str) -> bool:
    return address.strip().strip("<>").rpartition("@")[2].strip("> ").lower() == domain.lower()


def _cross_check(report: DeliveryReport, verp: Verp, inbound: InboundMessageRow) -> None:
    """The token decides; a report naming someone else is worth a line in the log."""
    named = report.addresses
    if named and verp.address not in named:
        log.info(
            "bounce report names other addresses than its VERP token",
            extra={"inbound": inbound.id, "token_address": verp.address, "named": list(named)},
        )


async def _failed(
    session: AsyncSession, inbound: InboundMessageRow, verp: Verp, failure: str, *, now: datetime
) -> str:
    email = await session.get(ContactEmailRow, verp.address)
    if email is None or email.failing:
        return f"failed:{verp.address}"
    email.failing, email.failure, email.failed_at = True, failure or "bounced", now
    session.add(email)
    marked = [email.address]
    payload = {"addresses": marked, "outbox_id": verp.row.id, "failure": email.failure}
    await journal.record_event(
        session,
        consultation_id=None,
        kind="address_bounced",
        actor="consulta",
        at=now,
        inbound_id=inbound.id,
        payload=payload | {"consultation": verp.row.consultation_id},
    )
    await journal.queue_emails(
        session,
        kind="bounce_alert",
        contacts=await queries.contacts_with_role(session, Role.ST.value),
        consultation_id=None,
        at=now,
        key=f"inbound-{inbound.id}",
        payload={"addresses": marked},
    )
    return f"failed:{verp.address}"


async def _delayed(
    session: AsyncSession,
    inbound: InboundMessageRow,
    verp: Verp,
    report: DeliveryReport,
    *,
    now: datetime,
) -> str:
    """A note, not a failure: the sending MTA is still trying. One per address a day."""
    if await _noted_today(session, "delivery_delayed", verp.address, now):
        return f"delayed_again:{verp.address}"
    entry = report.about(verp.address)
    await journal.record_event(
        session,
        consultation_id=None,
        kind="delivery_delayed",
        actor="consulta",
        at=now,
        inbound_id=inbound.id,
        payload={
            "address": verp.address,
            "consultation": verp.row.consultation_id,
            "outbox_id": verp.row.id,
            "status": entry.status if entry else "",
            "diagnostic": entry.diagnostic if entry else "",
        },
    )
    return f"delayed:{verp.address}"


async def _unverified(
    session: AsyncSession,
    inbound: InboundMessageRow,
    message: EmailMessage,
    problem: str,
    *,
    now: datetime,
) -> str:
    """Filed as a note for the ST, never acted upon: it does not answer our own sending."""
    claimed = list(read_report(message).addresses)[:20]
    log.warning(
        "bounce not addressed to a valid VERP address of ours: filed, no address marked",
        extra={"inbound": inbound.id, "problem": problem, "claimed": claimed},
    )
    await journal.record_event(
        session,
        consultation_id=None,
        kind="bounce_unverified",
        actor=inbound.sender or "?",
        at=now,
        inbound_id=inbound.id,
        payload={"problem": problem, "claimed": claimed, "sender": inbound.sender or ""},
    )
    return f"unverified:{problem}"


async def _noted_today(session: AsyncSession, kind_: str, address: str, now: datetime) -> bool:
    start = datetime.combine(now.date(), time.min, tzinfo=now.tzinfo)
    query = select(EventRow).where(EventRow.kind == kind_, col(EventRow.at) >= start)
    query = query.where(col(EventRow.at) < start + timedelta(days=1))
    return any(e.payload.get("address") == address for e in (await session.exec(query)).all())

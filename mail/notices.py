"""Who is told what about an inbound reply: once per message, in the reader's language (#14).

The rules, with the trust model of issue #13 (never write to someone we cannot trust to be who
they say; see `mail.inbound`):

- The PPT and the ST hear of every held reply that *proves* which consultation it answers (a
  signed token or a signed Message-ID; a subject tag alone reaches only the review queue), with
  the reason in words, the reading the service would record, and the sender's own words quoted
  when we can vouch for their author (a trusted sender, or an authenticated domain); otherwise
  the notice says the words are in the review queue, so that a leaked token cannot make the
  service mail any text to the PPT and the ST from its own address.
- The PPT hears of an objection as it is recorded from email, with the country's own words.
- A trusted sender (a registered focal point whose message passed every gate) whose reply is held
  is told it arrived, is not yet counted, why, and that the PPT and the ST will review it.
- A trusted sender answering version N while N+1 is open is told so, with N+1's deadline in their
  own zone; the notice's Reply-To is N+1's, so answering it answers the open version.
- An unregistered colleague (a valid proof of link, but a From that is not a focal point of that
  country): the country's registered focal points are told instead — who wrote on the country's
  behalf, and that it is held until a focal point answers or the PPT confirms it. The colleague is
  told only when the message is authenticated (a configured check passed), carries a valid proof,
  and comes from the domain of one of that country's registered focal points: then the address is
  the country's institution's, and a notice to it is no backscatter. Neither notice quotes the
  message (no relay for whoever holds a leaked token); the focal points' notice names the sender
  by address only, at most once a day per sender and consultation.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from consultation import journal
from consultation.vocabulary import Role
from mail import tokens
from mail.authentication import Verdict
from mail.reading.courtesy import without_closing
from store import queries
from store.tables import ContactRow, InboundMessageRow, OutboxRow

QUOTE_LIMIT = 1500  # characters of the sender's own words quoted to the PPT and the ST


def quoted(own_text: str, limit: int = QUOTE_LIMIT) -> str:
    """The sender's words, cut at a paragraph or sentence end near ``limit`` (never mid-word)."""
    blocks = without_closing(own_text).split("\n\n")
    text = "\n\n".join(" ".join(block.split()) for block in blocks if block.strip())
    if len(text) <= limit:
        return text
    cut = text[:limit]
    for mark in ("\n\n", ". ", "; ", " "):
        at = cut.rfind(mark)
        if at > limit // 2:
            return cut[: at + (1 if mark.startswith(".") else 0)].rstrip() + " […]"
    return cut.rstrip() + " […]"


async def answers_receipt(
    session: AsyncSession, in_reply_to: list[str], *, domain: str, secrets: Sequence[bytes]
) -> bool:
    """In-Reply-To names one of our signed Message-IDs, and that message was a receipt."""
    for mid in in_reply_to:
        row_id = tokens.outbox_row_of(mid.strip(), domain=domain, secrets=secrets)
        if row_id is not None:
            sent = await session.get(OutboxRow, row_id)
            return sent is not None and sent.kind == "answer_recorded"
    return False


def reading_payload(row: InboundMessageRow, *, quote: bool = True) -> dict[str, Any]:
    """What the reader made of the message, as the notices show it; without ``quote``, the
    sender's words are left out (and the notice says where to read them)."""
    reading = row.reading or {}
    words = quoted(str(reading.get("own_text") or "")) if quote else ""
    return {
        "own_words": words,
        "words_withheld": not quote and bool(reading.get("own_text")),
        "position": reading.get("position"),
        "amendments": list(reading.get("amendments") or []),
        "extension_requested": bool(reading.get("extension_requested")),
        "note_verbale": reading.get("note_verbale"),
    }


async def flag_to_staff(
    session: AsyncSession,
    row: InboundMessageRow,
    *,
    consultation_id: str,
    version: int,
    country: str | None,
    reason: str,
    at: datetime,
    quote: bool,
) -> None:
    """A held reply, to the PPT and the ST: recorded as an event, then one email each; the
    sender's words only when ``quote`` (we can vouch for their author)."""
    await journal.record_event(
        session,
        consultation_id=consultation_id,
        kind="reply_flagged",
        actor=row.sender or "?",
        at=at,
        inbound_id=row.id,
        payload={"country": country, "version": version, "reason": reason},
    )
    staff = await queries.contacts_with_role(session, Role.PPT.value)
    staff += await queries.contacts_with_role(session, Role.ST.value)
    await journal.queue_emails(
        session,
        kind="reply_flagged",
        contacts=staff,
        consultation_id=consultation_id,
        at=at,
        key=f"inbound-{row.id}",
        payload={
            "version": version,
            "country": country,
            "sender": row.sender,
            "reason": reason,
            "inbound_id": row.id,
        }
        | reading_payload(row, quote=quote),
    )


async def tell_objection(
    session: AsyncSession, row: InboundMessageRow, *, consultation_id: str, at: datetime
) -> None:
    """An objection recorded from email, to the PPT, with the country's own words."""
    await journal.queue_emails(
        session,
        kind="objection_received",
        contacts=await queries.contacts_with_role(session, Role.PPT.value),
        consultation_id=consultation_id,
        at=at,
        key=f"inbound-{row.id}",
        payload={
            "version": row.version,
            "country": row.country,
            "sender": row.sender,
            "inbound_id": row.id,
        }
        | reading_payload(row),
    )


async def tell_held(
    session: AsyncSession,
    row: InboundMessageRow,
    contact: ContactRow,
    *,
    consultation_id: str,
    reason: str,
    at: datetime,
) -> None:
    """The trusted sender of a held reply: received, not counted yet, why, what happens next."""
    await journal.queue_emails(
        session,
        kind="reply_held",
        contacts=[contact],
        consultation_id=consultation_id,
        at=at,
        key=f"inbound-{row.id}",
        payload={"version": row.version, "country": row.country, "reason": reason},
    )


async def tell_late(
    session: AsyncSession,
    row: InboundMessageRow,
    contact: ContactRow,
    *,
    consultation_id: str,
    answered: int,
    current: int,
    at: datetime,
) -> None:
    """A trusted answer to version ``answered`` while ``current`` is open. The notice is about
    ``current`` (its deadline, its Reply-To), so answering it answers the open version."""
    await journal.queue_emails(
        session,
        kind="late_answer",
        contacts=[contact],
        consultation_id=consultation_id,
        at=at,
        key=f"inbound-{row.id}",
        payload={"version": current, "answered_version": answered, "country": row.country},
    )


async def tell_about_colleague(
    session: AsyncSession,
    row: InboundMessageRow,
    *,
    consultation_id: str,
    version: int,
    country: str,
    address: str,
    verdict: Verdict,
    language: str,
    at: datetime,
) -> None:
    """An unregistered colleague's proven reply: the country's focal points are told, and the
    colleague too when the module's three conditions hold."""
    focal_points = await queries.contacts_with_role(session, Role.FOCAL_POINT.value, party=country)
    day = at.date().isoformat()
    payload = {"version": version, "country": country, "sender": address, "inbound_id": row.id}
    await journal.queue_emails(
        session,
        kind="colleague_reply",
        contacts=focal_points,
        consultation_id=consultation_id,
        at=at,
        key=f"{consultation_id}:{address}:{day}",
        payload=payload,
    )
    if verdict.authenticated and await _institutional(session, focal_points, address):
        await journal.queue_email_to_address(
            session,
            kind="colleague_held",
            address=address,
            language=language,
            at=at,
            key=f"colleague_held:{address}:{day}",
            payload=payload,
            consultation_id=consultation_id,
        )


async def _institutional(
    session: AsyncSession, focal_points: list[ContactRow], address: str
) -> bool:
    """The address is at the domain of one of the country's registered focal points."""
    domain = address.rpartition("@")[2].lower()
    for contact in focal_points:
        if not contact.active or contact.id is None:
            continue
        for email in await queries.emails_of(session, contact.id):
            if email.address.rpartition("@")[2].lower() == domain:
                return True
    return False

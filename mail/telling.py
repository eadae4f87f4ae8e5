"""Who hears of one stored message, and what it is held as (``mail.processing`` decides, in the
message's transaction, and calls this).

Telling people (issue #14; the notices and their rules are in ``mail.notices``). Every held
reply that proves its consultation reaches the PPT and the ST with the sender's words, the
reason and the reading; a trusted sender whose reply is held, or who answered a replaced
version, is told (once per message); an objection reaches the PPT as it is recorded. An
unregistered colleague with a valid proof is not written to: the country's registered focal
points are told instead, and the colleague only when the message is authenticated, carries the
proof, and comes from the domain of one of that country's registered focal points. A courtesy
("gracias", "recibido", "noted") with nothing else in it is filed (status ``courtesy``): no
review, no email.
"""

from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import parseaddr

from sqlmodel.ext.asyncio.session import AsyncSession

from consultation import journal
from mail import notices
from mail.matching import Match
from store.tables import ContactRow, InboundMessageRow


@dataclass(frozen=True)
class Outcome:
    status: str  # recorded | review | superseded | late | auto_reply | bounce | other | dropped
    reason: str | None = None


class Telling:
    """Holding one message for a person, and telling the staff and the sender about it."""

    def __init__(
        self, session: AsyncSession, row: InboundMessageRow, now: datetime, message: EmailMessage
    ) -> None:
        self.session, self.row, self.now, self.message = session, row, now, message
        self.vouched = False  # whether we can vouch for the author of the words (see `flag`)

    def held(self, reason: str, match: Match | None) -> Outcome:
        """Held without a word to the sender; a hint still says which consultation it concerns
        (never which country: only a proof names one)."""
        if match is not None:
            self.row.consultation_id, self.row.version = match.consultation_id, match.version
            if match.proven:
                self.row.country = match.country
        return Outcome("review", reason)

    async def tell_held(self, contact: ContactRow | None, match: Match, reasons: str) -> None:
        """The sender passed every trust gate to get here; a machine is never answered."""
        if contact is not None and not automatic(self.message):
            await notices.tell_held(
                self.session,
                self.row,
                contact,
                consultation_id=match.consultation_id,
                reason=reasons,
                at=self.now,
            )

    async def flag(self, match: Match, reason: str) -> None:
        """Tell the PPT and the ST a reply needs a human: kept in the record, not in the tally.
        The sender's words are quoted only when we can vouch for who wrote them (a trusted
        sender, or an authenticated domain): else anyone holding a leaked token could make us
        mail any text to the PPT and the ST from our own address."""
        await notices.flag_to_staff(
            self.session,
            self.row,
            consultation_id=match.consultation_id,
            version=match.version,
            country=match.country,
            reason=reason,
            at=self.now,
            quote=self.vouched,
        )

    async def refuse(
        self, reason: str, match: Match | None, contact: ContactRow | None, *, answer: bool
    ) -> Outcome:
        """Held. The PPT hears of it by email when it proves which consultation it answers (a
        hint alone only reaches the review queue: anyone can type one, and mail to the PPT per
        forged message would be a relay of its own). The sender is told only when trusted
        (never a bounce or an auto-reply: those never reach here)."""
        outcome = self.held(reason, match)
        if match is not None and match.proven:
            await self.flag(match, reason)
        # Never to a machine (RFC 3834 §2): a gateway's auto-reply would answer ours, forever.
        if answer and contact is not None and not automatic(self.message):
            await self.tell_sender(reason, contact, match)
        return outcome

    async def tell_sender(
        self, reason: str, contact: ContactRow, match: Match | None, **details: object
    ) -> None:
        """At most one rejection per address per day, whatever the reason, to the roster
        address the message came from; it never quotes the message (no relay for a forger)."""
        address = self.row.sender or ""
        day = self.now.date().isoformat()
        await journal.queue_email_to_address(
            self.session,
            kind="rejection",
            address=address,
            language=contact.language,
            at=self.now,
            key=f"rejection:{address}:{day}",
            payload={
                "reason": reason,
                "consultation": match.consultation_id if match and match.proven else None,
                **details,
            },
        )


def automatic(message: EmailMessage) -> bool:
    """Sent by a machine, judging by the header alone (RFC 3834, RFC 3464): never answered."""
    auto = str(message.get("Auto-Submitted", "no")).strip().lower()
    return (
        auto != "no"
        or message.get_content_type() == "multipart/report"
        or str(message.get("Return-Path", "")).strip() == "<>"
        or parseaddr(str(message.get("From", "")))[1].lower().startswith("mailer-daemon@")
    )

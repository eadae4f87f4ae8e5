"""The decisions on one stored message, in one transaction: who sent it, what it answers,
whether it counts, and who is told (``mail.inbound`` stores, reads and calls this).

Trust (issue #13). An answer counts only when all of these hold, else it is held with a reason
(``consultation.held`` has the words):

1. the From header names exactly one mailbox, read strictly (``mail.sender``);
2. the message proves it answers our mail to a country: a signed reply token, or a reference to
   one of our Message-IDs whose nonce carries a tag we verify (``mail.matching``); a subject tag
   or an unsigned Message-ID is only a hint of which consultation it concerns;
3. the sender is a registered, active focal point (or Troika seat) of the country the proof
   names;
4. when authentication is configured, the From domain is authenticated (``mail.authentication``).
   When it is not ("no authentication available"), 1–3 decide alone: the service then trusts
   the secrecy of the token and of our Message-IDs, which only that country's focal points got.

We never write to someone we cannot trust to be who they say (no backscatter): a rejection goes
only to a registered address whose message passed authentication (or, without authentication,
carried a proof naming that address's country), at most once a day, and never quotes the
message. Out-of-office notes reach the board on the same condition.

Who is told, and how a held message is tied to its consultation: ``mail.telling``; how a
trusted answer is written through the procedure: ``mail.recording``.
"""

import asyncio
import logging
from email.message import EmailMessage

from sqlmodel.ext.asyncio.session import AsyncSession

from consultation import journal
from consultation.texts import Text
from consultation.timesource import TimeSource
from consultation.vocabulary import Language, Role, State
from mail import bounces, notices
from mail.authentication import AuthenticationConfig, Verdict, verify
from mail.compose import Identity
from mail.lookups import Lookups, NoLookups
from mail.matching import Match, Matching, match_message
from mail.parsing import parse_header, parse_whole
from mail.reading import Reading, read_reply
from mail.reading.courtesy import is_courtesy
from mail.reading.record import linked, reading_record
from mail.recording import Recording
from mail.sender import Sender, header_values, read_sender
from mail.telling import Outcome, Telling, automatic
from store import queries
from store.tables import ContactRow, InboundMessageRow, InboundPageImageRow

log = logging.getLogger(__name__)


class Processing:
    """One message's way through matching, trust, reading and recording."""

    def __init__(
        self,
        session: AsyncSession,
        row: InboundMessageRow,
        identity: Identity,
        time: TimeSource,
        authentication: AuthenticationConfig,
        *,
        reading: Reading | None = None,
        verdict: Verdict | None = None,
        lookups: Lookups | None = None,
        header: EmailMessage | None = None,
        sender: Sender | None = None,
        matching: Matching | None = None,
    ) -> None:
        self.session, self.row, self.identity = session, row, identity
        self.lookups = lookups or NoLookups()
        self.now = time.now()
        self.authentication = authentication
        self.message = header if header is not None else parse_header(row.raw)
        self.telling = Telling(session, row, self.now, self.message)
        # Read and authenticated beforehand, outside the transaction (`Inbox.process`): DKIM's
        # DNS lookups, like the reader, must not hold the database's write lock.
        self.reading, self.verdict = reading, verdict
        # Pure functions of the header, kept from the reader's preparation when it read them.
        self._sender, self._matching = sender, matching

    async def run(self, *, limit: int) -> Outcome:
        sender = self.sender()
        self.row.sender = sender.shown
        if sender.address and self._ours(sender.address):
            return Outcome("dropped", "loop")  # our own mail coming back: never answer it
        if self.row.header_only:
            return await self._too_large(limit, sender)
        matching = self._match()
        contact = await self._contact(sender)
        match = await self._complete(matching.match, contact)
        reading = self.reading or read_reply(self.row.raw, await self._paragraphs(match, contact))
        if match is not None and match.proven:
            reading = linked(reading)
        self.row.reading = reading_record(reading)
        await self._keep_page_image(reading)
        if reading.kind == "bounce":
            return await self._bounce(reading)
        verdict = await self._authenticate(sender)
        self.row.reading = self.row.reading | {"authentication": verdict.detail or "pass"}
        trusted = await self._trusted(contact, match, verdict)
        self.telling.vouched = trusted or verdict.authenticated
        if reading.kind == "auto_reply":
            return await self._out_of_office(match, contact, reading, trusted=trusted)
        if reading.kind == "other":
            return Outcome("other", "not_a_reply")
        return await self._decide(sender, matching, match, contact, verdict, trusted, reading)

    async def _decide(
        self,
        sender: Sender,
        matching: Matching,
        match: Match | None,
        contact: ContactRow | None,
        verdict: Verdict,
        trusted: bool,
        reading: Reading,
    ) -> Outcome:
        """The trust gates in order (see the module), then the procedure's own checks."""
        if sender.problem is not None:  # we cannot tell who sent it: nobody to answer
            return self.telling.held(sender.problem.value, match)
        answer = trusted  # only a trusted sender is ever written to
        if matching.problem:  # a forged token stays before a person, whatever it says
            return await self.telling.refuse(matching.problem, match, contact, answer=answer)
        if await self._courtesy(reading):  # "gracias": filed, nobody told, nothing to review
            self.telling.held("courtesy", match)
            return Outcome("courtesy", None)
        if match is None or not match.proven or match.country is None:
            return await self.telling.refuse("not_linked", match, contact, answer=answer)
        if verdict.configured and not verdict.authenticated:
            return await self.telling.refuse(verdict.reason, match, contact, answer=answer)
        # Locked now (PostgreSQL): the answer is checked and written against this very row.
        consultation = await queries.consultation(
            self.session, match.consultation_id, for_update=True
        )
        recording = Recording(self.telling)
        if consultation is not None and consultation.state == State.TROIKA_REVIEW.value:
            if not await self._holds(contact, Role.TROIKA, match.country):
                return await self.telling.refuse(
                    _unregistered(contact), match, contact, answer=answer
                )
            return await recording.troika(match, contact, reading)
        if not await self._speaks_for(contact, match.country):
            if contact is None or not contact.active:  # a colleague: see `mail.notices`
                await notices.tell_about_colleague(
                    self.session,
                    self.row,
                    consultation_id=match.consultation_id,
                    version=match.version,
                    country=match.country,
                    address=sender.address or "",
                    verdict=verdict,
                    language=reading.language,
                    at=self.now,
                )
            return await self.telling.refuse(_unregistered(contact), match, contact, answer=answer)
        return await recording.record(match, contact, reading, consultation)

    async def paragraphs(self) -> list[str]:
        """The text of the version this message answers, as the reader needs it."""
        sender = self.sender()
        contact = await self._contact(sender)
        match = await self._complete(self._match().match, contact)
        return await self._paragraphs(match, contact)

    async def hold(self, reason: str, reading: Reading | None = None) -> Outcome:
        """Held for a person whatever it says (a reused Message-ID, unreadable, a failure):
        tied to its consultation when its header proves which, and the PPT told."""
        sender = self.sender()
        self.row.sender = sender.shown
        if reading is not None:
            self.row.reading = reading_record(reading)
            await self._keep_page_image(reading)
        matching = self._match()
        contact = await self._contact(sender)
        match = None if matching.problem else await self._complete(matching.match, contact)
        known = match and await queries.consultation(self.session, match.consultation_id)
        if match is not None and known is not None:
            outcome = self.telling.held(reason, match)
            if match.proven:
                await self.telling.flag(match, reason)
            return outcome
        return Outcome("review", reason)

    async def _keep_page_image(self, reading: Reading) -> None:
        """The page an OCR reading came from, kept with the message for every front to show
        (once: a message processed again keeps the image it has)."""
        note = reading.note
        if note is None or note.page_image is None or self.row.id is None:
            return
        if await self.session.get(InboundPageImageRow, self.row.id) is None:
            self.session.add(
                InboundPageImageRow(
                    inbound_id=self.row.id, filename=note.filename, png=note.page_image
                )
            )

    def sender(self) -> Sender:
        """Who the From header names (read once: each read parses the header anew)."""
        if self._sender is None:
            self._sender = read_sender(self.message)
        return self._sender

    def _match(self) -> Matching:
        if self._matching is None:
            self._matching = match_message(
                self.message,
                local=self.identity.reply_local,
                domain=self.identity.domain,
                secrets=self.identity.secrets,
            )
        return self._matching

    def matching(self) -> Matching:
        """Which consultation the message proves (or hints) it answers."""
        return self._match()

    async def _contact(self, sender: Sender) -> ContactRow | None:
        if sender.address is None:
            return None
        return await self.lookups.contact(self.session, sender.address)

    async def _authenticate(self, sender: Sender) -> Verdict:
        """The verdict on From's domain, computed before the transaction when it could be."""
        if self.verdict is not None:
            return self.verdict
        return await authenticate(self.row.raw, self.authentication)

    async def _trusted(
        self, contact: ContactRow | None, match: Match | None, verdict: Verdict
    ) -> bool:
        """May we believe this registered address really sent it (and so write back to it, or
        show its out-of-office note)? Authenticated when authentication is configured; without
        it, only when the message carries a proof naming a country the address speaks for."""
        if contact is None or not contact.active:
            return False
        if verdict.configured:
            return verdict.authenticated
        if match is None or not match.proven or match.country is None:
            return False
        return await self._speaks_for(contact, match.country) or await self._holds(
            contact, Role.TROIKA, match.country
        )

    async def _too_large(self, limit: int, sender: Sender) -> Outcome:
        """Over the size limit: nothing to read but the header. The PPT is told when it proves
        it answers a consultation; the sender is told why (once a day) when trusted, unless a
        machine sent it."""
        matching = self._match()
        contact = await self._contact(sender)
        match = None if matching.problem else matching.match
        if match is not None and match.proven:
            self.telling.held("too_large", match)
            await self.telling.flag(match, "too_large")
        verdict = await self._authenticate(sender)
        if contact is not None and not automatic(self.message):
            if await self._trusted(contact, match, verdict):
                await self.telling.tell_sender(
                    "too_large",
                    contact,
                    match,
                    size_mb=_megabytes(self.row.size or 0),
                    limit_mb=_megabytes(limit),
                )
        return Outcome("review", "too_large")

    def _ours(self, sender: str) -> bool:
        local, _, domain = sender.partition("@")
        ours = self.identity.address.lower()
        return sender == ours or (
            domain == self.identity.domain and local.split("+")[0] == self.identity.reply_local
        )

    async def _complete(self, match: Match | None, contact: ContactRow | None) -> Match | None:
        """A hint names no country: the sender's own (if they speak for exactly one), to read the
        text in the right language. It proves nothing (``Match.proven`` stays False)."""
        if match is None or match.country is not None or contact is None or contact.id is None:
            return match
        parties = {
            r.party
            for r in await self.lookups.roles(self.session, contact.id)
            if r.role == Role.FOCAL_POINT.value
        }
        if len(parties) == 1:
            return Match(match.consultation_id, match.version, parties.pop(), match.via)
        return match

    async def _paragraphs(self, match: Match | None, contact: ContactRow | None) -> list[str]:
        if match is None:
            return []
        version = await self.lookups.version(self.session, match.consultation_id, match.version)
        if version is None:
            return []
        language = Language(contact.language) if contact else Language.ES
        return Text(es=version.paragraphs_es, en=version.paragraphs_en).in_language(language)

    async def _speaks_for(self, contact: ContactRow | None, country: str) -> bool:
        return await self._holds(contact, Role.FOCAL_POINT, country)

    async def _holds(self, contact: ContactRow | None, role: Role, country: str) -> bool:
        if contact is None or not contact.active or contact.id is None:
            return False
        roles = await self.lookups.roles(self.session, contact.id)
        return any(r.role == role.value and r.party == country for r in roles)

    async def _courtesy(self, reading: Reading) -> bool:
        """A thank-you with nothing else in it; longer when it answers one of our receipts."""
        if reading.position or reading.amendments or reading.extension_requested:
            return False
        if set(reading.review_reasons) - {"no_position_found", "unlinked_message"}:
            return False
        receipt = await notices.answers_receipt(
            self.session,
            header_values(self.message, "In-Reply-To"),
            domain=self.identity.domain,
            secrets=self.identity.secrets,
        )
        return is_courtesy(reading.own_text, answers_receipt=receipt)

    async def _bounce(self, reading: Reading) -> Outcome:
        """Acted on only when it answers our own sending (VERP): see `mail.bounces`. The
        report's fields are in its body (RFC 3464 ``message/delivery-status``), so this one
        message is parsed whole, in a thread (a report may carry the whole original)."""
        whole = await asyncio.to_thread(parse_whole, self.row.raw)
        reason = await bounces.file_bounce(
            self.session, self.row, whole, identity=self.identity, now=self.now
        )
        return Outcome("bounce", reason)

    async def _out_of_office(
        self,
        match: Match | None,
        contact: ContactRow | None,
        reading: Reading,
        *,
        trusted: bool,
    ) -> Outcome:
        """A note on the country for the PPT, never a position, never answered; only from a
        trusted sender (see ``_trusted``): a forged "away until 2099" is kept and filed, and
        shows on no board."""
        if not trusted:
            return Outcome("auto_reply", "untrusted")
        country = match.country if match else None
        await journal.record_event(
            self.session,
            consultation_id=match.consultation_id if match else None,
            kind="out_of_office",
            actor=self.row.sender or "?",
            at=self.now,
            inbound_id=self.row.id,
            payload={
                "country": country,
                "contact": contact.name if contact else self.row.sender,
                "until": reading.auto_reply_until,
            },
        )
        return Outcome("auto_reply", reading.auto_reply_until)


def _unregistered(contact: ContactRow | None) -> str:
    """Unknown (or retired) address, or a registered one that does not speak for that country."""
    return "unregistered_sender" if contact is None or not contact.active else "unverified_sender"


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.0f}"


async def authenticate(
    raw: bytes, config: AuthenticationConfig, *, header: EmailMessage | None = None
) -> Verdict:
    """The verdict on the From domain of a message (blocking DKIM work runs in a thread)."""
    message = header if header is not None else parse_header(raw)
    sender = read_sender(message)
    if sender.address is None:
        return Verdict(False, config.configured, "no_sender")
    domain = sender.address.rpartition("@")[2]
    stamps = header_values(message, "Authentication-Results")  # topmost first
    return await verify(raw, stamps, domain, config)

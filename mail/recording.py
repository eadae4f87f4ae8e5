"""Recording a trusted answer, in the message's transaction: a focal point's position or
extension request (``consultation.answers``), or a Troika seat's answer to the preliminary
review (``consultation.drafting``). ``mail.processing`` has passed the trust gates before; what
the reader doubts or the procedure refuses is held, and the PPT told (``mail.telling``).
"""

from consultation import answers, drafting, journal
from consultation.answers import Answer, ProposedChange
from consultation.errors import IllegalTransition, NotFound, ProcedureError, SupersededVersion
from consultation.moves import Move
from consultation.vocabulary import AmendmentAction, PositionValue, Role
from mail import notices
from mail.matching import Match
from mail.reading import Reading
from mail.reading.record import note_facts
from mail.telling import Outcome, Telling, automatic
from store import queries
from store.tables import ConsultationRow, ContactRow


class Recording:
    """One trusted answer through the procedure; its message tied to consultation and country."""

    def __init__(self, telling: Telling) -> None:
        self.telling = telling
        self.session, self.row, self.now = telling.session, telling.row, telling.now

    async def troika(self, match: Match, contact: ContactRow | None, reading: Reading) -> Outcome:
        """A Troika seat answering the preliminary review by email (those without Slack); the
        same trust gates as a focal point's answer, and the seat, have been checked before."""
        country = match.country or ""
        self.row.consultation_id, self.row.version, self.row.country = (
            match.consultation_id,
            match.version,
            country,
        )
        changes = reading.position in ("amend", "object") or bool(reading.amendments)
        if reading.needs_review or not (reading.position == "approve" or changes):
            reasons = ",".join(reading.review_reasons) or "no_position"
            await self.telling.flag(match, reasons)
            await self.telling.tell_held(contact, match, reasons)
            return Outcome("review", reasons)
        comment = None if not changes else (reading.own_text.strip()[:4000] or None)
        try:
            async with self.session.begin_nested():
                await drafting.answer_troika(
                    self.session,
                    match.consultation_id,
                    country=country,
                    approve=not changes,
                    comment=comment,
                    move=Move(actor=self.row.sender or "?", at=self.now),
                )
        except drafting.AlreadyAnswered:
            await self.telling.flag(match, "troika_already_answered")
            return Outcome("review", "troika_already_answered")
        except ProcedureError as exc:
            await self.telling.flag(match, "refused")
            return Outcome("review", f"refused: {exc}")
        await journal.queue_emails(
            self.session,
            kind="troika_recorded",
            contacts=await queries.contacts_with_role(
                self.session, Role.TROIKA.value, party=country
            ),
            consultation_id=match.consultation_id,
            at=self.now,
            key=f"inbound-{self.row.id}",
            payload={"country": country, "approve": not changes, "comment": comment or ""},
        )
        return Outcome("recorded")

    async def record(
        self,
        match: Match,
        contact: ContactRow | None,
        reading: Reading,
        consultation: ConsultationRow | None,
    ) -> Outcome:
        """A focal point's answer, checked by the procedure before anything is written."""
        self.row.consultation_id, self.row.version, self.row.country = (
            match.consultation_id,
            match.version,
            match.country,
        )
        if reading.needs_review or (reading.position is None and not reading.extension_requested):
            reasons = ",".join(reading.review_reasons) or "no_position"
            await self.telling.flag(match, reasons)
            await self.telling.tell_held(contact, match, reasons)
            return Outcome("review", reasons)
        answer = Answer(
            country=match.country or "",
            version=match.version,
            position=PositionValue(reading.position) if reading.position else None,
            amendments=tuple(
                ProposedChange(AmendmentAction(a.action), a.paragraph, a.proposed)
                for a in reading.amendments
            ),
            extension_requested=reading.extension_requested,
            contact_id=contact.id if contact else None,
            inbound_id=self.row.id,
            note_verbale=note_facts(reading),
        )
        try:
            if consultation is None:
                raise NotFound(
                    f"there is no consultation {match.consultation_id}",
                    phrase="no_consultation",
                    id=match.consultation_id,
                )
            # Every refusal comes before anything is written (`answers.accept_answer`): the
            # message's own record stays intact without a savepoint.
            accepted = await answers.accept_answer(self.session, consultation, answer)
        except SupersededVersion as exc:
            await self.telling.flag(match, "superseded_version")
            if contact is not None and not automatic(self.telling.message):
                await notices.tell_late(
                    self.session,
                    self.row,
                    contact,
                    consultation_id=match.consultation_id,
                    answered=exc.given,
                    current=exc.current,
                    at=self.now,
                )
            return Outcome("superseded", "superseded_version")
        except IllegalTransition as exc:
            await self.telling.flag(match, f"not_open:{exc.state}")
            return Outcome("late", f"not_open:{exc.state}")
        except ProcedureError as exc:
            await self.telling.flag(match, "refused")
            return Outcome("review", f"refused: {exc}")
        move = Move(actor=self.row.sender or "?", at=self.now)
        await answers.write_answer(self.session, accepted, move)
        if answer.position is PositionValue.OBJECT:
            await notices.tell_objection(
                self.session, self.row, consultation_id=match.consultation_id, at=self.now
            )
        return Outcome("recorded")

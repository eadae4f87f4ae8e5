"""Before distribution: open a draft, edit it, put it to the Troika, take the Troika's answers."""

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from consultation import journal
from consultation.errors import NotFound, NotInTroika, ProcedureError
from consultation.lifecycle import Action
from consultation.moves import Move, begin, current_version
from consultation.texts import Text
from consultation.vocabulary import Kind, Role, SilenceRule, State, TroikaStatus
from store import queries
from store.tables import ConsultationRow, CountryRow, SequenceRow, TroikaReviewRow, VersionRow


class AlreadyAnswered(ProcedureError):
    """A Troika country answers a round it has already answered (a second click, a replay)."""


@dataclass(frozen=True)
class Draft:
    title_es: str
    title_en: str
    text: Text
    kind: Kind = Kind.STANDARD
    silence: SilenceRule = SilenceRule.NO_OBJECTION


async def open_draft(session: AsyncSession, draft: Draft, move: Move) -> ConsultationRow:
    presidency = await queries.presidency(session)
    if presidency is None:
        raise NotFound(
            "the roster has no presidency yet: run `consulta roster import FILE` first",
            phrase="no_roster",
        )
    ppt = await session.get(CountryRow, presidency.current)
    if ppt is None:
        raise NotFound(f"the presidency country {presidency.current} is not in the roster")
    title_es, title_en = draft.title_es.strip(), draft.title_en.strip()
    row = ConsultationRow(
        id=await _next_id(session, ppt.timezone, move),
        title_es=title_es or title_en,
        title_en=title_en or title_es,
        kind=draft.kind.value,
        silence_rule=draft.silence.value,
        state=State.DRAFT.value,
        calendar=ppt.calendar,
        timezone=ppt.timezone,
        ppt_country=ppt.code,
        troika=presidency.troika,
        created_at=move.at,
        created_by=move.actor,
    )
    session.add(row)
    await session.flush()
    session.add(new_version(row.id, 1, draft.text, move))
    await journal.record_event(
        session,
        consultation_id=row.id,
        kind="opened",
        actor=move.actor,
        at=move.at,
        payload={"kind": row.kind, "paragraphs": draft.text.paragraph_count},
    )
    return row


async def edit_draft(session: AsyncSession, consultation_id: str, text: Text, move: Move) -> None:
    """Replace the text before it has gone to anyone: the draft stays version 1."""
    row, _ = await begin(session, consultation_id, Action.EDIT_DRAFT)
    version = await current_version(session, row)
    version.paragraphs_es, version.paragraphs_en = text.es, text.en
    session.add(version)
    await journal.record_event(
        session,
        consultation_id=row.id,
        kind="draft_edited",
        actor=move.actor,
        at=move.at,
        payload={"paragraphs": text.paragraph_count},
    )


async def submit_to_troika(session: AsyncSession, consultation_id: str, move: Move) -> int:
    """Start a review round with the Troika in office; returns the round number."""
    row, target = await begin(session, consultation_id, Action.SUBMIT_TO_TROIKA)
    presidency = await queries.presidency(session)
    if presidency is not None:  # the Troika of the day, should the presidency have changed
        row.troika = presidency.troika
    row.troika_round += 1
    row.state = target.value
    session.add(row)
    for country in row.troika:
        session.add(
            TroikaReviewRow(consultation_id=row.id, round=row.troika_round, country=country)
        )
    await journal.record_event(
        session,
        consultation_id=row.id,
        kind="submitted_to_troika",
        actor=move.actor,
        at=move.at,
        payload={"round": row.troika_round, "troika": row.troika},
    )
    for country in row.troika:
        representatives = await queries.contacts_with_role(
            session, Role.TROIKA.value, party=country
        )
        key, payload = (
            f"{row.id}:r{row.troika_round}",
            {"round": row.troika_round, "country": country},
        )
        for queue, kind in (
            (journal.queue_emails, "troika_draft"),
            (journal.queue_slack, "troika_ask"),
        ):
            # On Slack too, with Approve / Request changes buttons: whichever comes first counts.
            await queue(
                session,
                kind=kind,
                contacts=representatives,
                consultation_id=row.id,
                at=move.at,
                key=key,
                payload=payload,
            )
    return row.troika_round


async def answer_troika(
    session: AsyncSession,
    consultation_id: str,
    *,
    country: str,
    approve: bool,
    comment: str | None,
    move: Move,
) -> TroikaStatus:
    """Record one Troika country's answer; returns the round's state for the PPT."""
    action = Action.TROIKA_APPROVE if approve else Action.TROIKA_REQUEST_CHANGES
    row, target = await begin(session, consultation_id, action)
    country = country.strip().upper()
    if country not in row.troika:
        raise NotInTroika(
            f"{country} is not in the Troika of {row.id} ({', '.join(row.troika)})",
            phrase="not_in_troika",
            country=country,
            id=row.id,
            troika=", ".join(row.troika),
        )
    reviews = {
        r.country: r for r in await queries.troika_reviews(session, row.id, row.troika_round)
    }
    review = reviews[country]
    if review.status != TroikaStatus.PENDING.value:
        raise AlreadyAnswered(f"{country} has already answered this Troika round ({review.status})")
    review.status = (TroikaStatus.APPROVED if approve else TroikaStatus.CHANGES_REQUESTED).value
    review.comment, review.answered_by, review.answered_at = comment, move.actor, move.at
    session.add(review)
    row.state = target.value
    session.add(row)
    await journal.record_event(
        session,
        consultation_id=row.id,
        kind="troika_answered",
        actor=move.actor,
        at=move.at,
        payload={
            "round": row.troika_round,
            "country": country,
            "status": review.status,
            "comment": comment,
        },
    )
    outcome = _round_status(list(reviews.values()))
    if outcome is not TroikaStatus.PENDING:
        await _tell_ppt(session, row, outcome, move)
    return outcome


def _round_status(reviews: list[TroikaReviewRow]) -> TroikaStatus:
    statuses = {TroikaStatus(r.status) for r in reviews}
    if TroikaStatus.CHANGES_REQUESTED in statuses:
        return TroikaStatus.CHANGES_REQUESTED
    return TroikaStatus.APPROVED if statuses == {TroikaStatus.APPROVED} else TroikaStatus.PENDING


def troika_consensus(reviews: list[TroikaReviewRow]) -> bool:
    return bool(reviews) and _round_status(reviews) is TroikaStatus.APPROVED


async def _tell_ppt(
    session: AsyncSession, row: ConsultationRow, outcome: TroikaStatus, move: Move
) -> None:
    kind = "troika_consensus" if outcome is TroikaStatus.APPROVED else "troika_changes"
    if outcome is TroikaStatus.APPROVED:
        await journal.record_event(
            session,
            consultation_id=row.id,
            kind=kind,
            actor="consulta",
            at=move.at,
            payload={"round": row.troika_round},
        )
    ppt = await queries.contacts_with_role(session, Role.PPT.value)
    key, payload = f"{row.id}:r{row.troika_round}", {"round": row.troika_round}
    await journal.queue_emails(
        session,
        kind=kind,
        contacts=ppt,
        consultation_id=row.id,
        at=move.at,
        key=key,
        payload=payload,
    )
    slack_kind = "troika_agreed" if outcome is TroikaStatus.APPROVED else "troika_returned"
    await journal.queue_slack(
        session,
        kind=slack_kind,
        contacts=ppt,
        consultation_id=row.id,
        at=move.at,
        key=key,
        payload=payload,
    )


def new_version(
    consultation_id: str, number: int, text: Text, move: Move, note: str = ""
) -> VersionRow:
    return VersionRow(
        consultation_id=consultation_id,
        number=number,
        paragraphs_es=text.es,
        paragraphs_en=text.en,
        changes_note=note,
        created_at=move.at,
    )


async def _next_id(session: AsyncSession, timezone: str, move: Move) -> str:
    """``CRM-2026-007``: numbered per calendar year of the presidency's timezone."""
    year = move.at.astimezone(ZoneInfo(timezone)).year
    name = f"CRM-{year}"
    sequence = await session.get(SequenceRow, name, with_for_update=True)
    if sequence is None:
        sequence = SequenceRow(name=name, value=0)
    sequence.value += 1
    session.add(sequence)
    await session.flush()
    return f"{name}-{sequence.value:03d}"

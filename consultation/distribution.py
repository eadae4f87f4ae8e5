"""Distribution to all members: the first send, revisions (the clock restarts) and extensions."""

from sqlmodel.ext.asyncio.session import AsyncSession

from consultation import clock, journal
from consultation.drafting import edit_draft, new_version, troika_consensus
from consultation.errors import InvalidInput, TroikaConsensusMissing
from consultation.lifecycle import Action
from consultation.moves import Move, begin, current_version, load, text_of
from consultation.texts import Text, normalised
from consultation.vocabulary import (
    DAYS_BY_KIND,
    AmendmentAction,
    AmendmentStatus,
    CountryStatus,
    Kind,
    State,
)
from store import queries
from store.tables import AmendmentRow, ConsultationRow, ContactRow, VersionRow


async def send(session: AsyncSession, consultation_id: str, move: Move) -> VersionRow:
    """Version 1 to every member's focal points; the period starts now (day 0)."""
    row = await load(session, consultation_id, for_update=True)
    if row.state in (State.DRAFT.value, State.TROIKA_REVIEW.value):
        reviews = await queries.troika_reviews(session, row.id, row.troika_round)
        if not troika_consensus(reviews):
            missing = TroikaConsensusMissing(
                f"{row.id} cannot go to the members before all of the Troika "
                f"({', '.join(row.troika)}) has approved it",
                state=row.state,
                action=Action.SEND.value,
            )
            missing.phrase, missing.values["id"] = "troika_missing", row.id
            missing.values["troika"] = ", ".join(row.troika)
            raise missing
    row, target = await begin(session, consultation_id, Action.SEND)
    version = await current_version(session, row)
    _start_clock(row, version, move)
    row.state = target.value
    session.add_all([row, version])
    await _announce(session, row, version, kind="distributed", move=move)
    return version


async def revise(
    session: AsyncSession,
    consultation_id: str,
    text: Text,
    move: Move,
    *,
    note: str = "",
    incorporated: set[int] | None = None,
) -> VersionRow:
    """A new version to all members; every country is pending again and the clock restarts.

    On a draft nobody has seen, the text is simply replaced. Amendments to the previous
    version are marked incorporated when listed in ``incorporated`` (amendment ids) or, when
    no list is given, when the new text contains exactly what they proposed.
    """
    row = await load(session, consultation_id, for_update=True)
    if row.state == State.DRAFT.value:
        await edit_draft(session, consultation_id, text, move)
        return await current_version(session, row)
    row, target = await begin(session, consultation_id, Action.REVISE)
    previous = await current_version(session, row)
    if text_of(previous) == text:
        raise InvalidInput(
            f"the revised text is identical to version {previous.number}",
            phrase="identical_text",
            version=previous.number,
        )
    decided = await _decide_amendments(session, row, previous, text, incorporated)
    version = new_version(row.id, previous.number + 1, text, move, note)
    _start_clock(row, version, move)
    row.current_version, row.state, row.outcome = version.number, target.value, None
    session.add_all([row, version])
    await session.flush()
    await _announce(session, row, version, kind="revised", move=move, extra=decided)
    return version


async def extend(session: AsyncSession, consultation_id: str, days: int, move: Move) -> VersionRow:
    """Move the deadline N business days later (from today, if it has already passed)."""
    row, target = await begin(session, consultation_id, Action.EXTEND)
    version = await current_version(session, row)
    assert version.deadline_at is not None
    base = max(version.deadline_at, move.at)
    before = version.deadline_at
    version.deadline_at = clock.extended(base, days, calendar=row.calendar, timezone=row.timezone)
    version.days += days
    row.state, row.outcome = target.value, None
    session.add_all([row, version])
    payload = {
        "version": version.number,
        "from": before.isoformat(),
        "deadline": version.deadline_at.isoformat(),
        "days": days,
    }
    await journal.record_event(
        session,
        consultation_id=row.id,
        kind="extended",
        actor=move.actor,
        at=move.at,
        payload=payload,
    )
    await journal.queue_emails(
        session,
        kind="extension",
        contacts=await member_focal_points(session),
        consultation_id=row.id,
        at=move.at,
        key=f"{row.id}:v{version.number}:until-{version.deadline_at.isoformat()}",
        payload=payload,
    )
    return version


async def member_focal_points(session: AsyncSession) -> list[ContactRow]:
    members = await queries.countries(session, status=CountryStatus.MEMBER.value)
    return await queries.focal_points(session, [c.code for c in members])


def _start_clock(row: ConsultationRow, version: VersionRow, move: Move) -> None:
    days = DAYS_BY_KIND[Kind(row.kind)]
    version.distributed_at, version.days = move.at, days
    version.deadline_at = clock.deadline_for(
        move.at, days, calendar=row.calendar, timezone=row.timezone
    )


async def _announce(
    session: AsyncSession,
    row: ConsultationRow,
    version: VersionRow,
    *,
    kind: str,
    move: Move,
    extra: dict[str, list[int]] | None = None,
) -> None:
    assert version.deadline_at is not None
    payload: dict[str, object] = {
        "version": version.number,
        "deadline": version.deadline_at.isoformat(),
        "days": version.days,
        **(extra or {}),
    }
    await journal.record_event(
        session, consultation_id=row.id, kind=kind, actor=move.actor, at=move.at, payload=payload
    )
    focal_points = await member_focal_points(session)
    await journal.queue_emails(
        session,
        kind="draft" if version.number == 1 else "revision",
        contacts=focal_points,
        consultation_id=row.id,
        at=move.at,
        key=f"{row.id}:v{version.number}",
        payload={"version": version.number},
    )
    # Focal points with a Slack user id also get it there, with buttons to answer.
    await journal.queue_slack(
        session,
        kind="consult_ask",
        contacts=focal_points,
        consultation_id=row.id,
        at=move.at,
        key=f"{row.id}:v{version.number}",
        payload={"version": version.number},
    )


async def _decide_amendments(
    session: AsyncSession,
    row: ConsultationRow,
    previous: VersionRow,
    text: Text,
    incorporated: set[int] | None,
) -> dict[str, list[int]]:
    latest = await queries.latest_positions(session, row.id, previous.number)
    pending = [
        a
        for a in await queries.amendments_of(session, [p.id for p in latest.values() if p.id])
        if a.status == AmendmentStatus.PROPOSED.value
    ]
    old, new = text_of(previous), text
    unknown = (incorporated or set()) - {a.id for a in pending}
    if unknown:
        raise InvalidInput(
            f"no open amendment with id {', '.join(map(str, sorted(unknown)))}",
            phrase="no_amendment",
            ids=", ".join(map(str, sorted(unknown))),
        )
    decided: dict[str, list[int]] = {"incorporated": [], "not_incorporated": []}
    for amendment in pending:
        taken = (
            (amendment.id in incorporated)
            if incorporated is not None
            else _visible_in(amendment, old, new)
        )
        amendment.status = (
            AmendmentStatus.INCORPORATED if taken else AmendmentStatus.NOT_INCORPORATED
        ).value
        assert amendment.id is not None
        decided[amendment.status].append(amendment.id)
        session.add(amendment)
    return decided


def _visible_in(amendment: AmendmentRow, old: Text, new: Text) -> bool:
    """Exact evidence only: the proposed paragraph is in the new text, or the deleted one left."""
    for language in ("es", "en"):
        before, after = getattr(old, language), getattr(new, language)
        if not before or not after:
            continue
        paragraphs = {normalised(p) for p in after}
        if AmendmentAction(amendment.action) is AmendmentAction.DELETE:
            if (
                1 <= amendment.paragraph <= len(before)
                and normalised(before[amendment.paragraph - 1]) not in paragraphs
            ):
                return True
        elif amendment.proposed and normalised(amendment.proposed) in paragraphs:
            return True
    return False

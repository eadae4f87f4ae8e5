"""Read queries shared by the use cases and the fronts; no rules, only data access."""

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, tuple_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from store.remembered import remembered
from store.tables import (
    AmendmentRow,
    ConsultationRow,
    ContactEmailRow,
    ContactRoleRow,
    ContactRow,
    CountryRow,
    EventRow,
    InboundMessageRow,
    OrganisationRow,
    OutboxRow,
    PositionRow,
    PresidencyRow,
    TroikaReviewRow,
    VersionRow,
)

# Longer than any one send may take (SMTP's and Slack's client timeouts are 30 s): a claim
# outlives the send it covers, so a live sender is never overtaken.
OUTBOX_LEASE = timedelta(minutes=10)


# Statements asked for every reply are built once, with bound parameters: building one anew
# (its operators, coercions, annotations) costs more than SQLite takes to run it.
_CONSULTATION = select(ConsultationRow).where(ConsultationRow.id == bindparam("id"))
# FOR UPDATE serialises concurrent moves on one consultation (PostgreSQL row lock).
_CONSULTATION_LOCKED = _CONSULTATION.with_for_update()


async def consultation(
    session: AsyncSession, consultation_id: str, *, for_update: bool = False
) -> ConsultationRow | None:
    query = _CONSULTATION_LOCKED if for_update else _CONSULTATION
    return (await session.exec(query, params={"id": consultation_id})).first()


async def consultations(
    session: AsyncSession, *, states: Sequence[str] = ()
) -> list[ConsultationRow]:
    query = select(ConsultationRow).order_by(col(ConsultationRow.created_at))
    if states:
        query = query.where(col(ConsultationRow.state).in_(states))
    return list((await session.exec(query)).all())


async def version(session: AsyncSession, consultation_id: str, number: int) -> VersionRow | None:
    query = select(VersionRow).where(
        VersionRow.consultation_id == consultation_id, VersionRow.number == number
    )
    return (await session.exec(query)).first()


async def versions(session: AsyncSession, consultation_id: str) -> list[VersionRow]:
    query = (
        select(VersionRow)
        .where(VersionRow.consultation_id == consultation_id)
        .order_by(col(VersionRow.number))
    )
    return list((await session.exec(query)).all())


async def countries(session: AsyncSession, *, status: str | None = None) -> list[CountryRow]:
    query = select(CountryRow).order_by(col(CountryRow.code))
    if status:
        query = query.where(CountryRow.status == status)
    return list((await session.exec(query)).all())


async def organisations(session: AsyncSession) -> list[OrganisationRow]:
    return list(
        (await session.exec(select(OrganisationRow).order_by(col(OrganisationRow.code)))).all()
    )


async def presidency(session: AsyncSession) -> PresidencyRow | None:
    return await session.get(PresidencyRow, 1)


async def contacts_with_role(
    session: AsyncSession, role: str, *, party: str | None = None, active_only: bool = True
) -> list[ContactRow]:
    """Remembered for a batch of work (`store.remembered`)."""
    key = ("contacts_with_role", role, party, active_only)
    return await remembered(
        session, key, lambda: _contacts_with_role(session, role, party, active_only)
    )


async def _contacts_with_role(
    session: AsyncSession, role: str, party: str | None, active_only: bool
) -> list[ContactRow]:
    query = (
        select(ContactRow)
        .join(ContactRoleRow, col(ContactRoleRow.contact_id) == col(ContactRow.id))
        .where(ContactRoleRow.role == role)
        .order_by(col(ContactRow.id))
    )
    if party is not None:
        query = query.where(ContactRoleRow.party == party)
    if active_only:
        query = query.where(col(ContactRow.active).is_(True))
    return list((await session.exec(query.distinct())).all())


async def focal_points(session: AsyncSession, parties: Sequence[str]) -> list[ContactRow]:
    """Active focal points of the given countries or organisations, in the parties' order."""
    found: list[ContactRow] = []
    for party in parties:
        found += await contacts_with_role(session, "focal_point", party=party)
    return found


async def failing_focal_addresses(
    session: AsyncSession, parties: Sequence[str]
) -> list[tuple[str, str]]:
    """(party, address) of every failing address of the parties' active focal points, by
    contact then address: one statement for a whole board."""
    query = (
        select(ContactRoleRow.party, ContactEmailRow.address)
        .join(ContactRow, col(ContactRow.id) == col(ContactRoleRow.contact_id))
        .join(ContactEmailRow, col(ContactEmailRow.contact_id) == col(ContactRow.id))
        .where(ContactRoleRow.role == "focal_point")
        .where(col(ContactRoleRow.party).in_(parties))
        .where(col(ContactRow.active).is_(True))
        .where(col(ContactEmailRow.failing).is_(True))
        .order_by(col(ContactRow.id), col(ContactEmailRow.address))
    )
    return [(str(party), address) for party, address in (await session.exec(query)).all()]


async def failing_addresses(session: AsyncSession, role: str) -> dict[str, list[str]]:
    """The failing addresses of the active contacts holding ``role``, by party: one query
    however many members the roster has (a board asks for every member at once)."""
    query = (
        select(ContactRoleRow.party, ContactEmailRow.address)
        .join(ContactRow, col(ContactRow.id) == col(ContactRoleRow.contact_id))
        .join(ContactEmailRow, col(ContactEmailRow.contact_id) == col(ContactRow.id))
        .where(ContactRoleRow.role == role, col(ContactRow.active).is_(True))
        .where(col(ContactEmailRow.failing).is_(True))
        .order_by(col(ContactRoleRow.party), col(ContactEmailRow.address))
    )
    found: dict[str, list[str]] = {}
    for party, address in (await session.exec(query.distinct())).all():
        if party is not None:
            found.setdefault(party, []).append(address)
    return found


async def inbound_messages(
    session: AsyncSession, ids: Iterable[int]
) -> dict[int, InboundMessageRow]:
    """Stored messages by id, in one query (raw bytes included)."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    query = select(InboundMessageRow).where(col(InboundMessageRow.id).in_(wanted))
    return {row.id: row for row in (await session.exec(query)).all() if row.id is not None}


async def contact_by_email(session: AsyncSession, address: str) -> ContactRow | None:
    row = await session.get(ContactEmailRow, address.strip().lower())
    return await session.get(ContactRow, row.contact_id) if row else None


async def contacts_by_email(
    session: AsyncSession, addresses: Iterable[str]
) -> dict[str, ContactRow]:
    """The contact behind each of these addresses (lower case) that has one: one query."""
    wanted = {a.strip().lower() for a in addresses}
    if not wanted:
        return {}
    query = (
        select(ContactEmailRow.address, ContactRow)
        .join(ContactRow, col(ContactRow.id) == col(ContactEmailRow.contact_id))
        .where(col(ContactEmailRow.address).in_(wanted))
    )
    return {address: contact for address, contact in (await session.exec(query)).all()}


async def roles_of_many(
    session: AsyncSession, contact_ids: Iterable[int]
) -> dict[int, list[ContactRoleRow]]:
    """Each contact's roles (an empty list for none): one query."""
    ids = set(contact_ids)
    found: dict[int, list[ContactRoleRow]] = {i: [] for i in ids}
    if ids:
        query = select(ContactRoleRow).where(col(ContactRoleRow.contact_id).in_(ids))
        for role in (await session.exec(query)).all():
            found[role.contact_id].append(role)
    return found


async def contact_by_slack(session: AsyncSession, slack_user_id: str) -> ContactRow | None:
    query = select(ContactRow).where(ContactRow.slack_user_id == slack_user_id)
    return (await session.exec(query)).first()


async def emails_of(session: AsyncSession, contact_id: int) -> list[ContactEmailRow]:
    query = select(ContactEmailRow).where(ContactEmailRow.contact_id == contact_id)
    return list((await session.exec(query.order_by(col(ContactEmailRow.address)))).all())


async def contact_emails(
    session: AsyncSession, addresses: Iterable[str]
) -> dict[str, ContactEmailRow]:
    """The roster's rows for these addresses, by address (one statement)."""
    wanted = sorted(set(addresses))
    if not wanted:
        return {}
    query = select(ContactEmailRow).where(col(ContactEmailRow.address).in_(wanted))
    return {row.address: row for row in (await session.exec(query)).all()}


async def roles_of(session: AsyncSession, contact_id: int) -> list[ContactRoleRow]:
    query = select(ContactRoleRow).where(ContactRoleRow.contact_id == contact_id)
    return list((await session.exec(query)).all())


async def all_troika_reviews(session: AsyncSession, consultation_id: str) -> list[TroikaReviewRow]:
    """Every round's reviews, oldest round first."""
    query = select(TroikaReviewRow).where(TroikaReviewRow.consultation_id == consultation_id)
    order = (col(TroikaReviewRow.round), col(TroikaReviewRow.id))
    return list((await session.exec(query.order_by(*order))).all())


async def troika_reviews(
    session: AsyncSession, consultation_id: str, round_: int
) -> list[TroikaReviewRow]:
    query = select(TroikaReviewRow).where(
        TroikaReviewRow.consultation_id == consultation_id, TroikaReviewRow.round == round_
    )
    return list((await session.exec(query.order_by(col(TroikaReviewRow.id)))).all())


async def latest_positions(
    session: AsyncSession, consultation_id: str, version_number: int
) -> dict[str, PositionRow]:
    """Each country's latest stated position on a version: a new reply replaces the earlier one."""
    query = (
        select(PositionRow)
        .where(
            PositionRow.consultation_id == consultation_id, PositionRow.version == version_number
        )
        .where(col(PositionRow.value).is_not(None))
        .order_by(col(PositionRow.id))
    )
    return {row.country: row for row in (await session.exec(query)).all()}


async def extension_requests(
    session: AsyncSession, consultation_id: str, version_number: int
) -> set[str]:
    query = select(PositionRow.country).where(
        PositionRow.consultation_id == consultation_id,
        PositionRow.version == version_number,
        col(PositionRow.extension_requested).is_(True),
    )
    return set((await session.exec(query)).all())


async def positions_of(session: AsyncSession, consultation_ids: Sequence[str]) -> list[PositionRow]:
    """Every position on the consultations, every version, oldest first."""
    query = select(PositionRow).where(col(PositionRow.consultation_id).in_(consultation_ids))
    return list((await session.exec(query.order_by(col(PositionRow.id)))).all())


async def current_versions(
    session: AsyncSession, consultations: Sequence[ConsultationRow]
) -> list[VersionRow]:
    """The current version of each consultation, in one query."""
    wanted = [(row.id, row.current_version) for row in consultations]
    if not wanted:
        return []
    query = select(VersionRow).where(
        tuple_(col(VersionRow.consultation_id), col(VersionRow.number)).in_(wanted)
    )
    return list((await session.exec(query)).all())


async def troika_reviews_of(
    session: AsyncSession, consultations: Sequence[ConsultationRow]
) -> list[TroikaReviewRow]:
    """Each consultation's reviews of its current Troika round, in one query."""
    wanted = [(row.id, row.troika_round) for row in consultations]
    if not wanted:
        return []
    query = select(TroikaReviewRow).where(
        tuple_(col(TroikaReviewRow.consultation_id), col(TroikaReviewRow.round)).in_(wanted)
    )
    return list((await session.exec(query.order_by(col(TroikaReviewRow.id)))).all())


async def positions(session: AsyncSession, consultation_id: str) -> list[PositionRow]:
    query = select(PositionRow).where(PositionRow.consultation_id == consultation_id)
    return list((await session.exec(query.order_by(col(PositionRow.id)))).all())


async def amendments_of(session: AsyncSession, position_ids: Sequence[int]) -> list[AmendmentRow]:
    if not position_ids:
        return []
    query = select(AmendmentRow).where(col(AmendmentRow.position_id).in_(position_ids))
    return list((await session.exec(query.order_by(col(AmendmentRow.id)))).all())


async def amendments(session: AsyncSession, consultation_id: str) -> list[AmendmentRow]:
    query = select(AmendmentRow).where(AmendmentRow.consultation_id == consultation_id)
    return list((await session.exec(query.order_by(col(AmendmentRow.id)))).all())


async def events(
    session: AsyncSession, consultation_id: str, *, kinds: Sequence[str] = ()
) -> list[EventRow]:
    query = select(EventRow).where(EventRow.consultation_id == consultation_id)
    if kinds:
        query = query.where(col(EventRow.kind).in_(kinds))
    return list((await session.exec(query.order_by(col(EventRow.id)))).all())


async def count_members(session: AsyncSession) -> int:
    """Remembered for a batch of work (`store.remembered`)."""

    async def load() -> int:
        query = select(func.count()).select_from(CountryRow).where(CountryRow.status == "member")
        return (await session.exec(query)).one()

    return await remembered(session, ("count_members",), load)


async def country(session: AsyncSession, code: str) -> CountryRow | None:
    """Remembered for a batch of work (`store.remembered`)."""
    return await remembered(session, ("country", code), lambda: session.get(CountryRow, code))


async def paragraph_count(session: AsyncSession, consultation_id: str, number: int) -> int:
    """How many paragraphs a version has (remembered: a version's text never changes)."""

    async def load() -> int:
        found = await version(session, consultation_id, number)
        texts = (found.paragraphs_es or found.paragraphs_en or []) if found else []
        return len(texts)

    return await remembered(session, ("paragraph_count", consultation_id, number), load)


_MEMBERS_ANSWERED = (
    select(func.count(func.distinct(PositionRow.country)))
    .join(CountryRow, col(CountryRow.code) == col(PositionRow.country))
    .where(PositionRow.consultation_id == bindparam("consultation_id"))
    .where(PositionRow.version == bindparam("version"), col(PositionRow.value).is_not(None))
    .where(CountryRow.status == "member")
)


async def members_answered(session: AsyncSession, consultation_id: str, version_number: int) -> int:
    """How many member countries have stated a position on a version."""
    params = {"consultation_id": consultation_id, "version": version_number}
    return (await session.exec(_MEMBERS_ANSWERED, params=params)).one()


async def count_consultations(session: AsyncSession) -> int:
    return (await session.exec(select(func.count()).select_from(ConsultationRow))).one()


async def claim_outbox(
    session: AsyncSession, channel: str, now: datetime, *, lease: timedelta = OUTBOX_LEASE
) -> OutboxRow | None:
    """The oldest notice of ``channel`` due by ``now``, claimed for ``lease``: marked in
    flight (``claimed_at``) with ``next_attempt_at`` moved to the lease's end, so once this
    transaction commits no other sender takes it until the lease runs out, and a sender
    that died with it is replaced then. The row is locked while claimed (``SKIP LOCKED`` on
    PostgreSQL: two instances never claim the same one; SQLite has one writer at a time)."""
    query = (
        select(OutboxRow)
        .where(OutboxRow.channel == channel, OutboxRow.status == "pending")
        .where(col(OutboxRow.next_attempt_at) <= now)
        .order_by(col(OutboxRow.id))
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    row = (await session.exec(query)).first()
    if row is not None:
        row.claimed_at, row.next_attempt_at = now, now + lease
        session.add(row)
    return row


async def claim_outboxes(
    session: AsyncSession,
    channel: str,
    now: datetime,
    *,
    limit: int,
    lease: timedelta = OUTBOX_LEASE,
) -> list[OutboxRow]:
    """Up to ``limit`` of the oldest notices of ``channel`` due by ``now``, each claimed for
    ``lease`` as `claim_outbox` claims one (locked and skipped by another instance's claim on
    PostgreSQL), in one statement and one UPDATE: a fan-out claims twenty at a time."""
    query = (
        select(OutboxRow)
        .where(OutboxRow.channel == channel, OutboxRow.status == "pending")
        .where(col(OutboxRow.next_attempt_at) <= now)
        .order_by(col(OutboxRow.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = list((await session.exec(query)).all())
    for row in rows:
        row.claimed_at, row.next_attempt_at = now, now + lease
        session.add(row)
    return rows


async def outbox_rows(session: AsyncSession, ids: Sequence[int]) -> dict[int, OutboxRow]:
    """The outbox rows with these ids, as the store has them now (one statement)."""
    if not ids:
        return {}
    query = (
        select(OutboxRow)
        .where(col(OutboxRow.id).in_(ids))
        .execution_options(populate_existing=True)
    )
    return {row.id: row for row in (await session.exec(query)).all() if row.id is not None}

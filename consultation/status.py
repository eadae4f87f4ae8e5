"""Where a consultation stands: the view behind `consulta status`, Slack's board and the digest."""

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import cast

from sqlalchemy.orm import QueryableAttribute, defer
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from consultation import clock, tally
from consultation.errors import NotFound
from consultation.moves import load
from consultation.vocabulary import CountryStatus, PositionValue, SilenceRule, Standing, State
from store import queries
from store.tables import (
    AmendmentRow,
    ConsultationRow,
    CountryRow,
    InboundMessageRow,
    PositionRow,
    TroikaReviewRow,
    VersionRow,
)


@dataclass(frozen=True)
class HeldReply:
    """A reply to this consultation held for a person (inbound status ``review``)."""

    inbound_id: int
    country: str | None  # only when a proof names it
    version: int | None
    sender: str | None
    reasons: str  # codes, comma-separated: words come from ``consultation.held.describe``
    received_at: datetime
    # Received after the country's recorded position on this version: counting it may change it.
    newer: bool = False


@dataclass(frozen=True)
class MemberLine:
    code: str
    name_es: str
    name_en: str
    standing: Standing
    extension_requested: bool
    amendments: int
    answered_at: datetime | None
    held: tuple[HeldReply, ...] = ()  # on the current version, oldest first

    @property
    def held_newer(self) -> bool:
        """A recorded position that a held reply may change."""
        return any(h.newer for h in self.held)

    @property
    def undecided(self) -> bool:
        """A held reply that may still decide this member's standing: newer than its
        position, or the member has none yet (a held reply older than a recorded answer was
        overtaken by it)."""
        return bool(self.held) and (self.answered_at is None or self.held_newer)


@dataclass(frozen=True)
class ConsultationStatus:
    consultation: ConsultationRow
    version: VersionRow
    now: datetime
    members: list[MemberLine]
    result: tally.Tally
    troika: list[TroikaReviewRow] = field(default_factory=list)
    open_amendments: list[AmendmentRow] = field(default_factory=list)
    # Every reply held on this consultation, any version, tied to a country or not.
    held: list[HeldReply] = field(default_factory=list)
    # Members whose held replies could change the outcome (see ``tally.hangs_on``).
    depends_on: tuple[str, ...] = ()

    @property
    def state(self) -> State:
        return State(self.consultation.state)

    @property
    def deadline(self) -> datetime | None:
        return self.version.deadline_at

    @property
    def deadline_passed(self) -> bool:
        return self.deadline is not None and self.now > self.deadline

    @property
    def business_days_left(self) -> int | None:
        if self.deadline is None:
            return None
        row = self.consultation
        return clock.business_days_left(
            self.now, self.deadline, calendar=row.calendar, timezone=row.timezone
        )


async def consultation_status(
    session: AsyncSession, consultation_id: str, *, now: datetime
) -> ConsultationStatus:
    row = await load(session, consultation_id)
    [found] = await consultation_statuses(session, [row], now=now)
    return found


async def consultation_statuses(
    session: AsyncSession, rows: Sequence[ConsultationRow], *, now: datetime
) -> list[ConsultationStatus]:
    """The status of each consultation, in the given order, in a fixed number of queries
    whatever the number of members or of consultations (the digest shows every open one)."""
    if not rows:
        return []
    ids = [row.id for row in rows]
    members = await queries.countries(session, status=CountryStatus.MEMBER.value)
    versions = {
        (v.consultation_id, v.number): v for v in await queries.current_versions(session, rows)
    }
    positions = await queries.positions_of(session, ids)
    amendments = await queries.amendments_of(session, [p.id for p in positions if p.id])
    held = await held_replies_of(session, ids)
    troika = await queries.troika_reviews_of(session, [r for r in rows if r.troika_round])
    statuses = []
    for row in rows:
        version = versions.get((row.id, row.current_version))
        if version is None:  # the schema guarantees it; a missing row means a corrupt record
            raise NotFound(f"{row.id} has no version {row.current_version}")
        mine = [p for p in positions if p.consultation_id == row.id]
        data = _Loaded(
            members,
            mine,
            [a for a in amendments if a.consultation_id == row.id],
            held.get(row.id, []),
            [t for t in troika if t.consultation_id == row.id and t.round == row.troika_round],
        )
        statuses.append(_status(row, version, data, now))
    return statuses


@dataclass(frozen=True)
class _Loaded:
    """One consultation's share of what `consultation_statuses` loaded for all of them."""

    members: list[CountryRow]
    positions: list[PositionRow]  # every version's, oldest first
    amendments: list[AmendmentRow]
    held: list[HeldReply]
    troika: list[TroikaReviewRow]


def _status(
    row: ConsultationRow, version: VersionRow, data: _Loaded, now: datetime
) -> ConsultationStatus:
    on_version = [p for p in data.positions if p.version == version.number]
    # Each country's latest stated position: a new reply replaces the earlier one.
    latest = {p.country: p for p in on_version if p.value}
    extensions = {p.country for p in on_version if p.extension_requested}
    stated = {p.id for p in latest.values()}
    amendments = [a for a in data.amendments if a.position_id in stated]
    open_amendments = [a for a in amendments if a.status == "proposed"]
    passed = version.deadline_at is not None and now > version.deadline_at
    answers = {code: PositionValue(p.value) for code, p in latest.items() if p.value}
    result = tally.tally(
        [m.code for m in data.members],
        answers,
        open_amendments=len(open_amendments),
        deadline_passed=passed,
        silence=SilenceRule(row.silence_rule),
    )
    held = _against(data.held, latest, version.number)
    current = [h for h in held if h.version == version.number and h.country]
    lines = [_line(m, result, latest, extensions, amendments, current) for m in data.members]
    depends = tally.hangs_on(result, [m.code for m in lines if m.undecided])
    return ConsultationStatus(
        row, version, now, lines, result, data.troika, open_amendments, held, depends
    )


async def held_replies(session: AsyncSession, consultation_id: str) -> list[HeldReply]:
    """One query for every held reply on the consultation; never the raw bytes."""
    return (await held_replies_of(session, [consultation_id])).get(consultation_id, [])


async def held_replies_of(
    session: AsyncSession, consultation_ids: Sequence[str]
) -> dict[str, list[HeldReply]]:
    """Every held reply on each of the consultations, oldest first, in one query."""
    query = (
        select(InboundMessageRow)
        .options(defer(cast(QueryableAttribute[bytes], InboundMessageRow.raw)))
        .where(col(InboundMessageRow.consultation_id).in_(consultation_ids))
        .where(InboundMessageRow.status == "review")
        .order_by(col(InboundMessageRow.received_at), col(InboundMessageRow.id))
    )
    found: dict[str, list[HeldReply]] = {}
    for r in (await session.exec(query)).all():
        if r.id is not None and r.consultation_id is not None:
            found.setdefault(r.consultation_id, []).append(
                HeldReply(r.id, r.country, r.version, r.sender, r.reason or "", r.received_at)
            )
    return found


def _against(
    held: list[HeldReply], latest: dict[str, PositionRow], version: int
) -> list[HeldReply]:
    """Each held reply on the current version marked newer when received after its country's
    recorded position: counting it may change that position."""
    marked = []
    for h in held:
        position = latest.get(h.country or "") if h.version == version else None
        newer = position is not None and h.received_at > position.recorded_at
        marked.append(replace(h, newer=newer))
    return marked


def _line(
    country: CountryRow,
    result: tally.Tally,
    latest: dict[str, PositionRow],
    extensions: set[str],
    amendments: list[AmendmentRow],
    held: list[HeldReply],
) -> MemberLine:
    position = latest.get(country.code)
    since = position.recorded_at if position else None
    mine = tuple(h for h in held if h.country == country.code)
    return MemberLine(
        code=country.code,
        name_es=country.name_es,
        name_en=country.name_en,
        standing=result.standings[country.code],
        extension_requested=country.code in extensions,
        amendments=sum(1 for a in amendments if a.country == country.code),
        answered_at=since,
        held=mine,
    )

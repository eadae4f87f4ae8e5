"""Where a consultation stands: the view behind `consulta status`, Slack's board and the digest."""

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import cast

from sqlalchemy.orm import QueryableAttribute, defer
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from consultation import clock, tally
from consultation.moves import current_version, load
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
    version = await current_version(session, row)
    members = await queries.countries(session, status=CountryStatus.MEMBER.value)
    latest = await queries.latest_positions(session, row.id, version.number)
    extensions = await queries.extension_requests(session, row.id, version.number)
    amendments = await queries.amendments_of(
        session, [p.id for p in latest.values() if p.id is not None]
    )
    open_amendments = [a for a in amendments if a.status == "proposed"]
    passed = version.deadline_at is not None and now > version.deadline_at
    answers = {code: PositionValue(p.value) for code, p in latest.items() if p.value}
    result = tally.tally(
        [m.code for m in members],
        answers,
        open_amendments=len(open_amendments),
        deadline_passed=passed,
        silence=SilenceRule(row.silence_rule),
    )
    held = _against(await held_replies(session, row.id), latest, version.number)
    current = [h for h in held if h.version == version.number and h.country]
    lines = [_line(m, result, latest, extensions, amendments, current) for m in members]
    depends = tally.hangs_on(result, [m.code for m in lines if m.undecided])
    troika = (
        await queries.troika_reviews(session, row.id, row.troika_round) if row.troika_round else []
    )
    return ConsultationStatus(
        row, version, now, lines, result, troika, open_amendments, held, depends
    )


async def held_replies(session: AsyncSession, consultation_id: str) -> list[HeldReply]:
    """One query for every held reply on the consultation; never the raw bytes."""
    query = (
        select(InboundMessageRow)
        .options(defer(cast(QueryableAttribute[bytes], InboundMessageRow.raw)))
        .where(InboundMessageRow.consultation_id == consultation_id)
        .where(InboundMessageRow.status == "review")
        .order_by(col(InboundMessageRow.received_at), col(InboundMessageRow.id))
    )
    return [
        HeldReply(r.id, r.country, r.version, r.sender, r.reason or "", r.received_at)
        for r in (await session.exec(query)).all()
        if r.id is not None
    ]


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

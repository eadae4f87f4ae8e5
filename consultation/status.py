"""Where a consultation stands: the view behind `consulta status`, Slack's board and the digest."""

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from consultation import clock, tally
from consultation.moves import current_version, load
from consultation.vocabulary import CountryStatus, PositionValue, SilenceRule, Standing, State
from store import queries
from store.tables import (
    AmendmentRow,
    ConsultationRow,
    CountryRow,
    PositionRow,
    TroikaReviewRow,
    VersionRow,
)


@dataclass(frozen=True)
class MemberLine:
    code: str
    name_es: str
    name_en: str
    standing: Standing
    extension_requested: bool
    amendments: int
    answered_at: datetime | None


@dataclass(frozen=True)
class ConsultationStatus:
    consultation: ConsultationRow
    version: VersionRow
    now: datetime
    members: list[MemberLine]
    result: tally.Tally
    troika: list[TroikaReviewRow] = field(default_factory=list)
    open_amendments: list[AmendmentRow] = field(default_factory=list)

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
    lines = [_line(m, result, latest, extensions, amendments) for m in members]
    troika = (
        await queries.troika_reviews(session, row.id, row.troika_round) if row.troika_round else []
    )
    return ConsultationStatus(row, version, now, lines, result, troika, open_amendments)


def _line(
    country: CountryRow,
    result: tally.Tally,
    latest: dict[str, PositionRow],
    extensions: set[str],
    amendments: list[AmendmentRow],
) -> MemberLine:
    position = latest.get(country.code)
    return MemberLine(
        code=country.code,
        name_es=country.name_es,
        name_en=country.name_en,
        standing=result.standings[country.code],
        extension_requested=country.code in extensions,
        amendments=sum(1 for a in amendments if a.country == country.code),
        answered_at=position.recorded_at if position else None,
    )

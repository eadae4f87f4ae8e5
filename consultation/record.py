"""A consultation's full record for the ST's archive, gathered as plain data (rendered elsewhere).

Every version with its period and extensions, every answer each member gave on it with the
message it came from, the amendments and what became of them, the Troika rounds, the event log.
"""

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from consultation.moves import load
from consultation.vocabulary import CountryStatus
from store import queries
from store.tables import (
    AmendmentRow,
    ConsultationRow,
    CountryRow,
    EventRow,
    InboundMessageRow,
    PositionRow,
    TroikaReviewRow,
    VersionRow,
)


@dataclass(frozen=True)
class AnswerEntry:
    position: PositionRow
    source: InboundMessageRow | None  # the email it was read from; None: recorded by hand
    amendments: list[AmendmentRow]


@dataclass(frozen=True)
class VersionEntry:
    version: VersionRow
    first_deadline: datetime | None  # as distributed, before any extension
    extensions: list[EventRow]
    tally: EventRow | None
    answers: dict[str, list[AnswerEntry]]  # per member, oldest first; the last one counts

    def standing(self, country: str) -> str | None:
        """The member's last stated position on this version (None: it never stated one)."""
        stated = [a.position.value for a in self.answers.get(country, []) if a.position.value]
        if stated:
            return stated[-1]
        if self.tally is not None:
            return str(self.tally.payload.get("standings", {}).get(country) or "") or None
        return None


@dataclass(frozen=True)
class Record:
    consultation: ConsultationRow
    members: list[CountryRow]
    versions: list[VersionEntry]
    troika: list[TroikaReviewRow] = field(default_factory=list)
    events: list[EventRow] = field(default_factory=list)
    # Every received message the record refers to (an answer read from it, a decision on it),
    # by number: the appendix that makes each source reachable as it came.
    messages: list[InboundMessageRow] = field(default_factory=list)

    @property
    def amendments(self) -> list[AmendmentRow]:
        return [
            a
            for v in self.versions
            for answers in v.answers.values()
            for entry in answers
            for a in entry.amendments
        ]


async def gather(session: AsyncSession, consultation_id: str) -> Record:
    row = await load(session, consultation_id)
    members = await queries.countries(session, status=CountryStatus.MEMBER.value)
    events = await queries.events(session, row.id)
    positions = await queries.positions(session, row.id)
    amendments = await queries.amendments(session, row.id)
    # Every message the record refers to, in one query: the answers' sources among them.
    referred = {e.inbound_id for e in events} | {p.inbound_id for p in positions}
    sources = await queries.inbound_messages(session, (i for i in referred if i is not None))
    versions = [
        _version(v, events, positions, amendments, sources)
        for v in await queries.versions(session, row.id)
    ]
    troika = await queries.all_troika_reviews(session, row.id)
    messages = [sources[number] for number in sorted(sources)]
    return Record(row, members, versions, troika, events, messages)


def _version(
    version: VersionRow,
    events: list[EventRow],
    positions: list[PositionRow],
    amendments: list[AmendmentRow],
    sources: dict[int, InboundMessageRow],
) -> VersionEntry:
    mine = [e for e in events if e.payload.get("version") == version.number]
    sent = next((e for e in mine if e.kind in ("distributed", "revised")), None)
    tallies = [e for e in mine if e.kind == "tallied"]
    answers: dict[str, list[AnswerEntry]] = {}
    for position in positions:
        if position.version != version.number:
            continue
        source = sources.get(position.inbound_id) if position.inbound_id else None
        own = [a for a in amendments if a.position_id == position.id]
        answers.setdefault(position.country, []).append(AnswerEntry(position, source, own))
    return VersionEntry(
        version=version,
        first_deadline=_instant(sent.payload.get("deadline")) if sent else None,
        extensions=[e for e in mine if e.kind == "extended"],
        tally=tallies[-1] if tallies else None,
        answers=answers,
    )


def _instant(value: object) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None

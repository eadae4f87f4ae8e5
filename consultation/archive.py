"""The archive: concluded and withdrawn consultations, found by title, text, country and date.

State, dates and country are filtered in SQL (the same statement on SQLite and PostgreSQL); the
words are matched here, against both titles and every version's text in both languages, without
case or accents ("migracion" finds "migración"): neither database's ``lower``/``LIKE`` does
that for both (SQLite folds ASCII only, and the texts are JSON with escaped accents).
"""

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from consultation.vocabulary import Language, State
from store.tables import ConsultationRow, PositionRow, VersionRow

CLOSED = (State.CONCLUDED.value, State.WITHDRAWN.value)


@dataclass(frozen=True)
class Search:
    words: str = ""
    country: str = ""  # ISO code: the presidency that ran it, or a member that answered it
    since: date | None = None  # closed on or after (in the consultation's PPT zone, roughly)
    until: date | None = None  # closed on or before


@dataclass(frozen=True)
class ArchiveEntry:
    id: str
    title: str
    other_title: str
    state: str  # concluded | withdrawn: the page says it in words
    outcome: str | None
    ppt_country: str
    closed_at: datetime | None
    versions: int


async def search(session: AsyncSession, query: Search, language: Language) -> list[ArchiveEntry]:
    """The closed consultations matching ``query``, most recently closed first."""
    rows = await _candidates(session, query)
    if not rows:
        return []
    texts = await _texts(session, [r.id for r in rows])
    wanted = _folded(query.words).split()
    return [
        _entry(row, len(texts.get(row.id, [])), language)
        for row in rows
        if all(w in _haystack(row, texts.get(row.id, [])) for w in wanted)
    ]


async def _candidates(session: AsyncSession, query: Search) -> list[ConsultationRow]:
    statement = select(ConsultationRow).where(col(ConsultationRow.state).in_(CLOSED))
    # A day's bounds taken in UTC with a day's margin would be wrong near midnight; the
    # consultations are few, so the exact local day is checked below instead.
    if query.since is not None:
        start = datetime.combine(query.since - timedelta(days=1), time.min, tzinfo=ZoneInfo("UTC"))
        statement = statement.where(col(ConsultationRow.closed_at) >= start)
    if query.until is not None:
        end = datetime.combine(query.until + timedelta(days=2), time.min, tzinfo=ZoneInfo("UTC"))
        statement = statement.where(col(ConsultationRow.closed_at) < end)
    code = query.country.strip().upper()
    if code:
        answered = select(PositionRow.consultation_id).where(PositionRow.country == code)
        statement = statement.where(
            or_(
                col(ConsultationRow.ppt_country) == code,
                col(ConsultationRow.id).in_(answered),
            )
        )
    statement = statement.order_by(
        col(ConsultationRow.closed_at).desc(), col(ConsultationRow.id).desc()
    )
    rows = list((await session.exec(statement)).all())
    return [r for r in rows if _within(r, query.since, query.until)]


def _within(row: ConsultationRow, since: date | None, until: date | None) -> bool:
    if row.closed_at is None:
        return since is None and until is None
    day = row.closed_at.astimezone(ZoneInfo(row.timezone)).date()
    return (since is None or day >= since) and (until is None or day <= until)


async def _texts(session: AsyncSession, ids: list[str]) -> dict[str, list[VersionRow]]:
    """Every version of the candidates, in one query."""
    statement = select(VersionRow).where(col(VersionRow.consultation_id).in_(ids))
    found: dict[str, list[VersionRow]] = {}
    for v in (await session.exec(statement)).all():
        found.setdefault(v.consultation_id, []).append(v)
    return found


def _haystack(row: ConsultationRow, versions: Iterable[VersionRow]) -> str:
    parts = [row.id, row.title_es, row.title_en]
    for v in versions:
        parts += [*(v.paragraphs_es or []), *(v.paragraphs_en or [])]
    return _folded(" ".join(parts))


def _folded(text: str) -> str:
    """Lower case without accents: what a person means by "the same word"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _entry(row: ConsultationRow, versions: int, language: Language) -> ArchiveEntry:
    spanish = language is Language.ES
    return ArchiveEntry(
        id=row.id,
        title=(row.title_es if spanish else row.title_en) or row.title_es,
        other_title=row.title_en if spanish else row.title_es,
        state=row.state,
        outcome=row.outcome,
        ppt_country=row.ppt_country,
        closed_at=row.closed_at,
        versions=versions,
    )

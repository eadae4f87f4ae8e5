"""The ST's daily digest as plain data: what is open and due, what waits for a person, what changed.

The digest is gathered once, when it is due, and kept in the outbox row's payload, so the email
shows the state at that moment however late it is sent. Everything is codes and ISO instants;
``mail.digest`` turns it into words in the reader's language and timezone.
"""

from datetime import datetime
from typing import Any, cast

from sqlalchemy.orm import QueryableAttribute, defer
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from consultation.deliveries import delivery_notes
from consultation.lifecycle import OPEN_STATES
from consultation.status import ConsultationStatus, consultation_statuses
from consultation.vocabulary import CountryStatus, Role, Standing, State, TroikaStatus
from store import queries
from store.tables import (
    ConsultationRow,
    ContactEmailRow,
    ContactRoleRow,
    ContactRow,
    EventRow,
    InboundMessageRow,
)

# Events that count as news for the ST; answers are summed up rather than listed one by one.
NEWS = ("distributed", "revised", "extended", "tallied", "concluded", "withdrawn", "reminded")


async def gather(
    session: AsyncSession, *, now: datetime, since: datetime, console: str | None = None
) -> dict[str, Any]:
    """The digest's content at ``now``; news is what happened after ``since``. ``console``:
    the web console's address, which the digest links to for what it only summarises."""
    open_rows = await queries.consultations(session, states=[s.value for s in OPEN_STATES])
    views = await consultation_statuses(session, open_rows, now=now)
    views.sort(key=_by_deadline)
    away = await _away(session, [row.id for row in open_rows])
    countries = await queries.countries(session)
    failing = await _failing(session)
    unreachable = {f["country"] for f in failing}
    return {
        "now": now.isoformat(),
        "since": since.isoformat(),
        "names": {c.code: [c.name_es, c.name_en] for c in countries},
        "consultations": [
            _open(view, unreachable, away.get(view.consultation.id, [])) for view in views
        ],
        "changes": await _changes(session, now=now, since=since),
        "review_closed": await _review_closed(session, [row.id for row in open_rows]),
        "review_unlinked": await _review_unlinked(session),
        "failing": failing,
        **await delivery_notes(session, now=now, since=since),
        "console": console,
    }


# Everything a digest may list; with none of them it says plainly there is nothing to report.
SECTIONS = (
    "consultations",
    "changes",
    "review_closed",
    "review_unlinked",
    "failing",
    "delayed",
    "unverified_bounces",
)


def is_empty(digest: dict[str, Any]) -> bool:
    return not any(digest.get(k) for k in SECTIONS)


def _by_deadline(view: ConsultationStatus) -> tuple[int, str, str]:
    deadline = view.deadline.isoformat() if view.deadline else ""
    return (0 if view.deadline else 1, deadline, view.consultation.id)


def _open(view: ConsultationStatus, unreachable: set[str], away: list[EventRow]) -> dict[str, Any]:
    row, state = view.consultation, view.state
    consulting = state in (State.CONSULTING, State.TALLIED)
    pending = [m.code for m in view.members if m.standing is Standing.PENDING]
    return {
        "id": row.id,
        "title": [row.title_es, row.title_en],
        "state": row.state,
        "kind": row.kind,
        "version": view.version.number,
        "deadline": view.deadline.isoformat() if consulting and view.deadline else None,
        "days_left": view.business_days_left if state is State.CONSULTING else None,
        "outcome": row.outcome,
        "pending": pending if state is State.CONSULTING else [],
        # Pending members one of whose focal points' addresses fails: they may not have it.
        "pending_failing": [c for c in pending if c in unreachable]
        if state is State.CONSULTING
        else [],
        "silent": [m.code for m in view.members if m.standing is Standing.SILENT],
        "blocking": list(view.result.blocking),
        "extension_requested": [m.code for m in view.members if m.extension_requested],
        "troika_pending": [
            r.country
            for r in view.troika
            if state is State.TROIKA_REVIEW and r.status == TroikaStatus.PENDING.value
        ],
        "answered": sum(1 for m in view.members if m.standing not in _UNANSWERED),
        "members": len(view.members),
        "open_amendments": len(view.open_amendments),
        "projected": view.result.outcome.value,
        # Members whose held replies the outcome hangs on, and whether each is newer than a
        # recorded position ("blocked, but Canada's newer reply is held for review").
        "depends": [[m.code, m.held_newer] for m in view.members if m.code in view.depends_on]
        if state in (State.CONSULTING, State.TALLIED)
        else [],
        "review": _held(view),
        "out_of_office": _out_of_office(view, away),
    }


_UNANSWERED = (Standing.PENDING, Standing.SILENT)


def _held(view: ConsultationStatus) -> list[dict[str, Any]]:
    """The consultation's replies still held (settled ones are not ``review`` any more), each
    said as it bears on its country: a newer reply that may change a recorded position, the
    only reply of a country still pending, an earlier one a recorded answer overtook, or one
    on another version or of no proven country."""
    lines = {m.code: m for m in view.members}
    found = []
    for h in view.held:
        member = lines.get(h.country or "")
        current = member is not None and h.version == view.version.number
        position = member.standing.value if member and member.answered_at else None
        if not current:
            bearing = "other"
        elif h.newer:
            bearing = "newer"
        else:
            bearing = "earlier" if position else "held"
        found.append(
            {
                "id": h.inbound_id,
                "country": h.country,
                "sender": h.sender or "",
                "reason": h.reasons,
                "received_at": h.received_at.isoformat(),
                "version": h.version,
                "bearing": bearing,
                "standing": position,
            }
        )
    return found


async def _review_unlinked(session: AsyncSession) -> list[dict[str, Any]]:
    """Held messages that prove no consultation (a message with a proof is tied to its own)."""
    query = _held_rows().where(col(InboundMessageRow.consultation_id).is_(None))
    return [_row(r) for r in (await session.exec(query)).all()]


async def _review_closed(session: AsyncSession, open_ids: list[str]) -> list[dict[str, Any]]:
    """Held replies on consultations no longer open (concluded, withdrawn): still a person's
    to settle, listed under their consultation."""
    query = _held_rows().where(col(InboundMessageRow.consultation_id).is_not(None))
    if open_ids:
        query = query.where(col(InboundMessageRow.consultation_id).not_in(open_ids))
    rows = (await session.exec(query)).all()
    if not rows:
        return []
    ids = {r.consultation_id for r in rows if r.consultation_id}
    titles = select(ConsultationRow).where(col(ConsultationRow.id).in_(ids))
    named = {c.id: [c.title_es, c.title_en] for c in (await session.exec(titles)).all()}
    grouped: dict[str, dict[str, Any]] = {}
    for r in rows:
        assert r.consultation_id is not None
        entry = grouped.setdefault(
            r.consultation_id,
            {
                "id": r.consultation_id,
                "title": named.get(r.consultation_id, ["", ""]),
                "review": [],
            },
        )
        entry["review"].append({**_row(r), "version": r.version, "bearing": "other"})
    return list(grouped.values())


def _held_rows() -> SelectOfScalar[InboundMessageRow]:
    return (
        select(InboundMessageRow)
        .options(defer(cast(QueryableAttribute[bytes], InboundMessageRow.raw)))
        .where(InboundMessageRow.status == "review")
        .order_by(col(InboundMessageRow.id))
    )


def _row(r: InboundMessageRow) -> dict[str, Any]:
    return {
        "id": r.id,
        "country": r.country,
        "sender": r.sender or "",
        "reason": r.reason or "",
        "received_at": r.received_at.isoformat(),
    }


async def _away(session: AsyncSession, consultation_ids: list[str]) -> dict[str, list[EventRow]]:
    """The out-of-office notes of every open consultation, in one query."""
    query = (
        select(EventRow)
        .where(col(EventRow.consultation_id).in_(consultation_ids))
        .where(EventRow.kind == "out_of_office")
        .order_by(col(EventRow.id))
    )
    found: dict[str, list[EventRow]] = {}
    for event in (await session.exec(query)).all():
        found.setdefault(event.consultation_id or "", []).append(event)
    return found


def _out_of_office(view: ConsultationStatus, away: list[EventRow]) -> list[dict[str, Any]]:
    """Auto-replies received on the current version, unless the absence is over."""
    start, now = view.version.distributed_at, view.now
    notes = []
    for event in away:
        if start is not None and event.at < start:
            continue
        until = event.payload.get("until")
        if until and str(until)[:10] < now.date().isoformat():
            continue
        notes.append(
            {
                "country": event.payload.get("country"),
                "contact": event.payload.get("contact"),
                "until": until,
            }
        )
    return notes


async def _failing(session: AsyncSession) -> list[dict[str, Any]]:
    """Focal points' addresses that bounced or were refused: the country may not be hearing us."""
    query = (
        select(ContactEmailRow, ContactRow, ContactRoleRow)
        .join(ContactRow, col(ContactRow.id) == col(ContactEmailRow.contact_id))
        .join(ContactRoleRow, col(ContactRoleRow.contact_id) == col(ContactRow.id))
        .where(col(ContactEmailRow.failing).is_(True))
        .where(ContactRoleRow.role == Role.FOCAL_POINT.value)
        .order_by(col(ContactRoleRow.party), col(ContactEmailRow.address))
    )
    members = {c.code for c in await queries.countries(session, status=CountryStatus.MEMBER.value)}
    return [
        {
            "country": role.party,
            "member": role.party in members,
            "contact": contact.name,
            "address": email.address,
            "failure": email.failure or "",
            "failed_at": email.failed_at.isoformat() if email.failed_at else None,
        }
        for email, contact, role in (await session.exec(query)).all()
    ]


async def _changes(
    session: AsyncSession, *, now: datetime, since: datetime
) -> list[dict[str, Any]]:
    """Per consultation, in order: the moves since the last digest and who answered."""
    query = (
        select(EventRow)
        .where(col(EventRow.at) > since, col(EventRow.at) <= now)
        .where(col(EventRow.consultation_id).is_not(None))
        .order_by(col(EventRow.id))
    )
    events = [
        e
        for e in (await session.exec(query)).all()
        if e.kind in NEWS or e.kind == "answer_recorded"
    ]
    titles = select(ConsultationRow).where(
        col(ConsultationRow.id).in_({e.consultation_id for e in events})
    )
    rows = {c.id: c for c in (await session.exec(titles)).all()} if events else {}
    grouped: dict[str, dict[str, Any]] = {}
    for event in events:
        assert event.consultation_id is not None
        entry = grouped.get(event.consultation_id)
        if entry is None:
            row = rows[event.consultation_id]
            entry = {
                "id": row.id,
                "title": [row.title_es, row.title_en],
                "events": [],
                "answers": [],
            }
            grouped[row.id] = entry
        if event.kind == "answer_recorded":
            answer = [
                event.payload.get("country"),
                event.payload.get("position"),
                bool(event.payload.get("extension_requested")),
            ]
            entry["answers"].append(answer)
        else:
            entry["events"].append(
                {"kind": event.kind, "at": event.at.isoformat(), **_facts(event)}
            )
    return list(grouped.values())


def _facts(event: EventRow) -> dict[str, Any]:
    keep = ("version", "outcome", "deadline", "days", "silent", "blocking", "countries", "reason")
    return {k: event.payload[k] for k in keep if k in event.payload}

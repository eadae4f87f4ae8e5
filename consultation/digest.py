"""The ST's daily digest as plain data: what is open and due, what waits for a person, what changed.

The digest is gathered once, when it is due, and kept in the outbox row's payload, so the email
shows the state at that moment however late it is sent. Everything is codes and ISO instants;
``mail.digest`` turns it into words in the reader's language and timezone.
"""

from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from consultation.lifecycle import OPEN_STATES
from consultation.status import ConsultationStatus, consultation_status
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


async def gather(session: AsyncSession, *, now: datetime, since: datetime) -> dict[str, Any]:
    """The digest's content at ``now``; news is what happened after ``since``."""
    open_rows = await queries.consultations(session, states=[s.value for s in OPEN_STATES])
    views = [await consultation_status(session, row.id, now=now) for row in open_rows]
    views.sort(key=_by_deadline)
    countries = await queries.countries(session)
    failing = await _failing(session)
    unreachable = {f["country"] for f in failing}
    return {
        "now": now.isoformat(),
        "since": since.isoformat(),
        "names": {c.code: [c.name_es, c.name_en] for c in countries},
        "consultations": [await _open(session, view, unreachable) for view in views],
        "changes": await _changes(session, now=now, since=since),
        "review_unlinked": await _review(session, None),
        "failing": failing,
    }


def is_empty(digest: dict[str, Any]) -> bool:
    return not any(digest[k] for k in ("consultations", "changes", "review_unlinked", "failing"))


def _by_deadline(view: ConsultationStatus) -> tuple[int, str, str]:
    deadline = view.deadline.isoformat() if view.deadline else ""
    return (0 if view.deadline else 1, deadline, view.consultation.id)


async def _open(
    session: AsyncSession, view: ConsultationStatus, unreachable: set[str]
) -> dict[str, Any]:
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
        "review": await _review(session, row.id),
        "out_of_office": await _out_of_office(session, row, view, now=view.now),
    }


_UNANSWERED = (Standing.PENDING, Standing.SILENT)


async def _review(session: AsyncSession, consultation_id: str | None) -> list[dict[str, Any]]:
    query = select(InboundMessageRow).where(InboundMessageRow.status == "review")
    query = query.where(InboundMessageRow.consultation_id == consultation_id)
    rows = (await session.exec(query.order_by(col(InboundMessageRow.id)))).all()
    return [
        {
            "id": r.id,
            "country": r.country,
            "sender": r.sender,
            "reason": r.reason or "",
            "received_at": r.received_at.isoformat(),
        }
        for r in rows
    ]


async def _out_of_office(
    session: AsyncSession, row: ConsultationRow, view: ConsultationStatus, *, now: datetime
) -> list[dict[str, Any]]:
    """Auto-replies received on the current version, unless the absence is over."""
    start = view.version.distributed_at
    notes = []
    for event in await queries.events(session, row.id):
        if event.kind != "out_of_office" or (start is not None and event.at < start):
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
    grouped: dict[str, dict[str, Any]] = {}
    for event in (await session.exec(query)).all():
        if event.kind not in NEWS and event.kind != "answer_recorded":
            continue
        assert event.consultation_id is not None
        entry = grouped.get(event.consultation_id)
        if entry is None:
            row = await queries.consultation(session, event.consultation_id)
            assert row is not None
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

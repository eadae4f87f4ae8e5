"""Bring a validated roster (or a contacts spreadsheet) into the store: idempotent upserts."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from consultation import journal
from consultation.errors import RosterError
from consultation.roster import ContactEntry, Roster
from store.tables import (
    ContactEmailRow,
    ContactRoleRow,
    ContactRow,
    CountryRow,
    OrganisationRow,
    PresidencyRow,
)


@dataclass
class SyncReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    deactivated: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{len(self.added)} added, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged, {len(self.deactivated)} deactivated"
        )


async def import_roster(
    session: AsyncSession, roster: Roster, *, actor: str, at: datetime
) -> SyncReport:
    """The roster is authoritative: contacts missing from it are deactivated, never deleted
    (the record still points at them)."""
    for country in roster.countries:
        await session.merge(
            CountryRow(
                code=country.code,
                name_es=country.name_es,
                name_en=country.name_en,
                status=country.status.value,
                timezone=country.timezone,
                calendar=country.holiday_calendar,
            )
        )
    for org in roster.organisations:
        await session.merge(
            OrganisationRow(code=org.code, name_es=org.name_es, name_en=org.name_en)
        )
    p = roster.presidency
    await session.merge(
        PresidencyRow(
            id=1,
            previous=p.previous or "",
            current=p.current,
            next=p.next or "",
            bureau=list(p.bureau) if p.bureau else None,
        )
    )
    await session.flush()
    report = await import_contacts(session, roster.contacts, actor=actor, at=at, source="roster")
    kept = {a for c in roster.contacts for a in c.emails}
    for contact in (await session.exec(select(ContactRow).where(col(ContactRow.active)))).all():
        assert contact.id is not None
        if not kept & {e.address for e in await _emails(session, contact.id)}:
            contact.active = False
            session.add(contact)
            report.deactivated.append(contact.name)
    await journal.record_event(
        session,
        consultation_id=None,
        kind="roster_imported",
        actor=actor,
        at=at,
        payload={"summary": report.summary(), "presidency": list(p.troika)},
    )
    return report


async def import_contacts(
    session: AsyncSession,
    contacts: Sequence[ContactEntry],
    *,
    actor: str,
    at: datetime,
    source: str = "contacts",
) -> SyncReport:
    """Upsert each contact, matched by any of its addresses (else by name)."""
    report = SyncReport()
    await _check_parties(session, contacts, source)
    for entry in contacts:
        row = await _find(session, entry)
        if row is None:
            row = ContactRow(
                name=entry.name, language=entry.language.value, timezone=entry.timezone
            )
            session.add(row)
            await session.flush()
            report.added.append(entry.name)
        elif await _same(session, row, entry):
            report.unchanged.append(entry.name)
            continue
        else:
            report.updated.append(entry.name)
        await _apply(session, row, entry)
    if contacts and source != "roster":
        await journal.record_event(
            session,
            consultation_id=None,
            kind="contacts_imported",
            actor=actor,
            at=at,
            payload={"source": source, "summary": report.summary()},
        )
    return report


async def _check_parties(
    session: AsyncSession, contacts: Sequence[ContactEntry], source: str
) -> None:
    known = {c.code for c in (await session.exec(select(CountryRow))).all()}
    known |= {o.code for o in (await session.exec(select(OrganisationRow))).all()}
    problems = [
        f"{entry.name}: {grant.party} is not in the roster (import the roster first)"
        for entry in contacts
        for grant in entry.grants
        if grant.party and grant.party not in known
    ]
    if problems:
        raise RosterError(problems, source=source)


async def _find(session: AsyncSession, entry: ContactEntry) -> ContactRow | None:
    for address in entry.emails:
        email = await session.get(ContactEmailRow, address)
        if email is not None:
            return await session.get(ContactRow, email.contact_id)
    query = select(ContactRow).where(ContactRow.name == entry.name)
    return (await session.exec(query)).first()


async def _emails(session: AsyncSession, contact_id: int) -> list[ContactEmailRow]:
    query = select(ContactEmailRow).where(ContactEmailRow.contact_id == contact_id)
    return list((await session.exec(query)).all())


async def _roles(session: AsyncSession, contact_id: int) -> set[str]:
    query = select(ContactRoleRow).where(ContactRoleRow.contact_id == contact_id)
    rows = (await session.exec(query)).all()
    return {f"{r.role}:{r.party}" if r.party else r.role for r in rows}


async def _same(session: AsyncSession, row: ContactRow, entry: ContactEntry) -> bool:
    assert row.id is not None
    return (
        (row.name, row.language, row.timezone, row.slack_user_id, row.active)
        == (entry.name, entry.language.value, entry.timezone, entry.slack_user_id, entry.active)
        and {e.address for e in await _emails(session, row.id)} == set(entry.emails)
        and await _roles(session, row.id) == set(entry.roles)
    )


async def _apply(session: AsyncSession, row: ContactRow, entry: ContactEntry) -> None:
    assert row.id is not None
    row.name, row.language, row.timezone = entry.name, entry.language.value, entry.timezone
    row.slack_user_id, row.active = entry.slack_user_id, entry.active
    session.add(row)
    current = {e.address: e for e in await _emails(session, row.id)}
    for address, email in current.items():
        if address not in entry.emails:
            await session.delete(email)
    for address in entry.emails:
        if address not in current:
            taken = await session.get(ContactEmailRow, address)
            if taken is not None:  # the address moved from another contact (a handover)
                taken.contact_id = row.id
                session.add(taken)
            else:
                session.add(ContactEmailRow(address=address, contact_id=row.id))
    await session.exec(delete(ContactRoleRow).where(col(ContactRoleRow.contact_id) == row.id))
    for grant in entry.grants:
        session.add(ContactRoleRow(contact_id=row.id, role=grant.role.value, party=grant.party))
    await session.flush()

"""What a batch of claimed notices reads to be composed, read in a few statements.

A fan-out claims twenty notices at a time, most about the same consultation and version, each
for a different contact: reading each one's contact, addresses, roles, consultation, version
and country on its own costs eight statements a notice. Here they are read for the whole batch
in the batch's own transaction, so they are as fresh as the claim, and held in the session (a
session forgets what nobody references, and `session.get` then asks the store again).
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import tuple_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from store import queries
from store.tables import (
    ConsultationRow,
    ContactEmailRow,
    ContactRoleRow,
    ContactRow,
    CountryRow,
    OutboxRow,
    VersionRow,
)


@dataclass
class Prefetched:
    """One batch's rows; a lookup it does not hold goes to the store."""

    contacts: dict[int, ContactRow] = field(default_factory=dict)
    emails: dict[int, list[ContactEmailRow]] = field(default_factory=dict)
    roles: dict[int, list[ContactRoleRow]] = field(default_factory=dict)
    consultations: dict[str, ConsultationRow] = field(default_factory=dict)
    versions: dict[tuple[str, int], VersionRow] = field(default_factory=dict)
    countries: dict[str, CountryRow] = field(default_factory=dict)

    async def contact(self, session: AsyncSession, contact_id: int) -> ContactRow | None:
        found = self.contacts.get(contact_id)
        return found if found is not None else await session.get(ContactRow, contact_id)

    async def emails_of(self, session: AsyncSession, contact_id: int) -> list[ContactEmailRow]:
        found = self.emails.get(contact_id)
        return list(found) if found is not None else await queries.emails_of(session, contact_id)

    async def roles_of(self, session: AsyncSession, contact_id: int) -> list[ContactRoleRow]:
        found = self.roles.get(contact_id)
        return list(found) if found is not None else await queries.roles_of(session, contact_id)

    async def consultation(self, session: AsyncSession, key: str) -> ConsultationRow | None:
        found = self.consultations.get(key)
        return found if found is not None else await queries.consultation(session, key)

    async def version(self, session: AsyncSession, key: str, number: int) -> VersionRow | None:
        found = self.versions.get((key, number))
        return found if found is not None else await queries.version(session, key, number)

    async def country(self, session: AsyncSession, code: str) -> CountryRow | None:
        found = self.countries.get(code)
        return found if found is not None else await session.get(CountryRow, code)


NOTHING = Prefetched()  # a notice composed on its own: every lookup from the store


async def prefetch(session: AsyncSession, rows: Sequence[OutboxRow]) -> Prefetched:
    """Everything ``rows`` will look up, in six statements however many rows there are."""
    found = Prefetched()
    contact_ids = sorted({r.contact_id for r in rows if r.contact_id is not None})
    if contact_ids:
        contacts = select(ContactRow).where(col(ContactRow.id).in_(contact_ids))
        found.contacts = {c.id: c for c in (await session.exec(contacts)).all() if c.id}
        found.emails = {cid: [] for cid in contact_ids}
        emails = select(ContactEmailRow).where(col(ContactEmailRow.contact_id).in_(contact_ids))
        for email in (await session.exec(emails.order_by(col(ContactEmailRow.address)))).all():
            found.emails[email.contact_id].append(email)
        found.roles = await queries.roles_of_many(session, contact_ids)
    keys = sorted({r.consultation_id for r in rows if r.consultation_id is not None})
    if keys:
        consultations = select(ConsultationRow).where(col(ConsultationRow.id).in_(keys))
        found.consultations = {c.id: c for c in (await session.exec(consultations)).all()}
        wanted = sorted(
            {
                (r.consultation_id, int(r.payload.get("version", c.current_version)))
                for r in rows
                if r.consultation_id is not None
                and (c := found.consultations.get(r.consultation_id)) is not None
            }
        )
        if wanted:
            versions = select(VersionRow).where(
                tuple_(col(VersionRow.consultation_id), col(VersionRow.number)).in_(wanted)
            )
            for v in (await session.exec(versions)).all():
                found.versions[(v.consultation_id, v.number)] = v
        # A notice names its reader's country and the PPT's: the whole roster is one statement.
        found.countries = {c.code: c for c in await queries.countries(session)}
    return found

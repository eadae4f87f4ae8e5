"""What the messages of one fetched batch look up again and again, looked up once per batch.

Replies come in bursts from the same focal points about the same version: the sender's
contact and roles and the version's paragraphs are read once for the batch (seconds long)
rather than twice per message (once to read it, once to decide it). A roster change lands
with the next batch. The rows are only read, never changed or added to another session.
"""

from collections.abc import Iterable

from sqlmodel.ext.asyncio.session import AsyncSession

from store import queries
from store.remembered import Remembered
from store.tables import ContactRoleRow, ContactRow, VersionRow


class Lookups:
    def __init__(self) -> None:
        # The roster questions the procedure itself asks per answer (`store.remembered`).
        self.remembered: Remembered | None = Remembered()
        self._contacts: dict[str, ContactRow | None] = {}
        self._roles: dict[int, list[ContactRoleRow]] = {}
        self._versions: dict[tuple[str, int], VersionRow | None] = {}

    async def prefetch(self, session: AsyncSession, addresses: Iterable[str]) -> None:
        """Every sender's contact and roles in two queries, rather than three each."""
        wanted = {a.strip().lower() for a in addresses} - self._contacts.keys()
        if not wanted:
            return
        contacts = await queries.contacts_by_email(session, wanted)
        for address in wanted:
            self._contacts[address] = contacts.get(address)
        ids = {c.id for c in contacts.values() if c.id is not None} - self._roles.keys()
        self._roles |= await queries.roles_of_many(session, ids)

    async def contact(self, session: AsyncSession, address: str) -> ContactRow | None:
        key = address.strip().lower()
        if key not in self._contacts:
            self._contacts[key] = await queries.contact_by_email(session, key)
        return self._contacts[key]

    async def roles(self, session: AsyncSession, contact_id: int) -> list[ContactRoleRow]:
        if contact_id not in self._roles:
            self._roles[contact_id] = await queries.roles_of(session, contact_id)
        return self._roles[contact_id]

    async def version(
        self, session: AsyncSession, consultation_id: str, number: int
    ) -> VersionRow | None:
        key = (consultation_id, number)
        if key not in self._versions:
            self._versions[key] = await queries.version(session, consultation_id, number)
        return self._versions[key]


class NoLookups(Lookups):
    """Every lookup from the store: a message handled on its own."""

    def __init__(self) -> None:
        super().__init__()
        self.remembered = None

    async def prefetch(self, session: AsyncSession, addresses: Iterable[str]) -> None:
        return None

    async def contact(self, session: AsyncSession, address: str) -> ContactRow | None:
        return await queries.contact_by_email(session, address)

    async def roles(self, session: AsyncSession, contact_id: int) -> list[ContactRoleRow]:
        return await queries.roles_of(session, contact_id)

    async def version(
        self, session: AsyncSession, consultation_id: str, number: int
    ) -> VersionRow | None:
        return await queries.version(session, consultation_id, number)

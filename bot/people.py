"""Who is asking: a Slack user id, looked up in the roster, with roles and language."""

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from consultation.moves import Move
from consultation.permissions import Deed, Grant, allowed, grants_of
from consultation.vocabulary import Language, Role
from store import queries
from store.tables import ContactRoleRow, ContactRow


@dataclass(frozen=True)
class Person:
    slack_user_id: str
    language: Language
    contact: ContactRow | None = None
    roles: list[ContactRoleRow] = field(default_factory=list)

    @property
    def actor(self) -> str:
        """How the audit trail names a move made in Slack."""
        return f"slack:{self.slack_user_id}"

    @property
    def name(self) -> str:
        return self.contact.name if self.contact else self.slack_user_id

    @property
    def in_roster(self) -> bool:
        return self.contact is not None and self.contact.active

    def has(self, role: Role, party: str | None = None) -> bool:
        return any(r.role == role.value and (party is None or r.party == party) for r in self.roles)

    @property
    def grants(self) -> list[Grant]:
        return grants_of((r.role, r.party) for r in self.roles)

    def may(self, deed: Deed, party: str | None = None) -> bool:
        """The roster's roles against ``consultation.permissions``, as on every front."""
        return allowed(self.grants, deed, party)

    @property
    def troika_countries(self) -> list[str]:
        return [r.party for r in self.roles if r.role == Role.TROIKA.value and r.party]

    def move(self, at: datetime) -> Move:
        return Move(actor=self.actor, at=at)


async def person(
    session: AsyncSession, slack_user_id: str, *, fallback: Language = Language.ES
) -> Person:
    """Someone outside the roster is read in ``fallback`` (the language they typed in)."""
    contact = await queries.contact_by_slack(session, slack_user_id)
    if contact is None or contact.id is None:
        return Person(slack_user_id, fallback)
    roles = await queries.roles_of(session, contact.id)
    return Person(slack_user_id, Language(contact.language), contact, roles)

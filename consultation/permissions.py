"""Who may do what: the roster's roles against each kind of deed, for every front.

Slack, the web console and (through its operator) the command line ask here, so a PPT officer
may do the same things wherever they are, and nobody else may. Pure: roles in, yes or no out.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from consultation.vocabulary import Role


class Deed(StrEnum):
    """What a person asks to do, as far as roles decide it (the procedure's state decides the
    rest: `consultation.lifecycle`)."""

    READ = "read"  # see consultations and their status
    STEER = "steer"  # open, put to the Troika, send, revise, extend, remind, conclude, withdraw
    REVIEW = "review"  # settle held replies (confirm, correct, reject)
    CONSOLE = "console"  # sign in to the web console
    ANSWER_FOR_COUNTRY = "answer_for_country"  # a member's position, for the country named
    ANSWER_FOR_TROIKA = "answer_for_troika"  # a Troika seat's answer, for the country named


@dataclass(frozen=True)
class Grant:
    """One role a contact holds, for a country when the role is a country's."""

    role: Role
    party: str | None = None


# Deeds any of these roles allow, whatever the party.
_BY_ROLE: dict[Deed, frozenset[Role]] = {
    Deed.STEER: frozenset({Role.PPT}),
    Deed.REVIEW: frozenset({Role.PPT, Role.ST}),
    # The people who run the procedure or follow it for the conference; focal points answer
    # by email or Slack and have no console.
    Deed.CONSOLE: frozenset({Role.PPT, Role.ST, Role.TROIKA}),
}
# Deeds for one country: the role must be held for that country.
_FOR_PARTY: dict[Deed, Role] = {
    Deed.ANSWER_FOR_COUNTRY: Role.FOCAL_POINT,
    Deed.ANSWER_FOR_TROIKA: Role.TROIKA,
}


def allowed(grants: Iterable[Grant], deed: Deed, party: str | None = None) -> bool:
    """Whether someone holding ``grants`` may do ``deed`` (for ``party`` when it is a
    country's deed). Anyone in the roster may read."""
    held = list(grants)
    if deed is Deed.READ:
        return True
    if deed in _FOR_PARTY:
        role = _FOR_PARTY[deed]
        return any(g.role is role and party is not None and g.party == party for g in held)
    return any(g.role in _BY_ROLE[deed] for g in held)


def grants_of(roles: Iterable[tuple[str, str | None]]) -> list[Grant]:
    """Grants from the store's (role, party) pairs; a role this version does not know gives
    nothing."""
    known = {r.value for r in Role}
    return [Grant(Role(role), party) for role, party in roles if role in known]

"""Who is looking at a page: the signed-in roster contact, with what they may do.

Handlers ask ``require(request, Deed.STEER)``: it returns the viewer, sends someone not signed
in to the sign-in page, and refuses (403, one sentence in their language) someone whose roles
do not allow the deed. The roles are read from the roster on every request, so a contact
removed or stripped of a role loses the console at once, whatever their cookie says.
"""

from dataclasses import dataclass
from datetime import datetime

from aiohttp import web

from consultation.moves import Move
from consultation.permissions import Deed, Grant, allowed
from consultation.vocabulary import Language, Role


@dataclass(frozen=True)
class Viewer:
    contact_id: int
    name: str
    email: str  # the contact's first registered address
    grants: tuple[Grant, ...]
    language: Language
    timezone: str

    def may(self, deed: Deed, party: str | None = None) -> bool:
        return allowed(self.grants, deed, party)

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(g.role for g in self.grants)

    @property
    def country(self) -> str | None:
        """The country a Troika representative or focal point speaks for, if any."""
        return next((g.party for g in self.grants if g.party), None)

    @property
    def actor(self) -> str:
        """How the audit trail names a move made in the console."""
        return f"web:{self.email}"

    def move(self, at: datetime) -> Move:
        return Move(actor=self.actor, at=at)


# The request's viewer, or None when nobody is signed in (set by ``web.auth.middleware``).
VIEWER = web.RequestKey[Viewer | None]("viewer")


def viewer_of(request: web.Request) -> Viewer | None:
    return request.get(VIEWER)


class Refused(Exception):
    """A request the console will not carry out: shown as a page saying why in one sentence
    (``phrase`` of ``templates/web/phrases.*``), by ``web.render.middleware``."""

    def __init__(self, phrase: str, *, status: int = 403, **values: object) -> None:
        super().__init__(phrase)
        self.phrase, self.status, self.values = phrase, status, values


def require(request: web.Request, deed: Deed = Deed.CONSOLE, party: str | None = None) -> Viewer:
    """The signed-in viewer allowed ``deed``; otherwise the sign-in page (303) or a refusal."""
    viewer = viewer_of(request)
    if viewer is None:
        raise web.HTTPSeeOther("/sign-in")
    if not viewer.may(deed, party):
        raise Refused("not_allowed", deed=deed.value)
    return viewer

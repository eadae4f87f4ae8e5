"""The board: every open consultation by deadline, each member's position, live.

The same reading as ``consulta status`` and Slack's status message (``consultation.status``,
``consultation.notes``), written for the viewer: deadlines in their zone and language, business
days left, notes (asks for time, out of office, an address that bounces) and held replies with
their reasons in words. The members' section follows the store (``web.live``).
"""

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiohttp import web
from markupsafe import Markup
from sqlmodel.ext.asyncio.session import AsyncSession

from consultation import held
from consultation.deadlines import render_deadline
from consultation.notes import Notes, notes_for
from consultation.status import ConsultationStatus, MemberLine, consultation_status
from consultation.vocabulary import Kind, Language, Standing, State
from consultation.zones import moment, short_moment, zone_name
from store import queries
from web import live
from web.console import console_of
from web.render import html, page
from web.viewer import Viewer, require

OPEN = [State.DRAFT, State.TROIKA_REVIEW, State.CONSULTING, State.TALLIED]
# Worst first within a consultation would hide the alphabetical order people scan by; the
# standings keep the roster's order by name, and the marks carry the colour.
MARKS = {
    Standing.APPROVE: "✓",
    Standing.AMEND: "✎",
    Standing.OBJECT: "✗",
    Standing.ABSTAIN: "○",
    Standing.PENDING: "…",
    Standing.SILENT: "–",
}


def routes() -> list[web.RouteDef]:
    return [web.get("/", board), web.get("/live/board", live_board)]


async def board(request: web.Request) -> web.StreamResponse:
    viewer = require(request)
    context = await board_context(request, viewer)
    fragment = html(request, "web/board_items.html", **context)
    return page(
        request,
        "web/board.html",
        zone=context["zone"],
        fragment=Markup(fragment),  # rendered (and escaped) by its own template
        live=live.address("/live/board", fragment),
    )


async def live_board(request: web.Request) -> web.StreamResponse:
    viewer = require(request)

    async def render() -> str:
        return html(request, "web/board_items.html", **await board_context(request, viewer))

    return await live.stream(request, render)


async def board_context(request: web.Request, viewer: Viewer) -> dict[str, Any]:
    console = console_of(request)
    now = console.time.now()
    async with console.db.session() as session:
        items = await open_items(session, viewer, now)
    return {
        "items": items,
        "updated": moment(now, viewer.timezone, viewer.language),
        "zone": zone_name(viewer.timezone, viewer.language),
    }


@dataclass(frozen=True)
class Item:
    """One consultation as the board shows it."""

    id: str
    title: str
    state: str
    version: int
    urgent: bool
    deadline: str | None
    deadline_at: datetime | None
    days_left: int | None  # only while the members are being consulted
    outcome: str | None  # final, or what it would be if the period closed now
    final: bool
    blocking: list[str]
    depends: list[str]  # members whose held replies could still change the outcome
    troika: list[dict[str, Any]]
    distributed: bool
    members: list[dict[str, Any]]
    counts: dict[str, int]
    amendments: list[dict[str, Any]]


async def open_items(session: AsyncSession, viewer: Viewer, now: datetime) -> list[Item]:
    rows = await queries.consultations(session, states=[s.value for s in OPEN])
    items = []
    for row in rows:
        status = await consultation_status(session, row.id, now=now)
        items.append(_item(status, await notes_for(session, status), viewer))
    far = datetime.max.replace(tzinfo=now.tzinfo)
    return sorted(items, key=lambda i: (i.deadline_at or far, i.id))


def _item(status: ConsultationStatus, notes: Notes, viewer: Viewer) -> Item:
    row, language = status.consultation, viewer.language
    spanish = language is Language.ES
    names = {m.code: (m.name_es if spanish else m.name_en) for m in status.members}
    deadline = status.deadline
    consulting = status.state is State.CONSULTING
    shows_outcome = status.state in (State.CONSULTING, State.TALLIED)
    return Item(
        id=row.id,
        title=row.title_es if spanish else row.title_en,
        state=row.state,
        version=status.version.number,
        urgent=Kind(row.kind) is Kind.URGENT,
        deadline=(
            render_deadline(deadline, timezone=viewer.timezone, language=language)
            if deadline
            else None
        ),
        deadline_at=deadline,
        days_left=status.business_days_left if consulting else None,
        outcome=(row.outcome or status.result.outcome.value) if shows_outcome else None,
        final=row.outcome is not None,
        blocking=sorted(names.get(c, c) for c in status.result.blocking),
        depends=[] if row.outcome else sorted(names.get(c, c) for c in status.depends_on),
        troika=[
            {"country": r.country, "status": r.status, "comment": r.comment or ""}
            for r in status.troika
        ]
        if status.state in (State.DRAFT, State.TROIKA_REVIEW)
        else [],
        distributed=status.version.distributed_at is not None,
        members=sorted(
            (_member(m, notes, viewer) for m in status.members), key=lambda m: m["sort"]
        ),
        counts={s.value: status.result.count(s) for s in Standing}
        | {"held": sum(len(m.held) for m in status.members)},
        amendments=[
            {
                "id": a.id,
                "country": names.get(a.country, a.country),
                "action": a.action,
                "paragraph": a.paragraph,
                "proposed": a.proposed or "",
            }
            for a in status.open_amendments
        ],
    )


def _member(m: MemberLine, notes: Notes, viewer: Viewer) -> dict[str, Any]:
    language = viewer.language
    name = m.name_es if language is Language.ES else m.name_en
    return {
        "code": m.code,
        "name": name,
        "sort": _folded(name),
        "standing": m.standing.value,
        "mark": MARKS[m.standing],
        "answered": short_moment(m.answered_at, viewer.timezone) if m.answered_at else None,
        "amendments": m.amendments,
        "extension": m.extension_requested,
        "away": notes.away.get(m.code, []),
        "bouncing": notes.bouncing.get(m.code, []),
        "held_as": "newer" if m.held_newer else ("earlier" if m.answered_at else "held"),
        "held": [
            {
                "id": h.inbound_id,
                "at": short_moment(h.received_at, viewer.timezone),
                "reason": held.describe(h.reasons, language),
            }
            for h in m.held
        ],
    }


def _folded(name: str) -> str:
    """Alphabetical as a reader expects it: Panamá among the Ps, accents aside."""
    return "".join(c for c in unicodedata.normalize("NFD", name) if not unicodedata.combining(c))

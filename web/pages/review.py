"""The review queue (``/review``) and one held reply (``/review/{n}``): confirm, correct, reject.

The same use case as ``consulta review`` and Slack's buttons (``consultation.review.decide``),
recorded with who decided (``web:<address>``). What the page shows comes from
``consultation.review_view``, as the command line's does.
"""

from typing import Any

from aiohttp import web

from consultation import page_images, review, review_view
from consultation.answers import ProposedChange
from consultation.errors import InvalidInput, ProcedureError
from consultation.permissions import Deed
from consultation.vocabulary import AmendmentAction, PositionValue
from store import queries
from web.console import console_of
from web.refusals import said, sentence
from web.render import page
from web.viewer import Viewer, require

DECISIONS = {d.value: d for d in review.Decision}
ROWS = 5  # rows of amendments a correction offers (more: correct again, or record by hand)


def routes() -> list[web.RouteDef]:
    return [
        web.get("/review", queue),
        web.get("/review/{number:\\d+}", held_reply),
        web.get("/review/{number:\\d+}/page.png", page_image),
        web.post("/review/{number:\\d+}/{decision}", decide),
    ]


async def queue(request: web.Request) -> web.StreamResponse:
    viewer = require(request, Deed.REVIEW)
    console = console_of(request)
    everything = request.query.get("all") == "1"
    async with console.db.session() as session:
        items = await review_view.held_items(session, viewer.language, everything=everything)
        zone = await review_view.ppt_zone(session)
    return page(request, "web/review_list.html", items=items, everything=everything, zone=zone)


@said
async def held_reply(request: web.Request) -> web.StreamResponse:
    viewer = require(request, Deed.REVIEW)
    return await _show(request, viewer, int(request.match_info["number"]))


async def page_image(request: web.Request) -> web.StreamResponse:
    """The first page of the scanned note a held reply carried, beside its OCR reading."""
    require(request, Deed.REVIEW)
    async with console_of(request).db.session() as session:
        image = await page_images.page_image(session, int(request.match_info["number"]))
    if image is None:
        raise web.HTTPNotFound()
    return web.Response(
        body=image.png,
        content_type="image/png",
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"},
    )


async def _show(
    request: web.Request, viewer: Viewer, number: int, *, refusal: str = "", status: int = 200
) -> web.Response:
    console = console_of(request)
    async with console.db.session() as session:
        shown = await review_view.held_message(session, number, viewer.language)
    return page(
        request,
        "web/review_item.html",
        status=status,
        m=shown,
        refusal=refusal,
        done=request.query.get("done", "") if request.query.get("done") in DECISIONS else "",
        rows=range(ROWS),
        paragraphs=await _paragraphs(request, shown),
    )


async def _paragraphs(request: web.Request, shown: review_view.HeldMessage) -> int:
    """How many paragraphs the answered version has (the correction form offers them)."""
    if not shown.consultation_row_id or shown.item.version is None:
        return 0
    async with console_of(request).db.session() as session:
        found = await queries.version(session, shown.consultation_row_id, shown.item.version)
    return len((found.paragraphs_es or found.paragraphs_en or []) if found else [])


async def decide(request: web.Request) -> web.StreamResponse:
    viewer = require(request, Deed.REVIEW)
    console = console_of(request)
    number = int(request.match_info["number"])
    decision = DECISIONS.get(request.match_info["decision"])
    if decision is None:
        raise web.HTTPNotFound()
    form = await request.post()
    try:
        async with console.db.transaction() as session:
            row = await review_view.message_row(session, number)
            correction = None
            if decision is review.Decision.CORRECT:
                correction = review.corrected_answer(
                    row,
                    _position(form.get("position")),
                    _changes(form),
                    extension=bool(form.get("extension")),
                )
            reason = str(form.get("reason") or "").strip() or None
            await review.decide(
                session,
                number,
                decision,
                viewer.move(console.time.now()),
                correction=correction,
                reason=reason,
            )
    except ProcedureError as exc:
        said = sentence(console.env, viewer.language, exc)
        return await _show(request, viewer, number, refusal=said, status=409)
    console.moved()
    raise web.HTTPSeeOther(f"/review/{number}?done={decision.value}")


def _position(value: Any) -> PositionValue | None:
    text = str(value or "")
    return PositionValue(text) if text in {p.value for p in PositionValue} else None


def _changes(form: Any) -> tuple[ProposedChange, ...]:
    """The correction's amendments: rows of (change, paragraph, proposed text); blank rows
    are left out, a half-filled one is refused."""
    found = []
    for i in range(ROWS):
        action = str(form.get(f"action_{i}") or "")
        paragraph = str(form.get(f"paragraph_{i}") or "").strip()
        proposed = str(form.get(f"proposed_{i}") or "").strip() or None
        if not action and not paragraph and not proposed:
            continue
        if action not in {a.value for a in AmendmentAction} or not paragraph.isdigit():
            raise InvalidInput("an amendment needs its kind and paragraph", phrase="half_row")
        found.append(ProposedChange(AmendmentAction(action), int(paragraph), proposed))
    return tuple(found)

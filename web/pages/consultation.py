"""One consultation (``/c/{id}``): where it stands, its record, the steps open to the viewer.

The record is the export's (``consultation.page``): versions with their redlines, each
country's answers in its own words with the message they came from, amendments open and
settled, the Troika, the event log in sentences. Export is a download of the same record.
"""

from typing import Any

from aiohttp import web
from markupsafe import Markup

from consultation import review_view
from consultation.exporting import Format, export_record
from consultation.lifecycle import Action
from consultation.links import ConsoleLinks
from consultation.notes import notes_for
from consultation.page import ConsultationPage, consultation_page, troika_pending
from consultation.permissions import Deed
from consultation.record import gather
from consultation.status import consultation_status
from consultation.vocabulary import Language
from consultation.zones import moment
from web import live
from web.console import console_of
from web.pages.board import _item as consultation_item  # the board's reading of one
from web.refusals import said
from web.render import html, language_of, page
from web.viewer import Viewer, require

LINKS = ConsoleLinks("")
EXPORT_TYPES = {"html": "text/html", "md": "text/markdown"}


def routes() -> list[web.RouteDef]:
    return [
        web.get("/c/{id}", consultation),
        web.get("/c/{id}/export.{fmt}", export),
        web.get("/live/c/{id}", live_part),
    ]


@said
async def consultation(request: web.Request) -> web.StreamResponse:
    viewer = require(request)
    return await show(request, viewer, request.match_info["id"])


async def show(
    request: web.Request,
    viewer: Viewer,
    consultation_id: str,
    *,
    refusal: str = "",
    status: int = 200,
    form: dict[str, Any] | None = None,
) -> web.Response:
    """The page, with a refusal's sentence above it when a step was refused (and what the
    viewer had written, so nothing they typed is lost)."""
    context = await page_context(request, viewer, consultation_id)
    fragment = html(request, "web/board_items.html", **context)
    done = request.query.get("done", "")
    return page(
        request,
        "web/consultation.html",
        status=status,
        refusal=refusal,
        done=done if done in DONE else "",
        form=form or {},
        fragment=Markup(fragment),  # rendered (and escaped) by its own template
        live=live.address(LINKS.consultation(context["c"].id).replace("/c/", "/live/c/"), fragment),
        **context,
    )


async def page_context(
    request: web.Request, viewer: Viewer, consultation_id: str
) -> dict[str, Any]:
    console = console_of(request)
    now = console.time.now()
    async with console.db.session() as session:
        found = await consultation_page(
            session, console.env, consultation_id.upper(), now=now, language=viewer.language
        )
        notes = await notes_for(session, found.status)
        names = await review_view.country_names(session, viewer.language)
    current = found.status.version
    return {
        "c": found,
        "r": found.record,
        "items": [consultation_item(found.status, notes, viewer)],
        "updated": moment(now, viewer.timezone, viewer.language),
        "current_es": "\n\n".join(current.paragraphs_es or []),
        "current_en": "\n\n".join(current.paragraphs_en or []),
        "troika_country": names.get(viewer.country or "", viewer.country or ""),
        "steps": steps(found, viewer),
        "answer_troika": viewer.may(Deed.ANSWER_FOR_TROIKA, viewer.country)
        and troika_pending(found.status, viewer.country),
        "may_review": viewer.may(Deed.REVIEW),
    }


async def board_part(request: web.Request, viewer: Viewer, consultation_id: str) -> dict[str, Any]:
    """Only what the live part shows: the board's reading of this one consultation (not the
    whole record, which a reply does not change)."""
    console = console_of(request)
    now = console.time.now()
    async with console.db.session() as session:
        status = await consultation_status(session, consultation_id.upper(), now=now)
        notes = await notes_for(session, status)
    return {
        "items": [consultation_item(status, notes, viewer)],
        "updated": moment(now, viewer.timezone, viewer.language),
    }


def steps(found: ConsultationPage, viewer: Viewer) -> list[str]:
    """The PPT's steps offered here: what the procedure allows now, if the viewer may steer."""
    if not viewer.may(Deed.STEER):
        return []
    return [a.value for a in found.actions]


@said
async def live_part(request: web.Request) -> web.StreamResponse:
    """The page's board part, sent again whenever the store may have changed it."""
    viewer = require(request)

    async def render() -> str:
        found = await board_part(request, viewer, request.match_info["id"])
        return html(request, "web/board_items.html", **found)

    return await live.stream(request, render)


# Sentences said after a step succeeded (``?done=…`` after the redirect).
DONE = frozenset(
    {a.value for a in Action} | {"opened", "troika_answered", "confirm", "correct", "reject"}
)


@said
async def export(request: web.Request) -> web.StreamResponse:
    """The record as a file to keep: HTML or Markdown, in the viewer's language."""
    require(request)
    fmt = request.match_info["fmt"]
    if fmt not in EXPORT_TYPES:
        raise web.HTTPNotFound()
    console = console_of(request)
    language: Language = language_of(request)
    async with console.db.session() as session:
        found = await gather(session, request.match_info["id"].upper())
    text = export_record(console.env, found, fmt=_format(fmt), language=language)
    name = f"{found.consultation.id}.{language.value}.{fmt}"
    return web.Response(
        text=text,
        content_type=EXPORT_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _format(fmt: str) -> Format:
    return "html" if fmt == "html" else "md"

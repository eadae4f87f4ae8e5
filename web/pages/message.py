"""A received message as it came (``/message/{n}``): headers, the body made safe, attachments.

HTML bodies pass a strict allow-list (``consultation.received.sanitised``): no scripts, styles,
images or event handlers, links ``rel="noopener noreferrer"``; plain text is escaped by the
template. Attachments are downloads only (``Content-Disposition: attachment``, a safe name, a
type that is never HTML), so nothing a sender wrote runs in the console.
"""

from urllib.parse import quote

from aiohttp import web

from consultation import received, review_view
from consultation.permissions import Deed
from store.tables import InboundMessageRow
from web.console import console_of
from web.refusals import said
from web.render import page
from web.viewer import require


def routes() -> list[web.RouteDef]:
    return [
        web.get("/message/{number:\\d+}", message),
        web.get("/message/{number:\\d+}/attachment/{index:\\d+}", attachment),
    ]


async def _row(request: web.Request) -> InboundMessageRow:
    """The message, to a viewer who may see it: answers on the record to anyone in the
    console; a reply still held, or one tied to no consultation, to those who review."""
    require(request)
    async with console_of(request).db.session() as session:
        row = await session.get(InboundMessageRow, int(request.match_info["number"]))
    if row is None:
        raise web.HTTPNotFound()
    if row.status == "review" or row.consultation_id is None:
        require(request, Deed.REVIEW)
    return row


@said
async def message(request: web.Request) -> web.StreamResponse:
    row = await _row(request)
    viewer = require(request)
    async with console_of(request).db.session() as session:
        shown = await review_view.held_message(session, row.id or 0, viewer.language)
    return page(request, "web/message.html", m=shown)


@said
async def attachment(request: web.Request) -> web.StreamResponse:
    row = await _row(request)
    found = received.attachment(received.parse(row.raw), int(request.match_info["index"]))
    if found is None:
        raise web.HTTPNotFound()
    return web.Response(
        body=found.data,
        headers={
            "Content-Type": found.content_type,
            "Content-Disposition": "attachment; filename*=UTF-8''" + quote(found.name),
            "X-Content-Type-Options": "nosniff",
        },
    )

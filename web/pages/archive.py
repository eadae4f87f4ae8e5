"""The archive (``/archive``): concluded and withdrawn consultations, searched by words,
country and closing date; each opens as its page (``/c/{id}``)."""

from datetime import date

from aiohttp import web

from consultation import archive
from consultation.archive import Search
from consultation.zones import short_moment
from store import queries
from web.console import console_of
from web.render import page
from web.viewer import require


def routes() -> list[web.RouteDef]:
    return [web.get("/archive", search)]


async def search(request: web.Request) -> web.StreamResponse:
    viewer = require(request)
    console = console_of(request)
    q = request.query
    since, until = _day(q.get("since", "")), _day(q.get("until", ""))
    query = Search(
        words=q.get("q", "").strip()[:200],
        country=q.get("country", "").strip()[:2],
        since=since,
        until=until,
    )
    spanish = viewer.language.value == "es"
    async with console.db.session() as session:
        found = await archive.search(session, query, viewer.language)
        countries = [
            (c.code, c.name_es if spanish else c.name_en) for c in await queries.countries(session)
        ]
    names = dict(countries)
    return page(
        request,
        "web/archive.html",
        query=query,
        raw={k: q.get(k, "") for k in ("q", "country", "since", "until")},
        bad_date=bool(q.get("since") and since is None) or bool(q.get("until") and until is None),
        results=found,
        names=names,
        countries=sorted(countries, key=lambda pair: pair[1]),
        days={
            e.id: short_moment(e.closed_at, viewer.timezone)[:10] if e.closed_at else ""
            for e in found
        },
    )


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip()) if text.strip() else None
    except ValueError:
        return None

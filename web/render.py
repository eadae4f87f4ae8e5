"""Pages in the reader's language: one HTML template per page, its words from a phrasebook.

``page(request, "web/board.html", consultations=…)`` renders with what every page needs: the
viewer (or None), ``lang``, ``t`` (the phrasebook of that language:
``templates/web/phrases.{es,en}.html``, one macro per sentence), ``csrf`` and ``csrf_field()``
for forms, ``links`` (the console's addresses, relative) and ``static(name)``.
The reader's language is the roster's for a signed-in contact, else the browser's preference
among Spanish and English (Spanish when it names neither: the CRM's first working language).
"""

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from jinja2 import Environment
from markupsafe import Markup, escape

from consultation.links import ConsoleLinks
from consultation.permissions import Deed
from consultation.vocabulary import Language
from web.auth import CSRF
from web.console import console_of
from web.viewer import Refused, viewer_of

LINKS = ConsoleLinks("")  # inside the console every link is relative to its own address

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def phrasebook(env: Environment, language: Language) -> Any:
    """The template module of the language's phrases: ``t.sign_in()``, ``t.standing(value)``."""
    return env.get_template(f"web/phrases.{language.value}.html").module


def say(request: web.Request, phrase: str, **values: Any) -> str:
    """One sentence of the phrasebook as plain text (for a header, a log line, a title)."""
    book = phrasebook(console_of(request).env, language_of(request))
    return str(getattr(book, phrase)(**values)).strip()


def language_of(request: web.Request) -> Language:
    viewer = viewer_of(request)
    if viewer is not None:
        return viewer.language
    for item in request.headers.get("Accept-Language", "").split(","):
        tag = item.split(";")[0].strip().lower()
        if tag.startswith("es"):
            return Language.ES
        if tag.startswith("en"):
            return Language.EN
    return Language.ES


def context(request: web.Request) -> dict[str, Any]:
    console = console_of(request)
    language = language_of(request)
    token = str(request.get(CSRF) or "")
    return {
        "viewer": viewer_of(request),
        "lang": language.value,
        "t": phrasebook(console.env, language),
        "csrf": token,
        "csrf_field": lambda: Markup('<input type="hidden" name="csrf" value="{}">').format(
            escape(token)
        ),
        "links": LINKS,
        "static": lambda name: request.app.router["static"].url_for(filename=name),
        "path": request.path,
        "Deed": Deed,
    }


def html(request: web.Request, template: str, **values: Any) -> str:
    env = console_of(request).env
    return env.get_template(template).render(context(request) | values)


def page(request: web.Request, template: str, *, status: int = 200, **values: Any) -> web.Response:
    return web.Response(
        text=html(request, template, **values), status=status, content_type="text/html"
    )


async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A refusal becomes a page with its sentence, and the way back."""
    try:
        return await handler(request)
    except Refused as refused:
        return page(
            request,
            "web/refused.html",
            status=refused.status,
            phrase=refused.phrase,
            values=refused.values,
        )

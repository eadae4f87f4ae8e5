"""The console as an aiohttp application, or mounted on the service's HTTP port.

``install`` adds the console's routes (every ``web.pages`` module's), its static files and its
middlewares to an application; the middlewares act only on the console's own routes, so
``/healthz`` and Slack's requests pass untouched.
"""

from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import typedefs, web

from web import auth, csrf, headers, render
from web.console import CONSOLE, Console
from web.pages import routes as page_routes

STATIC = Path(__file__).parent / "static"
RESOURCES = web.AppKey("console_resources", set[web.AbstractResource])


def console_of(request: web.Request) -> Console:
    return request.app[CONSOLE]


def install(app: web.Application, console: Console) -> None:
    """The console's routes and middlewares on ``app`` (before it starts)."""
    before = set(app.router.resources())
    app.router.add_routes(page_routes())
    app.router.add_static("/static/", STATIC, name="static", append_version=True)
    app[CONSOLE] = console
    app[RESOURCES] = set(app.router.resources()) - before
    # Outermost first: headers on everything, then who is signed in, then refusals shown as
    # pages (they need the viewer), then the CSRF check (a refusal of its own).
    for inner in (headers.middleware, auth.middleware, render.middleware, csrf.middleware):
        app.middlewares.append(_console_only(inner))
    app.on_shutdown.append(_closing)


def application(console: Console) -> web.Application:
    """The console alone (the service mounts it beside its health checks instead)."""
    app = web.Application()
    install(app, console)
    return app


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Middleware = Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]


def _console_only(inner: Middleware) -> typedefs.Middleware:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        resource = request.match_info.route.resource
        if resource is None or resource not in request.app[RESOURCES]:
            return await handler(request)
        return await inner(request, handler)

    return middleware


async def _closing(app: web.Application) -> None:
    app[CONSOLE].closing.set()
    app[CONSOLE].bell.ring()

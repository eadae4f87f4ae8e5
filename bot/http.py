"""Slack's requests over HTTP (aiohttp): one POST route, signatures checked by Bolt."""

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp


def slack_route(app: AsyncApp, path: str) -> web.RouteDef:
    async def handle(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await app.async_dispatch(await to_bolt_request(request)))

    return web.post(path, handle)


def web_app(app: AsyncApp, path: str) -> web.Application:
    application = web.Application()
    application.add_routes([slack_route(app, path)])
    return application


@asynccontextmanager
async def serving(routes: Sequence[web.RouteDef], *, host: str, port: int) -> AsyncIterator[None]:
    """``routes`` listening on ``host:port`` while the block runs."""
    application = web.Application()
    application.add_routes(routes)
    runner = web.AppRunner(application, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        yield
    finally:
        await runner.cleanup()

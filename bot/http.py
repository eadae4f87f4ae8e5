"""Slack's requests over HTTP (aiohttp): one POST route, signatures checked by Bolt."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp


def web_app(app: AsyncApp, path: str) -> web.Application:
    async def handle(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await app.async_dispatch(await to_bolt_request(request)))

    application = web.Application()
    application.add_routes([web.post(path, handle)])
    return application


@asynccontextmanager
async def serving(app: AsyncApp, *, host: str, port: int, path: str) -> AsyncIterator[str]:
    """Listening while the block runs; yields the URL Slack should be given."""
    runner = web.AppRunner(web_app(app, path))
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        yield f"http://{host}:{port}{path}"
    finally:
        await runner.cleanup()


async def serve_http(
    app: AsyncApp,
    *,
    host: str,
    port: int,
    path: str,
    stop: asyncio.Event,
    ready: asyncio.Event | None = None,
) -> None:
    """Serve until ``stop``; ``ready`` is set once the port listens."""
    async with serving(app, host=host, port=port, path=path):
        if ready is not None:
            ready.set()
        await stop.wait()

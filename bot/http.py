"""Slack's requests over HTTP (aiohttp): one POST route, signatures checked by Bolt.

The route is served on the service's HTTP port (`service.http`), beside the health checks.
"""

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp


def slack_route(app: AsyncApp, path: str) -> web.RouteDef:
    async def handle(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await app.async_dispatch(await to_bolt_request(request)))

    return web.post(path, handle)

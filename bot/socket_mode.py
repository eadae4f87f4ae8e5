"""Slack over Socket Mode: for ministries behind firewalls, with no public endpoint."""

import asyncio

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp


async def serve_socket_mode(
    app: AsyncApp, app_token: str, stop: asyncio.Event, ready: asyncio.Event | None = None
) -> None:
    """Connected (and reconnected by the SDK) until ``stop`` is set; ``ready`` once connected."""
    handler = AsyncSocketModeHandler(app, app_token)
    # Bolt's Socket Mode handler is untyped; its two coroutines take no arguments.
    await handler.connect_async()  # type: ignore[no-untyped-call]
    if ready is not None:
        ready.set()
    try:
        await stop.wait()
    finally:
        await handler.close_async()  # type: ignore[no-untyped-call]

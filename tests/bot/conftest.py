"""The Slack front over real HTTP: the Bolt app on a free loopback port, signed requests in
Slack's own formats, and its Web API client pointed at a recording server."""

import hashlib
import hmac
import json
import time as wallclock
from collections.abc import AsyncIterator
from dataclasses import dataclass
from itertools import count
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import select

from bot.app import build_app
from bot.context import BotContext
from bot.http import slack_route
from bot.outbox import DrainReport, SlackOutbox
from consultation.timesource import ManualTime
from consultation.vocabulary import Language
from service.http import application, listening
from store.database import Database
from store.tables import ContactRow
from templates import environment
from tests.factories import seed_roster
from tests.servers.ports import free_port
from tests.servers.slack_api import Call, SlackApi, slack_api

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
CHANNEL = "C0PPTCHANNEL"
PPT = "UPPTDO0001"
ST = "USTCR00001"
TROIKA_USERS = {"MX": "UTKMX0001", "DO": "UTKDO0001", "PA": "UTKPA0001"}
FOCAL_GT = "UFPGT0001"


def sign(body: str, *, timestamp: int | None = None, secret: str = SECRET) -> dict[str, str]:
    """Slack's request signature: ``v0=`` HMAC-SHA256 of ``v0:{timestamp}:{body}``.

    Slack's clock is the wall clock: the app checks the timestamp against it (replays older
    than five minutes are refused), so this is the one place a test reads real time.
    """
    ts = str(timestamp if timestamp is not None else int(wallclock.time()))
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


@dataclass
class Response:
    status: int
    text: str


class Front:
    """Slack's side of the conversation with the app, and a look at what the app said."""

    def __init__(
        self,
        url: str,
        api: SlackApi,
        http: aiohttp.ClientSession,
        outbox: SlackOutbox,
        db: Database,
    ) -> None:
        self.url, self.api, self.http, self.outbox, self.db = url, api, http, outbox, db
        self._ids = count(1)

    async def post(self, body: str, content_type: str, headers: dict[str, str]) -> Response:
        async with self.http.post(
            self.url, data=body.encode(), headers={"Content-Type": content_type, **headers}
        ) as answer:
            return Response(answer.status, await answer.text())

    async def form(self, fields: dict[str, str], **signing: Any) -> Response:
        body = urlencode(fields)
        return await self.post(body, "application/x-www-form-urlencoded", sign(body, **signing))

    async def command(self, user: str, text: str, *, wait: bool = True) -> Call | None:
        """``/consulta {text}`` as Slack posts it; waits for the app's answer to the user."""
        name = f"cmd{next(self._ids)}"
        before = len(self.api.calls)
        fields = {
            "token": "legacy-verification-token",
            "team_id": "T0CRM",
            "team_domain": "crm",
            "channel_id": CHANNEL,
            "channel_name": "ppt",
            "user_id": user,
            "user_name": user.lower(),
            "command": "/consulta",
            "text": text,
            "api_app_id": "A0CONSULTA",
            "is_enterprise_install": "false",
            "response_url": self.api.response_url(name),
            "trigger_id": f"13345224609.738474920.{name}",
        }
        response = await self.form(fields)
        assert response.status == 200, response.text
        if not wait:
            return None
        calls = await self.api.wait_for(
            lambda calls: any(
                c.method == "views.open" or c.args.get("name") == name for c in calls[before:]
            )
        )
        return next(
            c for c in calls[before:] if c.method == "views.open" or c.args.get("name") == name
        )

    async def payload(self, payload: dict[str, Any], **signing: Any) -> Response:
        return await self.form({"payload": json.dumps(payload)}, **signing)

    async def click(
        self, user: str, action_id: str, value: str, *, channel: str, message: dict[str, Any]
    ) -> Call:
        """A button in ``message``, clicked; waits for what the app did about it."""
        before = len(self.api.calls)
        name = f"act{next(self._ids)}"
        response = await self.payload(
            {
                "type": "block_actions",
                "user": {"id": user, "username": user.lower(), "team_id": "T0CRM"},
                "api_app_id": "A0CONSULTA",
                "token": "legacy-verification-token",
                "container": {
                    "type": "message",
                    "message_ts": message["ts"],
                    "channel_id": channel,
                },
                "trigger_id": f"13345224609.738474920.{name}",
                "team": {"id": "T0CRM", "domain": "crm"},
                "channel": {"id": channel, "name": "directmessage"},
                "message": message,
                "response_url": self.api.response_url(name),
                "actions": [
                    {
                        "action_id": action_id,
                        "block_id": "b",
                        "value": value,
                        "type": "button",
                        "action_ts": "1796652000.000001",
                    }
                ],
            }
        )
        assert response.status == 200, response.text
        calls = await self.api.wait_for(lambda calls: _acted(calls[before:]))
        return next(c for c in calls[before:] if _acted([c]))

    async def submit(
        self, user: str, view: dict[str, Any], values: dict[str, Any], *, wait: bool = True
    ) -> Response:
        """A modal the app opened, filled in and submitted."""
        before = len(self.api.calls)
        state = {block: {"value": element} for block, element in values.items()}
        response = await self.payload(
            {
                "type": "view_submission",
                "team": {"id": "T0CRM", "domain": "crm"},
                "user": {"id": user, "username": user.lower(), "team_id": "T0CRM"},
                "api_app_id": "A0CONSULTA",
                "token": "legacy-verification-token",
                "trigger_id": "13345224609.738474920.view",
                "view": {
                    "id": "V0MODAL",
                    "team_id": "T0CRM",
                    "type": "modal",
                    "callback_id": view["callback_id"],
                    "private_metadata": view.get("private_metadata", ""),
                    "blocks": view.get("blocks", []),
                    "state": {"values": state},
                    "hash": "156772938.1827394",
                },
                "response_urls": [],
            }
        )
        assert response.status == 200, response.text
        if wait:
            await self.api.wait_for(lambda calls: _acted(calls[before:]))
        return response

    async def drain(self) -> DrainReport:
        return await self.outbox.drain()

    async def set_language(self, user: str, language: Language) -> None:
        async with self.db.transaction() as session:
            contact = (
                await session.exec(select(ContactRow).where(ContactRow.slack_user_id == user))
            ).one()
            contact.language = language.value
            session.add(contact)


def _acted(calls: list[Call]) -> bool:
    return any(
        c.method in ("chat.postEphemeral", "chat.update", "views.open", "chat.postMessage")
        or c.method == "response_url"
        for c in calls
    )


def text_of(value: str | None) -> dict[str, str | None]:
    return {"type": "plain_text_input", "value": value}


def files_of(*files: dict[str, Any]) -> dict[str, Any]:
    """A file_input's state in a view_submission: the full file objects."""
    return {"type": "file_input", "files": list(files)}


@pytest.fixture
async def api() -> AsyncIterator[SlackApi]:
    async with slack_api() as recorder:
        yield recorder


@pytest.fixture
async def front(db: Database, time: ManualTime, api: SlackApi) -> AsyncIterator[Front]:
    await seed_roster(db, time.now())
    ctx = BotContext(db, time, environment(), CHANNEL, Language.ES)
    client = AsyncWebClient(token="xoxb-test-token", base_url=f"{api.base_url}api/")
    app = build_app(ctx, client, signing_secret=SECRET)
    port = free_port()
    url = f"http://127.0.0.1:{port}/slack/events"
    async with (
        listening(
            application(routes=[slack_route(app, "/slack/events")]), host="127.0.0.1", port=port
        ),
        aiohttp.ClientSession() as http,
    ):
        yield Front(url, api, http, SlackOutbox(ctx, client), db)


def status_message(call: Call, consultation: str, method: str, showing: str = "") -> bool:
    """A call that posts or updates the consultation's status message, showing that line."""
    return (
        call.method == method
        and call.args.get("channel") == CHANNEL
        and consultation in str(call.args.get("text"))
        and showing in json.dumps(call.args.get("blocks"))
    )

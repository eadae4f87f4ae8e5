"""The front as a runner starts it: Socket Mode over a real websocket, HTTP on a free port, and
the ack that comes before the work."""

import asyncio
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

import aiohttp
import pytest
from jinja2 import Environment
from sqlmodel import col, select

from bot.app import SlackConfigError, SlackFront
from consultation.timesource import ManualTime
from consultation.vocabulary import PositionValue, State
from service.http import application, listening
from store.database import Database
from store.tables import OutboxRow
from templates import environment
from tests.bot.conftest import CHANNEL, PPT, SECRET, Front, sign, status_message
from tests.factories import answer, make_consultation, seed_roster
from tests.servers.ports import free_port
from tests.servers.slack_api import SlackApi


async def run_front(
    options: "Options",
    *,
    db: Database,
    time: ManualTime,
    env: Environment,
    stop: asyncio.Event,
    ready: asyncio.Event | None = None,
    port: int = 0,
    wake: asyncio.Event | None = None,
) -> None:
    """The Slack front as `consulta serve` runs it: its route on an HTTP port (HTTP mode), its
    outbox sender and socket beside it, until ``stop``."""
    front = SlackFront(options, db=db, time=time, env=env, wake=wake)
    async with listening(application(routes=front.routes()), host="127.0.0.1", port=port):
        await front.run(stop, ready)


@dataclass
class Options:
    bot_token: str
    signing_secret: str | None
    app_token: str | None
    status_channel: str
    path: str
    api_url: str
    send_interval: float


def options(api: SlackApi, *, app_token: str | None, send_interval: float = 5.0) -> Options:
    return Options(
        "xoxb-test",
        SECRET,
        app_token,
        CHANNEL,
        "/slack/events",
        f"{api.base_url}api/",
        send_interval,
    )


async def test_socket_mode_when_an_app_token_is_set(
    db: Database, time: ManualTime, api: SlackApi
) -> None:
    await seed_roster(db, time.now())
    stop = asyncio.Event()
    front = asyncio.create_task(
        run_front(
            options(api, app_token="xapp-1-test"), db=db, time=time, env=environment(), stop=stop
        )
    )
    try:
        await api.wait_for(lambda calls: any(c.method == "socket_open" for c in calls))
        assert api.of("apps.connections.open")  # the app-level token asked Slack for a socket
        await api.push(
            {
                "envelope_id": "57d6a792-4d35-4d0b-b6aa-3361493e1caf",
                "type": "slash_commands",
                "accepts_response_payload": True,
                "payload": {
                    "team_id": "T0CRM",
                    "channel_id": CHANNEL,
                    "user_id": PPT,
                    "command": "/consulta",
                    "text": "estado",
                    "response_url": api.response_url("socket"),
                    "trigger_id": "1.2.socket",
                },
            }
        )
        calls = await api.wait_for(
            lambda calls: (
                any(c.args.get("name") == "socket" for c in calls)
                and any(c.method == "socket_ack" for c in calls)
            )
        )
        [ack] = [c for c in calls if c.method == "socket_ack"]
        assert ack.args["envelope_id"] == "57d6a792-4d35-4d0b-b6aa-3361493e1caf"
        [answer] = [c for c in calls if c.args.get("name") == "socket"]
        assert answer.args["text"] == "No hay consultas abiertas."
    finally:
        stop.set()
        await front


async def test_http_mode_serves_until_stopped(
    db: Database, time: ManualTime, api: SlackApi
) -> None:
    await seed_roster(db, time.now())
    stop, ready, port = asyncio.Event(), asyncio.Event(), free_port()
    settings = options(api, app_token=None)
    front = asyncio.create_task(
        run_front(settings, db=db, time=time, env=environment(), stop=stop, ready=ready, port=port)
    )
    body = (
        "team_id=T0CRM&user_id=UPPTDO0001&command=%2Fconsulta&text=ayuda&response_url="
        + api.response_url("http")
    )
    try:
        await ready.wait()
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                f"http://127.0.0.1:{port}/slack/events",
                data=body,
                headers={"Content-Type": "application/x-www-form-urlencoded", **sign(body)},
            ) as response,
        ):
            assert response.status == 200
        calls = await api.wait_for(lambda calls: any(c.args.get("name") == "http" for c in calls))
        [answer] = [c for c in calls if c.args.get("name") == "http"]
        assert answer.args["text"].startswith("*/consulta*")
    finally:
        stop.set()
        await front
    assert front.done() and front.exception() is None


async def test_the_ack_comes_before_the_work(front: Front, db: Database, time: ManualTime) -> None:
    """Slack's 3 seconds: the HTTP answer must not wait for the Web API calls that follow."""
    made = await make_consultation(db, time, state=State.DRAFT, seed=False)
    gate = front.api.hold("views.open")
    call = await front.command(PPT, "nueva", wait=False)  # returns once the HTTP answer is in
    assert call is None and not front.api.of("views.open")
    gate.set()
    opened = await front.api.wait_count("views.open", 1)
    assert opened[0].args["view"]["callback_id"] == "consultation_new"
    assert made.id == "CRM-2026-001"


async def test_the_home_tab_lists_the_open_consultations(
    front: Front, db: Database, time: ManualTime
) -> None:
    made = await make_consultation(db, time, seed=False)
    body = json.dumps(
        {
            "token": "legacy-verification-token",
            "team_id": "T0CRM",
            "api_app_id": "A0CONSULTA",
            "type": "event_callback",
            "event_id": "Ev0HOME01",
            "event_time": 1796652000,
            "event": {
                "type": "app_home_opened",
                "user": "UFPCA0001",
                "channel": "DFPCA0001",
                "tab": "home",
                "event_ts": "1796652000.000100",
            },
        }
    )
    response = await front.post(body, "application/json", sign(body))
    assert response.status == 200
    [published] = await front.api.wait_count("views.publish", 1)
    assert published.args["user_id"] == "UFPCA0001"
    view = published.args["view"]
    assert view["blocks"][0]["text"]["text"] == "Open consultations"  # Canada reads English
    listing = view["blocks"][1]["text"]["text"]
    assert listing.startswith(f"• *{made.id}* · Extra-continental flows · out to the members · ")


async def test_without_a_status_channel_the_front_does_not_start(
    db: Database, time: ManualTime, api: SlackApi
) -> None:
    settings = options(api, app_token=None)
    settings.status_channel = ""
    with pytest.raises(SlackConfigError, match="CONSULTA_SLACK__STATUS_CHANNEL"):
        await run_front(settings, db=db, time=time, env=environment(), stop=asyncio.Event())


async def test_a_refresh_queued_outside_the_front_is_sent_when_the_doorbell_rings(
    db: Database, time: ManualTime, api: SlackApi
) -> None:
    """An answer read from email queues a status refresh the front's own moves know nothing
    of: ringing ``wake`` sends it now, not after the sender's interval (an hour here)."""
    made = await make_consultation(db, time)
    stop, wake = asyncio.Event(), asyncio.Event()
    settings = options(api, app_token=None, send_interval=3600)
    front = asyncio.create_task(
        run_front(settings, db=db, time=time, env=environment(), stop=stop, wake=wake)
    )
    try:
        await api.wait_for(
            lambda calls: any(status_message(c, made.id, "chat.postMessage") for c in calls)
        )
        # Queued a minute ahead of the front's clock, so a drain still under way cannot take it;
        # once every notice due has gone, the sender sleeps and only the doorbell can wake it.
        await answer(
            db, ManualTime(time.now() + timedelta(minutes=1)), made.id, "GT", PositionValue.APPROVE
        )
        await _until_nothing_due(db, time.now())
        time.advance(timedelta(minutes=1))
        wake.set()
        await api.wait_for(
            lambda calls: any(
                status_message(c, made.id, "chat.update", ":white_check_mark: *Guatemala*")
                for c in calls
            )
        )
    finally:
        stop.set()
        await front


async def _until_nothing_due(db: Database, now: datetime) -> None:
    due = (
        select(OutboxRow)
        .where(OutboxRow.channel == "slack", OutboxRow.status == "pending")
        .where(col(OutboxRow.next_attempt_at) <= now)
    )
    async with asyncio.timeout(10):
        while True:
            async with db.session() as session:
                if (await session.exec(due)).first() is None:
                    return
            await asyncio.sleep(0.02)

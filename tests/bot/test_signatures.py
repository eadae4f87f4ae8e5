"""Only Slack may talk to the app: a bad, missing or stale signature gets 401 and changes nothing."""

import time as wallclock
from urllib.parse import urlencode

import pytest
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import select

from bot.app import SlackConfigError, build_app
from bot.context import BotContext
from consultation.timesource import ManualTime
from consultation.vocabulary import State
from store.database import Database
from store.tables import ConsultationRow, EventRow
from templates import environment
from tests.bot.conftest import CHANNEL, PPT, Front, sign
from tests.factories import make_consultation

FORM = "application/x-www-form-urlencoded"


def troika_command(front: Front, cid: str) -> str:
    return urlencode(
        {
            "team_id": "T0CRM",
            "channel_id": CHANNEL,
            "user_id": PPT,
            "command": "/consulta",
            "text": f"troika {cid}",
            "response_url": front.api.response_url("forged"),
            "trigger_id": "1.2.forged",
        }
    )


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param(lambda body: sign(body, secret="not-the-apps-secret"), id="bad signature"),
        pytest.param(lambda body: {}, id="missing signature"),
        pytest.param(
            lambda body: sign(body, timestamp=int(wallclock.time()) - 600), id="ten minutes old"
        ),
        pytest.param(
            lambda body: {
                **sign(body),
                "X-Slack-Signature": sign(body + "&x=1")["X-Slack-Signature"],
            },
            id="signature of another body",
        ),
    ],
)
async def test_unsigned_requests_get_401_and_change_nothing(
    front: Front, db: Database, time: ManualTime, headers: object
) -> None:
    made = await make_consultation(db, time, state=State.DRAFT, seed=False)
    async with db.session() as session:
        events_before = len((await session.exec(select(EventRow))).all())
    body = troika_command(front, made.id)
    assert callable(headers)
    response = await front.post(body, FORM, headers(body))
    assert response.status == 401
    signed = await front.form(
        {
            "team_id": "T0CRM",
            "user_id": PPT,
            "command": "/consulta",
            "text": "ayuda",
            "response_url": front.api.response_url("after"),
            "channel_id": CHANNEL,
        }
    )
    assert signed.status == 200  # the app is up: a properly signed request goes through …
    await front.api.wait_for(lambda calls: any(c.args.get("name") == "after" for c in calls))
    assert not [
        c for c in front.api.calls if c.args.get("name") == "forged"
    ]  # … the forged did not
    async with db.session() as session:
        row = await session.get(ConsultationRow, made.id)
        events_after = len((await session.exec(select(EventRow))).all())
    assert row is not None and row.state == "draft" and events_after == events_before


async def test_http_mode_without_a_signing_secret_does_not_start(
    db: Database, time: ManualTime
) -> None:
    ctx = BotContext(db, time, environment(), CHANNEL)
    client = AsyncWebClient(token="xoxb-test", base_url="http://127.0.0.1:9/api/")
    with pytest.raises(SlackConfigError, match="CONSULTA_SLACK__SIGNING_SECRET"):
        build_app(ctx, client, signing_secret=None)
    assert build_app(ctx, client, signing_secret=None, socket_mode=True) is not None

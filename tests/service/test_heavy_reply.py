"""The event loop stays free (issue #13, part 6): while `consulta serve` reads the heaviest reply
(about 20 MB, a dozen .docx with thousands of tracked changes) in its reader pool, `/healthz`
answers in under 100 ms and a signed Slack slash command is acknowledged in under a second."""

import asyncio
import signal
import time as clock
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
from sqlmodel import select

from consultation.timesource import ManualTime
from store.database import Database
from store.tables import InboundMessageRow
from tests.bot.conftest import CHANNEL, PPT, SECRET, sign
from tests.databases import sqlite_database
from tests.factories import make_consultation
from tests.mail.heavy_reply import heavy_reply
from tests.mail.test_front import DRAFTS, parsed, reply_to_draft
from tests.mail.test_inbound import fixture_text
from tests.mail.transport.helpers import WAIT
from tests.servers.dovecot import Dovecot
from tests.servers.ports import free_port
from tests.servers.slack_api import slack_api
from tests.servers.smtpd import SmtpServer
from tests.service.test_serve import consulta, environment, mail_settings, until_received

HEALTHZ_BOUND, ACK_BOUND = 0.1, 1.0


async def inbound_status(db: Database) -> str | None:
    async with db.session() as session:
        row = (await session.exec(select(InboundMessageRow))).first()
    return row.status if row else None


async def timed(request: "asyncio.Future[aiohttp.ClientResponse] | object") -> float:
    start = clock.perf_counter()
    answer = await request  # type: ignore[misc]
    elapsed = clock.perf_counter() - start
    assert answer.status == 200
    answer.release()
    return elapsed


async def test_healthz_and_slack_answer_at_once_while_the_heaviest_reply_is_read(
    tmp_path: Path, smtpd: SmtpServer, dovecot: Dovecot
) -> None:
    time = ManualTime(datetime.now(UTC) - timedelta(minutes=1))
    async with sqlite_database(tmp_path) as db:
        made = await make_consultation(db, time, text=fixture_text())
    port = free_port()
    async with slack_api() as api, aiohttp.ClientSession() as http:
        env = environment(
            tmp_path,
            **mail_settings(smtpd, dovecot),
            CONSULTA_SLACK__BOT_TOKEN="xoxb-test",
            CONSULTA_SLACK__SIGNING_SECRET=SECRET,
            CONSULTA_SLACK__STATUS_CHANNEL=CHANNEL,
            CONSULTA_SLACK__API_URL=f"{api.base_url}api/",
            CONSULTA_HTTP__PORT=str(port),
            CONSULTA_MAIL__SEND_INTERVAL="0.2",
        )
        process = await consulta(env, "serve")
        base = f"http://127.0.0.1:{port}"
        health: list[float] = []
        acks: list[float] = []
        try:
            await until_received(smtpd, DRAFTS)
            reply = parsed(reply_to_draft(smtpd, "GT", "Van nuestras propuestas en los adjuntos."))
            await dovecot.append(heavy_reply(reply))
            async with sqlite_database(tmp_path) as db:
                async with asyncio.timeout(WAIT * 4):
                    while await inbound_status(db) is None:  # fetched and stored
                        await asyncio.sleep(0.02)
                    while await inbound_status(db) == "stored":  # being read
                        health.append(await timed(http.get(f"{base}/healthz")))
                        acks.append(await timed(_slash_command(http, base, made.id, api)))
                        await asyncio.sleep(0.05)
                status = await inbound_status(db)
        finally:
            process.send_signal(signal.SIGTERM)
            _, stderr = await asyncio.wait_for(process.communicate(), WAIT)

    assert process.returncode == 0, stderr.decode()
    assert status in ("review", "recorded")
    assert len(health) >= 5, (health, acks)  # the read lasted long enough to be measured
    # Every answer but one inside the bound, and that one within five times it: the measuring
    # client shares two cores with the service and the reader's worker, and one scheduling
    # hiccup of its own is not the service's loop stalling (which showed as 0.15–2.4 s).
    assert sorted(health)[-2] < HEALTHZ_BOUND and max(health) < 5 * HEALTHZ_BOUND, health
    assert max(acks) < ACK_BOUND, acks


def _slash_command(
    http: aiohttp.ClientSession, base: str, consultation: str, api: object
) -> object:
    fields = {
        "command": "/consulta",
        "text": f"estado {consultation}",
        "user_id": PPT,
        "channel_id": CHANNEL,
        "team_id": "T0CRM",
        "response_url": api.response_url("status"),  # type: ignore[attr-defined]
        "trigger_id": "1.2.status",
    }
    body = urlencode(fields)
    headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(body)}
    return http.post(f"{base}/slack/events", data=body, headers=headers)

"""`consulta serve` as an operator runs it: a process, real mail servers, SIGTERM to stop."""

import asyncio
import json
import os
import signal
import socket
import sys
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path
from urllib.parse import urlencode

import aiohttp

from consultation.timesource import ManualTime
from tests.bot.conftest import CHANNEL, PPT, SECRET, sign, status_message
from tests.databases import sqlite_database
from tests.factories import make_consultation
from tests.mail.test_compose import IDENTITY
from tests.mail.test_front import DRAFTS, focal_point, reply_to_draft
from tests.mail.test_inbound import fixture_text
from tests.mail.transport.helpers import WAIT
from tests.servers.dovecot import Dovecot
from tests.servers.ports import free_port
from tests.servers.slack_api import slack_api
from tests.servers.smtpd import SmtpServer

CONSULTA = Path(sys.executable).parent / "consulta"


def environment(tmp_path: Path, **settings: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith("CONSULTA_")}
    return (
        keep
        | {
            "CONSULTA_DB__URL": f"sqlite+aiosqlite:///{tmp_path / 'consulta.db'}",
            "CONSULTA_HTTP__PORT": str(free_port()),  # tests run side by side: never 8080
        }
        | settings
    )


def mail_settings(smtpd: SmtpServer, dovecot: Dovecot | None = None) -> dict[str, str]:
    """The settings that point a service at the test's aiosmtpd and Dovecot, with the test
    identity (so replies built by the tests carry tokens it verifies)."""
    settings = {
        "CONSULTA_SMTP__HOST": smtpd.host,
        "CONSULTA_SMTP__PORT": str(smtpd.port),
        "CONSULTA_SMTP__SECURITY": "none",
        "CONSULTA_MAIL__ADDRESS": IDENTITY.address,
        "CONSULTA_MAIL__DOMAIN": IDENTITY.domain,
        "CONSULTA_MAIL__REPLY_LOCAL": IDENTITY.reply_local,
        "CONSULTA_MAIL__SECRETS": f'["{IDENTITY.secrets[0].decode()}"]',
    }
    if dovecot is not None:
        settings |= {
            "CONSULTA_IMAP__HOST": dovecot.host,
            "CONSULTA_IMAP__PORT": str(dovecot.port),
            "CONSULTA_IMAP__SECURITY": "none",
            "CONSULTA_IMAP__USERNAME": Dovecot.user,
            "CONSULTA_IMAP__PASSWORD": Dovecot.password,
        }
    return settings


async def consulta(env: dict[str, str], *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        str(CONSULTA),
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def until_received(smtpd: SmtpServer, count: int) -> None:
    async with asyncio.timeout(WAIT):
        while len(smtpd.received) < count:
            await asyncio.sleep(0.05)


async def test_serve_without_mail_settings_names_what_is_missing(tmp_path: Path) -> None:
    process = await consulta(environment(tmp_path), "serve")
    _, stderr = await asyncio.wait_for(process.communicate(), WAIT)
    assert process.returncode == 1
    [line] = stderr.decode().strip().splitlines()
    assert "CONSULTA_SMTP__HOST" in line and "CONSULTA_MAIL__SECRETS" in line


async def test_serve_with_slack_over_http_needs_its_signing_secret(tmp_path: Path) -> None:
    env = environment(
        tmp_path,
        CONSULTA_SMTP__HOST="127.0.0.1",
        CONSULTA_MAIL__SECRETS='["0123456789abcdef-secret"]',
        CONSULTA_SLACK__BOT_TOKEN="xoxb-test",
        CONSULTA_SLACK__STATUS_CHANNEL="C0PPT",
    )
    process = await consulta(env, "serve")
    _, stderr = await asyncio.wait_for(process.communicate(), WAIT)
    assert process.returncode == 1
    [line] = stderr.decode().strip().splitlines()
    assert "CONSULTA_SLACK__SIGNING_SECRET" in line


async def test_serve_says_in_one_sentence_that_its_http_port_is_taken(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = environment(
            tmp_path,
            CONSULTA_SMTP__HOST="127.0.0.1",
            CONSULTA_MAIL__SECRETS='["0123456789abcdef-secret"]',
            CONSULTA_HTTP__PORT=str(port),
        )
        process = await consulta(env, "serve")
        _, stderr = await asyncio.wait_for(process.communicate(), WAIT)
    assert process.returncode == 1
    *_migrations, line = stderr.decode().strip().splitlines()
    assert line.startswith(f"error: cannot listen on 127.0.0.1:{port} (CONSULTA_HTTP__HOST/PORT)")
    assert "consulta serving" not in stderr.decode()


async def test_serve_sends_reads_receipts_and_stops_cleanly_on_sigterm(
    tmp_path: Path, smtpd: SmtpServer, dovecot: Dovecot
) -> None:
    # Queued a minute ago by the system clock, so the service (on that clock) finds it due.
    time = ManualTime(datetime.now(UTC) - timedelta(minutes=1))
    async with sqlite_database(tmp_path) as db:
        await make_consultation(db, time, text=fixture_text())
    env = environment(
        tmp_path,
        **mail_settings(smtpd, dovecot),
        CONSULTA_MAIL__SEND_INTERVAL="0.2",
    )
    process = await consulta(env, "serve")
    try:
        await until_received(smtpd, DRAFTS)
        await dovecot.append(reply_to_draft(smtpd, "GT", "Aprobamos el texto."))
        await until_received(smtpd, DRAFTS + 2)  # the receipt, to both Guatemalan addresses
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), WAIT)

    assert process.returncode == 0, stderr.decode()
    assert b"Traceback" not in stderr
    receipts = smtpd.received[DRAFTS:]
    subjects = {str(message_from_bytes(m.data, policy=policy.default)["Subject"]) for m in receipts}
    assert [s.split(":")[0] for s in subjects] == ["Respuesta registrada de Guatemala"]
    assert focal_point("GT") in {a for m in receipts for a in m.rcpt_tos}


async def test_serve_runs_the_slack_front_in_the_ppts_language(
    tmp_path: Path, smtpd: SmtpServer
) -> None:
    time = ManualTime(datetime.now(UTC) - timedelta(minutes=1))
    async with sqlite_database(tmp_path) as db:
        made = await make_consultation(db, time, text=fixture_text())
    port = free_port()
    async with slack_api() as api:
        env = environment(
            tmp_path,
            **mail_settings(smtpd),
            CONSULTA_SLACK__BOT_TOKEN="xoxb-test",
            CONSULTA_SLACK__SIGNING_SECRET=SECRET,
            CONSULTA_SLACK__STATUS_CHANNEL=CHANNEL,
            CONSULTA_HTTP__PORT=str(port),
            CONSULTA_SLACK__API_URL=f"{api.base_url}api/",
        )
        process = await consulta(env, "serve")
        try:
            # The Dominican PPT's channel gets each consultation's status message, in Spanish.
            [board] = await api.wait_count("chat.postMessage", 1, timeout=WAIT)
            assert board.args["channel"] == CHANNEL and made.id in board.args["text"]
            assert "En consulta" in json.dumps(board.args["blocks"], ensure_ascii=False)
            fields = {
                "command": "/consulta",
                "text": f"estado {made.id}",
                "user_id": PPT,
                "channel_id": CHANNEL,
                "team_id": "T0CRM",
                "response_url": api.response_url("status"),
                "trigger_id": "1.2.status",
            }
            body = urlencode(fields)
            headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(body)}
            async with aiohttp.ClientSession() as http:
                async with asyncio.timeout(WAIT):
                    while True:  # until the port listens
                        try:
                            answer = await http.post(
                                f"http://127.0.0.1:{port}/slack/events", data=body, headers=headers
                            )
                            break
                        except aiohttp.ClientConnectionError:
                            await asyncio.sleep(0.05)
                assert answer.status == 200
                await api.wait_for(lambda calls: any(c.args.get("name") == "status" for c in calls))
        finally:
            process.send_signal(signal.SIGTERM)
            _, stderr = await asyncio.wait_for(process.communicate(), WAIT)
    assert process.returncode == 0, stderr.decode()


async def test_serve_answers_health_and_readiness_and_logs_json_lines(
    tmp_path: Path, smtpd: SmtpServer, dovecot: Dovecot
) -> None:
    port = free_port()
    env = environment(
        tmp_path,
        **mail_settings(smtpd, dovecot),
        CONSULTA_HTTP__PORT=str(port),
    )
    process = await consulta(env, "serve")
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:
            live = await until_answered(http, f"{base}/healthz")
            assert (live.status, await live.json()) == (200, {"alive": True})
            async with asyncio.timeout(WAIT):  # a lone instance takes the listener's lock
                while True:
                    ready = await http.get(f"{base}/readyz")
                    report = await ready.json()
                    if report["imap_listener"] == "leading":
                        break
                    await asyncio.sleep(0.05)
            assert ready.status == 200, report
            assert report["ready"] is True
            assert set(report["checks"]) == {"database", "smtp", "imap"}
            assert all(c["ok"] and isinstance(c["ms"], int) for c in report["checks"].values())
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), WAIT)
    assert process.returncode == 0, stderr.decode()
    # stderr is not a terminal, so every log line is one JSON object (a collector's format).
    lines = [json.loads(line) for line in stderr.decode().splitlines()]
    [started] = [line for line in lines if line["message"] == "consulta serving"]
    assert started["imap"] == dovecot.host and started["database"] == "sqlite"
    assert started["http"] == f"127.0.0.1:{port}" and started["instance"].endswith(
        f":{process.pid}"
    )
    assert {"ts", "level", "logger"} <= set(started)


async def until_answered(http: aiohttp.ClientSession, url: str) -> aiohttp.ClientResponse:
    """The first answer once the port listens (the process is still starting before that)."""
    async with asyncio.timeout(WAIT):
        while True:
            try:
                return await http.get(url)
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.05)


async def test_a_reply_read_from_imap_updates_the_slack_status_message_at_once(
    tmp_path: Path, smtpd: SmtpServer, dovecot: Dovecot
) -> None:
    """The Slack sender looks at the outbox only every CONSULTA_SLACK__SEND_INTERVAL (an hour
    here): the email front must ring it when a reply's answer queues a status refresh."""
    time = ManualTime(datetime.now(UTC) - timedelta(minutes=1))
    async with sqlite_database(tmp_path) as db:
        made = await make_consultation(db, time, text=fixture_text())
    async with slack_api() as api:
        env = environment(
            tmp_path,
            **mail_settings(smtpd, dovecot),
            CONSULTA_SLACK__BOT_TOKEN="xoxb-test",
            CONSULTA_SLACK__SIGNING_SECRET=SECRET,
            CONSULTA_SLACK__STATUS_CHANNEL=CHANNEL,
            CONSULTA_SLACK__API_URL=f"{api.base_url}api/",
            CONSULTA_SLACK__SEND_INTERVAL="3600",
        )
        process = await consulta(env, "serve")
        try:
            await api.wait_for(
                lambda calls: any(status_message(c, made.id, "chat.postMessage") for c in calls),
                timeout=WAIT,
            )
            await until_received(smtpd, DRAFTS)
            await dovecot.append(reply_to_draft(smtpd, "GT", "Aprobamos el texto."))
            await api.wait_for(
                lambda calls: any(
                    status_message(c, made.id, "chat.update", ":white_check_mark: *Guatemala*")
                    for c in calls
                ),
                timeout=WAIT,
            )
        finally:
            process.send_signal(signal.SIGTERM)
            _, stderr = await asyncio.wait_for(process.communicate(), WAIT)
    assert process.returncode == 0, stderr.decode()

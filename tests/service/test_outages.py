"""`consulta serve` through a database outage: SQLite locked by another process for longer
than the busy timeout, PostgreSQL cut off behind a proxy. The process waits, retries and
catches up; it does not exit."""

import asyncio
import signal
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy.engine import make_url

from consultation.timesource import ManualTime
from tests.databases import postgres_login, postgres_url, sqlite_database
from tests.factories import make_consultation
from tests.mail.test_front import DRAFTS, reply_to_draft
from tests.mail.test_inbound import fixture_text
from tests.servers.dovecot import Dovecot
from tests.servers.ports import free_port
from tests.servers.smtpd import SmtpServer
from tests.servers.tcp_proxy import running_tcp_proxy
from tests.service.test_serve import (
    consulta,
    environment,
    mail_settings,
    until_answered,
    until_received,
)

OUTAGE = 61.0  # seconds: the minute of issue #13, past every retry delay (they cap at 30 s)
CATCH_UP = 45.0  # the longest retry delay (30 s) and then some


async def healthy_throughout(process: asyncio.subprocess.Process, port: int) -> None:
    """The process stays up and /healthz answers 200 for the whole outage."""
    async with aiohttp.ClientSession() as http:
        deadline = asyncio.get_running_loop().time() + OUTAGE
        while asyncio.get_running_loop().time() < deadline:
            assert process.returncode is None, "serve exited during the outage"
            answer = await until_answered(http, f"http://127.0.0.1:{port}/healthz")
            assert answer.status == 200
            await asyncio.sleep(0.5)


async def stop(process: asyncio.subprocess.Process) -> str:
    process.send_signal(signal.SIGTERM)
    _, stderr = await asyncio.wait_for(process.communicate(), CATCH_UP)
    assert process.returncode == 0, stderr.decode()
    return stderr.decode()


async def test_serve_waits_out_a_sqlite_lock_held_by_another_process_and_catches_up(
    tmp_path: Path, smtpd: SmtpServer, dovecot: Dovecot
) -> None:
    time = ManualTime(datetime.now(UTC) - timedelta(minutes=1))
    async with sqlite_database(tmp_path) as db:
        await make_consultation(db, time, text=fixture_text())
    port = free_port()
    env = environment(
        tmp_path,
        **mail_settings(smtpd, dovecot),
        CONSULTA_HTTP__PORT=str(port),
        CONSULTA_MAIL__SEND_INTERVAL="0.2",
        CONSULTA_SCHEDULE__INTERVAL_SECONDS="0.5",
        CONSULTA_DB__BUSY_TIMEOUT_SECONDS="0.5",
    )
    process = await consulta(env, "serve")
    try:
        await until_received(smtpd, DRAFTS)
        other = sqlite3.connect(tmp_path / "consulta.db", isolation_level=None)
        other.execute("BEGIN EXCLUSIVE")  # every writer (BEGIN IMMEDIATE) now waits
        try:
            await dovecot.append(reply_to_draft(smtpd, "GT", "Aprobamos el texto."))
            await healthy_throughout(process, port)
        finally:
            other.execute("COMMIT")
            other.close()
        async with asyncio.timeout(CATCH_UP):  # the reply is read and its receipt sent
            while len(smtpd.received) < DRAFTS + 2:
                await asyncio.sleep(0.1)
    finally:
        stderr = await stop(process)
    assert "database unavailable" in stderr and "database is locked" in stderr
    assert "Traceback" not in stderr  # nothing crashed on the way


async def test_serve_waits_out_a_postgresql_outage_and_catches_up(
    tmp_path: Path, smtpd: SmtpServer, dovecot: Dovecot
) -> None:
    url = postgres_url()
    if url is None:
        pytest.skip("TEST_DATABASE_URL is not set")
    time = ManualTime(datetime.now(UTC) - timedelta(minutes=1))
    async with postgres_login(url) as (login, db):
        await make_consultation(db, time, text=fixture_text())
        target = make_url(login)
        async with running_tcp_proxy(target.host or "127.0.0.1", target.port or 5432) as proxy:
            proxied = target.set(host=proxy.host, port=proxy.port)
            port = free_port()
            env = environment(
                tmp_path,
                **mail_settings(smtpd, dovecot),
                CONSULTA_DB__URL=proxied.render_as_string(hide_password=False),
                CONSULTA_HTTP__PORT=str(port),
                CONSULTA_MAIL__SEND_INTERVAL="0.2",
                CONSULTA_SCHEDULE__INTERVAL_SECONDS="0.5",
            )
            process = await consulta(env, "serve")
            try:
                await until_received(smtpd, DRAFTS)
                proxy.cut()
                await dovecot.append(reply_to_draft(smtpd, "GT", "Aprobamos el texto."))
                await healthy_throughout(process, port)
                assert proxy.refused > 0  # the service did try, and was turned away
                proxy.restore()
                async with asyncio.timeout(CATCH_UP):
                    while len(smtpd.received) < DRAFTS + 2:
                        await asyncio.sleep(0.1)
            finally:
                stderr = await stop(process)
    assert "database unavailable" in stderr

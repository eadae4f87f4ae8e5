"""`/readyz`'s checks against real servers: each says what fails and why, within its time."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

from mail.imap_config import ImapConfig
from mail.probes import imap_ready, smtp_ready
from mail.smtp import SmtpConfig
from service.http import Readiness
from store.database import Database
from tests.servers.dovecot import Dovecot
from tests.servers.ports import free_port
from tests.servers.smtpd import SmtpServer


def imap(dovecot: Dovecot, password: str = Dovecot.password, mailbox: str = "INBOX") -> ImapConfig:
    return ImapConfig(
        host=dovecot.host,
        port=dovecot.port,
        username=Dovecot.user,
        password=password,
        mailbox=mailbox,
        security="none",
        timeout=5.0,
    )


async def test_ready_when_the_database_and_both_mail_servers_answer(
    db: Database, smtpd: SmtpServer, dovecot: Dovecot
) -> None:
    smtp = SmtpConfig(host=smtpd.host, port=smtpd.port)
    readiness = Readiness(
        {
            "database": db.ping,
            "smtp": partial(smtp_ready, smtp),
            "imap": partial(imap_ready, imap(dovecot)),
        }
    )
    report = await readiness.report()
    assert report["ready"] is True
    assert {name: check["ok"] for name, check in report["checks"].items()} == {
        "database": True,
        "smtp": True,
        "imap": True,
    }
    assert smtpd.received == []  # a probe says NOOP, never sends


async def test_not_ready_names_each_failure_with_its_reason(db: Database, dovecot: Dovecot) -> None:
    closed = free_port()  # nothing listens there
    readiness = Readiness(
        {
            "database": db.ping,
            "smtp": partial(smtp_ready, SmtpConfig(host="127.0.0.1", port=closed, timeout=2.0)),
            "imap": partial(imap_ready, imap(dovecot, password="wrong")),
            "mailbox": partial(imap_ready, imap(dovecot, mailbox="Nonexistent")),
        }
    )
    report = await readiness.report()
    checks = report["checks"]
    assert report["ready"] is False
    assert checks["database"] == {"ok": True, "ms": checks["database"]["ms"]}
    assert not checks["smtp"]["ok"] and f"SMTP 127.0.0.1:{closed}" in checks["smtp"]["error"]
    assert not checks["imap"]["ok"] and "IMAP" in checks["imap"]["error"]
    assert "authentication failed" in checks["imap"]["error"].lower()
    assert not checks["mailbox"]["ok"] and "SELECT" in checks["mailbox"]["error"]


@asynccontextmanager
async def silent_server() -> AsyncIterator[int]:
    """Accepts connections and never says a word, like a server wedged behind a firewall."""

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # until the client gives up
        writer.close()

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    async with server:
        yield server.sockets[0].getsockname()[1]


async def test_a_server_that_never_answers_is_not_ready_after_the_timeout() -> None:
    async with silent_server() as port:
        config = SmtpConfig(host="127.0.0.1", port=port, timeout=60.0)
        readiness = Readiness({"smtp": partial(smtp_ready, config)}, timeout=0.2)
        report = await readiness.report()
    assert report == {
        "ready": False,
        "checks": {
            "smtp": {
                "ok": False,
                "ms": report["checks"]["smtp"]["ms"],
                "error": "no answer within 0.2s",
            }
        },
    }

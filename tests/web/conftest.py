"""The console in a real browser: the whole service (`serve_until_stopped`) on a free port with
real aiosmtpd and Dovecot, the shipped roster, a clock moved by hand, and Debian's Chromium
driven by Playwright (launched by path: nothing is downloaded).

``Console.sign_in(page, address)`` signs in as a person does: asks for a link, reads it from the
email the SMTP server received, opens it, presses the button.
"""

import asyncio
import contextlib
import os
import re
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import aiohttp
import pytest
from playwright.async_api import Browser, Page, async_playwright
from pydantic import SecretStr
from yarl import URL

from consultation.timesource import ManualTime
from service.context import AppContext
from service.serve import serve_until_stopped
from service.settings import (
    DbSettings,
    HttpSettings,
    ImapSettings,
    MailSettings,
    ScheduleSettings,
    Settings,
    SmtpSettings,
    WebSettings,
)
from store.database import Database
from tests.conftest import START
from tests.databases import BACKENDS, postgres_login, postgres_url, sqlite_database
from tests.factories import seed_roster
from tests.mail.test_compose import IDENTITY
from tests.mail.transport.helpers import WAIT
from tests.servers.dovecot import Dovecot
from tests.servers.ports import free_port
from tests.servers.smtpd import SmtpServer

CHROMIUM = Path("/usr/bin/chromium")
WEB_SECRET = "a-test-secret-for-the-console-of-at-least-32-chars"
PPT = "ppt@cancilleria.do.example"  # Spanish, Santo Domingo
ST = "st@crmsolutions.example"
TROIKA_MX = "troika@cancilleria.mx.example"
FOCAL_GT = "puntofocal@cancilleria.gt.example"
_LINK = re.compile(r"https?://\S+/sign-in/link/\S+")


@dataclass
class Console:
    base: str
    db: Database
    time: ManualTime
    smtpd: SmtpServer
    dovecot: Dovecot

    def url(self, path: str = "/") -> str:
        return f"{self.base}{path}"

    def links_sent_to(self, address: str) -> list[str]:
        found = []
        for mail in self.smtpd.delivered_to(address):
            message = message_from_bytes(mail.data, policy=policy.default)
            assert isinstance(message, EmailMessage)
            body = message.get_body(("plain",))
            if body is not None:
                found += _LINK.findall(body.get_content())
        return found

    async def link_for(self, address: str, count: int = 1) -> str:
        """The ``count``-th sign-in link emailed to ``address``, once the outbox sent it."""
        async with asyncio.timeout(WAIT):
            while len(self.links_sent_to(address)) < count:
                await asyncio.sleep(0.05)
        return self.links_sent_to(address)[count - 1]

    async def ask_link(self, page: Page, address: str) -> None:
        await page.goto(self.url("/sign-in"))
        await page.get_by_label(re.compile("correo|email", re.I)).fill(address)
        await page.get_by_role("button", name=re.compile("enlace|link", re.I)).click()

    async def sign_in(self, page: Page, address: str = PPT) -> None:
        sent = len(self.links_sent_to(address))
        await self.ask_link(page, address)
        link = await self.link_for(address, sent + 1)
        await page.goto(link)
        await page.get_by_role("button", name=re.compile("^(Entrar|Sign in)$")).click()
        await page.wait_for_url(self.url("/"))


@contextlib.asynccontextmanager
async def _database(kind: str, tmp_path: Path) -> AsyncIterator[tuple[str, Database]]:
    if kind == "sqlite":
        async with sqlite_database(tmp_path) as db:
            yield db.url.render_as_string(hide_password=False), db
        return
    url = postgres_url()
    if url is None:
        if os.environ.get("CI"):
            pytest.fail("CI must set TEST_DATABASE_URL")
        pytest.skip("TEST_DATABASE_URL is not set")
    async with postgres_login(url) as found:
        yield found


def settings_for(url: str, port: int, smtpd: SmtpServer, dovecot: Dovecot) -> Settings:
    return Settings(
        db=DbSettings(url=url),
        smtp=SmtpSettings(host=smtpd.host, port=smtpd.port, security="none"),
        imap=ImapSettings(
            host=dovecot.host,
            port=dovecot.port,
            security="none",
            username=Dovecot.user,
            password=SecretStr(Dovecot.password),
        ),
        mail=MailSettings(
            address=IDENTITY.address,
            domain=IDENTITY.domain,
            reply_local=IDENTITY.reply_local,
            secrets=[SecretStr(IDENTITY.secrets[0].decode())],
            send_interval=0.5,
        ),
        http=HttpSettings(host="127.0.0.1", port=port),
        web=WebSettings(base_url=f"http://127.0.0.1:{port}", secrets=[SecretStr(WEB_SECRET)]),
        schedule=ScheduleSettings(interval_seconds=3600),
    )


@pytest.fixture(params=BACKENDS)
async def console(
    request: pytest.FixtureRequest, tmp_path: Path, smtpd: SmtpServer, dovecot: Dovecot
) -> AsyncIterator[Console]:
    """The service with its console, on SQLite and on PostgreSQL, the roster loaded."""
    time = ManualTime(START)
    async with _database(request.param, tmp_path) as (url, db):
        await seed_roster(db, time.now())
        port = free_port()
        context = AppContext(settings=settings_for(url, port, smtpd, dovecot), time=time)
        stop, ready = asyncio.Event(), asyncio.Event()
        task = asyncio.create_task(serve_until_stopped(context, stop, ready))
        waiting = asyncio.create_task(ready.wait())
        await asyncio.wait({task, waiting}, timeout=WAIT, return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            task.result()  # its start-up error, as it is
        waiting.cancel()
        try:
            yield Console(f"http://127.0.0.1:{port}", db, time, smtpd, dovecot)
        finally:
            stop.set()
            await asyncio.wait_for(task, WAIT)


def chromium_or_skip() -> str:
    if CHROMIUM.exists():
        return str(CHROMIUM)
    if shutil.which("chromium"):
        return str(shutil.which("chromium"))
    pytest.skip("Debian's chromium is not installed (scripts/test installs it with apt-get)")


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    executable = chromium_or_skip()
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=executable)
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="es-ES")
    try:
        yield await context.new_page()
    finally:
        await context.close()


class Visitor:
    """A browser without a browser: an HTTP client keeping cookies (for IP hosts too), that
    reads each page's CSRF token as a form would carry it."""

    def __init__(self, console: Console, http: aiohttp.ClientSession) -> None:
        self.console, self.http = console, http

    async def get(self, path: str) -> tuple[int, str]:
        async with self.http.get(self.console.url(path), allow_redirects=False) as answer:
            return answer.status, await answer.text()

    async def post(self, path: str, data: dict[str, str]) -> tuple[int, str]:
        url = self.console.url(path)
        async with self.http.post(url, data=data, allow_redirects=False) as answer:
            return answer.status, await answer.text()

    async def token(self, path: str = "/sign-in") -> str:
        _, text = await self.get(path)
        found = re.search(r'name="csrf" value="([^"]+)"', text)
        assert found, text
        return found.group(1)

    async def ask_link(self, address: str) -> tuple[int, str]:
        return await self.post("/sign-in", {"csrf": await self.token(), "email": address})

    async def sign_in(self, address: str = PPT) -> None:
        sent = len(self.console.links_sent_to(address))
        status, _ = await self.ask_link(address)
        assert status == 200
        path = _path(await self.console.link_for(address, sent + 1))
        status, _ = await self.post(path, {"csrf": await self.token(path)})
        assert status == 303

    def replace_cookie(self, value: str) -> None:
        self.http.cookie_jar.update_cookies(
            {"consulta": value}, response_url=URL(self.console.base)
        )
        assert self.cookie() == value

    def cookie(self) -> str:
        [value] = [c.value for c in self.http.cookie_jar if c.key == "consulta"]
        return value


def _path(link: str) -> str:
    return "/" + link.split("/", 3)[3]


@pytest.fixture
async def visitor(console: Console) -> AsyncIterator[Visitor]:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        yield Visitor(console, http)

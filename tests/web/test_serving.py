"""The console on `consulta serve`'s HTTP port: on only with its settings, and said so."""

import aiohttp
from pydantic import SecretStr

from service.settings import Settings, SmtpSettings, WebSettings
from service.wiring import check, web_config
from tests.web.conftest import WEB_SECRET, Console
from web.pages.sign_in import client_address

BASE = {"smtp": SmtpSettings(host="smtp.example"), "mail": {"secrets": ["0123456789abcdef-x"]}}


async def test_readiness_says_the_console_is_on(console: Console) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(console.url("/readyz")) as answer:
            report = await answer.json()
        async with http.get(console.url("/healthz")) as answer:
            assert await answer.json() == {"alive": True}
    assert report["console"] == "on"
    assert report["imap_listener"] in ("leading", "following")


def test_without_secrets_the_console_is_off() -> None:
    assert web_config(Settings(**BASE)) is None


def test_with_secrets_the_console_needs_its_address_and_long_secrets() -> None:
    settings = Settings(**BASE, web=WebSettings(secrets=[SecretStr(WEB_SECRET)]))
    assert check(settings) == [
        "the web console needs its public address for sign-in links: set "
        "CONSULTA_WEB__BASE_URL (e.g. https://consulta.example.org)"
    ]
    short = WebSettings(base_url="https://consulta.example.org", secrets=[SecretStr("short")])
    assert check(Settings(**BASE, web=short)) == [
        "every CONSULTA_WEB__SECRETS entry needs 32+ characters"
    ]
    good = WebSettings(base_url="https://consulta.example.org/", secrets=[SecretStr(WEB_SECRET)])
    config = web_config(Settings(**BASE, web=good))
    assert config is not None
    assert config.base_url == "https://consulta.example.org" and config.secure


def test_behind_the_proxy_the_client_is_the_address_it_appended() -> None:
    forged_then_real = "203.0.113.1, 198.51.100.7"
    assert client_address("10.0.0.2", forged_then_real, behind_proxy=True) == "198.51.100.7"
    assert client_address("10.0.0.2", forged_then_real, behind_proxy=False) == "10.0.0.2"
    assert client_address("10.0.0.2", None, behind_proxy=True) == "10.0.0.2"

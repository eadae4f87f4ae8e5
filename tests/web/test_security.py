"""Who gets in, and everything refused: each refusal changes nothing in the store."""

from datetime import timedelta

from aiohttp import web
from playwright.async_api import Page, expect
from sqlalchemy import func
from sqlmodel import select

from store.tables import ContactRow, OutboxRow, WebSessionRow, WebSignInRow
from tests.web.conftest import FOCAL_GT, PPT, ST, TROIKA_MX, Console, Visitor, _path
from web import auth
from web.console import WebConfig

SENT = "Si esta dirección está registrada para la consola, le llegará un enlace para entrar."
UNUSABLE = "Este enlace ya no sirve"


async def count(console: Console, table: type) -> int:
    async with console.db.session() as session:
        return int((await session.exec(select(func.count()).select_from(table))).one())


async def links_queued(console: Console) -> int:
    query = select(func.count()).select_from(OutboxRow).where(OutboxRow.kind == "sign_in_link")
    async with console.db.session() as session:
        return int((await session.exec(query)).one())


async def test_an_expired_link_opens_nothing(console: Console, page: Page) -> None:
    await console.ask_link(page, PPT)
    link = await console.link_for(PPT)
    console.time.advance(timedelta(minutes=15, seconds=1))
    await page.goto(link)
    await expect(page.get_by_role("heading", level=1)).to_have_text(UNUSABLE)
    await expect(page.get_by_role("button", name="Entrar")).to_have_count(0)
    assert await count(console, WebSessionRow) == 0


async def test_an_expired_link_pressed_from_an_open_page_opens_nothing(
    console: Console, page: Page
) -> None:
    await console.ask_link(page, PPT)
    await page.goto(await console.link_for(PPT))
    console.time.advance(timedelta(minutes=16))  # the page was left open
    await page.get_by_role("button", name="Entrar").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(UNUSABLE)
    assert await count(console, WebSessionRow) == 0


async def test_a_link_works_once(console: Console, page: Page) -> None:
    await console.sign_in(page, PPT)
    [link] = console.links_sent_to(PPT)
    await page.get_by_role("button", name="Cerrar sesión").click()
    await page.goto(link)
    await expect(page.get_by_role("heading", level=1)).to_have_text(UNUSABLE)
    assert await count(console, WebSessionRow) == 1


async def test_strangers_and_focal_points_get_the_same_page_and_no_link(
    console: Console, visitor: Visitor
) -> None:
    pages = []
    for address in ("nadie@ejemplo.example", FOCAL_GT, PPT):
        status, text = await visitor.ask_link(address)
        assert status == 200 and SENT in text
        pages.append(text.replace(address, ""))
    assert len(set(pages)) == 1  # nothing on the page tells a known address from another
    await console.link_for(PPT)
    assert console.links_sent_to("nadie@ejemplo.example") == []
    assert console.links_sent_to(FOCAL_GT) == []
    assert await links_queued(console) == 1
    async with console.db.session() as session:
        rows = (await session.exec(select(WebSignInRow))).all()
    assert [r.nonce is not None for r in rows] == [False, False, True]


async def test_the_st_and_the_troika_may_sign_in(console: Console, visitor: Visitor) -> None:
    for address in (ST, TROIKA_MX):
        await visitor.sign_in(address)
        status, text = await visitor.get("/")
        assert status == 200 and "Consultas abiertas" in text
        assert (await visitor.post("/sign-out", {"csrf": await visitor.token("/")}))[0] == 303


async def test_a_forged_link_opens_nothing(console: Console, visitor: Visitor) -> None:
    await visitor.ask_link(PPT)
    path = _path(await console.link_for(PPT))
    forged = path[:-3] + ("aaa" if not path.endswith("aaa") else "bbb")
    status, text = await visitor.post(forged, {"csrf": await visitor.token()})
    assert status == 400 and UNUSABLE in text
    assert await count(console, WebSessionRow) == 0


async def test_requests_are_limited_per_address(console: Console, visitor: Visitor) -> None:
    for _ in range(3):
        assert (await visitor.ask_link(PPT))[0] == 200
    status, text = await visitor.ask_link(PPT)
    assert status == 429 and "Se pidieron demasiados enlaces" in text
    assert await count(console, WebSignInRow) == 3
    assert await links_queued(console) == 3
    console.time.advance(timedelta(minutes=16))  # the window has passed
    assert (await visitor.ask_link(PPT))[0] == 200


async def test_requests_are_limited_per_client(console: Console, visitor: Visitor) -> None:
    for n in range(10):
        assert (await visitor.ask_link(f"persona{n}@ejemplo.example"))[0] == 200
    status, _ = await visitor.ask_link(PPT)
    assert status == 429
    assert await links_queued(console) == 0


async def test_a_form_without_its_token_or_with_another_is_refused(
    console: Console, visitor: Visitor
) -> None:
    await visitor.sign_in(PPT)
    for data in ({}, {"csrf": "not-the-token"}):
        status, text = await visitor.post("/sign-out", data)
        assert status == 403 and "Este formulario venció" in text
    async with console.db.session() as session:
        [row] = (await session.exec(select(WebSessionRow))).all()
    assert row.ended_at is None  # still signed in: nothing was done
    assert (await visitor.get("/"))[0] == 200
    status, _ = await visitor.post("/sign-in", {"email": PPT})  # before signing in too
    assert status == 403
    assert await count(console, WebSignInRow) == 1  # only the first, genuine request


async def test_a_post_from_another_site_is_refused(console: Console, visitor: Visitor) -> None:
    token = await visitor.token()
    url = console.url("/sign-in")
    headers = {"Origin": "https://elsewhere.example"}
    async with visitor.http.post(url, data={"csrf": token, "email": PPT}, headers=headers) as r:
        assert r.status == 403
    assert await count(console, WebSignInRow) == 0


async def test_a_tampered_cookie_is_a_stranger(console: Console, visitor: Visitor) -> None:
    await visitor.sign_in(PPT)
    value = visitor.cookie()
    tampered = value[:-2] + ("AA" if not value.endswith("AA") else "BB")
    visitor.replace_cookie(tampered)
    status, _ = await visitor.get("/")
    assert status == 303  # to the sign-in page
    signed_elsewhere = WebConfig(base_url=console.base, secrets=("another secret " * 4,))
    response = web.Response()
    auth.set_cookie(response, signed_elsewhere, {"s": "any-session"})
    visitor.replace_cookie(response.cookies["consulta"].value)
    assert (await visitor.get("/"))[0] == 303


async def test_a_contact_removed_from_the_console_loses_it_at_once(
    console: Console, visitor: Visitor
) -> None:
    await visitor.sign_in(PPT)
    assert (await visitor.get("/"))[0] == 200
    async with console.db.transaction() as session:
        [contact] = (
            await session.exec(
                select(ContactRow).where(ContactRow.name.startswith("Oficial de la PPT"))
            )
        ).all()  # type: ignore[attr-defined]
        contact.active = False
        session.add(contact)
    assert (await visitor.get("/"))[0] == 303


async def test_pages_carry_the_security_headers_and_a_guarded_cookie(
    console: Console, visitor: Visitor
) -> None:
    async with visitor.http.get(console.url("/sign-in")) as answer:
        headers = answer.headers
        cookie = answer.headers["Set-Cookie"]
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["Cache-Control"] == "no-store"
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    async with visitor.http.get(console.url("/healthz")) as answer:  # not the console's
        assert "Content-Security-Policy" not in answer.headers


def test_behind_tls_the_cookie_is_secure_and_host_only() -> None:
    config = WebConfig(base_url="https://consulta.example.org", secrets=("s" * 40,))
    response = web.Response()
    auth.set_cookie(response, config, {"a": "token"})
    [(name, morsel)] = response.cookies.items()
    assert name == "__Host-consulta"
    assert morsel["secure"] and morsel["httponly"] and morsel["path"] == "/"
    assert morsel["samesite"] == "Lax" and not morsel["domain"]

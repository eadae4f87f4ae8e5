"""The board in Chromium: positions and notes as the store has them, a reply arriving by email
shown without a reload, a phone's width, accessibility basics, and the README's screenshot.

Screenshots are checked by layout facts (nothing wider than the window, the key parts in
view), not by comparing pixels with a committed image: fonts and anti-aliasing differ between
Chromium builds and machines, so a pixel comparison would fail for reasons nobody can act on.
"""

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, Page, expect

from consultation.answers import ProposedChange
from consultation.vocabulary import AmendmentAction, PositionValue
from tests.factories import Made, answer, make_consultation
from tests.held import hold
from tests.mail.test_front import focal_point, reply_to_draft
from tests.mail.transport.helpers import WAIT
from tests.web.conftest import PPT, TROIKA_MX, Console

ROOT = Path(__file__).parents[2]
SCREENSHOTS = {
    1280: ROOT / "docs" / "screenshots" / "board.png",
    390: ROOT / "docs" / "screenshots" / "board-phone.png",
}


async def under_way(console: Console) -> Made:
    """A consultation out to the members: Guatemala approves, Canada proposes an amendment,
    Honduras asks for more time, El Salvador's reply is held for review."""
    made = await make_consultation(console.db, console.time, seed=False)
    await answer(console.db, console.time, made.id, "GT", PositionValue.APPROVE)
    change = ProposedChange(AmendmentAction.REPLACE, 2, "Los países intercambiarán información.")
    await answer(console.db, console.time, made.id, "CA", PositionValue.AMEND, changes=(change,))
    await answer(console.db, console.time, made.id, "HN", None, extension=True)
    await hold(console.db, console.time, made.id, "SV", "question")
    return made


def row(page: Page, country: str) -> Any:
    return page.locator(f'tr[data-country="{country}"]')


async def until_draft_delivered(console: Console, country: str) -> None:
    async with asyncio.timeout(WAIT):
        while not console.smtpd.delivered_to(focal_point(country)):
            await asyncio.sleep(0.05)


async def test_the_board_shows_positions_and_a_reply_arrives_without_a_reload(
    console: Console, page: Page
) -> None:
    made = await under_way(console)
    await console.sign_in(page, PPT)
    heading = page.get_by_role("heading", level=2)
    await expect(heading).to_have_text(f"{made.id} · Flujos extracontinentales")
    await expect(heading.get_by_role("link")).to_have_attribute("href", f"/c/{made.id}")
    await expect(page.get_by_text("En consulta con los países miembros")).to_be_visible()
    await expect(
        page.get_by_text(re.compile(r"Plazo: lunes 14 de diciembre de 2026"))
    ).to_be_visible()
    await expect(page.get_by_text("quedan 5 días hábiles")).to_be_visible()
    await expect(row(page, "GT")).to_contain_text("aprueba")
    await expect(row(page, "CA")).to_contain_text("aprueba con enmiendas")
    await expect(row(page, "CA")).to_contain_text("1 enmienda")
    await expect(row(page, "HN")).to_contain_text("pide más tiempo")
    await expect(row(page, "NI")).to_contain_text("pendiente")
    await expect(page.get_by_text("Canadá: sustituir el párrafo 2")).to_be_visible()
    await expect(
        page.get_by_text(re.compile("la respuesta de El Salvador está retenida"))
    ).to_be_visible()
    held = row(page, "SV").get_by_role("link")
    await expect(held).to_contain_text("hace una pregunta")
    assert re.fullmatch(r"/review/\d+", await held.get_attribute("href") or "")

    await page.evaluate("window.stayed = true")  # gone if the page were loaded again
    await until_draft_delivered(console, "NI")
    await console.dovecot.append(reply_to_draft(console.smtpd, "NI", "Objetamos el texto."))
    await expect(row(page, "NI")).to_contain_text("objeta", timeout=WAIT * 1000)
    await expect(
        page.get_by_text(re.compile("Si el plazo cerrara ahora: bloqueada"))
    ).to_be_visible()
    assert await page.evaluate("window.stayed") is True


async def test_a_troika_member_reads_the_board_in_its_own_zone(
    console: Console, page: Page
) -> None:
    await under_way(console)
    await console.sign_in(page, TROIKA_MX)
    # Mexico City is two hours behind Santo Domingo: the deadline is 21:59 there.
    await expect(page.get_by_text(re.compile("21:59 \\(hora de Ciudad de México"))).to_be_visible()
    await expect(page.get_by_role("link", name="Respuestas por revisar")).to_have_count(0)


async def layout_facts(page: Page) -> None:
    """Nothing wider than the window; the title, the consultation and sign-out in view."""
    overflow = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px"
    width = page.viewport_size["width"] if page.viewport_size else 0
    for locator in (
        page.get_by_role("heading", level=1),
        page.get_by_role("heading", level=2).first,
        page.get_by_role("button", name="Cerrar sesión"),
        row(page, "GT"),
    ):
        await expect(locator).to_be_visible()
        box = await locator.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width


@pytest.mark.parametrize("width", [1280, 390])
async def test_the_board_fits_a_desk_and_a_phone(
    console: Console, browser: Browser, width: int
) -> None:
    await under_way(console)
    context = await browser.new_context(
        viewport={"width": width, "height": 900}, locale="es-ES", device_scale_factor=1
    )
    try:
        page = await context.new_page()
        await console.sign_in(page, PPT)
        await expect(row(page, "CA")).to_contain_text("aprueba con enmiendas")
        await layout_facts(page)
        shot = await page.screenshot(full_page=True)
        assert shot.startswith(b"\x89PNG")
        if console.db.is_sqlite:  # the README's pictures, from one run
            SCREENSHOTS[width].parent.mkdir(parents=True, exist_ok=True)
            await page.screenshot(path=str(SCREENSHOTS[width]), full_page=width == 390)
    finally:
        await context.close()


async def test_pages_pass_axe_and_work_from_the_keyboard(console: Console, page: Page) -> None:
    axe = Axe()
    await page.goto(console.url("/sign-in"))
    report = await axe.run(page)
    assert report.violations_count == 0, report.generate_report()
    await page.keyboard.press("Tab")
    await expect(page.locator(".skip")).to_be_focused()
    outline = await page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"  # the focus can be seen
    await page.keyboard.press("Enter")  # skip to the content
    await page.keyboard.press("Tab")
    await expect(page.get_by_label("Su dirección de correo")).to_be_focused()
    await page.keyboard.type(PPT)
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Revise su correo")

    await under_way(console)
    await console.sign_in(page, PPT)
    await expect(row(page, "CA")).to_contain_text("aprueba con enmiendas")
    report = await axe.run(page)
    assert report.violations_count == 0, report.generate_report()

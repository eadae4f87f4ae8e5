"""Signing in by emailed link, in Chromium, and everything that must not get in."""

from playwright.async_api import Page, expect

from tests.web.conftest import PPT, Console


async def test_the_ppt_signs_in_through_the_emailed_link_and_signs_out(
    console: Console, page: Page
) -> None:
    await console.sign_in(page, PPT)
    await expect(page.get_by_role("heading", level=1)).to_have_text("Consultas abiertas")
    await expect(page.locator("html")).to_have_attribute("lang", "es")
    await page.get_by_role("button", name="Cerrar sesión").click()
    await expect(page.get_by_role("status")).to_have_text("Cerró la sesión.")
    await page.goto(console.url("/"))
    await expect(page).to_have_url(console.url("/sign-in"))

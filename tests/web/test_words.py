"""The console's pages and its sign-in email in words, never codes, in the reader's language."""

from email import message_from_bytes, policy
from email.message import EmailMessage

from playwright.async_api import Page, expect
from sqlmodel import select

from store import queries
from store.tables import ContactRow
from tests.service.test_no_codes import assert_no_codes
from tests.web.conftest import PPT, ST, Console, Visitor
from tests.web.test_board import row, under_way


def email_text(console: Console, address: str) -> str:
    """The sign-in email sent to ``address`` (the PPT gets the procedure's notices too)."""
    found = []
    for mail in console.smtpd.delivered_to(address):
        message = message_from_bytes(mail.data, policy=policy.default)
        assert isinstance(message, EmailMessage)
        body = message.get_body(("plain",))
        assert body is not None
        if "/sign-in/link/" in body.get_content():
            found.append(f"{message['Subject']}\n{body.get_content()}")
    [text] = found
    return text


async def test_the_board_and_the_sign_in_email_in_spanish(console: Console, page: Page) -> None:
    await under_way(console)
    await page.goto(console.url("/sign-in"))
    assert_no_codes(await page.locator("body").inner_text(), "sign-in page")
    await console.sign_in(page, PPT)
    await expect(row(page, "SV")).to_contain_text("retenida")
    assert_no_codes(await page.locator("body").inner_text(), "board")
    text = email_text(console, PPT)
    assert_no_codes(text, "sign-in email")
    assert "Su enlace para entrar en la consola de consultas de la CRM" in text
    assert "Sirve una sola vez, durante 15 minutos." in text


async def test_an_english_reader_gets_english(console: Console, page: Page) -> None:
    async with console.db.transaction() as session:
        contact = await queries.contact_by_email(session, ST)
        assert contact is not None
        contact.language = "en"
        session.add(contact)
    await under_way(console)
    await console.sign_in(page, ST)
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Open consultations")
    await expect(row(page, "CA")).to_contain_text("approves with amendments")
    await expect(row(page, "SV")).to_contain_text("reply held for review")
    body = await page.locator("body").inner_text()
    for spanish in ("pendiente", "aprueba", "Plazo", "quedan"):
        assert spanish not in body
    assert "Your link to sign in to the RCM consultations console" in email_text(console, ST)


async def test_refusals_are_sentences(console: Console, visitor: Visitor) -> None:
    status, text = await visitor.post("/sign-in", {"email": PPT})
    assert status == 403
    assert "Este formulario venció o no salió de la consola" in text
    status, text = await visitor.get("/sign-in/link/forged")
    assert status == 400 and "El enlace venció, ya se usó o no es nuestro." in text
    async with console.db.session() as session:
        assert (await session.exec(select(ContactRow))).first() is not None

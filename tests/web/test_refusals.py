"""Steps the console refuses: a Troika member trying the PPT's step, a step the procedure does
not allow now, a decision already taken. Each is one sentence in the viewer's language, and
nothing in the store changes."""

from playwright.async_api import Browser, Page, expect
from sqlalchemy import func
from sqlmodel import select

from consultation import review
from consultation.vocabulary import State
from store.database import Database
from store.tables import ConsultationRow, ContactEmailRow, ContactRow, EventRow, InboundMessageRow
from tests.factories import make_consultation
from tests.web.conftest import PPT, ST, TROIKA_MX, Console
from tests.web.test_consultation import signed_in


async def post(page: Page, path: str, console: Console, **fields: str) -> tuple[int, str]:
    """A form posted with the page's own CSRF token (as a stale tab or a crafted page would)."""
    token = await page.locator('input[name="csrf"]').first.get_attribute("value")
    answer = await page.request.post(console.url(path), form={"csrf": token or "", **fields})
    return answer.status, await answer.text()


async def moves(db: Database) -> tuple[int, str]:
    async with db.session() as session:
        count = (await session.exec(select(func.count()).select_from(EventRow))).one()
        (row,) = (await session.exec(select(ConsultationRow))).all()
    return int(count), row.state


async def speak(db: Database, address: str, language: str) -> None:
    async with db.transaction() as session:
        email = await session.get(ContactEmailRow, address)
        assert email is not None
        contact = await session.get(ContactRow, email.contact_id)
        assert contact is not None
        contact.language = language
        session.add(contact)


async def test_a_troika_member_cannot_take_the_ppt_s_steps(
    console: Console, browser: Browser
) -> None:
    made = await make_consultation(console.db, console.time, state=State.TROIKA_REVIEW, seed=False)
    seat = await signed_in(browser, console, TROIKA_MX)
    await seat.goto(console.url(f"/c/{made.id}"))
    assert await seat.get_by_role("button", name="Aprobar").count() == 1  # their own step
    assert await seat.get_by_role("button", name="Retirar").count() == 0
    before = await moves(console.db)
    for step in ("send", "withdraw", "troika", "conclude"):
        status, text = await post(seat, f"/c/{made.id}/{step}", console)
        assert status == 403, step
        assert "Solo la Presidencia Pro-Tempore puede hacer esto." in text
    assert await moves(console.db) == before


async def test_a_step_the_procedure_does_not_allow_is_one_sentence_in_either_language(
    console: Console, browser: Browser
) -> None:
    made = await make_consultation(console.db, console.time, state=State.TROIKA_REVIEW, seed=False)
    ppt = await signed_in(browser, console, PPT)
    await ppt.goto(console.url(f"/c/{made.id}"))
    before = await moves(console.db)
    status, text = await post(ppt, f"/c/{made.id}/send", console)
    assert status == 409
    assert f"{made.id} no puede enviarse a los miembros hasta que toda la Troika" in text
    await speak(console.db, PPT, "en")
    status, text = await post(ppt, f"/c/{made.id}/send", console)
    assert status == 409
    assert f"{made.id} cannot go to the members before all of the Troika" in text
    status, text = await post(ppt, f"/c/{made.id}/extend", console, days="0")
    assert status == 409 and "business days" in text
    assert await moves(console.db) == before


async def test_a_reply_decided_twice_is_refused_with_who_decided_it(
    console: Console, browser: Browser
) -> None:
    made = await make_consultation(console.db, console.time, seed=False)
    async with console.db.transaction() as session:
        held = InboundMessageRow(
            dedupe_key="<held@gmail.example>",
            raw=b"From: alguien@gmail.example\r\nSubject: RE\r\n\r\nGuatemala aprueba.\r\n",
            received_at=console.time.now(),
            status="review",
            reason="unregistered_sender",
            consultation_id=made.id,
            version=1,
            country="GT",
            sender="alguien@gmail.example",
        )
        session.add(held)
    st = await signed_in(browser, console, ST)
    await st.goto(console.url(f"/review/{held.id}"))
    ppt = await signed_in(browser, console, PPT)
    await ppt.goto(console.url(f"/review/{held.id}"))
    status, _ = await post(ppt, f"/review/{held.id}/reject", console, reason="no es del país")
    assert status == 200  # followed to the reply's page
    before = await moves(console.db)
    await speak(console.db, ST, "en")
    status, text = await post(st, f"/review/{held.id}/confirm", console)
    assert status == 409
    assert f"Reply no. {held.id} has already been decided" in text
    assert "Rejected by web:ppt@cancilleria.do.example" in text
    assert await moves(console.db) == before
    async with console.db.session() as session:
        row = await session.get(InboundMessageRow, held.id)
        assert row is not None and row.reason == f"review:{review.Decision.REJECT.value}"


async def test_an_unknown_consultation_or_message_is_one_sentence(
    console: Console, browser: Browser
) -> None:
    ppt = await signed_in(browser, console, PPT)
    answer = await ppt.goto(console.url("/c/CRM-2099-999"))
    assert answer is not None and answer.status == 404
    await expect(ppt.get_by_role("alert")).to_have_text("No existe la consulta CRM-2099-999.")
    await ppt.goto(console.url("/review/999"))
    await expect(ppt.get_by_role("alert")).to_have_text(
        "No hay ningún mensaje recibido con el n.º 999."
    )
    status, text = await post(ppt, "/c/CRM-2099-999/send", console)
    assert status == 404 and "No existe la consulta CRM-2099-999." in text

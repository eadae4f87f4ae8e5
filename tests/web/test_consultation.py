"""A whole consultation from the browser, as the PPT and the Troika run it: a draft from a .docx,
the Troika's approval, sending, replies by email (Dovecot) appearing without a reload, a held
reply settled, a revision, the conclusion, the export and the archive."""

import asyncio
import re
from email.message import EmailMessage
from pathlib import Path

from playwright.async_api import Browser, Page, expect
from sqlmodel import col, select

from consultation import answers
from consultation.answers import Answer, ProposedChange
from consultation.moves import Move
from consultation.vocabulary import AmendmentAction, PositionValue
from store.tables import (
    AmendmentRow,
    ConsultationRow,
    EventRow,
    InboundMessageRow,
    PositionRow,
    VersionRow,
)
from tests.consultation.test_uploads import docx_of
from tests.factories import MEMBERS, TEXT_EN, TEXT_ES, make_consultation
from tests.mail.test_front import focal_point, parsed
from tests.mail.transport.helpers import WAIT
from tests.service.test_no_codes import assert_no_codes
from tests.web.conftest import PPT, Console

ROOT = Path(__file__).parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TITLE = "Flujos migratorios extracontinentales"
TEN_DAYS = "Los países miembros intercambiarán información sobre rutas y perfiles en diez días."
TEN_DAYS_EN = "Member countries will exchange information on routes and profiles within ten days."


async def signed_in(browser: Browser, console: Console, address: str) -> Page:
    context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="es-ES")
    page = await context.new_page()
    await console.sign_in(page, address)
    return page


async def draft_to(console: Console, country: str, version: int) -> EmailMessage:
    """The version's email to the country's first focal point, once the outbox sent it."""
    async with asyncio.timeout(WAIT):
        while True:
            for mail in console.smtpd.delivered_to(focal_point(country)):
                message = parsed(mail.data)
                if f"v{version}]" in str(message["Subject"]) and message["Reply-To"]:
                    return message
            await asyncio.sleep(0.05)


async def reply(console: Console, country: str, body: str, *, sender: str = "") -> None:
    """Reply to the draft as a mail program does, delivered to the service's mailbox."""
    draft = await draft_to(console, country, 1)
    message = EmailMessage()
    message["From"] = sender or focal_point(country)
    message["To"] = str(draft["Reply-To"])
    message["Subject"] = f"RE: {draft['Subject']}"
    message["Message-ID"] = f"<reply.{country}.{len(body)}@example.org>"
    message["In-Reply-To"] = str(draft["Message-ID"])
    message.set_content(f"{body}\n\nSaludos cordiales,\nPunto Focal\n")
    await console.dovecot.append(message.as_bytes())


async def the_consultation(console: Console) -> ConsultationRow:
    async with console.db.session() as session:
        (row,) = (await session.exec(select(ConsultationRow))).all()
        return row


async def test_a_whole_consultation_from_the_browser(console: Console, browser: Browser) -> None:
    ppt = await signed_in(browser, console, PPT)

    # A draft from a Word document (Spanish) and a typed English text.
    await ppt.get_by_role("link", name="Abrir un borrador").click()
    await ppt.get_by_label("Título en español").fill(TITLE)
    await ppt.get_by_label("Título en inglés").fill("Extra-continental migration flows")
    await ppt.get_by_label(re.compile("^O el texto en español como archivo")).set_input_files(
        files=[{"name": "borrador.docx", "mimeType": DOCX, "buffer": docx_of(*TEXT_ES)}]
    )
    await ppt.get_by_label(re.compile("^Texto en inglés")).fill("\n\n".join(TEXT_EN))
    await ppt.get_by_role("button", name="Abrir el borrador").click()
    await expect(ppt.get_by_role("status")).to_contain_text("El borrador está abierto")
    row = await the_consultation(console)
    cid = row.id
    await expect(ppt).to_have_url(console.url(f"/c/{cid}?done=opened"))
    await expect(ppt.locator("ol.text li").first).to_have_text(TEXT_ES[0])

    await ppt.get_by_role("button", name="Presentar a la Troika").click()
    await expect(ppt.get_by_role("status")).to_contain_text("Presentada a la Troika")
    assert not await ppt.get_by_role("button", name="Enviar a todos los miembros").count()

    # Each Troika representative approves from the console, for their own country only.
    for address in (
        "troika@cancilleria.mx.example",
        "troika@cancilleria.pa.example",
        "troika@cancilleria.do.example",
    ):
        seat = await signed_in(browser, console, address)
        await seat.goto(console.url(f"/c/{cid}"))
        await seat.get_by_role("button", name="Aprobar").click()
        await expect(seat.get_by_role("status")).to_contain_text("Quedó registrada")
        await seat.context.close()

    await ppt.reload()
    await ppt.get_by_role("button", name="Enviar a todos los miembros").click()
    await expect(ppt.get_by_role("status")).to_contain_text("Enviada a todos los miembros")

    # Replies come by email; the page follows them without a reload.
    await ppt.evaluate("window.sameLoad = true")
    guatemala = ppt.locator('#board tr[data-country="GT"]')
    await expect(guatemala).to_contain_text("pendiente")
    await reply(console, "GT", "Guatemala aprueba el texto.")
    await expect(guatemala).to_contain_text("aprueba", timeout=WAIT * 1000)
    await reply(console, "NI", "Nicaragua objeta el texto.")
    await expect(ppt.locator('#board tr[data-country="NI"]')).to_contain_text(
        "objeta", timeout=WAIT * 1000
    )
    assert await ppt.evaluate("window.sameLoad") is True
    # Canada's amendment arrives by note verbale (recorded as the command line does).
    async with console.db.transaction() as session:
        change = ProposedChange(AmendmentAction.REPLACE, 2, TEN_DAYS)
        canada = Answer("CA", 1, PositionValue.AMEND, (change,))
        await answers.record_answer(session, cid, canada, Move("cli:st", console.time.now()))
    # Someone outside the roster answers for Honduras: held for a person.
    await reply(console, "HN", "Honduras aprueba el texto.", sender="alguien@gmail.example")
    await expect(ppt.locator('#board tr[data-country="HN"]')).to_contain_text(
        "retenida", timeout=WAIT * 1000
    )

    # The held reply, settled from the review queue by a correction.
    await ppt.get_by_role("link", name="Respuestas por revisar").click()
    await expect(ppt.locator("ol.queue li")).to_have_count(1)
    if console.db.is_sqlite:  # the README's picture, from one run
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await ppt.screenshot(path=str(SCREENSHOTS / "review.png"), full_page=False)
    await ppt.locator("ol.queue li a").first.click()
    await expect(ppt.locator("#reason")).to_contain_text("directorio de puntos focales")
    assert_no_codes(await ppt.locator("main").inner_text(), "a held reply's page", people=True)
    await ppt.get_by_text("Corregir la lectura").click()
    await ppt.get_by_label("aprueba", exact=True).check()
    await ppt.get_by_role("button", name="Registrar esta respuesta").click()
    await expect(ppt.get_by_role("status")).to_contain_text("Corregida")
    async with console.db.session() as session:
        (held,) = (
            await session.exec(
                select(InboundMessageRow).where(InboundMessageRow.sender == "alguien@gmail.example")
            )
        ).all()
        decided = (
            await session.exec(
                select(EventRow).where(
                    EventRow.inbound_id == held.id, EventRow.kind == "review_decided"
                )
            )
        ).one()
    assert held.status == "recorded" and decided.actor == f"web:{PPT}"

    # A revision: the PPT edits paragraph 2 and sends version 2; the clock restarts.
    await ppt.goto(console.url(f"/c/{cid}"))
    await ppt.get_by_text("Revisar el texto (nueva versión)").click()
    spanish = ppt.get_by_label(re.compile("^Texto en español"))
    await expect(spanish).to_have_value("\n\n".join(TEXT_ES))
    await spanish.fill("\n\n".join([TEXT_ES[0], TEN_DAYS, *TEXT_ES[2:]]))
    english = [TEXT_EN[0], TEN_DAYS_EN, *TEXT_EN[2:]]
    await ppt.get_by_label(re.compile("^Texto en inglés")).fill("\n\n".join(english))
    await ppt.get_by_label("Qué cambió, para los miembros").fill("Plazo de diez días.")
    await ppt.get_by_label(re.compile("Canadá: sustituir el párrafo 2")).check()
    await ppt.get_by_role("button", name="Enviar la nueva versión").click()
    await expect(ppt.get_by_role("status")).to_contain_text("La nueva versión se envió")
    await expect(ppt.locator("#v2 .redline")).to_contain_text("diez")
    assert (await the_consultation(console)).current_version == 2
    async with console.db.session() as session:
        (taken,) = (await session.exec(select(AmendmentRow))).all()
    assert taken.status == "incorporated"

    # Every member agrees with version 2 (by note verbale, recorded as the CLI does); the PPT
    # concludes early, from the page.
    for country in MEMBERS:
        async with console.db.transaction() as session:
            await answers.record_answer(
                session,
                cid,
                Answer(country, 2, PositionValue.APPROVE),
                Move(actor="cli:st", at=console.time.now()),
            )
    await ppt.reload()
    await ppt.get_by_role("button", name="Concluir").click()
    await expect(ppt.get_by_role("status")).to_contain_text("Concluida")
    concluded = await the_consultation(console)
    assert (concluded.state, concluded.outcome) == ("concluded", "consensus")
    assert_no_codes(await ppt.locator("main").inner_text(), "the consultation page", people=True)

    # The record downloads in one click; the archive finds it and opens it.
    async with ppt.expect_download() as downloading:
        await ppt.get_by_role("link", name="página web (HTML)").click()
    download = await downloading.value
    assert download.suggested_filename == f"{cid}.es.html"
    assert TITLE in Path(await download.path()).read_text(encoding="utf-8")
    await ppt.get_by_role("link", name="Archivo").click()
    await ppt.get_by_label("Palabras del título o del texto").fill("extracontinentales diez")
    await ppt.get_by_role("button", name="Buscar").click()
    await ppt.get_by_role("link", name=re.compile(cid)).click()
    await expect(ppt).to_have_url(console.url(f"/c/{cid}"))
    async with console.db.session() as session:
        positions = (
            await session.exec(
                select(PositionRow).where(
                    col(PositionRow.consultation_id) == cid, PositionRow.version == 1
                )
            )
        ).all()
    assert {p.country: p.value for p in positions} == {
        "GT": "approve",
        "NI": "object",
        "HN": "approve",
        "CA": "amend",
    }


async def test_extend_remind_and_withdraw_from_the_page(console: Console, browser: Browser) -> None:
    made = await make_consultation(console.db, console.time, seed=False)
    ppt = await signed_in(browser, console, PPT)
    await ppt.goto(console.url(f"/c/{made.id}"))
    async with console.db.session() as session:
        before = (await session.exec(select(VersionRow))).one().deadline_at
    await ppt.get_by_label("Días hábiles que se añaden").fill("3")
    await ppt.get_by_role("button", name="Prorrogar el plazo").click()
    await expect(ppt.get_by_role("status")).to_contain_text("Se prorrogó el plazo")
    async with console.db.session() as session:
        version = (await session.exec(select(VersionRow))).one()
    assert before is not None and version.deadline_at is not None
    assert version.deadline_at > before and version.days == 8
    await ppt.get_by_role("button", name="Recordar a los miembros pendientes").click()
    await expect(ppt.get_by_role("status")).to_contain_text("recordatorio")
    async with asyncio.timeout(WAIT):  # each pending member's focal points get the reminder
        while not any(
            "Recordatorio" in str(parsed(m.data)["Subject"])
            for m in console.smtpd.delivered_to(focal_point("GT"))
        ):
            await asyncio.sleep(0.05)
    await ppt.get_by_text("Retirar la consulta").click()
    await ppt.get_by_label("Motivo (para el expediente y los miembros)").fill(
        "Se presentará en la reunión."
    )
    await ppt.get_by_role("button", name="Retirarla").click()
    await expect(ppt.get_by_role("status")).to_contain_text("Retirada")
    row = await the_consultation(console)
    assert row.state == "withdrawn"
    assert await ppt.get_by_role("button", name="Prorrogar el plazo").count() == 0

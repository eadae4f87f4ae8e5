"""A received message in the console: its HTML made harmless, its files downloads only, and
the pages readable at a phone's width."""

from email.message import EmailMessage

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, expect
from sqlmodel import select

from store.tables import InboundMessageRow
from tests.factories import make_consultation
from tests.mail.test_front import focal_point
from tests.mail.transport.helpers import WAIT
from tests.web.conftest import PPT, Console
from tests.web.test_consultation import draft_to, signed_in

HOSTILE = """<html><head><style>main{display:none}</style><script>window.owned = 1</script></head>
<body onload="window.owned = 2"><p onclick="window.owned = 3">Guatemala <b>aprueba</b> el texto.</p>
<img src="http://127.0.0.1:9/pixel.gif"><a href="javascript:window.owned=4">uno</a>
<a href="https://minex.gob.gt.example/">dos</a><iframe src="http://127.0.0.1:9/"></iframe></body></html>"""


async def test_an_html_reply_is_shown_harmless_and_its_files_only_download(
    console: Console, browser: Browser
) -> None:
    made = await make_consultation(console.db, console.time, seed=False)
    draft = await draft_to(console, "GT", 1)
    message = EmailMessage()
    message["From"] = focal_point("GT")
    message["To"] = str(draft["Reply-To"])
    message["Subject"] = f"RE: {draft['Subject']}"
    message["Message-ID"] = "<html-reply.gt@example.org>"
    message["In-Reply-To"] = str(draft["Message-ID"])
    message.set_content("Guatemala aprueba el texto.")
    message.add_alternative(HOSTILE, subtype="html")
    message.add_attachment(
        b"<script>window.owned=5</script>",
        maintype="text",
        subtype="html",
        filename="../nota verbal.html",
    )
    await console.dovecot.append(message.as_bytes())
    ppt = await signed_in(browser, console, PPT)
    await ppt.goto(console.url(f"/c/{made.id}"))
    source = ppt.get_by_role("link", name="mensaje n.º 1 de puntofocal@cancilleria.gt.example")
    await expect(source).to_be_visible(timeout=WAIT * 1000)  # the page follows the store
    await ppt.reload()
    await ppt.get_by_role("link", name="mensaje n.º 1 de puntofocal@cancilleria.gt.example").click()
    body = ppt.locator(".mail-body")
    await expect(body).to_contain_text("Guatemala aprueba el texto.")
    assert await body.locator("script, style, img, iframe, [onclick], [onload]").count() == 0
    assert await body.locator('a[href^="javascript"]').count() == 0
    safe = body.get_by_role("link", name="dos")
    await expect(safe).to_have_attribute("rel", "noopener noreferrer")
    assert await ppt.evaluate("window.owned") is None
    await expect(ppt.locator("main")).to_be_visible()
    async with console.db.session() as session:
        (row,) = (await session.exec(select(InboundMessageRow))).all()
    answer = await ppt.request.get(console.url(f"/message/{row.id}/attachment/0"))
    assert answer.status == 200 and await answer.body() == b"<script>window.owned=5</script>"
    assert answer.headers["content-type"] == "application/octet-stream"
    assert answer.headers["content-disposition"].startswith("attachment; filename*=UTF-8''")
    assert "/" not in answer.headers["content-disposition"].split("''", 1)[1]
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert (await ppt.request.get(console.url(f"/message/{row.id}/attachment/9"))).status == 404


@pytest.mark.parametrize("width", [1280, 390])
async def test_the_pages_fit_a_desk_and_a_phone_and_pass_axe(
    console: Console, browser: Browser, width: int
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
    ppt = await signed_in(browser, console, PPT)
    await ppt.set_viewport_size({"width": width, "height": 900})
    axe = Axe()
    for path in (
        f"/c/{made.id}",
        "/review",
        f"/review/{held.id}",
        f"/message/{held.id}",
        "/archive?q=flujos",
        "/new",
    ):
        await ppt.goto(console.url(path))
        await expect(ppt.get_by_role("heading", level=1)).to_be_visible()
        overflow = await ppt.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at {width}px"
        if width == 1280:
            report = await axe.run(ppt)
            assert report.violations_count == 0, f"{path}: {report.generate_report()}"

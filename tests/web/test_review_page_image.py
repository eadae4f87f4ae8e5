"""A held reply read from a scanned note verbale: the review page shows the note in words and
its first page beside the reading, an image served only to those who may review."""

from playwright.async_api import Browser, expect

from store.tables import InboundMessageRow, InboundPageImageRow
from tests.factories import make_consultation
from tests.fixtures.notes.scoring import HERE, load, read
from tests.web.conftest import ST, TROIKA_MX, Console
from tests.web.test_consultation import signed_in

SCANNED = "n11-scan-es-object.eml"


async def test_the_scanned_page_is_shown_beside_the_reading(
    console: Console, browser: Browser
) -> None:
    made = await make_consultation(console.db, console.time, seed=False)
    reading, _ = read(SCANNED, load()[SCANNED])
    assert reading.note is not None and reading.note.page_image is not None
    async with console.db.transaction() as session:
        row = InboundMessageRow(
            dedupe_key="<scan-web@cancilleria.ni.example>",
            raw=(HERE / "messages" / SCANNED).read_bytes(),
            received_at=console.time.now(),
            status="review",
            reason="ocr_position",
            consultation_id=made.id,
            version=1,
            country="NI",
            sender="jcastillo@cancilleria.ni.example",
            reading={
                "position": "object",
                "review_reasons": ["ocr_position"],
                "own_text": "…",
                "note_verbale": {
                    "reference": "DGPE/0417/2026",
                    "source": "scan",
                    "filename": "nota.pdf",
                    "date": "2026-11-09",
                },
            },
        )
        session.add(row)
        await session.flush()
        assert row.id is not None
        session.add(
            InboundPageImageRow(inbound_id=row.id, filename="nota.pdf", png=reading.note.page_image)
        )
    st = await signed_in(browser, console, ST)
    await st.goto(console.url(f"/review/{row.id}"))
    await expect(st.locator("#note")).to_contain_text("Nota verbal DGPE/0417/2026")
    image = st.locator("#page img")
    await expect(image).to_be_visible()
    assert await image.evaluate("i => i.complete && i.naturalWidth > 100")  # the PNG loaded
    answer = await st.request.get(console.url(f"/review/{row.id}/page.png"))
    assert answer.status == 200 and answer.headers["content-type"] == "image/png"
    assert await answer.body() == reading.note.page_image
    # A Troika member may not review, so may not see the page either.
    troika = await signed_in(browser, console, TROIKA_MX)
    refused = await troika.request.get(console.url(f"/review/{row.id}/page.png"))
    assert refused.status == 403 and await refused.body() != reading.note.page_image

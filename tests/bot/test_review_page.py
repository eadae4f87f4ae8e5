"""A held reply read from a scanned note: its page goes to Slack with the review message, as a
file uploaded into the message's thread (files_upload_v2, against the recording server)."""

from consultation import review
from consultation.timesource import ManualTime
from store.database import Database
from store.tables import InboundMessageRow, InboundPageImageRow
from tests.bot.conftest import PPT, ST, Front
from tests.factories import make_consultation
from tests.fixtures.notes.scoring import HERE, load, read

SCANNED = "n11-scan-es-object.eml"


async def test_the_scanned_page_is_uploaded_under_each_review_message(
    front: Front, db: Database, time: ManualTime
) -> None:
    made = await make_consultation(db, time, seed=False)
    reading, _ = read(SCANNED, load()[SCANNED])
    assert reading.note is not None and reading.note.page_image is not None
    async with db.transaction() as session:
        row = InboundMessageRow(
            dedupe_key="<scan-1@cancilleria.ni.example>",
            raw=(HERE / "messages" / SCANNED).read_bytes(),
            received_at=time.now(),
            status="review",
            reason="ocr_position",
            consultation_id=made.id,
            version=1,
            country="NI",
            sender="jcastillo@cancilleria.ni.example",
            reading={"position": "object", "review_reasons": ["ocr_position"], "own_text": "…"},
        )
        session.add(row)
        await session.flush()
        assert row.id is not None
        session.add(
            InboundPageImageRow(
                inbound_id=row.id, filename="n11-scan-es-object.pdf", png=reading.note.page_image
            )
        )
        await review.queue_review(session, row, at=time.now())
    await front.drain()

    posted = {c.args["channel"]: c for c in front.api.of("chat.postMessage")}
    completed = front.api.of("files.completeUploadExternal")
    assert {c.args["channel_id"] for c in completed} == {"D" + PPT[1:], "D" + ST[1:]}
    for call in completed:  # in the thread of the review message the server gave a ts to
        assert call.args["thread_ts"].startswith("1796652000.")
        assert call.args["initial_comment"].startswith("Primera página de n11-scan-es-object.pdf")
    assert "compárela" in completed[0].args["initial_comment"]
    assert list(front.api.uploads.values()) == [reading.note.page_image] * 2
    reasons = posted[PPT].args["text"]
    assert "reconocimiento óptico de caracteres" in reasons

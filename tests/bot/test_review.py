"""The review queue in chat: Confirm, Correct (a form) and Reject, each recorded with who."""

from typing import Any

from sqlmodel import select

from consultation import review
from consultation.timesource import ManualTime
from store import queries
from store.database import Database
from store.tables import EventRow, InboundMessageRow
from tests.bot.conftest import PPT, ST, TROIKA_USERS, Front, text_of
from tests.bot.test_troika import buttons, message
from tests.factories import make_consultation


async def waiting_reply(db: Database, time: ManualTime, cid: str, country: str, n: int) -> int:
    """A reply the reader was unsure of, as the email front leaves it."""
    async with db.transaction() as session:
        row = InboundMessageRow(
            dedupe_key=f"<reply-{n}@{country.lower()}.example>",
            raw=b"From: fp@example\r\n\r\nDe acuerdo, salvo el parrafo 2.",
            received_at=time.now(),
            status="review",
            reason="ambiguous_phrase",
            consultation_id=cid,
            version=1,
            country=country,
            sender=f"focal@{country.lower()}.example",
            reading={
                "position": "amend",
                "amendments": [{"action": "replace", "paragraph": 2, "proposed": "En diez días."}],
                "extension_requested": False,
                "review_reasons": ["ambiguous_phrase"],
                "own_text": "De acuerdo, salvo el párrafo 2, que debería decir «En diez días».",
            },
        )
        session.add(row)
        await session.flush()
        await review.queue_review(session, row, at=time.now())
        assert row.id is not None
        return row.id


async def copies(front: Front) -> dict[str, Any]:
    await front.drain()
    return {
        c.args["channel"]: c
        for c in front.api.of("chat.postMessage")
        if c.args["channel"] in (PPT, ST) and "revisión" in c.args["text"]
    }


async def test_confirm_records_the_reading_once_and_says_who(
    front: Front, db: Database, time: ManualTime
) -> None:
    made = await make_consultation(db, time, seed=False)
    await waiting_reply(db, time, made.id, "GT", 1)
    posted = await copies(front)
    assert set(posted) == {PPT, ST}
    dm = posted[PPT]
    assert dm.args["text"] == (
        "Una respuesta de focal@gt.example (GT) sobre CRM-2026-001 v1 necesita revisión: usa una frase ambigua."
    )
    assert set(buttons(dm)) == {"review_confirm", "review_correct", "review_reject"}

    done = await front.click(
        PPT,
        "review_confirm",
        buttons(dm)["review_confirm"]["value"],
        channel="DPPTDO0001",
        message=message(dm),
    )
    assert done.method == "chat.update"
    assert done.args["text"] == "Lectura confirmada por Oficial de la PPT (República Dominicana)."
    late = await front.click(
        ST,
        "review_confirm",
        buttons(posted[ST])["review_confirm"]["value"],
        channel="DSTCR00001",
        message=message(posted[ST]),
    )
    assert late.method == "chat.postEphemeral"
    assert late.args["text"] == "Esta respuesta ya fue revisada; no se cambió nada."

    async with db.session() as session:
        [position] = (await queries.latest_positions(session, made.id, 1)).values()
        decided = (
            await session.exec(select(EventRow).where(EventRow.kind == "review_decided"))
        ).all()
    assert (position.country, position.value, position.recorded_by) == (
        "GT",
        "amend",
        f"slack:{PPT}",
    )
    assert [(e.actor, e.payload["decision"]) for e in decided] == [(f"slack:{PPT}", "confirm")]


async def test_correct_and_reject(front: Front, db: Database, time: ManualTime) -> None:
    made = await make_consultation(db, time, seed=False)
    first = await waiting_reply(db, time, made.id, "HN", 1)
    second = await waiting_reply(db, time, made.id, "NI", 2)
    posted = [c for c in front.api.of("chat.postMessage")] + list((await copies(front)).values())
    dms = [c for c in front.api.of("chat.postMessage") if c.args["channel"] == ST]
    by_sender = {("HN" if "hn.example" in c.args["text"] else "NI"): c for c in dms}
    assert posted and set(by_sender) == {"HN", "NI"}

    form = await front.click(
        ST,
        "review_correct",
        buttons(by_sender["HN"])["review_correct"]["value"],
        channel="DSTCR00001",
        message=message(by_sender["HN"]),
    )
    assert form.method == "views.open"
    refused = await front.submit(
        ST,
        form.args["view"],
        {
            "position": {"type": "static_select", "selected_option": {"value": "object"}},
            "amendments": text_of("párrafo dos"),
        },
        wait=False,
    )
    assert '"response_action":"errors"' in refused.text.replace(" ", "")
    await front.submit(
        ST,
        form.args["view"],
        {
            "position": {"type": "static_select", "selected_option": {"value": "object"}},
            "amendments": text_of("-3"),
        },
    )
    corrected = [c for c in front.api.of("chat.update") if c.args["channel"] == "DSTCR00001"][-1]
    assert corrected.args["text"] == "Lectura corregida por Secretaría Técnica de la CRM."

    outsider = await front.click(
        TROIKA_USERS["MX"],
        "review_reject",
        buttons(by_sender["NI"])["review_reject"]["value"],
        channel="DTKMX0001",
        message=message(by_sender["NI"]),
    )
    assert outsider.args["text"].startswith(
        "Solo la Presidencia Pro-Tempore o la Secretaría Técnica"
    )
    rejected = await front.click(
        ST,
        "review_reject",
        buttons(by_sender["NI"])["review_reject"]["value"],
        channel="DSTCR00001",
        message=message(by_sender["NI"]),
    )
    assert rejected.args["text"] == "Respuesta rechazada por Secretaría Técnica de la CRM."

    async with db.session() as session:
        latest = await queries.latest_positions(session, made.id, 1)
        amendments = await queries.amendments(session, made.id)
        statuses = {r.id: r.status for r in (await session.exec(select(InboundMessageRow))).all()}
    assert {c: p.value for c, p in latest.items()} == {"HN": "object"}
    assert [(a.country, a.action, a.paragraph) for a in amendments] == [("HN", "delete", 3)]
    assert statuses == {first: "recorded", second: "dropped"}

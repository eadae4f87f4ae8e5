"""Every Slack message at the size of the UN General Assembly (193 members), with many open
amendments and long titles, within Slack's real limits, and saying what it leaves out."""

import json
import re
from datetime import timedelta
from typing import Any

from sqlmodel import select

from bot.board_actions import home
from bot.review import review_message
from bot.status_board import board
from bot.texts import Phrases
from consultation.answers import ProposedChange
from consultation.links import ConsoleLinks
from consultation.timesource import ManualTime
from consultation.vocabulary import AmendmentAction, Language, PositionValue
from store.database import Database
from store.tables import CountryRow, InboundMessageRow, OutboxRow
from templates import environment
from tests.bot.conftest import CHANNEL, PPT, Front, sign
from tests.bot.slack_limits import assert_within_limits
from tests.factories import answer, make_consultation
from tests.held import hold
from tests.large_body import seed_large_roster
from tests.service.test_no_codes import assert_no_codes

LONG_TITLE = (
    "Declaración conjunta de los países miembros sobre la cooperación regional en materia de "
    "flujos migratorios mixtos, protección internacional, retorno digno y reintegración "
    "sostenible de personas migrantes en situación de vulnerabilidad",
    "Joint declaration of the member countries on regional cooperation on mixed migration "
    "flows, international protection, dignified return and the sustainable reintegration of "
    "migrants in situations of vulnerability",
)
PROPOSED = (
    "Los países miembros intercambiarán, por medio de sus puntos focales y en un plazo de diez "
    "días hábiles desde cada solicitud, información sobre rutas, perfiles y necesidades de "
    "protección de las personas migrantes extracontinentales, con pleno respeto de la "
    "legislación nacional sobre protección de datos personales."
)
AMENDING, OBJECTING, ABSTAINING, APPROVING = 40, 6, 4, 120


async def crowded(db: Database, time: ManualTime) -> tuple[str, list[str]]:
    """193 members: 40 amend (2 amendments each), 6 object, 4 abstain, 120 approve, 23 pending
    (3 of them asking for more time); 5 replies held for review."""
    await seed_large_roster(db, time.now())
    made = await make_consultation(db, time, seed=False, title=LONG_TITLE)
    async with db.session() as session:
        rows = (await session.exec(select(CountryRow).where(CountryRow.status == "member"))).all()
    codes = sorted(c.code for c in rows)
    assert len(codes) == 193
    changes = (
        ProposedChange(AmendmentAction.REPLACE, 2, PROPOSED),
        ProposedChange(AmendmentAction.INSERT_AFTER, 3, PROPOSED),
    )
    plan = (
        [PositionValue.AMEND] * AMENDING
        + [PositionValue.OBJECT] * OBJECTING
        + [PositionValue.ABSTAIN] * ABSTAINING
        + [PositionValue.APPROVE] * APPROVING
    )
    for code, position in zip(codes, plan, strict=False):
        amend = position is PositionValue.AMEND
        await answer(db, time, made.id, code, position, changes=changes if amend else ())
    for code in codes[-3:]:
        await answer(db, time, made.id, code, None, extension=True)
    for code in codes[-8:-3]:
        await hold(db, time, made.id, code, "mixed_signals,question")
    return made.id, codes


async def render(
    db: Database, time: ManualTime, cid: str, language: Language, links: ConsoleLinks | None
) -> dict[str, Any]:
    book = Phrases(environment())(language)
    async with db.session() as session:
        blocks, text = await board(session, cid, book, language, time.now(), links=links)
    return {"blocks": blocks, "text": text}


async def test_the_status_message_at_193_members(db: Database, time: ManualTime) -> None:
    cid, codes = await crowded(db, time)
    links = ConsoleLinks.of("https://consulta.example.org")
    english = await render(db, time, cid, Language.EN, links)
    spanish = await render(db, time, cid, Language.ES, links)
    for message in (english, spanish):
        assert_within_limits(message)
    blocks = english["blocks"]
    assert blocks[0]["text"]["text"].endswith("…")  # the long title, shortened in the header…
    assert LONG_TITLE[1] in blocks[1]["text"]["text"]  # …and whole below it
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    # Counts by position first, in words.
    assert sections[1] == (
        "*193 members:* 120 approve · 40 with amendments · 6 object · 4 abstain · 23 pending"
        " · 5 replies held for review"
    )
    attention = sections[2].splitlines()
    assert attention[0].startswith(":no_entry: *Object (6):* ")
    for code in codes[AMENDING : AMENDING + OBJECTING]:  # every objecting country, by name
        assert f" {code}*" in attention[0] or f" {code} " in attention[0]
    assert attention[1].startswith(":mag: *Replies held for review (5):* ")
    assert attention[2].startswith(":pencil2: *With amendments (40):* ")
    assert re.search(r" and \d+ more$", attention[2])  # not all 40 fit: said, not cut
    assert attention[3] == "*Ask for more time (3):* *El Salvador*, *Panama*, *United States*"
    amendments = sections[3]
    assert amendments.startswith("*Open amendments*\n#1 AA · replace ¶2: “Los países")
    left = int(re.findall(r"…and (\d+) more open amendments", amendments)[0])
    assert left + amendments.count("\n#") == 2 * AMENDING
    assert (
        "The whole board of CRM-2026-001, country by country: "
        "<https://consulta.example.org/c/CRM-2026-001|open it in the console>."
    ) in json.dumps(blocks)
    spanish_text = json.dumps(spanish["blocks"], ensure_ascii=False)
    assert "*193 miembros:* 120 aprueban · 40 con enmiendas · 6 objetan" in spanish_text
    assert (
        "enmiendas abiertas más: <https://consulta.example.org/c/CRM-2026-001|véalas"
        in spanish_text
    )


async def test_on_the_last_day_the_pending_countries_are_named(
    db: Database, time: ManualTime
) -> None:
    cid, codes = await crowded(db, time)
    unlinked = await render(db, time, cid, Language.EN, None)
    assert "with the deadline close" not in json.dumps(unlinked)
    assert "console" not in json.dumps(unlinked)  # no address configured: no link
    time.advance(timedelta(days=7))  # Monday 14 December: the deadline's day
    message = await render(db, time, cid, Language.ES, None)
    assert_within_limits(message)
    text = json.dumps(message["blocks"], ensure_ascii=False)
    assert "*Aún pendientes, con el plazo cerca (23):* " in text
    for name in ("*El Salvador*", "*Estados Unidos*", "*Panamá*"):
        assert name in text
    assert_no_codes(text, "the Spanish status message on the last day")


async def test_the_status_message_posted_to_slack_at_193_members(
    front: Front, db: Database, time: ManualTime
) -> None:
    cid, _ = await crowded(db, time)
    await front.drain()
    posted = [c for c in front.api.calls_of("chat.postMessage") if c.args["channel"] == CHANNEL]
    assert [c.ok for c in posted] == [True]
    assert cid in posted[0].args["text"]
    for call in front.api.calls_of("chat.postMessage") + front.api.calls_of("chat.update"):
        assert_within_limits(call.args)


async def test_the_review_message_of_a_long_reply(db: Database, time: ManualTime) -> None:
    made = await make_consultation(db, time)
    amendments = [
        {"action": "replace", "paragraph": 2, "proposed": PROPOSED * 3} for _ in range(60)
    ]
    inbound = InboundMessageRow(
        dedupe_key="<long.reply@minrex.gt.example>",
        raw=b"From: puntofocal@minrex.gt.example\r\n\r\n...",
        received_at=time.now(),
        status="review",
        reason="mixed_signals",
        consultation_id=made.id,
        version=1,
        country="GT",
        sender="puntofocal@minrex.gt.example",
        reading={"position": "amend", "amendments": amendments, "own_text": PROPOSED * 60},
    )
    async with db.transaction() as session:
        session.add(inbound)
        await session.flush()
        assert inbound.id is not None
        number = inbound.id
    notice = OutboxRow(
        dedupe_key="",
        created_at=time.now(),
        channel="slack",
        kind="review_notice",
        payload={"inbound_id": number},
        next_attempt_at=time.now(),
    )
    links = ConsoleLinks.of("https://consulta.example.org/")
    for language, link in ((Language.EN, links), (Language.ES, None)):
        book = Phrases(environment())(language)
        async with db.session() as session:
            blocks, text = await review_message(session, notice, book, language, links=link)
        assert_within_limits({"blocks": blocks, "text": text})
        shown = json.dumps(blocks, ensure_ascii=False)
        if link is not None:
            assert "…and " in shown and "more amendments read in the message." in shown
            assert f"<https://consulta.example.org/review/{number}|open it in the console>" in shown
        else:
            assert "más leídas en el mensaje." in shown
            assert f"`consulta review show {number}`" in shown
        quote = next(b["text"]["text"] for b in blocks if b["text"]["text"].startswith("> "))
        assert len(quote) < 1600 and quote.endswith("…")


async def test_the_home_tab_with_fifty_open_consultations(
    front: Front, db: Database, time: ManualTime
) -> None:
    for _ in range(50):
        await make_consultation(db, time, seed=False, title=LONG_TITLE)
    body = json.dumps(
        {
            "token": "legacy-verification-token",
            "team_id": "T0CRM",
            "api_app_id": "A0CONSULTA",
            "type": "event_callback",
            "event_id": "Ev0HOME50",
            "event_time": 1796652000,
            "event": {"type": "app_home_opened", "user": PPT, "tab": "home"},
        }
    )
    assert (await front.post(body, "application/json", sign(body))).status == 200
    [published] = await front.api.wait_count("views.publish", 1)
    assert_within_limits(published.args, view=True)
    listed = "\n".join(b["text"]["text"] for b in published.args["view"]["blocks"][1:])
    assert all(f"*CRM-2026-{n:03d}*" in listed for n in range(1, 51))  # every one, none cut
    book = Phrases(environment())(Language.EN)
    lines = [f"• *CRM-2026-{n:04d}* · {LONG_TITLE[1]}" for n in range(1000)]
    links = ConsoleLinks.of("https://consulta.example.org")
    blocks = home(lines, book, links, in_roster=True)
    assert_within_limits({"view": {"blocks": blocks}}, view=True)
    assert (
        "open consultations: <https://consulta.example.org/|see them all in the console>."
        in (blocks[-2]["text"]["text"])
    )

"""The live status message: every kind of answer, the notes on reaching a country, the buttons
only where the procedure allows the step."""

import json
from typing import Any

from sqlmodel import select

from bot.status_board import board
from bot.texts import Phrases
from consultation import journal
from consultation.answers import ProposedChange
from consultation.timesource import ManualTime
from consultation.vocabulary import AmendmentAction, Language, PositionValue, Role, State
from store import queries
from store.database import Database
from store.tables import ContactEmailRow
from templates import environment
from tests.factories import answer, make_consultation, seed_roster


async def five_kinds(db: Database, time: ManualTime) -> str:
    """BZ approves, CA amends, GT objects, US abstains, HN asks for time, NI is away, PA bounces."""
    made = await make_consultation(db, time)
    await answer(db, time, made.id, "BZ", PositionValue.APPROVE)
    change = ProposedChange(
        AmendmentAction.REPLACE, 2, "Los países intercambiarán información en diez días."
    )
    await answer(db, time, made.id, "CA", PositionValue.AMEND, changes=(change,))
    await answer(db, time, made.id, "GT", PositionValue.OBJECT)
    await answer(db, time, made.id, "US", PositionValue.ABSTAIN)
    await answer(db, time, made.id, "HN", None, extension=True)
    async with db.transaction() as session:
        await journal.record_event(
            session,
            consultation_id=made.id,
            kind="out_of_office",
            actor="fp@ni.example",
            at=time.now(),
            payload={"country": "NI", "contact": "Punto focal de Nicaragua", "until": "2026-12-11"},
        )
        [focal] = (await queries.contacts_with_role(session, Role.FOCAL_POINT.value, party="PA"))[
            :1
        ]
        assert focal.id is not None
        [email] = await queries.emails_of(session, focal.id)
        email.failing, email.failure = True, "550 5.1.1 no such user"
        session.add(email)
    return made.id


async def render(
    db: Database, time: ManualTime, cid: str, language: Language
) -> list[dict[str, Any]]:
    book = Phrases(environment())(language)
    async with db.session() as session:
        blocks, _ = await board(session, cid, book, language, time.now())
    return blocks


async def test_every_kind_of_answer_on_its_own_line(db: Database, time: ManualTime) -> None:
    cid = await five_kinds(db, time)
    blocks = await render(db, time, cid, Language.EN)
    assert blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": f"{cid} · Extra-continental flows"},
    }
    summary = blocks[1]["text"]["text"]
    assert "*Out to the members* · version 1 · standard (5 business days)" in summary
    assert (
        "*Deadline:* Monday 14 December 2026, 23:59 (Santo Domingo time, UTC-04:00) · 5 business days left"
        in summary
    )
    assert "*If the period closed now:* blocked" in summary
    lines = blocks[3]["text"]["text"].splitlines()
    assert len(lines) == 11 and lines[5].startswith(":no_entry: *Guatemala*")  # by name
    assert ":white_check_mark: *Belize* — approves" in lines
    assert ":pencil2: *Canada* — approves with amendments · _1 amendment_" in lines
    assert ":no_entry: *Guatemala* — objects" in lines
    assert ":white_circle: *United States* — abstains" in lines
    assert ":hourglass_flowing_sand: *Honduras* — pending · _asks for more time_" in lines
    assert (
        ":hourglass_flowing_sand: *Nicaragua* — pending · _away: Punto focal de Nicaragua until 2026-12-11_"
        in lines
    )
    assert any(
        line.startswith(":hourglass_flowing_sand: *Panama* — pending · _bouncing: ")
        for line in lines
    )
    assert (
        blocks[4]["elements"][0]["text"]
        == "1 approves · 1 with amendments · 1 objects · 1 abstains · 7 pending"
    )
    amendments = blocks[5]["text"]["text"]
    assert (
        "*Open amendments*" in amendments
        and "CA · replace ¶2: “Los países intercambiarán" in amendments
    )
    actions = [e["action_id"] for e in blocks[6]["elements"]]
    assert actions == ["board_remind", "board_extend"]  # GT objects: no Conclude


async def test_the_spanish_board_and_conclude_once_everyone_agrees(
    db: Database, time: ManualTime
) -> None:
    made = await make_consultation(db, time)
    for country in ["BZ", "CA", "CR", "DO", "GT", "HN", "MX", "NI", "PA", "SV", "US"]:
        await answer(db, time, made.id, country, PositionValue.APPROVE)
    blocks = await render(db, time, made.id, Language.ES)
    text = json.dumps(blocks, ensure_ascii=False)
    assert "quedan 5 días hábiles" in text and ":white_check_mark: *México* — aprueba" in text
    assert [e["action_id"] for e in blocks[-2]["elements"]] == ["board_extend", "board_conclude"]


async def test_a_draft_shows_no_members_and_no_buttons(db: Database, time: ManualTime) -> None:
    await seed_roster(db, time.now())
    made = await make_consultation(db, time, state=State.TROIKA_REVIEW, seed=False)
    blocks = await render(db, time, made.id, Language.ES)
    assert [b["type"] for b in blocks] == ["header", "section", "context"]
    assert (
        "*Troika (ronda 1):* MX pendiente · DO pendiente · PA pendiente"
        in blocks[1]["text"]["text"]
    )
    async with db.session() as session:
        assert (
            await session.exec(select(ContactEmailRow).where(ContactEmailRow.failing))
        ).all() == []

"""The Troika in chat: the draft to each representative, their buttons, the PPT told."""

import json
from typing import Any

from sqlmodel import select

from consultation.timesource import ManualTime
from consultation.vocabulary import State
from store.database import Database
from store.tables import ConsultationRow, EventRow, TroikaReviewRow
from tests.bot.conftest import PPT, TROIKA_USERS, Front, text_of
from tests.factories import make_consultation
from tests.servers.slack_api import Call


def buttons(call: Call) -> dict[str, dict[str, Any]]:
    return {
        e["action_id"]: e
        for b in call.args["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
    }


def message(call: Call) -> dict[str, Any]:
    return {"ts": "1796652000.000009", "blocks": call.args["blocks"], "text": call.args["text"]}


async def troika_dms(front: Front) -> dict[str, Call]:
    await front.drain()
    users = set(TROIKA_USERS.values())
    return {
        c.args["channel"]: c for c in front.api.of("chat.postMessage") if c.args["channel"] in users
    }


async def state_of(db: Database, cid: str) -> str:
    async with db.session() as session:
        row = await session.get(ConsultationRow, cid)
        assert row is not None
        return row.state


async def test_the_troika_approves_in_chat_and_the_ppt_sends(
    front: Front, db: Database, time: ManualTime
) -> None:
    made = await make_consultation(db, time, state=State.DRAFT, seed=False)
    said = await front.command(PPT, f"troika {made.id}")
    assert said is not None and "presentada a la Troika (MX, DO, PA), ronda 1" in said.args["text"]
    assert said.args["response_type"] == "ephemeral"

    dms = await troika_dms(front)
    assert set(dms) == set(TROIKA_USERS.values())
    ask = dms[TROIKA_USERS["MX"]]
    assert "Flujos extracontinentales" in ask.args["text"]
    assert "*1.* La CRM reconoce" in json.dumps(ask.args["blocks"], ensure_ascii=False)
    assert set(buttons(ask)) == {"troika_approve", "troika_changes"}

    for country, user in TROIKA_USERS.items():
        dm = dms[user]
        done = await front.click(
            user,
            "troika_approve",
            buttons(dm)["troika_approve"]["value"],
            channel="D" + user[1:],
            message=message(dm),
        )
        assert done.method == "chat.update"
        assert f"{country}: aprobado por" in done.args["text"]
        assert not any(b["type"] == "actions" for b in done.args["blocks"])  # buttons gone
    assert await state_of(db, made.id) == "troika_review"

    await front.drain()
    [agreed] = [c for c in front.api.of("chat.postMessage") if c.args["channel"] == PPT]
    assert "La Troika aprueba" in agreed.args["text"]
    sent = await front.click(
        PPT,
        "board_send",
        buttons(agreed)["board_send"]["value"],
        channel="DPPTDO0001",
        message=message(agreed),
    )
    assert (
        sent.method == "chat.postEphemeral" and "enviada a todos los miembros" in sent.args["text"]
    )
    assert await state_of(db, made.id) == "consulting"


async def test_a_double_click_on_approve_approves_once(
    front: Front, db: Database, time: ManualTime
) -> None:
    made = await make_consultation(db, time, state=State.DRAFT, seed=False)
    await front.command(PPT, f"troika {made.id}")
    dm = (await troika_dms(front))[TROIKA_USERS["PA"]]
    value = buttons(dm)["troika_approve"]["value"]
    first = await front.click(
        TROIKA_USERS["PA"], "troika_approve", value, channel="DTKPA0001", message=message(dm)
    )
    second = await front.click(
        TROIKA_USERS["PA"], "troika_approve", value, channel="DTKPA0001", message=message(dm)
    )
    assert first.method == "chat.update"
    assert second.method == "chat.postEphemeral"
    assert "PA ya respondió en esta ronda" in second.args["text"]
    async with db.session() as session:
        answered = (
            await session.exec(select(EventRow).where(EventRow.kind == "troika_answered"))
        ).all()
    assert len(answered) == 1


async def test_only_that_countrys_representatives_answer_for_it(
    front: Front, db: Database, time: ManualTime
) -> None:
    made = await make_consultation(db, time, state=State.DRAFT, seed=False)
    await front.command(PPT, f"troika {made.id}")
    dm = (await troika_dms(front))[TROIKA_USERS["MX"]]
    value = buttons(dm)["troika_approve"]["value"]
    refused = await front.click(
        TROIKA_USERS["PA"], "troika_approve", value, channel="DTKPA0001", message=message(dm)
    )
    assert refused.method == "chat.postEphemeral"
    assert (
        refused.args["text"]
        == "Solo los representantes de MX en la Troika pueden responder por MX."
    )
    async with db.session() as session:
        reviews = (await session.exec(select(TroikaReviewRow))).all()
    assert {r.status for r in reviews} == {"pending"}


async def test_a_change_request_goes_back_to_the_ppt_with_the_comment(
    front: Front, db: Database, time: ManualTime
) -> None:
    made = await make_consultation(db, time, state=State.DRAFT, seed=False)
    await front.command(PPT, f"troika {made.id}")
    dm = (await troika_dms(front))[TROIKA_USERS["DO"]]
    opened = await front.click(
        TROIKA_USERS["DO"],
        "troika_changes",
        buttons(dm)["troika_changes"]["value"],
        channel="DTKDO0001",
        message=message(dm),
    )
    assert opened.method == "views.open"
    view = opened.args["view"]
    await front.submit(
        TROIKA_USERS["DO"], view, {"comment": text_of("El párrafo 2 debe decir «diez días».")}
    )
    [update] = [c for c in front.api.of("chat.update") if c.args["channel"] == "DTKDO0001"]
    assert "cambios pedidos" in update.args["text"] and "diez días" in update.args["text"]
    assert await state_of(db, made.id) == "draft"

    await front.drain()
    [returned] = [c for c in front.api.of("chat.postMessage") if c.args["channel"] == PPT]
    assert "La Troika pide cambios" in returned.args["text"]
    assert "• DO: El párrafo 2 debe decir «diez días»." in returned.args["text"]


async def test_an_earlier_rounds_button_replayed_changes_nothing(
    front: Front, db: Database, time: ManualTime
) -> None:
    made = await make_consultation(db, time, state=State.DRAFT, seed=False)
    await front.command(PPT, f"troika {made.id}")
    first_round = await troika_dms(front)
    do, mx = first_round[TROIKA_USERS["DO"]], first_round[TROIKA_USERS["MX"]]
    form = await front.click(
        TROIKA_USERS["DO"],
        "troika_changes",
        buttons(do)["troika_changes"]["value"],
        channel="DTKDO0001",
        message=message(do),
    )
    await front.submit(TROIKA_USERS["DO"], form.args["view"], {"comment": text_of("Más breve.")})
    await front.command(PPT, f"troika {made.id}")  # round 2
    replayed = await front.click(
        TROIKA_USERS["MX"],
        "troika_approve",
        buttons(mx)["troika_approve"]["value"],
        channel="DTKMX0001",
        message=message(mx),
    )
    assert replayed.method == "chat.postEphemeral"
    assert (
        replayed.args["text"]
        == f"Este mensaje es de una ronda anterior de la Troika sobre {made.id}; no se cambió nada."
    )
    async with db.session() as session:
        second = (
            await session.exec(select(TroikaReviewRow).where(TroikaReviewRow.round == 2))
        ).all()
    assert {r.status for r in second} == {"pending"}

"""Focal points on Slack: the text with Approve / Object / Propose amendments, email's rules."""

from sqlmodel import select

from consultation import distribution
from consultation import reminders as reminders_use_case
from consultation.moves import Move
from consultation.texts import Text
from consultation.timesource import ManualTime
from store import queries
from store.database import Database
from store.tables import EventRow, InboundMessageRow, OutboxRow
from tests.bot.conftest import FOCAL_GT, Front, text_of
from tests.bot.test_troika import buttons, message
from tests.factories import TEXT_EN, TEXT_ES, make_consultation, move
from tests.mail.test_inbound import GT, inbox, plain, reply_address, stored

FOCAL_CA = "UFPCA0001"


async def asks(front: Front) -> dict[str, object]:
    await front.drain()
    return {
        c.args["channel"]: c
        for c in front.api.of("chat.postMessage")
        if c.args["channel"].startswith("UFP")
    }


async def test_a_focal_point_answers_from_slack(
    front: Front, db: Database, time: ManualTime
) -> None:
    made = await make_consultation(db, time, seed=False)
    dms = await asks(front)
    assert len(dms) == 11  # one focal point per member has a Slack user id
    dm = dms[FOCAL_GT]
    assert (
        "Se solicita la posición de Guatemala en 5 días hábiles; plazo: lunes 14 de diciembre de 2026, 21:59 (hora de Guatemala, UTC-06:00)"
        in dm.args["text"]
    )
    assert set(buttons(dm)) == {"consult_approve", "consult_object", "consult_amend"}
    value = buttons(dm)["consult_approve"]["value"]

    done = await front.click(
        FOCAL_GT, "consult_approve", value, channel="DFPGT0001", message=message(dm)
    )
    assert done.method == "chat.update" and done.args["text"].startswith(
        "Posición de GT registrada: aprueba"
    )
    again = await front.click(
        FOCAL_GT, "consult_approve", value, channel="DFPGT0001", message=message(dm)
    )
    assert again.args["text"] == "La posición de GT ya estaba registrada así; no se cambió nada."
    other = await front.click(
        FOCAL_CA, "consult_object", value, channel="DFPCA0001", message=message(dm)
    )
    assert other.args["text"] == "Only GT's focal points may answer for GT."  # Canada reads English

    ca = dms[FOCAL_CA]
    for number, proposed in (
        ("2", "Los países intercambiarán información en diez días."),
        ("3", ""),
    ):
        form = await front.click(
            FOCAL_CA,
            "consult_amend",
            buttons(ca)["consult_amend"]["value"],
            channel="DFPCA0001",
            message=message(ca),
        )
        assert form.method == "views.open"
        action = "replace" if proposed else "delete"
        await front.submit(
            FOCAL_CA,
            form.args["view"],
            {
                "paragraph": text_of(number),
                "action": {"type": "static_select", "selected_option": {"value": action}},
                "proposed": text_of(proposed)
                if proposed
                else {"type": "plain_text_input", "value": None},
            },
        )
    async with db.session() as session:
        latest = await queries.latest_positions(session, made.id, 1)
        counted = await queries.amendments_of(session, [latest["CA"].id or 0])
        receipts = (
            await session.exec(select(OutboxRow).where(OutboxRow.kind == "answer_recorded"))
        ).all()
    assert {c: p.value for c, p in latest.items()} == {"GT": "approve", "CA": "amend"}
    assert [(a.action, a.paragraph) for a in counted] == [("replace", 2), ("delete", 3)]
    assert receipts  # the same receipt by email as for an emailed answer

    revised = Text(es=[*TEXT_ES[:3], "Nuevo cierre."], en=[*TEXT_EN[:3], "New ending."])
    async with db.transaction() as session:
        await distribution.revise(session, made.id, revised, move(time))
    late = await front.click(
        FOCAL_GT, "consult_object", value, channel="DFPGT0001", message=message(dm)
    )
    assert (
        late.args["text"]
        == "CRM-2026-001 ya está en la versión 2: responda sobre la versión vigente."
    )


async def test_a_reminder_comes_with_the_text_and_its_buttons(
    front: Front, db: Database, time: ManualTime
) -> None:
    """The reminder use case (the scheduler's and the PPT's) reaches focal points on Slack."""
    made = await make_consultation(db, time, seed=False)
    await front.drain()
    async with db.transaction() as session:
        reminded = await reminders_use_case.remind(
            session, made.id, Move(actor="ppt", at=time.now())
        )
    assert {"GT", "US"} <= set(reminded.countries)
    await front.drain()
    reminders = {
        c.args["channel"]: c
        for c in front.api.of("chat.postMessage")
        if c.args["text"].startswith(("*Recordatorio:*", "*Reminder:*"))
    }
    assert {FOCAL_GT, "UFPUS0001"} <= set(reminders)
    assert (
        reminders[FOCAL_GT]
        .args["text"]
        .startswith("*Recordatorio:* aún no hemos recibido su posición. Con el consenso")
    )
    assert (
        reminders["UFPUS0001"]
        .args["text"]
        .startswith("*Reminder:* your position has not reached us yet.")
    )
    assert set(buttons(reminders[FOCAL_GT])) == {
        "consult_approve",
        "consult_object",
        "consult_amend",
    }


async def test_an_answer_given_in_slack_closes_the_country_s_held_replies(
    front: Front, db: Database, time: ManualTime
) -> None:
    """A held email reply from Guatemala, then its focal point answers with the Slack button:
    the held reply is settled (with an event naming who recorded the answer), not left in the
    queue for the PPT."""
    made = await make_consultation(db, time, seed=False)
    mixed = "Aprobamos el texto, pero objetamos el párrafo 2 porque no refleja nuestra práctica."
    raw = plain(sender=GT, to=reply_address(made.id, "GT"), subject="RE: consulta", body=mixed)
    await inbox(db, time).receive(raw)
    [held] = await stored(db)
    assert held.status == "review"
    dm = (await asks(front))[FOCAL_GT]
    value = buttons(dm)["consult_approve"]["value"]
    await front.click(FOCAL_GT, "consult_approve", value, channel="DFPGT0001", message=message(dm))
    async with db.session() as session:
        settled = await session.get(InboundMessageRow, held.id)
        events = (await session.exec(select(EventRow).where(EventRow.kind == "held_settled"))).all()
    assert settled is not None and (settled.status, settled.reason) == ("dropped", "review:settled")
    assert [(e.inbound_id, e.payload["country"]) for e in events] == [(held.id, "GT")]
    assert events[0].actor != "consulta"  # the focal point who answered, by name

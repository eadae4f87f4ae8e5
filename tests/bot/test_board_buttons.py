"""The status message's buttons: each does the step through the same use case as the command."""

import json

from consultation.timesource import ManualTime
from consultation.vocabulary import PositionValue
from store import queries
from store.database import Database
from tests.bot.conftest import CHANNEL, PPT, ST, Front
from tests.bot.test_troika import buttons, message
from tests.factories import answer, make_consultation


async def the_board(front: Front) -> object:
    await front.drain()
    [posted] = [c for c in front.api.of("chat.postMessage") if c.args["channel"] == CHANNEL]
    return posted


async def test_remind_extend_and_conclude_from_the_status_message(
    front: Front, db: Database, time: ManualTime
) -> None:
    made = await make_consultation(db, time, seed=False)
    await answer(db, time, made.id, "GT", PositionValue.OBJECT)
    board = await the_board(front)
    found = buttons(board)
    assert set(found) == {"board_remind", "board_extend"}

    refused = await front.click(
        ST, "board_remind", found["board_remind"]["value"], channel=CHANNEL, message=message(board)
    )
    assert refused.method == "chat.postEphemeral" and refused.args["user"] == ST
    assert refused.args["text"].startswith(
        "Solo la Presidencia Pro-Tempore puede usar `/consulta recordar ID`"
    )

    reminded = await front.click(
        PPT, "board_remind", found["board_remind"]["value"], channel=CHANNEL, message=message(board)
    )
    assert reminded.args["text"].startswith(
        f"Recordatorio de {made.id} enviado a BZ, CA, CR, DO, HN"
    )

    form = await front.click(
        PPT, "board_extend", found["board_extend"]["value"], channel=CHANNEL, message=message(board)
    )
    assert form.method == "views.open" and form.args["view"]["callback_id"] == "consultation_extend"
    await front.submit(PPT, form.args["view"], {"days": {"type": "number_input", "value": "2"}})
    extended = front.api.of("response_url")[-1]  # through the button's response URL
    assert (
        extended.args["replace_original"] is False and extended.args["response_type"] == "ephemeral"
    )
    assert extended.args["text"].startswith(
        f"{made.id}: nuevo plazo miércoles 16 de diciembre de 2026"
    )

    await front.drain()
    update = [c for c in front.api.of("chat.update") if c.args["channel"] == CHANNEL][-1]
    assert "quedan 7 días hábiles" in json.dumps(update.args["blocks"], ensure_ascii=False)

    blocked = await front.click(
        PPT, "board_conclude", json.dumps({"c": made.id}), channel=CHANNEL, message=message(board)
    )
    assert blocked.args["text"] == f"{made.id} no puede concluirse: GT objeta."
    async with db.session() as session:
        row = await queries.consultation(session, made.id)
    assert row is not None and row.state == "consulting"

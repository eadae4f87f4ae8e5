"""The Slack status message with held replies, asked for by a signed ``/consulta status``: the
reason in words, the position a newer held reply may change, the outcome that hangs on it, and
Slack's limits (3,000 characters a section, 50 blocks) with every member held at once."""

import json
from typing import Any

from bot.status_board import board
from bot.texts import Phrases
from consultation import held
from consultation.timesource import ManualTime
from consultation.vocabulary import Language
from store.database import Database
from templates import environment
from tests.bot.conftest import ST, Front
from tests.factories import MEMBERS, make_consultation
from tests.held import canada_changes_its_mind, hold


def _text(blocks: list[dict[str, Any]]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def _members(blocks: list[dict[str, Any]]) -> list[str]:
    start = next(i for i, b in enumerate(blocks) if b["type"] == "divider") + 1
    lines: list[str] = []
    for block in blocks[start:]:
        if block["type"] != "section":
            break
        lines += block["text"]["text"].splitlines()
    return lines


async def test_the_status_message_shows_held_replies_in_words(
    db: Database, time: ManualTime, front: Front
) -> None:
    cid = await canada_changes_its_mind(db, time)
    await front.set_language(ST, Language.EN)
    call = await front.command(ST, f"status {cid}")
    assert call is not None
    blocks = call.args["blocks"]
    summary = blocks[1]["text"]["text"]
    assert (
        "*If the period closed now:* blocked, but Canada's newer reply is held for review"
        in summary
    )
    lines = _members(blocks)
    assert (
        ":no_entry: *Canada* — objects — *a newer reply is held for review: it gives mixed signals*"
        in lines
    )
    assert (
        ":hourglass_flowing_sand: *El Salvador* — pending — *reply held for review: "
        "no position was found; the amendments were not found*" in lines
    )
    assert (
        ":white_check_mark: *Guatemala* — approves — *an earlier reply is still held for "
        "review: it asks a question*" in lines
    )
    assert ":hourglass_flowing_sand: *Mexico* — pending" in lines  # its reply was settled
    counts = next(b for b in blocks if b["type"] == "context")["elements"][0]["text"]
    assert counts.endswith("· 3 replies held for review")
    assert "mixed_signals" not in _text(blocks)

    await front.set_language(ST, Language.ES)  # the ST's own language
    call = await front.command(ST, f"estado {cid}")
    assert call is not None
    spanish = _text(call.args["blocks"])
    assert (
        "bloqueada, pero la respuesta más reciente de Canadá está retenida para revisión" in spanish
    )
    assert (
        ":no_entry: *Canadá* — objeta — *una respuesta más reciente está retenida para "
        "revisión: contiene señales contradictorias*" in spanish
    )
    assert "3 respuestas retenidas para revisión" in spanish


async def test_every_member_held_at_once_stays_within_slack_s_limits(
    db: Database, time: ManualTime
) -> None:
    made = await make_consultation(db, time)
    every_reason = ",".join(held._SENTENCES)  # the longest reasons there are
    for country in MEMBERS:
        await hold(db, time, made.id, country, every_reason)
    book = Phrases(environment())(Language.ES)
    async with db.session() as session:
        blocks, _ = await board(session, made.id, book, Language.ES, time.now())
    assert len(blocks) <= 50
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    assert all(len(text) <= 3000 for text in sections)
    lines = _members(blocks)
    assert len(lines) == len(MEMBERS)  # more than one section, no member cut off
    assert len([b for b in blocks if b["type"] == "section"]) > 2
    assert all("respuesta retenida para revisión: el mensaje no indica" in line for line in lines)
    assert all(line.endswith("…*") for line in lines)  # the reasons cut short, the line whole
    summary = blocks[1]["text"]["text"]
    assert "pero las respuestas de Belice, Canadá, Costa Rica" in summary
    assert "Panamá y República Dominicana están retenidas para revisión" in summary

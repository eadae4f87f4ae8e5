"""`consulta status` with held replies: the reason in words, the position a held reply may
change, and a projected outcome that says it depends on them."""

import re

from consultation.presenting import status_text
from consultation.status import consultation_status
from consultation.timesource import ManualTime
from consultation.vocabulary import Language
from store.database import Database
from templates import environment
from tests.held import canada_changes_its_mind


async def board(db: Database, time: ManualTime, cid: str, language: Language) -> str:
    async with db.session() as session:
        status = await consultation_status(session, cid, now=time.now())
    return status_text(environment(), status, language)


async def test_the_cli_board_shows_held_replies_in_words(db: Database, time: ManualTime) -> None:
    cid = await canada_changes_its_mind(db, time)
    text = await board(db, time, cid, Language.EN)
    assert (
        "If the period closed now: blocked (blocking: CA), "
        "but Canada's newer reply is held for review" in text
    )
    assert re.search(r"CA Canada\s+OBJECTS\s+\S+ \S+\s+a newer reply is held for review\n", text)
    assert re.search(r"message \d+, received 2026-12-07 12:00: it gives mixed signals\n", text)
    assert re.search(r"SV El Salvador\s+pending\s+reply held for review\n", text)
    assert "no position was found; the amendments were not found" in text
    assert re.search(r"GT Guatemala\s+approves\s+\S+ \S+\s+an earlier reply is still held", text)
    assert "Mexico" in text and "3 replies held for review" in text  # MX's was settled
    assert "mixed_signals" not in text and "no_position_found" not in text
    spanish = await board(db, time, cid, Language.ES)
    assert (
        "bloqueada (impiden el consenso: CA), pero la respuesta más reciente de Canadá "
        "está retenida para revisión" in spanish
    )
    assert re.search(r"CA Canadá\s+OBJETA\s+\S+ \S+\s+una respuesta más reciente", spanish)
    assert "contiene señales contradictorias" in spanish
    assert "1 aprueba · 0 con enmiendas · 1 objeta ·" in spanish
    assert "3 respuestas retenidas para revisión" in spanish

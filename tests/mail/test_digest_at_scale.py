"""The ST's digest at the size of the UN General Assembly: 50 open consultations of 193 members
each stay under 100 KB of HTML (Gmail clips a message past 102 KB), summarised, naming what needs
attention, linking to the console for the rest, and still a list in Outlook and Gmail."""

import re
from datetime import timedelta
from typing import Any

from lxml import html as lxml_html
from sqlmodel import select

from consultation import answers, digest
from consultation.answers import Answer, ProposedChange
from consultation.timesource import ManualTime
from consultation.vocabulary import AmendmentAction, Language, PositionValue
from mail.digest import render_digest
from store.database import Database
from store.tables import CountryRow
from templates import environment
from tests.factories import make_consultation, move
from tests.held import hold
from tests.large_body import seed_large_roster
from tests.service.test_no_codes import assert_no_codes

CONSOLE = "https://consulta.example.org"
OPEN = 50
LIMIT = 100_000  # bytes of HTML
ZONE = "America/Costa_Rica"
TITLE = (
    "Declaración conjunta sobre cooperación regional en materia de flujos migratorios mixtos, "
    "protección internacional y reintegración sostenible",
    "Joint declaration on regional cooperation on mixed migration flows, international "
    "protection and sustainable reintegration",
)
CHANGE = (ProposedChange(AmendmentAction.REPLACE, 2, "Los países intercambiarán información."),)


async def fifty_open(db: Database, time: ManualTime) -> list[str]:
    """50 consultations out to 193 members; in each, 20 answers since yesterday (3 objections,
    4 amendments, 13 approvals, 2 asking for time) and a held reply; in the first, every member
    has answered."""
    await seed_large_roster(db, time.now())
    async with db.session() as session:
        rows = (await session.exec(select(CountryRow).where(CountryRow.status == "member"))).all()
    codes = sorted(c.code for c in rows)
    ids = []
    for n in range(OPEN):
        made = await make_consultation(db, time, seed=False, title=TITLE)
        ids.append(made.id)
        time.advance(timedelta(hours=1))
        answering = codes if n == 0 else codes[n : n + 14]
        async with db.transaction() as session:  # one transaction per consultation, for speed
            for i, code in enumerate(answering):
                position = (
                    PositionValue.OBJECT
                    if i < 3
                    else PositionValue.AMEND
                    if i < 7
                    else PositionValue.APPROVE
                )
                changes = CHANGE if position is PositionValue.AMEND else ()
                given = Answer(code, 1, position, changes, extension_requested=i in (8, 9))
                await answers.record_answer(session, made.id, given, move(time, f"fp@{code}"))
        await hold(db, time, made.id, codes[-1 - n], "mixed_signals,question")
    return ids


def size(page: str) -> int:
    return len(page.encode("utf-8"))


async def test_fifty_consultations_of_193_members_fit(db: Database, time: ManualTime) -> None:
    ids = await fifty_open(db, time)
    since = time.now() - timedelta(days=3)
    async with db.session() as session:
        content = await digest.gather(session, now=time.now(), since=since, console=CONSOLE)
    texts = {}
    for language in Language:
        _, texts[language], page = render_digest(
            environment(), content, language=language, timezone=ZONE, recipient="ST"
        )
        assert size(page) < LIMIT, f"{language.value}: {size(page)} bytes of HTML"
        tree = lxml_html.fromstring(page)
        rows = tree.xpath("//tr[@class='consultation']")
        assert len(rows) == OPEN and sorted(r.get("id") for r in rows) == sorted(ids)
        assert all(r.xpath(".//ul/li") for r in rows)  # each still a list
        links = [a.get("href") for a in tree.xpath("//a")]
        assert f"{CONSOLE}/" in links
        assert all(f"{CONSOLE}/c/{cid}" in links for cid in ids)
    english = texts[Language.EN]
    # Who needs attention is named; the rest is counted, in words.
    assert re.search(r"Still pending: [^.]+ and 1\d\d more\.", english)
    assert re.search(r"193 answers: 3 object \([^)]+\), 4 propose amendments \(", english)
    assert re.search(r"186 approve; asking for more time: [^.]+\.", english)
    assert "held for review: message " in english
    assert f"In the console: {CONSOLE}/c/{ids[0]}" in english
    assert "Pendientes: " in texts[Language.ES] and " y 1" in texts[Language.ES]
    assert_no_codes(texts[Language.ES], "the Spanish digest at 193 members", people=True)

    # Every list as long as it can be in every consultation: fewer names, still under the limit.
    for language in Language:
        _, text, page = render_digest(
            environment(), _worst(content), language=language, timezone=ZONE, recipient="ST"
        )
        assert size(page) < LIMIT, f"{language.value}: {size(page)} bytes of HTML"
    assert re.search(r"Still pending: ([^.]+ and \d+ more|\d+)\.", text)
    assert "held replies on this consultation" in text


def _worst(content: dict[str, Any]) -> dict[str, Any]:
    """Every member pending, unreachable, asking for time and away, 60 held replies, and 193
    objections since the last digest, in each of the 50 consultations."""
    codes = [c["id"] for c in content["consultations"]]
    members = [code for code in content["names"] if code not in ("AR", "CO", "EC", "JM", "PE")]
    held = content["consultations"][1]["review"][0]
    assert codes
    for c in content["consultations"]:
        c.update(
            pending=members,
            pending_failing=members,
            extension_requested=members,
            review=[held] * 60,
            out_of_office=[{"country": m, "contact": "Focal", "until": None} for m in members],
        )
    for entry in content["changes"]:
        entry["answers"] = [[m, "object", True] for m in members]
    return content

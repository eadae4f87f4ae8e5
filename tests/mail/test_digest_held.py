"""The ST's digest and held replies: listed while held and only then, under their own
consultation, with the position a newer one may change; delivery notes since the last digest."""

from datetime import timedelta

from lxml import html as lxml_html
from sqlmodel import select

from consultation import digest, journal
from consultation.timesource import ManualTime
from consultation.vocabulary import Language
from mail.digest import render_digest
from store.database import Database
from store.tables import InboundMessageRow
from templates import environment
from tests.held import canada_changes_its_mind, hold

ZONE = "America/Costa_Rica"


async def _digest(db: Database, time: ManualTime, since_hours: int = 24) -> dict[str, object]:
    async with db.session() as session:
        return await digest.gather(
            session, now=time.now(), since=time.now() - timedelta(hours=since_hours)
        )


def _words(content: dict[str, object], language: Language) -> tuple[str, str]:
    _, text, page = render_digest(
        environment(), content, language=language, timezone=ZONE, recipient="ST"
    )
    return text, page


async def test_a_held_reply_is_listed_while_held_and_only_then(
    db: Database, time: ManualTime
) -> None:
    cid = await canada_changes_its_mind(db, time)
    content = await _digest(db, time)
    text, page = _words(content, Language.EN)
    assert (
        "If the period closed now: no consensus (blocked), "
        "but Canada's newer reply is held for review."
    ) in text
    assert "Canada objects, but a newer reply is held for review: message" in text
    assert "it gives mixed signals." in text
    assert "Reply from El Salvador held for review: message" in text
    assert "An earlier reply from Guatemala is still held for review" in text
    assert "from Mexico" not in text and "Mexico objects" not in text  # settled: not listed
    items = lxml_html.fromstring(page).xpath(f"//tr[@id='{cid}']//li")
    assert any("a newer reply is held for review" in li.text_content() for li in items)
    spanish, _ = _words(content, Language.ES)
    assert "Canadá objeta, pero una respuesta más reciente está retenida para revisión" in spanish
    assert "mixed_signals" not in spanish + text

    async with db.transaction() as session:  # Canada's reply is settled (recorded by hand)
        for row in (await session.exec(select(InboundMessageRow))).all():
            if row.country == "CA":
                row.status = "recorded"
                session.add(row)
    text, _ = _words(await _digest(db, time), Language.EN)
    assert "newer reply" not in text and "message 2 " not in text
    assert "Reply from El Salvador held for review" in text  # still held


async def test_a_proven_reply_is_never_filed_as_not_tied(db: Database, time: ManualTime) -> None:
    """Tied to its consultation by a proof but of no verified country (an unregistered
    colleague): under its consultation, not under "not tied to a consultation"."""
    cid = await canada_changes_its_mind(db, time)
    await hold(db, time, cid, None, "unregistered_sender")
    await hold(db, time, None, None, "unmatched")
    content = await _digest(db, time)
    [unlinked] = content["review_unlinked"]  # type: ignore[misc]
    assert unlinked["reason"] == "unmatched"
    text, _ = _words(content, Language.EN)
    open_part = text.split("OPEN CONSULTATIONS")[1].split("REPLIES WAITING")[0]
    assert "Reply held for review: message" in open_part
    assert "its sender is not in the directory of focal points" in open_part


async def test_delays_and_unverified_bounces_since_the_last_digest(
    db: Database, time: ManualTime
) -> None:
    cid = await canada_changes_its_mind(db, time)
    async with db.transaction() as session:
        for at, kind, payload in (
            (time.now() - timedelta(days=2), "delivery_delayed", {"address": "old@gt.example"}),
            (time.now(), "delivery_delayed", {"address": "nadie@otro.example"}),
            (time.now(), "bounce_unverified", {"problem": "not_ours"}),
        ):
            await journal.record_event(
                session, consultation_id=None, kind=kind, actor="consulta", at=at, payload=payload
            )
    content = await _digest(db, time)
    assert [d["address"] for d in content["delayed"]] == ["nadie@otro.example"]  # type: ignore[index]
    text, page = _words(content, Language.EN)
    assert "Delivery to nadie@otro.example is delayed: the receiving server keeps trying." in text
    assert "1 message looked like a delivery failure but does not answer our mail" in text
    spanish, html = _words(content, Language.ES)
    assert "1 mensaje parecía un aviso de entrega fallida pero no responde" in spanish
    items = lxml_html.fromstring(html).xpath(
        "//h2[contains(., 'Entrega del correo')]/following-sibling::ul[1]/li"
    )
    assert len(items) == 2
    assert cid

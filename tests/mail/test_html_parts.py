"""The HTML part of the notices people read most, as snapshots: lists are real lists.

Outlook and Gmail read the HTML part, not the text: a list written "- Belice: aprueba" in the
text must be ``<li>`` elements there, one amendment per item. Regenerate the files with
``UPDATE_SNAPSHOTS=1 uv run pytest tests/mail/test_html_parts.py`` and read them (and their
Chromium screenshots, ``SCREENSHOTS=folder``) before committing.
"""

import os
import shutil
import subprocess
from dataclasses import replace
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from lxml import html as lxml_html
from lxml.html import HtmlElement
from sqlmodel import select

from consultation import answers, closing, distribution, drafting, journal
from consultation.answers import Answer, ProposedChange
from consultation.links import ConsoleLinks
from consultation.texts import Text
from consultation.timesource import ManualTime
from consultation.vocabulary import AmendmentAction, PositionValue, Role, State
from store import queries
from store.database import Database
from store.tables import InboundMessageRow, OutboxRow
from tests.factories import MEMBERS, TEXT_EN, TEXT_ES, answer, make_consultation, move
from tests.mail.test_compose import IDENTITY, body
from tests.mail.test_snapshots import SNAPSHOTS, check_snapshot, composed

REPLACE_2 = ProposedChange(
    AmendmentAction.REPLACE,
    2,
    "Los países miembros intercambiarán información sobre rutas y perfiles en un plazo de diez días.",
)
DELETE_3 = ProposedChange(AmendmentAction.DELETE, 3)
SNAPSHOTTED = [
    "results.es.html",
    "results.en.html",
    "answer_recorded.es.html",
    "reply_flagged.es.html",
    "tally.es.html",
    "tally.en.html",
    "draft.en.html",
    "revision.es.html",
]


def html_of(message: EmailMessage) -> HtmlElement:
    return lxml_html.fromstring(body(message, "html"))


def items(page: HtmlElement, heading: str) -> list[str]:
    """The items of the list that follows the paragraph starting with ``heading``."""
    (lead,) = page.xpath(f"//p[starts-with(normalize-space(.), '{heading}')]")
    following = lead.getnext()
    assert following is not None and following.tag in ("ul", "ol"), heading
    return [" ".join(li.text_content().split()) for li in following.findall("li")]


def for_country(messages: list[EmailMessage], domain: str) -> EmailMessage:
    return next(m for m in messages if domain in str(m["To"]))


def snapshot(message: EmailMessage, name: str) -> None:
    check_snapshot(name, body(message, "html"))


async def test_results_list_each_member_s_position(db: Database, time: ManualTime) -> None:
    made = await make_consultation(db, time)
    for country in MEMBERS[:8]:
        await answer(db, time, made.id, country, PositionValue.APPROVE)
    await answer(db, time, made.id, "PA", PositionValue.ABSTAIN)
    time.advance(timedelta(days=12))
    async with db.transaction() as session:
        await closing.tally_at_deadline(session, made.id, move(time))
        await closing.conclude(session, made.id, move(time))
    results = await composed(db, time, "results")
    spanish, english = for_country(results, ".gt."), for_country(results, ".us.")
    snapshot(spanish, "results.es.html")
    snapshot(english, "results.en.html")
    positions = items(html_of(spanish), "Posiciones de los países miembros")
    assert len(positions) == 11
    assert positions[0] == "Belice: aprueba"
    assert "Panamá: se abstiene" in positions
    assert "El Salvador: sin respuesta (sin objeción)" in positions
    assert "United States: no answer (no objection)" in items(
        html_of(english), "Positions of the member countries"
    )
    # The text itself stays a numbered table beside the list, paragraph by paragraph.
    cells = html_of(spanish).xpath("//table//td[2]")
    assert [c.text_content() for c in cells] == TEXT_ES


async def test_a_receipt_lists_each_amendment_and_threads_with_the_reply(
    db: Database, time: ManualTime
) -> None:
    made = await make_consultation(db, time)
    async with db.transaction() as session:
        reply = InboundMessageRow(
            dedupe_key="<respuesta-1@sre.mx.example>",
            message_id="<respuesta-1@sre.mx.example>",
            raw=(
                b"Message-ID: <respuesta-1@sre.mx.example>\r\n"
                b"In-Reply-To: <consulta.draft-mx@crm.example>\r\n"
                b"References: <earlier@sre.mx.example>\r\n <consulta.draft-mx@crm.example>\r\n"
                b"Subject: Re: Consulta escrita\r\n\r\nProponemos enmiendas.\r\n"
            ),
            received_at=time.now(),
            status="recorded",
            sender="puntofocal@sre.mx.example",
        )
        session.add(reply)
        await session.flush()
        await answers.record_answer(
            session,
            made.id,
            Answer(
                country="MX",
                version=1,
                position=PositionValue.AMEND,
                amendments=(REPLACE_2, DELETE_3),
                inbound_id=reply.id,
            ),
            move(time, actor="puntofocal@sre.mx.example"),
        )
    receipts = await composed(db, time, "answer_recorded")
    receipt = for_country(receipts, ".mx.")
    assert receipt["In-Reply-To"] == "<respuesta-1@sre.mx.example>"
    # RFC 5322 §3.6.4: the parent's References, then the parent itself.
    assert receipt["References"].split() == [
        "<earlier@sre.mx.example>",
        "<consulta.draft-mx@crm.example>",
        "<respuesta-1@sre.mx.example>",
    ]
    snapshot(receipt, "answer_recorded.es.html")
    page = html_of(receipt)
    (amendments,) = page.xpath("//ul")
    listed = [" ".join(li.text_content().split()) for li in amendments.findall("li")]
    assert listed == [
        f"Enmienda 1: sustituir el párrafo 2: «{REPLACE_2.proposed}».",
        "Enmienda 2: suprimir el párrafo 3.",
    ]
    assert "Posición: México propone enmiendas." in page.text_content()


async def test_an_answer_recorded_by_hand_starts_no_thread(db: Database, time: ManualTime) -> None:
    made = await make_consultation(db, time)
    await answer(db, time, made.id, "MX", PositionValue.APPROVE)
    receipt = for_country(await composed(db, time, "answer_recorded"), ".mx.")
    assert receipt["In-Reply-To"] is None and receipt["References"] is None


@pytest.mark.parametrize(
    ("written", "threaded"),
    [
        ("<ok@sre.mx.example> Bcc: otro@mal.example", "<ok@sre.mx.example>"),
        ("sin corchetes@sre.mx.example", None),
    ],
)
async def test_only_a_well_formed_message_id_reaches_the_receipt_s_headers(
    db: Database, time: ManualTime, written: str, threaded: str | None
) -> None:
    made = await make_consultation(db, time)
    async with db.transaction() as session:
        reply = InboundMessageRow(
            dedupe_key=written, message_id=written, raw=b"\r\n", received_at=time.now()
        )
        session.add(reply)
        await session.flush()
        answer = Answer(country="MX", version=1, position=PositionValue.APPROVE)
        await answers.record_answer(
            session, made.id, replace(answer, inbound_id=reply.id), move(time)
        )
    receipt = for_country(await composed(db, time, "answer_recorded"), ".mx.")
    assert receipt["In-Reply-To"] == threaded
    assert "Bcc" not in receipt and "otro@mal.example" not in str(receipt)


async def test_the_ppt_s_review_notice(db: Database, time: ManualTime) -> None:
    made = await make_consultation(db, time)
    async with db.transaction() as session:
        await journal.queue_emails(  # what the email front queues for a held reply
            session,
            kind="reply_flagged",
            contacts=await queries.contacts_with_role(session, Role.PPT.value),
            consultation_id=made.id,
            at=time.now(),
            key="inbound-7",
            payload={
                "version": 1,
                "country": "CA",
                "sender": "focal@international.gc.ca.example",
                "reason": "mixed_signals",
                "inbound_id": 7,
            },
        )
    (notice,) = await composed(db, time, "reply_flagged")
    snapshot(notice, "reply_flagged.es.html")
    page = html_of(notice)
    assert page.xpath("//code[starts-with(., 'consulta record')]")
    assert "mixed_signals" not in body(notice, "html")
    assert "/review" not in body(notice, "plain")  # no console address, no link
    console = replace(IDENTITY, console=ConsoleLinks("https://consulta.example.org"))
    (linked,) = await composed(db, time, "reply_flagged", identity=console)
    assert "consola web: https://consulta.example.org/review/7\n" in body(linked, "plain")
    assert "https://consulta.example.org/review/7" in body(linked, "html")


async def test_the_troika_s_request_lists_each_country_s_changes(
    db: Database, time: ManualTime
) -> None:
    made = await make_consultation(db, time, state=State.TROIKA_REVIEW)
    async with db.transaction() as session:
        await drafting.answer_troika(
            session,
            made.id,
            country="PA",
            approve=False,
            comment="Precisar el plazo del párrafo 2.\n- y citar la Declaración de 2024",
            move=move(time),
        )
    (notice,) = await composed(db, time, "troika_changes")
    assert "Cambios pedidos:\n- Panamá: Precisar el plazo del párrafo 2." in body(notice, "plain")
    # One item per country: a line break in a comment does not start another item.
    assert items(html_of(notice), "Cambios pedidos") == [
        "Panamá: Precisar el plazo del párrafo 2. - y citar la Declaración de 2024"
    ]


async def test_the_tally_lists_what_the_ppt_can_do(db: Database, time: ManualTime) -> None:
    made = await make_consultation(db, time)
    await answer(db, time, made.id, "NI", PositionValue.OBJECT)
    await answer(db, time, made.id, "HN", None, extension=True)
    for country in ("BZ", "CA", "CR", "DO", "GT", "MX"):
        await answer(db, time, made.id, country, PositionValue.APPROVE)
    time.advance(timedelta(days=12))
    async with db.transaction() as session:
        await closing.tally_at_deadline(session, made.id, move(time))
    (tally,) = await composed(db, time, "tally")
    snapshot(tally, "tally.es.html")
    options = items(html_of(tally), "Qué puede hacer ahora")
    assert len(options) == 3
    assert options[1] == f"prorrogar el plazo: consulta extend {made.id} --days N"
    commands = html_of(tally).xpath("//li/code/text()")
    assert f'consulta withdraw {made.id} --reason "…"' in commands
    async with db.transaction() as session:  # the same notice to a PPT that reads English
        (row,) = (await session.exec(select(OutboxRow).where(OutboxRow.kind == "tally"))).all()
        row.language = "en"
        session.add(row)
    (english,) = await composed(db, time, "tally")
    snapshot(english, "tally.en.html")
    assert len(items(html_of(english), "What you can do next")) == 3


async def test_the_draft_keeps_its_numbered_paragraphs(db: Database, time: ManualTime) -> None:
    await make_consultation(db, time)
    draft = for_country(await composed(db, time, "draft"), ".us.")
    snapshot(draft, "draft.en.html")
    page = html_of(draft)
    numbers = [td.text_content() for td in page.xpath("//table//td[1]")]
    assert numbers == ["1.", "2.", "3.", "4."]
    assert [td.text_content() for td in page.xpath("//table//td[2]")] == TEXT_EN
    assert not page.xpath("//ul")  # nothing in a draft is a list but the paragraphs


async def test_a_revision_says_whose_amendments_were_taken_up(
    db: Database, time: ManualTime
) -> None:
    made = await make_consultation(db, time)
    await answer(db, time, made.id, "MX", PositionValue.AMEND, changes=(REPLACE_2,))
    await answer(db, time, made.id, "GT", PositionValue.AMEND, changes=(DELETE_3,))
    revised = [TEXT_ES[0], str(REPLACE_2.proposed), *TEXT_ES[2:]]
    time.advance(timedelta(days=1))
    async with db.transaction() as session:
        await distribution.revise(session, made.id, Text(es=revised, en=None), move(time))
    revision = for_country(await composed(db, time, "revision"), ".cr.")
    snapshot(revision, "revision.es.html")
    text = body(revision, "plain")
    assert "por los países miembros.\n\nEl plazo vuelve a comenzar" in text
    assert (
        "Enmiendas a la versión 1 incorporadas en esta versión:\n- México: sustituir el párrafo 2\n"
    ) in text
    assert "Enmiendas a la versión 1 no incorporadas:\n- Guatemala: suprimir el párrafo 3\n" in text
    page = html_of(revision)
    assert items(page, "Enmiendas a la versión 1 incorporadas") == [
        "México: sustituir el párrafo 2"
    ]
    assert items(page, "Enmiendas a la versión 1 no incorporadas") == [
        "Guatemala: suprimir el párrafo 3"
    ]
    assert page.xpath("//ins[contains(., 'diez')]") and page.xpath("//del[contains(., 'cinco')]")
    names = [a.get_filename() for a in revision.iter_attachments()]
    assert names == [f"{made.id}-v2-es.docx", f"{made.id}-v2-es-cambios.docx"]


def test_every_snapshot_renders_in_chromium(tmp_path: Path) -> None:
    """Each HTML snapshot drawn by a real browser engine (Debian's Chromium, where installed):
    a page that does not load or draws nothing fails. ``SCREENSHOTS=dir`` keeps the PNGs."""
    browser = shutil.which("chromium")
    if browser is None:
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    keep = os.environ.get("SCREENSHOTS")
    out = Path(keep) if keep else tmp_path
    out.mkdir(parents=True, exist_ok=True)
    for name in SNAPSHOTTED:
        png = out / name.replace(".html", ".png")
        subprocess.run(
            [
                browser,
                "--headless",
                "--no-sandbox",  # as root in a container
                "--disable-gpu",
                "--hide-scrollbars",
                "--window-size=760,1300",
                f"--screenshot={png}",
                (SNAPSHOTS / name).as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )
        data = png.read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10_000, name

"""The record of a consultation that went through two versions, as the ST archives it."""

from datetime import timedelta

from lxml import html as lxml_html
from markdown_it import MarkdownIt

from consultation import answers, closing, distribution, record
from consultation.answers import Answer, ProposedChange
from consultation.exporting import export_record
from consultation.texts import Text
from consultation.timesource import ManualTime
from consultation.vocabulary import AmendmentAction, Language, PositionValue
from store.database import Database
from store.tables import InboundMessageRow
from templates import environment
from tests.factories import MEMBERS, TEXT_EN, TEXT_ES, answer, make_consultation, move

TEN_DAYS_ES = "Los países miembros intercambiarán información sobre rutas y perfiles en un plazo de diez días."
TEN_DAYS_EN = "Member countries will exchange information on routes and profiles within ten days."


async def two_versions(db: Database, time: ManualTime) -> str:
    """v1: Guatemala proposes ten days by email, Nicaragua objects; v2 takes Guatemala's change,
    is extended by two days, and concludes with consensus."""
    made = await make_consultation(db, time)
    time.advance(timedelta(hours=3))
    async with db.transaction() as session:
        message = InboundMessageRow(
            dedupe_key="<gt-1@minex.gt.example>",
            message_id="<gt-1@minex.gt.example>",
            raw=b"...",
            received_at=time.now(),
            status="recorded",
            consultation_id=made.id,
            version=1,
            country="GT",
            sender="puntofocal@cancilleria.gt.example",
        )
        session.add(message)
        await session.flush()
        change = ProposedChange(AmendmentAction.REPLACE, 2, TEN_DAYS_ES)
        await answers.record_answer(
            session,
            made.id,
            Answer("GT", 1, PositionValue.AMEND, (change,), inbound_id=message.id),
            move(time, actor="puntofocal@cancilleria.gt.example"),
        )
    await answer(db, time, made.id, "NI", PositionValue.OBJECT)
    time.advance(timedelta(days=1))
    revised = Text(
        es=[TEXT_ES[0], TEN_DAYS_ES, *TEXT_ES[2:]], en=[TEXT_EN[0], TEN_DAYS_EN, *TEXT_EN[2:]]
    )
    async with db.transaction() as session:
        await distribution.revise(session, made.id, revised, move(time), note="Plazo de diez días")
    time.advance(timedelta(days=1))
    async with db.transaction() as session:
        await distribution.extend(session, made.id, 2, move(time))
    for country in MEMBERS:
        await answer(db, time, made.id, country, PositionValue.APPROVE, version=2)
    time.advance(timedelta(days=10))
    async with db.transaction() as session:
        await closing.tally_at_deadline(session, made.id, move(time, actor="consulta:scheduler"))
        await closing.conclude(session, made.id, move(time))
    return made.id


async def test_the_html_record_of_two_versions(db: Database, time: ManualTime) -> None:
    consultation_id = await two_versions(db, time)
    async with db.session() as session:
        found = await record.gather(session, consultation_id)
    page = export_record(environment(), found, fmt="html", language=Language.EN)
    tree = lxml_html.fromstring(page)

    assert tree.findtext(".//h1") == f"{consultation_id}: Extra-continental flows"
    summary = tree.get_element_by_id("summary").text_content()
    assert "concluded: consensus" in summary
    v1, v2 = tree.xpath("//section[@class='version']")
    assert [v1.get("id"), v2.get("id")] == ["v1", "v2"]
    assert v1.xpath(".//div[@class='redline']") == []
    redline = v2.xpath(".//div[@class='redline']")[0]
    assert [e.text_content() for e in redline.xpath(".//ins")] == [
        "inserted text",
        "ten",
    ]  # legend first
    assert [e.text_content() for e in redline.xpath(".//del")] == ["deleted text", "five"]
    assert v2.xpath(".//ol[@class='text']/li")[1].text_content() == TEN_DAYS_EN

    def standings(section: lxml_html.HtmlElement) -> dict[str, str]:
        rows = section.xpath(".//table[@class='positions']//tr[@class='member']")
        return {r[0].text_content(): r[1].text_content() for r in rows}

    first = standings(v1)
    assert first["Guatemala"] == "approves with amendments"
    assert first["Nicaragua"] == "objects"
    assert first["Canada"] == "no answer"
    assert set(standings(v2).values()) == {"approves"}
    guatemala = next(
        r for r in v1.xpath(".//tr[@class='member']") if r[0].text_content() == "Guatemala"
    )
    assert "from message 1 <gt-1@minex.gt.example>" in guatemala[2].text_content()
    assert "(incorporated)" in guatemala[2].text_content()

    period = v2.xpath(".//table[@class='period']")[0].text_content()
    assert "Extension" in period and "2 business days more" in period
    assert "Tally" in period and "consensus" in period
    (amendment,) = tree.xpath("//tr[@class='amendment']")
    assert amendment[2].text_content() == "Guatemala"
    assert amendment[-1].text_content() == "incorporated"
    moves = [r[1].text_content() for r in tree.xpath("//table[@class='events']//tr")[1:]]
    assert moves[0] == "Draft opened (4 paragraphs, standard procedure)."
    assert moves[1].startswith("Draft put to the Troika (")
    for sentence in (
        "Revised version 2 sent to all member countries, with 5 business days, until ",
        "Deadline of version 2 extended by 2 business days, to ",
        "Deadline of version 2 reached: consensus",
        "Consultation concluded: consensus",
    ):
        assert [m for m in moves if m.startswith(sentence)], (sentence, moves)
    assert not [m for m in moves if "_" in m or "position_id" in m], moves


async def test_the_markdown_record_in_spanish(db: Database, time: ManualTime) -> None:
    consultation_id = await two_versions(db, time)
    async with db.session() as session:
        found = await record.gather(session, consultation_id)
    page = export_record(environment(), found, fmt="md", language=Language.ES)
    assert page.startswith(f"# {consultation_id}: Flujos extracontinentales\n")
    assert "## Versión 1" in page and "## Versión 2" in page
    assert "### Cambios respecto de la versión 1" in page
    assert "[-cinco-]" in page and "[+diez+]" in page
    assert "| Guatemala | aprueba con enmiendas |" in page
    assert "| incorporada |" in page


async def test_the_html_record_in_spanish(db: Database, time: ManualTime) -> None:
    consultation_id = await two_versions(db, time)
    async with db.session() as session:
        found = await record.gather(session, consultation_id)
    tree = lxml_html.fromstring(
        export_record(environment(), found, fmt="html", language=Language.ES)
    )
    assert tree.get("lang") == "es"
    assert [h.text_content() for h in tree.xpath("//h2")] == [
        "Revisión de la Troika",
        "Versión 1",
        "Versión 2",
        "Enmiendas y su destino",
        "Registro de eventos",
        "Anexo: mensajes recibidos",
    ]
    period = tree.get_element_by_id("v2").xpath(".//table[@class='period']")[0].text_content()
    assert "Prórroga" in period and "2 días hábiles más" in period


HOSTILE = (
    "Objetamos. <script>alert('x')</script> <img src=x onerror=alert(1)> "
    "[aquí](javascript:alert(2)) ![i](http://evil.example/p.png) **fuerte** | columna |\n"
    "# título\n- viñeta &amp; `código`"
)


async def test_the_markdown_record_keeps_what_people_wrote_as_text(
    db: Database, time: ManualTime
) -> None:
    """A reply's words, a paragraph and an amendment reach the archive through a CommonMark
    renderer as text: no tag, no link, no image, no heading or list of the writer's making."""
    hostile_text = Text(es=[*TEXT_ES[:-1], f"- {HOSTILE}"], en=list(TEXT_EN))
    made = await make_consultation(db, time, text=hostile_text)
    async with db.transaction() as session:
        change = ProposedChange(AmendmentAction.REPLACE, 1, HOSTILE)
        await answers.record_answer(
            session,
            made.id,
            Answer("GT", 1, PositionValue.OBJECT, (change,), note=HOSTILE),
            move(time, actor="<b>x</b>@evil.example"),
        )
        revised = Text(es=[HOSTILE, *TEXT_ES[1:]], en=list(TEXT_EN))
        await distribution.revise(session, made.id, revised, move(time), note=HOSTILE)
    async with db.session() as session:
        found = await record.gather(session, made.id)
    page = export_record(environment(), found, fmt="md", language=Language.ES)
    rendered = MarkdownIt("commonmark").enable("table").render(page)
    tree = lxml_html.fromstring(f"<div>{rendered}</div>")
    assert tree.xpath("//script | //img | //a | //strong[contains(., 'fuerte')] | //code") == []
    headings = [h.text_content() for h in tree.xpath("//h1 | //h2 | //h3 | //h4")]
    assert not [h for h in headings if "título" in h]
    assert tree.xpath("//li//ul | //li//ol") == []  # a paragraph's "- …" opens no list
    text = tree.text_content()
    assert "<script>alert('x')</script>" in text  # the words are there, as words
    assert "[aquí](javascript:alert(2))" in text
    assert "&amp;" in text  # an entity someone typed stays what they typed
    # Every table row keeps its columns: a '|' someone typed does not open a new one.
    for table in tree.xpath("//table"):
        widths = {len(row.xpath("./th | ./td")) for row in table.xpath(".//tr")}
        assert len(widths) == 1

"""``/consulta`` in Spanish and in English: every subcommand, the roles, the refusals."""

import json
from dataclasses import dataclass

import pytest
from sqlmodel import select

from consultation import drafting
from consultation.timesource import ManualTime
from consultation.vocabulary import Language, PositionValue, State
from store.database import Database
from store.tables import ConsultationRow, OutboxRow
from tests.bot.conftest import FOCAL_GT, PPT, ST, TROIKA_USERS, Front, text_of
from tests.factories import MEMBERS, TROIKA, answer, make_consultation, move


@dataclass(frozen=True)
class Words:
    language: Language
    new: str
    troika: str
    send: str
    status: str
    extend: str
    remind: str
    revise: str
    conclude: str
    withdraw: str
    help: str


ES = Words(
    Language.ES,
    "nueva",
    "troika",
    "enviar",
    "estado",
    "prorrogar",
    "recordar",
    "revisar",
    "concluir",
    "retirar",
    "ayuda",
)
EN = Words(
    Language.EN,
    "new",
    "troika",
    "send",
    "status",
    "extend",
    "remind",
    "revise",
    "conclude",
    "withdraw",
    "help",
)
SAID = {
    Language.ES: {
        "opened": "CRM-2026-001 abierta como borrador (2 párrafos).",
        "troika": "CRM-2026-001 presentada a la Troika (MX, DO, PA), ronda 1.",
        "sent": "CRM-2026-001 enviada a todos los miembros; plazo: lunes 14 de diciembre de 2026, 23:59",
        "extended": "CRM-2026-001: nuevo plazo miércoles 16 de diciembre de 2026",
        "reminded": "Recordatorio de CRM-2026-001 enviado a BZ, CA",
        "revised": "CRM-2026-001: versión 2 enviada a todos los miembros",
        "concluded": "CRM-2026-001 concluida: consenso. Se envían los resultados a los miembros.",
        "withdrawn": "CRM-2026-002 retirada.",
        "help": "`/consulta prorrogar ID N` — prorrogar N días hábiles",
        "board": "*En consulta* · versión 1",
    },
    Language.EN: {
        "opened": "CRM-2026-001 opened as a draft (2 paragraphs).",
        "troika": "CRM-2026-001 put to the Troika (MX, DO, PA), round 1.",
        "sent": "CRM-2026-001 sent to all members; deadline: Monday 14 December 2026, 23:59",
        "extended": "CRM-2026-001: new deadline Wednesday 16 December 2026",
        "reminded": "Reminder for CRM-2026-001 sent to BZ, CA",
        "revised": "CRM-2026-001: version 2 sent to all members",
        "concluded": "CRM-2026-001 concluded: consensus. The results are going out to the members.",
        "withdrawn": "CRM-2026-002 withdrawn.",
        "help": "`/consulta extend ID N` — extend by N business days",
        "board": "*Out to the members* · version 1",
    },
}


async def said(front: Front, user: str, text: str) -> str:
    call = await front.command(user, text)
    assert call is not None and call.method == "response_url", call
    assert call.args["response_type"] == "ephemeral"
    return str(call.args["text"])


@pytest.mark.parametrize("words", [ES, EN], ids=["es", "en"])
async def test_every_command_in_the_ppts_language(
    front: Front, db: Database, time: ManualTime, words: Words
) -> None:
    for user in (PPT, ST, FOCAL_GT):
        await front.set_language(user, words.language)
    phrases = SAID[words.language]

    form = await front.command(PPT, words.new)
    assert form is not None and form.method == "views.open"
    await front.submit(
        PPT,
        form.args["view"],
        {
            "title_es": text_of("Flujos extracontinentales"),
            "title_en": text_of("Extra-continental flows"),
            "text_es": text_of("Primer párrafo.\n\nSegundo párrafo."),
            "text_en": {"type": "plain_text_input", "value": None},
            "kind": {"type": "radio_buttons", "selected_option": {"value": "standard"}},
        },
    )
    opened = front.api.of("response_url")[-1]  # the command's response URL, kept by the form
    assert opened.args["response_type"] == "ephemeral" and opened.args["text"].startswith(
        phrases["opened"]
    )

    assert await said(front, PPT, f"{words.troika} CRM-2026-001") == phrases["troika"]
    for country in TROIKA:
        async with db.transaction() as session:
            await drafting.answer_troika(
                session,
                "CRM-2026-001",
                country=country,
                approve=True,
                comment=None,
                move=move(time),
            )
    assert (await said(front, PPT, f"{words.send} crm-2026-001")).startswith(phrases["sent"])

    board = await front.command(ST, f"{words.status} CRM-2026-001")
    assert board is not None and phrases["board"] in json.dumps(
        board.args["blocks"], ensure_ascii=False
    )
    assert not [b for b in board.args["blocks"] if b["type"] == "actions"]  # ST only reads
    listing = await said(front, FOCAL_GT, words.status)
    assert listing.startswith("• *CRM-2026-001*")

    assert (await said(front, PPT, f"{words.extend} CRM-2026-001 2")).startswith(
        phrases["extended"]
    )
    await answer(front.db, time, "CRM-2026-001", "GT", PositionValue.APPROVE)
    reminded = await said(front, PPT, f"{words.remind} CRM-2026-001")
    assert reminded.startswith(phrases["reminded"]) and "GT" not in reminded

    form = await front.command(PPT, f"{words.revise} CRM-2026-001")
    assert form is not None and form.method == "views.open"
    view = form.args["view"]
    assert view["blocks"][0]["element"]["initial_value"] == "Primer párrafo.\n\nSegundo párrafo."
    await front.submit(
        PPT,
        view,
        {
            "text_es": text_of("Primer párrafo.\n\nSegundo párrafo, corregido."),
            "text_en": {"type": "plain_text_input", "value": None},
            "note": text_of("Párrafo 2."),
        },
    )
    revised = front.api.of("response_url")[-1]
    assert revised.args["text"].startswith(phrases["revised"])

    for country in MEMBERS:
        await answer(front.db, time, "CRM-2026-001", country, PositionValue.APPROVE, version=2)
    assert await said(front, PPT, f"{words.conclude} CRM-2026-001") == phrases["concluded"]

    other = await make_consultation(db, time, state=State.DRAFT, seed=False)
    assert await said(front, PPT, f"{words.withdraw} {other.id} duplicate") == phrases["withdrawn"]
    assert phrases["help"] in await said(front, PPT, words.help)

    async with db.session() as session:
        reminders = (
            await session.exec(select(OutboxRow).where(OutboxRow.kind == "reminder"))
        ).all()
        rows = {r.id: r.state for r in (await session.exec(select(ConsultationRow))).all()}
    assert len(reminders) == 20  # two focal points for each of the ten members still pending
    assert rows == {"CRM-2026-001": "concluded", "CRM-2026-002": "withdrawn"}


@pytest.mark.parametrize(
    ("user", "language", "text", "expected"),
    [
        (
            TROIKA_USERS["MX"],
            Language.ES,
            "enviar CRM-2026-001",
            "Solo la Presidencia Pro-Tempore puede usar `/consulta enviar ID`; usted puede consultar `/consulta estado`.",
        ),
        (
            TROIKA_USERS["MX"],
            Language.EN,
            "send CRM-2026-001",
            "Only the Pro-Tempore Presidency may use `/consulta send ID`; you may ask for `/consulta status`.",
        ),
        (
            ST,
            Language.ES,
            "concluir CRM-2026-001",
            "Solo la Presidencia Pro-Tempore puede usar `/consulta concluir ID`; usted puede consultar `/consulta estado`.",
        ),
        (
            "UNOBODY01",
            Language.EN,
            "status",
            "Your Slack user is not in the RCM roster; ask the Technical Secretariat to register it.",
        ),
        (
            "UNOBODY01",
            Language.ES,
            "estado",
            "Su usuario de Slack no figura en la lista de contactos de la CRM; pida a la Secretaría Técnica que lo registre.",
        ),
        (
            PPT,
            Language.ES,
            "enviar CRM-2026-001",
            "CRM-2026-001 no puede enviarse a los miembros hasta que toda la Troika lo apruebe.",
        ),
        (PPT, Language.EN, "conclude CRM-2026-001", "CRM-2026-001 cannot be a draft"),
        (
            PPT,
            Language.EN,
            "extend CRM-2026-001 soon",
            "Give a whole number of business days above zero: `/consulta extend ID N`.",
        ),
        (
            PPT,
            Language.ES,
            "borrar CRM-2026-001",
            "No conozco «borrar»: escriba `/consulta ayuda` para ver los subcomandos.",
        ),
        (
            PPT,
            Language.EN,
            "send CRM-2026-099",
            "There is no consultation CRM-2026-099: `/consulta status` lists the open ones.",
        ),
        (PPT, Language.ES, "nueva", None),
        (
            FOCAL_GT,
            Language.EN,
            "new",
            "Only the Pro-Tempore Presidency may use `/consulta new`; you may ask for `/consulta status`.",
        ),
    ],
)
async def test_refusals_are_one_sentence_in_the_users_language(
    front: Front,
    db: Database,
    time: ManualTime,
    user: str,
    language: Language,
    text: str,
    expected: str | None,
) -> None:
    await make_consultation(db, time, state=State.DRAFT, seed=False)
    if not user.startswith("UNOBODY"):
        await front.set_language(user, language)
    call = await front.command(user, text)
    assert call is not None
    if expected is None:  # the PPT's own form, for contrast
        assert call.method == "views.open"
        return
    assert call.method == "response_url" and call.args["response_type"] == "ephemeral"
    if expected.endswith("a draft"):
        expected = "CRM-2026-001 cannot be concluded while it is a draft."
    assert call.args["text"] == expected
    async with db.session() as session:
        [row] = (await session.exec(select(ConsultationRow))).all()
    assert row.state == "draft"


async def test_an_unreadable_text_in_the_form_is_refused_on_the_field(front: Front) -> None:
    form = await front.command(PPT, "nueva")
    assert form is not None
    answered = await front.submit(
        PPT,
        form.args["view"],
        {
            "title_es": text_of("Título"),
            "title_en": {"type": "plain_text_input", "value": None},
            "text_es": text_of("Uno.\n\nDos."),
            "text_en": text_of("Only one."),
            "kind": {"type": "radio_buttons", "selected_option": {"value": "urgent"}},
        },
        wait=False,
    )
    body = json.loads(answered.text)
    assert (
        body["response_action"] == "errors"
        and "paragraph numbers must match" in body["errors"]["text_en"]
    )


async def test_a_form_answers_by_direct_message_where_the_app_cannot_speak(front: Front) -> None:
    """No response URL (a form opened from a button) and the app not in the channel: a DM."""
    form = await front.command(PPT, "nueva")
    assert form is not None
    view = {**form.args["view"], "private_metadata": json.dumps({"channel": "C0ELSEWHERE"})}
    front.api.fail("chat.postEphemeral", 200, error="channel_not_found")
    await front.submit(
        PPT,
        view,
        {
            "title_es": text_of("Título"),
            "title_en": {"type": "plain_text_input", "value": None},
            "text_es": text_of("Uno."),
            "text_en": {"type": "plain_text_input", "value": None},
            "kind": {"type": "radio_buttons", "selected_option": {"value": "standard"}},
        },
    )
    dm = await front.api.wait_for(
        lambda calls: any(
            c.method == "chat.postMessage" and c.args["channel"] == PPT for c in calls
        )
    )
    [said] = [c for c in dm if c.method == "chat.postMessage" and c.args["channel"] == PPT]
    assert said.args["text"].startswith("CRM-2026-001 abierta como borrador (1 párrafo).")

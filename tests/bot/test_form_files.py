"""A draft's text given as a file in the ``new`` and ``revise`` forms (Slack's file_input)."""

import json
from typing import Any

import pytest
from aiohttp import web
from sqlmodel import select

from bot.submitted import slack_file_url
from consultation.moves import current_version, load
from consultation.texts import Text
from consultation.timesource import ManualTime
from consultation.vocabulary import Language, State
from store.database import Database
from store.tables import ConsultationRow
from tests.bot.conftest import PPT, Front, files_of, text_of
from tests.consultation.test_uploads import docx_of
from tests.factories import make_consultation
from tests.servers.ports import free_port

TOKEN = "xoxb-test-token"  # the bot token of the front fixture's client


def new_form(**fields: dict[str, Any]) -> dict[str, Any]:
    """What the ``new`` modal holds when submitted; ``fields`` override the blanks."""
    blank = text_of(None)
    return {
        "title_es": text_of("Flujos extracontinentales"),
        "title_en": blank,
        "text_es": blank,
        "file_es": files_of(),
        "text_en": blank,
        "file_en": files_of(),
        "kind": {"type": "radio_buttons", "selected_option": {"value": "standard"}},
        **fields,
    }


async def consultations(db: Database) -> list[ConsultationRow]:
    async with db.session() as session:
        return list((await session.exec(select(ConsultationRow))).all())


async def errors_of(front: Front, values: dict[str, Any], command: str = "nueva") -> Any:
    form = await front.command(PPT, command)
    assert form is not None and form.method == "views.open"
    answered = await front.submit(PPT, form.args["view"], values, wait=False)
    body = json.loads(answered.text)
    assert body["response_action"] == "errors", body
    return body["errors"]


async def test_a_new_draft_from_a_docx_and_a_txt(front: Front, db: Database) -> None:
    form = await front.command(PPT, "nueva")
    assert form is not None and form.method == "views.open"
    uploads = [b for b in form.args["view"]["blocks"] if b["element"]["type"] == "file_input"]
    assert [b["block_id"] for b in uploads] == ["file_es", "file_en"]
    assert uploads[0]["element"]["filetypes"] == ["docx", "txt", "md"]
    assert uploads[0]["element"]["max_files"] == 1 and uploads[0]["optional"]

    spanish = front.api.share_file(
        "borrador.docx",
        docx_of("1. Primer párrafo.", "", "2. Segundo párrafo.", "3. Tercero.", title="Título"),
        file_id="F0DOCX0001",
    )
    english = front.api.share_file(
        "draft.txt", b"First paragraph.\n\nSecond paragraph.\n\nThird.\n", file_id="F0TXT0001"
    )
    await front.submit(
        PPT,
        form.args["view"],
        new_form(file_es=files_of(spanish), file_en=files_of(english)),
    )

    opened = front.api.of("response_url")[-1]
    assert opened.args["text"].startswith("CRM-2026-001 abierta como borrador (3 párrafos).")
    downloads = front.api.of("file_download")
    assert sorted(c.args["path"] for c in downloads) == [
        "files-pri/T0CRM-F0DOCX0001/download/borrador.docx",
        "files-pri/T0CRM-F0TXT0001/download/draft.txt",
    ]
    assert {c.args["authorization"] for c in downloads} == {f"Bearer {TOKEN}"}
    async with db.session() as session:
        version = await current_version(session, await load(session, "CRM-2026-001"))
    assert version.paragraphs_es == ["Primer párrafo.", "Segundo párrafo.", "Tercero."]
    assert version.paragraphs_en == ["First paragraph.", "Second paragraph.", "Third."]


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            Language.ES,
            "Dé el texto en español escrito o como archivo, no ambos: vacíe el cuadro de texto "
            "para usar el archivo.",
        ),
        (
            Language.EN,
            "Give the Spanish text either typed or as a file, not both: empty the text box to "
            "use the file.",
        ),
    ],
    ids=["es", "en"],
)
async def test_a_text_both_typed_and_given_as_a_file_is_refused_in_the_users_language(
    front: Front, db: Database, language: Language, expected: str
) -> None:
    await front.set_language(PPT, language)
    spanish = front.api.share_file("borrador.txt", b"Uno.", file_id="F0TXT0002")
    errors = await errors_of(
        front, new_form(text_es=text_of("Uno escrito."), file_es=files_of(spanish))
    )
    assert errors == {"file_es": expected}
    assert await consultations(db) == []


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        (
            "borrador.txt",
            "Año de la consulta.".encode("cp1252"),
            "El archivo no es texto UTF-8: guárdelo como UTF-8, o como .docx.",
        ),
        (
            "borrador.docx",
            b"PK\x03\x04 a broken zip",
            "El archivo no se puede abrir como documento de Word (.docx).",
        ),
    ],
    ids=["not-utf8", "corrupt-docx"],
)
async def test_an_unreadable_file_is_refused_on_its_field(
    front: Front, db: Database, name: str, data: bytes, expected: str
) -> None:
    upload = front.api.share_file(name, data, file_id="F0BAD0001")
    errors = await errors_of(front, new_form(file_es=files_of(upload)))
    assert errors == {"file_es": expected}
    assert await consultations(db) == []


async def test_a_form_without_any_text_asks_for_one(front: Front, db: Database) -> None:
    errors = await errors_of(front, new_form())
    assert errors == {"text_es": "Dé el texto, escrito aquí o como archivo."}
    assert await consultations(db) == []


async def test_a_revision_from_a_file_replaces_the_text_left_as_shown(
    front: Front, db: Database, time: ManualTime
) -> None:
    """The revise form shows the current text; a file with that box untouched wins."""
    made = await make_consultation(
        db, time, state=State.DRAFT, seed=False, text=Text(es=["Uno.", "Dos."], en=None)
    )
    form = await front.command(PPT, f"revisar {made.id}")
    assert form is not None and form.method == "views.open"
    view = form.args["view"]
    revised = front.api.share_file(
        "revisado.md", "Uno, en revisión.\n\nDos.\n\nTres.".encode(), file_id="F0MD0001"
    )
    await front.submit(
        PPT,
        view,
        {
            "text_es": text_of("Uno.\n\nDos."),  # as the form showed it
            "file_es": files_of(revised),
            "text_en": text_of(None),
            "file_en": files_of(),
            "note": text_of(None),
        },
    )
    said = front.api.of("response_url")[-1]
    assert said.args["text"] == f"{made.id}: texto del borrador reemplazado."
    async with db.session() as session:
        version = await current_version(session, await load(session, made.id))
    assert version.paragraphs_es == ["Uno, en revisión.", "Dos.", "Tres."]


async def test_a_revision_typed_over_and_given_as_a_file_is_refused(
    front: Front, db: Database, time: ManualTime
) -> None:
    made = await make_consultation(
        db, time, state=State.DRAFT, seed=False, text=Text(es=["Uno.", "Dos."], en=None)
    )
    await front.set_language(PPT, Language.EN)
    revised = front.api.share_file("revised.txt", b"One.\n\nTwo.", file_id="F0TXT0003")
    errors = await errors_of(
        front,
        {
            "text_es": text_of("Uno.\n\nDos, retocado."),
            "file_es": files_of(revised),
            "text_en": text_of(None),
            "file_en": files_of(),
            "note": text_of(None),
        },
        command=f"revise {made.id}",
    )
    assert errors == {
        "file_es": "Give the Spanish text either typed or as a file, not both: empty the text "
        "box to use the file."
    }
    async with db.session() as session:
        version = await current_version(session, await load(session, made.id))
    assert version.paragraphs_es == ["Uno.", "Dos."] and front.api.of("file_download") == []


async def test_a_file_url_off_slacks_hosts_is_never_fetched_with_the_bot_token(
    front: Front, db: Database
) -> None:
    """A form's file object is the client's data: a URL naming another host must not receive
    the bot token (the attacker's server records every request it gets)."""
    seen: list[dict[str, str]] = []

    async def record(request: web.Request) -> web.Response:
        seen.append(dict(request.headers))
        return web.Response(body=b"Texto de la trampa.", content_type="text/plain")

    app = web.Application()
    app.router.add_get("/{path:.*}", record)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        upload = front.api.share_file("borrador.txt", b"Texto.", file_id="F0EVIL001")
        upload["url_private_download"] = f"http://127.0.0.1:{port}/files-pri/borrador.txt"
        upload["url_private"] = upload["url_private_download"]
        errors = await errors_of(front, new_form(file_es=files_of(upload)))
    finally:
        await runner.cleanup()
    assert errors == {"file_es": "No se pudo obtener el archivo de Slack: inténtelo de nuevo."}
    assert seen == []
    assert await consultations(db) == []


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://files.slack.com/files-pri/T0-F1/download/a.docx", True),
        ("http://files.slack.com/files-pri/T0-F1/download/a.docx", False),
        ("https://files.slack.com:8443/files-pri/a.docx", False),
        ("https://files.slack.com.evil.example/a.docx", False),
        ("https://files.slack.com@evil.example/a.docx", False),
        ("https://evil.example/files.slack.com/a.docx", False),
        ("https://slack.com/api/a.docx", False),
        ("http://127.0.0.1:9999/files-pri/a.docx", True),  # the Web API's own origin
        ("http://127.0.0.1:9998/files-pri/a.docx", False),
        ("https://127.0.0.1:9999/files-pri/a.docx", False),
        ("http://127.0.0.1:notaport/a.docx", False),
        ("", False),
    ],
)
def test_which_file_urls_receive_the_token(url: str, allowed: bool) -> None:
    assert slack_file_url(url, api_base="http://127.0.0.1:9999/api/") is allowed

"""`consulta review …` end to end: replies held by the running email front (drafts out through
aiosmtpd, replies in through Dovecot), then listed, shown, corrected, confirmed and rejected on the
command line, on SQLite and PostgreSQL; `record` and a decision close the earlier held replies."""

import asyncio
import os
from collections.abc import AsyncIterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlmodel import col, select

from consultation.timesource import ManualTime
from service.cli import cli
from service.context import AppContext
from service.settings import DbSettings, Settings
from store import queries
from store.database import Database
from store.tables import EventRow, InboundMessageRow
from tests.databases import BACKENDS, postgres_login, postgres_url, sqlite_database
from tests.mail.test_front import distributed, focal_point, inbound, running, until
from tests.mail.test_trust import draft_to, front
from tests.servers.dovecot import Dovecot
from tests.servers.smtpd import SmtpServer
from tests.service.test_no_codes import assert_no_codes

MIXED = "Aprobamos el texto, pero objetamos el párrafo 2 porque no refleja la práctica nacional."
QUESTION = "¿Podrían aclarar el párrafo 3 antes de que respondamos?"


@pytest.fixture(params=BACKENDS)
async def database(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[str, Database]]:
    """A migrated database and the URL a `consulta` command reaches it by (on PostgreSQL a
    login whose search_path is its own schema)."""
    if request.param == "sqlite":
        async with sqlite_database(tmp_path) as db:
            yield db.url.render_as_string(hide_password=False), db
        return
    url = postgres_url()
    if url is None:
        if os.environ.get("CI"):
            pytest.fail("CI must set TEST_DATABASE_URL")
        pytest.skip("TEST_DATABASE_URL is not set")
    async with postgres_login(url) as found:
        yield found


class Operator:
    """The PPT at a terminal: commands on the front's database and clock, in a thread of their
    own (each command runs its own event loop, as the real `consulta` process does)."""

    def __init__(self, url: str, time: ManualTime) -> None:
        self.context = AppContext(settings=Settings(db=DbSettings(url=url)), time=time)

    async def __call__(self, *args: str, ok: bool = True) -> Result:
        def invoke() -> Result:
            return CliRunner().invoke(cli, ["--actor", "ppt:ana", *args], obj=self.context)

        result = await asyncio.to_thread(invoke)
        if ok:
            assert result.exit_code == 0, (result.output, result.exception)
        return result


def reply(smtpd: SmtpServer, country: str, body: str, number: int) -> bytes:
    """The focal point answers its draft (signed Reply-To, In-Reply-To our Message-ID)."""
    reply_to, message_id = draft_to(smtpd, focal_point(country))
    message = EmailMessage()
    message["From"] = focal_point(country)
    message["To"] = reply_to
    message["Subject"] = "RE: Consulta escrita [CRM-2026-001 v1]"
    message["Date"] = "Mon, 07 Dec 2026 10:05:00 -0600"
    message["Message-ID"] = f"<r{number}.{country}@cancilleria.{country.lower()}.example>"
    message["In-Reply-To"] = message_id
    message.set_content(f"{body}\n\nSaludos,\nPunto Focal\n")
    if number == 1:
        message.add_attachment(
            b"nota verbal", maintype="application", subtype="pdf", filename="nota.pdf"
        )
    return message.as_bytes()


async def held_through_the_front(
    db: Database, time: ManualTime, smtpd: SmtpServer, dovecot: Dovecot
) -> list[InboundMessageRow]:
    await distributed(db, time, smtpd)
    raws = [
        reply(smtpd, "GT", MIXED, 1),
        reply(smtpd, "GT", QUESTION, 2),
        reply(smtpd, "SV", MIXED, 3),
    ]
    for raw in raws:
        await dovecot.append(raw)
    async with running(front(db, time, smtpd, dovecot)):
        await until(lambda: _decided(db, len(raws)))
    rows = await inbound(db)
    assert [(r.country, r.status) for r in rows] == [("GT", "review")] * 2 + [("SV", "review")]
    return rows


async def _decided(db: Database, count: int) -> bool:
    rows = await inbound(db)
    return len(rows) == count and all(r.status != "stored" for r in rows)


async def test_held_replies_listed_shown_corrected_and_settled(
    database: tuple[str, Database], time: ManualTime, smtpd: SmtpServer, dovecot: Dovecot
) -> None:
    url, db = database
    first, second, third = await held_through_the_front(db, time, smtpd, dovecot)
    op = Operator(url, time)

    listing = (await op("--lang", "es", "review", "list")).output
    assert listing.startswith(
        "3 respuestas retenidas para revisión (horas en hora de Santo Domingo)"
    )
    assert f"n.º {first.id} · recibida el lunes 7 de diciembre de 2026, 10:00" in listing
    assert "De: puntofocal@cancilleria.gt.example (Guatemala)" in listing
    assert "\n    Consulta: CRM-2026-001, versión 1\n    Motivo: contiene señales" in listing
    assert "Motivo: contiene señales contradictorias." in listing
    assert listing.index(f"n.º {first.id} ") < listing.index(f"n.º {third.id} ")  # oldest first
    assert_no_codes(listing, "review list")

    shown = (await op("--lang", "es", "review", "show", str(first.id))).output
    assert "From: puntofocal@cancilleria.gt.example" in shown
    assert "Message-ID: <r1.GT@cancilleria.gt.example>" in shown
    assert "Subject: RE: Consulta escrita [CRM-2026-001 v1]" in shown
    assert "> Aprobamos el texto, pero objetamos el párrafo 2" in shown  # the sender's words
    assert "Posición: objeta" in shown
    assert "- nota.pdf (application/pdf, 11 bytes)" in shown
    # "nota verbal" in a file named .pdf: the reader opens it as a PDF and finds it damaged.
    assert (
        "Motivo de la retención: contiene señales contradictorias; un documento adjunto está "
        "dañado y no se puede leer" in shown
    )
    assert "A la espera de la decisión de una persona." in shown
    assert_no_codes(shown, "review show")
    english = (await op("--lang", "en", "review", "show", str(first.id))).output
    assert "Why it is held: it gives mixed signals;" in english and "Position: objects" in english

    # The newer GT reply, corrected: GT abstains. The older GT reply is settled by it.
    corrected = await op(
        "--lang", "es", "review", "correct", str(second.id), "--position", "se abstiene"
    )
    assert f"Respuesta n.º {second.id} corregida: se registró que Guatemala se abstiene" in (
        corrected.output
    )
    assert "Queda cerrada con ella 1 respuesta retenida anterior" in corrected.output
    async with db.session() as session:
        latest = await queries.latest_positions(session, "CRM-2026-001", 1)
        rows = {r.id: r for r in (await session.exec(select(InboundMessageRow))).all()}
        events = (await session.exec(select(EventRow).order_by(col(EventRow.id)))).all()
    assert latest["GT"].value == "abstain" and latest["GT"].recorded_by == "ppt:ana"
    assert rows[first.id].status == "dropped" and rows[second.id].status == "recorded"
    settled = [e for e in events if e.kind == "held_settled"]
    assert [(e.inbound_id, e.actor) for e in settled] == [(first.id, "ppt:ana")]
    decided = [e for e in events if e.kind == "review_decided"]
    assert decided[-1].actor == "ppt:ana" and decided[-1].payload["decision"] == "correct"

    # Only SV is still waiting; a decided reply says who decided it.
    listing = (await op("--lang", "en", "review", "list")).output
    assert listing.startswith("1 reply held for review (times in Santo Domingo time)")
    everything = (await op("--lang", "es", "review", "list", "--all")).output
    assert "Corregida por ppt:ana el lunes 7 de diciembre de 2026" in everything
    assert "Cerrada por la respuesta registrada por ppt:ana" in everything
    assert_no_codes(everything + corrected.output, "review list --all, correct")
    history = (await op("--lang", "es", "history", "CRM-2026-001")).output
    assert f"Sobre la respuesta n.º {second.id} de Guatemala, se corrigió la lectura" in history
    assert f"La respuesta retenida n.º {first.id} de Guatemala quedó cerrada" in history
    assert "Se envió por correo la consulta a " in history  # one line for the drafts
    assert_no_codes(history, "history")
    again = await op("--lang", "es", "review", "confirm", str(second.id), ok=False)
    assert again.exit_code != 0

    # `record` for SV on v1 (a note verbale) closes SV's held reply.
    recorded = await op(
        "--lang", "es", "record", "CRM-2026-001", "--country", "SV", "--position", "aprueba"
    )
    assert "Queda cerrada con ella 1 respuesta retenida de SV" in recorded.output
    assert (
        "No hay respuestas a la espera de revisión."
        in (await op("--lang", "es", "review", "list")).output
    )
    async with db.session() as session:
        assert (await session.get(InboundMessageRow, third.id)).status == "dropped"  # type: ignore[union-attr]


async def test_confirm_and_reject_record_who_and_why(
    database: tuple[str, Database], time: ManualTime, smtpd: SmtpServer, dovecot: Dovecot
) -> None:
    url, db = database
    first, second, third = await held_through_the_front(db, time, smtpd, dovecot)
    op = Operator(url, time)

    rejected = await op("review", "reject", str(second.id), "--reason", "Pregunta, no respuesta.")
    assert f"Reply no. {second.id} rejected" in rejected.output
    confirmed = await op("--lang", "es", "review", "confirm", str(third.id))
    assert f"Respuesta n.º {third.id} confirmada: El Salvador objeta" in confirmed.output
    async with db.session() as session:
        latest = await queries.latest_positions(session, "CRM-2026-001", 1)
        events = (
            await session.exec(select(EventRow).where(EventRow.kind == "review_decided"))
        ).all()
        rows = {r.id: r for r in (await session.exec(select(InboundMessageRow))).all()}
    assert latest["SV"].value == "object" and "GT" not in latest
    assert {
        (e.inbound_id, e.payload["decision"], e.actor, e.payload["reason"]) for e in events
    } == {
        (second.id, "reject", "ppt:ana", "Pregunta, no respuesta."),
        (third.id, "confirm", "ppt:ana", None),
    }
    # A rejection settles nothing: the older GT reply still waits for a person.
    assert rows[first.id].status == "review" and rows[second.id].status == "dropped"
    shown = (await op("--lang", "es", "review", "show", str(second.id))).output
    assert "Rechazada por ppt:ana el lunes 7 de diciembre de 2026" in shown
    assert "«Pregunta, no respuesta.»" in shown
    assert "Motivo de la retención: hace una pregunta." in shown

    missing = await op("--lang", "es", "review", "confirm", "999", ok=False)
    assert missing.exit_code != 0

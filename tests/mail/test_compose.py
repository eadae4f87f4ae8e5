"""Every queued notice renders as a complete email in its reader's language."""

from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from io import BytesIO

import docx
from sqlmodel import col, select

from consultation import closing, distribution
from consultation.texts import Text
from consultation.timesource import ManualTime
from consultation.vocabulary import PositionValue
from mail import tokens
from mail.compose import Identity, compose
from store.database import Database
from store.tables import OutboxRow
from templates import environment
from tests.factories import MEMBERS, TEXT_EN, TEXT_ES, answer, make_consultation, move

IDENTITY = Identity(
    address="consultas@crm.example",
    name="CRM · Consultas",
    reply_local="consultas",
    domain="crm.example",
    secrets=(b"0123456789abcdef-test-secret",),
)


async def composed(db: Database, time: ManualTime, kind: str) -> list[EmailMessage]:
    env, found = environment(), []
    async with db.session() as session:
        rows = (
            await session.exec(
                select(OutboxRow).where(OutboxRow.kind == kind).order_by(col(OutboxRow.id))
            )
        ).all()
        for row in rows:
            result = await compose(session, row, env=env, identity=IDENTITY, now=time.now())
            assert result is not None
            # Round-trip through bytes: what a mail server would carry.
            parsed = message_from_bytes(result.message.as_bytes(), policy=policy.default)
            assert isinstance(parsed, EmailMessage)
            found.append(parsed)
    return found


def body(message: EmailMessage, subtype: str) -> str:
    part = message.get_body(preferencelist=(subtype,))
    assert part is not None
    return str(part.get_content())


async def test_draft_email_per_focal_point(db: Database, time: ManualTime) -> None:
    made = await make_consultation(db, time)
    drafts = await composed(db, time, "draft")
    assert len(drafts) == 22
    guatemala = next(m for m in drafts if "cancilleria.gt" in str(m["To"]))
    assert (
        str(guatemala["Subject"]) == f"Consulta escrita: Flujos extracontinentales [{made.id} v1]"
    )
    text = body(guatemala, "plain")
    assert "Se solicita la posición de Guatemala dentro del plazo de 5 días hábiles" in text
    assert "lunes 14 de diciembre de 2026, 21:59 (hora de Guatemala, UTC-06:00)" in text
    assert f"2. {TEXT_ES[1]}" in text
    claims = tokens.read_token(
        tokens.token_from_address(str(guatemala["Reply-To"]), local="consultas") or "",
        secrets=IDENTITY.secrets,
    )
    assert (claims.consultation_id, claims.version, claims.country) == (made.id, 1, "GT")
    assert tokens.parse_message_id(str(guatemala["Message-ID"])) == (made.id, 1, "GT")
    attachment = next(guatemala.iter_attachments())
    document = docx.Document(BytesIO(attachment.get_content()))
    assert any(TEXT_ES[1] in p.text for p in document.paragraphs)
    canada = next(m for m in drafts if "cancilleria.ca" in str(m["To"]))
    assert "Canada's position is requested within 5 business days" in body(canada, "plain")
    assert "Monday 14 December 2026, 22:59 (Toronto time, UTC-05:00)" in body(canada, "plain")
    assert '<td style="padding:0 0 10px">' + TEXT_EN[0] in body(canada, "html")


async def test_revision_carries_a_redline(db: Database, time: ManualTime) -> None:
    made = await make_consultation(db, time)
    revised = [
        *TEXT_ES[:1],
        "Los países miembros intercambiarán información sobre <rutas>.",
        *TEXT_ES[2:],
    ]
    async with db.transaction() as session:
        await distribution.revise(session, made.id, Text(es=revised, en=None), move(time))
    mexico = next(m for m in await composed(db, time, "revision") if ".mx." in str(m["To"]))
    text, html = body(mexico, "plain"), body(mexico, "html")
    assert "Cambios respecto de la versión 1" in text and "[+" in text
    assert "&lt;rutas&gt;" in html and "<rutas>" not in html
    assert "text-decoration:line-through" in html


async def test_every_notice_of_a_whole_consultation_renders(db: Database, time: ManualTime) -> None:
    made = await make_consultation(db, time)
    await answer(db, time, made.id, "US", PositionValue.APPROVE, extension=True)
    async with db.transaction() as session:
        await distribution.extend(session, made.id, 2, move(time))
    for country in MEMBERS[:9]:
        await answer(db, time, made.id, country, PositionValue.APPROVE)
    time.advance(timedelta(days=12))
    async with db.transaction() as session:
        await closing.tally_at_deadline(session, made.id, move(time))
        await closing.conclude(session, made.id, move(time))
    kinds = [
        "troika_draft",
        "troika_consensus",
        "draft",
        "answer_recorded",
        "extension",
        "tally",
        "results",
        "results_info",
    ]
    for kind in kinds:
        for message in await composed(db, time, kind):
            assert message["Subject"] and body(message, "plain") and body(message, "html")
    results = await composed(db, time, "results")
    english = next(m for m in results if ".us." in str(m["To"]))
    assert "- United States: approves" in body(english, "plain")
    assert "- El Salvador: no answer (no objection)" in body(english, "plain")

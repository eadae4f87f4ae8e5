"""The ST's digest and the results notice for a realistic week, in both languages, as snapshots.

Regenerate with ``UPDATE_SNAPSHOTS=1 uv run pytest tests/mail/test_snapshots.py`` and read the
files in ``tests/snapshots/`` by eye before committing them.
"""

import os
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from lxml import html as lxml_html
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from consultation import closing, digest, drafting, journal, reminders
from consultation.answers import ProposedChange
from consultation.scheduler import Scheduler
from consultation.timesource import ManualTime
from consultation.vocabulary import AmendmentAction, Kind, Language, PositionValue, State
from mail.compose import Identity, compose
from mail.digest import render_digest
from store.database import Database
from store.tables import ConsultationRow, ContactEmailRow, InboundMessageRow, OutboxRow
from templates import environment
from tests.factories import MEMBERS, TROIKA, answer, make_consultation, move
from tests.mail.test_compose import IDENTITY, body

SNAPSHOTS = Path(__file__).parents[1] / "snapshots"
ST_ZONE = "America/Costa_Rica"
SINCE = datetime(2026, 12, 10, 14, 0, tzinfo=UTC)  # Thursday's digest, 08:00 in Costa Rica
DIGEST_AT = datetime(2026, 12, 11, 14, 0, tzinfo=UTC)  # Friday's


TITLES = [
    ("flows", "Flujos migratorios extracontinentales", "Extra-continental migration flows"),
    ("urgent", "Declaración sobre la niñez migrante", "Statement on migrant children"),
    ("early", "Calendario de reuniones 2027", "Meeting calendar 2027"),
    (
        "troika",
        "Términos de referencia de la Red de Funcionarios de Enlace",
        "Terms of reference of the Liaison Officers Network",
    ),
]


def check_snapshot(name: str, content: str) -> None:
    path = SNAPSHOTS / name
    if os.environ.get("UPDATE_SNAPSHOTS"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(content, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == content, f"{name} changed: UPDATE_SNAPSHOTS=1"


async def a_week(db: Database, time: ManualTime) -> dict[str, str]:
    """Four consultations in four states on Friday 11 December 2026 at 08:00 in Costa Rica."""
    flows = await make_consultation(db, time)
    urgent = await make_consultation(db, time, seed=False, kind=Kind.URGENT)
    early = await make_consultation(db, time, seed=False)
    troika = await make_consultation(db, time, seed=False, state=State.TROIKA_REVIEW)
    for country in ("NI", "CR", "DO"):
        await answer(
            db,
            time,
            urgent.id,
            country,
            PositionValue.OBJECT if country == "NI" else PositionValue.APPROVE,
        )
    for country in MEMBERS:
        position = PositionValue.ABSTAIN if country == "SV" else PositionValue.APPROVE
        await answer(db, time, early.id, country, position)
    async with db.transaction() as session:
        await drafting.answer_troika(
            session, troika.id, country=TROIKA[0], approve=True, comment=None, move=move(time)
        )
    time.set(datetime(2026, 12, 10, 15, 0, tzinfo=UTC))
    await answer(db, time, flows.id, "GT", PositionValue.APPROVE)
    change = ProposedChange(
        AmendmentAction.REPLACE,
        2,
        "Los países miembros intercambiarán información sobre rutas y perfiles en un plazo de diez días.",
    )
    await answer(db, time, flows.id, "MX", PositionValue.AMEND, changes=(change,))
    await answer(db, time, flows.id, "CA", PositionValue.APPROVE)
    await answer(db, time, flows.id, "HN", None, extension=True)
    await answer(db, time, urgent.id, "HN", None, extension=True)
    time.set(datetime(2026, 12, 10, 17, 0, tzinfo=UTC))
    async with db.transaction() as session:
        await closing.conclude(session, early.id, move(time))
    time.set(datetime(2026, 12, 10, 20, 30, tzinfo=UTC))
    async with db.transaction() as session:
        await _mailbox(session, flows.id, time.now())
        await _held_and_delivery(session, flows.id, early.id, time.now())
    time.set(datetime(2026, 12, 11, 5, 0, tzinfo=UTC))
    async with db.transaction() as session:
        await closing.tally_at_deadline(session, urgent.id, move(time, actor="consulta:scheduler"))
    ids = {"flows": flows.id, "urgent": urgent.id, "early": early.id, "troika": troika.id}
    async with db.transaction() as session:
        for made, es, en in TITLES:
            row = await session.get(ConsultationRow, ids[made])
            assert row is not None
            row.title_es, row.title_en = es, en
            session.add(row)
    time.set(DIGEST_AT)
    return ids


async def _mailbox(session: AsyncSession, consultation_id: str, now: datetime) -> None:
    """What the email front leaves behind: a reply for review, a bounce, an out-of-office."""
    session.add(
        InboundMessageRow(
            dedupe_key="<r1@sv.example>",
            raw=b"...",
            received_at=now,
            status="review",
            reason="mixed_signals",
            consultation_id=consultation_id,
            version=1,
            country="SV",
            sender="puntofocal@rree.gob.sv.example",
        )
    )
    session.add(
        InboundMessageRow(
            dedupe_key="<r2@mail.example>",
            raw=b"...",
            received_at=now,
            status="review",
            reason="unknown_sender",
            sender="asistente@correo.example",
        )
    )
    emails = (
        await session.exec(select(ContactEmailRow).order_by(col(ContactEmailRow.address)))
    ).all()
    belize = next(e for e in emails if e.address.endswith(".bz.example"))
    belize.failing, belize.failure, belize.failed_at = True, "bounced", now
    session.add(belize)
    await journal.record_event(
        session,
        consultation_id=consultation_id,
        kind="out_of_office",
        actor="puntofocal@state.us.example",
        at=now,
        payload={"country": "US", "contact": "United States focal point", "until": "2026-12-14"},
    )


async def _held_and_delivery(session: AsyncSession, flows: str, early: str, now: datetime) -> None:
    """Canada's newer reply held after its approval, a reply already settled (not listed), one
    held on a concluded consultation, a delayed delivery and three bounce-like messages that
    answer nothing of ours."""
    rows = [
        ("<r3@ca.example>", "review", "question,amendments_not_found", flows, "CA"),
        ("<r4@gt.example>", "recorded", "mixed_signals", flows, "GT"),
        ("<r5@pa.example>", "review", "not_open", early, "PA"),
    ]
    for key, status, reason, consultation, country in rows:
        session.add(
            InboundMessageRow(
                dedupe_key=key,
                raw=b"...",
                received_at=now,
                status=status,
                reason=reason,
                consultation_id=consultation,
                version=1,
                country=country,
                sender=f"puntofocal@{country.lower()}.example",
            )
        )
    gt = (
        await session.exec(
            select(ContactEmailRow).where(col(ContactEmailRow.address).like("%.gt.example"))
        )
    ).first()
    assert gt is not None
    await journal.record_event(
        session,
        consultation_id=None,
        kind="delivery_delayed",
        actor="consulta",
        at=now,
        payload={"address": gt.address, "consultation": flows, "status": "4.4.1"},
    )
    for n in range(3):
        await journal.record_event(
            session,
            consultation_id=None,
            kind="bounce_unverified",
            actor=f"mailer-daemon@relay{n}.example",
            at=now,
            payload={"problem": "not_ours", "claimed": [], "sender": ""},
        )


async def composed(
    db: Database, time: ManualTime, kind: str, *, identity: Identity = IDENTITY
) -> list[EmailMessage]:
    """The emails of ``kind``; a contact whose only address fails gets none."""
    env, found = environment(), []
    async with db.session() as session:
        query = select(OutboxRow).where(OutboxRow.kind == kind).order_by(col(OutboxRow.id))
        for row in (await session.exec(query)).all():
            result = await compose(session, row, env=env, identity=identity, now=time.now())
            if result is not None:
                parsed = message_from_bytes(result.message.as_bytes(), policy=policy.default)
                assert isinstance(parsed, EmailMessage)
                found.append(parsed)
    return found


async def test_the_digest_of_a_busy_friday(db: Database, time: ManualTime) -> None:
    ids = await a_week(db, time)
    async with db.session() as session:
        content = await digest.gather(session, now=DIGEST_AT, since=SINCE)
    assert [c["id"] for c in content["consultations"]] == [
        ids["urgent"],  # deadline passed, tallied
        ids["flows"],
        ids["troika"],  # no deadline yet
    ]
    env = environment()
    for language in Language:
        subject, text, page = render_digest(
            env,
            content,
            language=language,
            timezone=ST_ZONE,
            recipient="Secretaría Técnica de la CRM",
        )
        check_snapshot(f"digest.{language.value}.txt", f"Subject: {subject}\n\n{text}")
        check_snapshot(f"digest.{language.value}.html", page)
        tree = lxml_html.fromstring(page)
        rows = tree.xpath("//tr[@class='consultation']")
        assert [r.get("id") for r in rows] == [ids["urgent"], ids["flows"], ids["troika"]]
        assert tree.xpath("//title")[0].text == subject


async def test_the_digest_says_plainly_when_there_is_nothing(
    db: Database, time: ManualTime
) -> None:
    env = environment()
    async with db.session() as session:
        content = await digest.gather(session, now=DIGEST_AT, since=SINCE)
    assert digest.is_empty(content)
    _, english, _ = render_digest(
        env, content, language=Language.EN, timezone=ST_ZONE, recipient="ST"
    )
    _, spanish, _ = render_digest(
        env, content, language=Language.ES, timezone=ST_ZONE, recipient="ST"
    )
    assert "Nothing to report today" in english
    assert "Nada que informar hoy" in spanish


async def test_the_results_notice_and_the_observers_information(
    db: Database, time: ManualTime
) -> None:
    await a_week(db, time)
    results = await composed(db, time, "results")
    info = await composed(db, time, "results_info")
    assert len(results) == 21 and len(info) == 13  # one Belize address bounced
    for language, member, observer in (
        ("en", ".us.example", ".jm.example"),
        ("es", ".gt.example", ".ar.example"),
    ):
        notice = next(m for m in results if member in str(m["To"]))
        check_snapshot(
            f"results.{language}.txt",
            f"Subject: {notice['Subject'].strip()}\n\n{body(notice, 'plain')}",
        )
        informed = next(m for m in info if observer in str(m["To"]).lower())
        text = body(informed, "plain")
        check_snapshot(
            f"results_info.{language}.txt", f"Subject: {informed['Subject'].strip()}\n\n{text}"
        )
        assert "approve" not in text and "aprueba" not in text  # positions not shared


async def test_the_ppt_may_share_the_positions_with_observers(
    db: Database, time: ManualTime
) -> None:
    made = await make_consultation(db, time)
    for country in MEMBERS:
        await answer(db, time, made.id, country, PositionValue.APPROVE)
    async with db.transaction() as session:
        await closing.conclude(session, made.id, move(time), share_positions=True)
    info = await composed(db, time, "results_info")
    assert all(
        "- Mexico: approves" in body(m, "plain") or "- México: aprueba" in body(m, "plain")
        for m in info
    )
    async with db.session() as session:
        rows = (await session.exec(select(OutboxRow).where(OutboxRow.kind == "results_info"))).all()
    assert all(r.payload["standings"]["MX"] == "approve" for r in rows)


async def test_the_reminder_the_report_to_the_ppt_and_the_tally(
    db: Database, time: ManualTime
) -> None:
    ids = await a_week(db, time)
    async with db.transaction() as session:
        await reminders.remind(session, ids["flows"], move(time))
    reminder = next(m for m in await composed(db, time, "reminder") if ".us." in str(m["To"]))
    assert reminder["Reply-To"]  # the focal point answers the reminder itself
    check_snapshot(
        "reminder.en.txt", f"Subject: {reminder['Subject'].strip()}\n\n{body(reminder, 'plain')}"
    )
    (report,) = await composed(db, time, "reminder_report")
    text = body(report, "plain")
    assert f"consulta extend {ids['flows']} --days 2" in text
    check_snapshot("reminder_report.es.txt", f"Subject: {report['Subject'].strip()}\n\n{text}")
    (tally,) = await composed(db, time, "tally")
    check_snapshot("tally.es.txt", f"Subject: {tally['Subject'].strip()}\n\n{body(tally, 'plain')}")


async def test_the_scheduled_digest_is_an_email_in_the_st_s_language(
    db: Database, time: ManualTime
) -> None:
    await a_week(db, time)
    done = await Scheduler(db, time).tick()
    assert ("digest:2026-12-11", "sent") in [(d.key, d.outcome) for d in done]
    (message,) = await composed(db, time, "digest")
    assert message["To"] == "st@crmsolutions.example"
    assert message["Content-Language"] == "es"
    assert (
        message["Subject"].strip()  # Python folds this one onto its own line
        == "Consultas de la CRM, resumen del viernes 11 de diciembre de 2026: 3 abiertas"
    )
    assert "CONSULTAS ABIERTAS, POR PLAZO" in body(message, "plain")
    page = lxml_html.fromstring(body(message, "html"))
    assert len(page.xpath("//tr[@class='consultation']")) == 3
    (tally,) = await composed(db, time, "tally")
    assert "Pidieron más tiempo: Honduras." in body(tally, "plain")

"""`consulta demo`: one consultation from draft to results, through real mail, in a few seconds.

It starts the development mail server (SMTP in, IMAP out: `service.devmail`) and the service's
own pieces as `consulta serve` runs them: the email front (IMAP listener in IDLE, outbox over
SMTP) and the scheduler's tick, on a fresh SQLite database with the default CRM roster. The PPT's
moves are the use cases the command line calls; everyone else writes real emails, answering the
messages they received (`service.demo_story`, `service.demo_mail`, `service.demo_script`). Time
is a `ManualTime` the story moves on: the scheduler sees the mornings, the reminder, the deadline.

Everything ends up in the output folder: every email as a numbered .eml, the ST's digest, the
record of the consultation (HTML and Markdown), the status boards, the audit trail, the database.
"""

import asyncio
import secrets
import shutil
import time as wallclock
import traceback
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import click
from pydantic import SecretStr
from sqlmodel import select

from consultation import record
from consultation.errors import ConsultaError
from consultation.exporting import export_record
from consultation.presenting import history_text, status_text
from consultation.scheduler import Scheduler
from consultation.status import consultation_status
from consultation.timesource import ManualTime, SystemTime
from consultation.vocabulary import Language, Role
from mail.digest import render_digest
from service.cli_support import language, run, templates
from service.demo_story import PPT_ZONE, WAIT, DemoFailed, Story
from service.devmail import DevMailServer
from service.settings import (
    DbSettings,
    ImapSettings,
    MailSettings,
    ScheduleSettings,
    Settings,
    SmtpSettings,
)
from service.wiring import mail_front, schedule_config
from store import queries
from store.database import Database
from store.migrate import upgrade
from store.tables import OutboxRow

MARKER = ".consulta-demo"  # a folder holding it is the demo's own, safe to empty
ERRORS = "demo-error.txt"


@dataclass(frozen=True)
class Summary:
    consultation_id: str
    outcome: str
    version: int
    emails: int
    seconds: float


class Demo:
    """The servers, the service's pieces and the output folder around one `Story`."""

    def __init__(self, out: Path, lang: Language, *, echo: bool = True) -> None:
        self.out, self.lang, self.echo = out, lang, echo
        today = SystemTime().now().astimezone(PPT_ZONE).date()
        monday = today + timedelta(days=7 - today.weekday())  # next Monday, 09:00 in the PPT
        self.time = ManualTime(datetime.combine(monday, time(9), tzinfo=PPT_ZONE))
        self.db = Database(f"sqlite+aiosqlite:///{out / 'consulta.db'}")
        self.boards: list[str] = []

    async def run(self) -> Summary:
        started = wallclock.monotonic()
        try:
            await upgrade(self.db)
            async with DevMailServer(
                folder=self.out / "mail",
                user="consultas",
                password=secrets.token_urlsafe(12),
                service_address=MailSettings().address,
            ) as mail:
                self._introduce(mail)
                story = await self._tell(mail)
                emails = len(mail.captured)
            return await self._finish(story, emails, wallclock.monotonic() - started)
        finally:
            await self.db.dispose()

    async def _tell(self, mail: DevMailServer) -> Story:
        """The story, with the email front running beside it as `consulta serve` runs it."""
        settings = _settings(self.db, mail)
        front = mail_front(settings, self.db, env=templates(), time=self.time)
        scheduler = Scheduler(self.db, self.time, schedule_config(settings))
        story = Story(self, db=self.db, time=self.time, mail=mail, front=front, scheduler=scheduler)
        stop = asyncio.Event()
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(front.run(stop))
                try:
                    await story.tell()
                finally:
                    stop.set()
        except BaseExceptionGroup as group:
            raise first_cause(group) from None
        return story

    def say(self, es: str, en: str) -> None:
        if self.echo:
            click.echo(es if self.lang is Language.ES else en)

    async def board(self, consultation_id: str) -> None:
        async with self.db.session() as s:
            view = await consultation_status(s, consultation_id, now=self.time.now())
        text = status_text(templates(), view, self.lang).rstrip() + "\n"
        self.boards.append(text)
        if self.echo:
            click.echo("\n" + "\n".join(f"    {line}" if line else "" for line in text.split("\n")))

    def _introduce(self, mail: DevMailServer) -> None:
        where = (
            f"SMTP 127.0.0.1:{mail.smtp_port} · IMAP 127.0.0.1:{mail.imap_port} · "
            f"SQLite {self.out / 'consulta.db'}"
        )
        self.say(
            f"consulta demo · servidores de correo embebidos: {where}\n",
            f"consulta demo · embedded mail servers: {where}\n",
        )

    async def _finish(self, story: Story, emails: int, seconds: float) -> Summary:
        consultation_id = story.id
        async with self.db.transaction() as s:
            found = await record.gather(s, consultation_id)
            events = await queries.events(s, consultation_id)
            staff = await queries.contacts_with_role(s, Role.ST.value)
            digests = (await s.exec(select(OutboxRow).where(OutboxRow.kind == "digest"))).all()
        when = story.digest_at.isoformat() if story.digest_at else None
        digest = next((d for d in digests if d.payload.get("now") == when), None)
        for fmt in ("html", "md"):
            page = export_record(templates(), found, fmt=fmt, language=self.lang)
            (self.out / f"{consultation_id}.{fmt}").write_text(page, encoding="utf-8")
        row = found.consultation
        trail = history_text(templates(), events, timezone=row.timezone, language=self.lang)
        (self.out / "history.txt").write_text(trail, encoding="utf-8")
        (self.out / "status-boards.txt").write_text("\n".join(self.boards), encoding="utf-8")
        if digest is not None:
            self._write_digest(digest.payload, staff[0].name if staff else "ST")
        return Summary(consultation_id, row.outcome or "", row.current_version, emails, seconds)

    def _write_digest(self, payload: dict[str, Any], recipient: str) -> None:
        """One digest the scheduler sent the ST, in both languages (every one is in mail/)."""
        zone = ScheduleSettings().st_timezone
        for lang in Language:
            subject, text, page = render_digest(
                templates(), payload, language=lang, timezone=zone, recipient=recipient
            )
            text_file, page_file = (self.out / f"digest.{lang.value}.{x}" for x in ("txt", "html"))
            text_file.write_text(f"{subject}\n\n{text}", encoding="utf-8")
            page_file.write_text(page, encoding="utf-8")


def _settings(db: Database, mail: DevMailServer) -> Settings:
    """Every group given in full: the demo reads nothing from the environment or a .env file."""
    return Settings(
        _env_file=None,
        db=DbSettings(url=str(db.url)),
        smtp=SmtpSettings(host="127.0.0.1", port=mail.smtp_port, security="none", timeout=WAIT),
        imap=ImapSettings(
            host="127.0.0.1",
            port=mail.imap_port,
            username=mail.user,
            password=SecretStr(mail.password),
            security="none",
        ),
        # A secret of this run only: reply addresses are signed as in production.
        mail=MailSettings(secrets=[SecretStr(secrets.token_urlsafe(32))]),
        schedule=ScheduleSettings(),
        slack=None,
    )


def prepare(out: Path) -> None:
    """An empty folder, or one an earlier demo left (marked), emptied; never anything else."""
    if out.exists():
        if any(out.iterdir()) and not (out / MARKER).exists():
            raise DemoFailed(
                f"{out} is not empty and was not made by the demo: choose another --out folder"
            )
        shutil.rmtree(out)
    out.mkdir(parents=True)
    (out / MARKER).write_text("Made by `consulta demo`, which empties it on its next run.\n")


def first_cause(exc: BaseException) -> BaseException:
    """The piece that failed first, out of a task group's (the others were only stopped)."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def failure(exc: BaseException, out: Path) -> ConsultaError:
    """One sentence for the screen; the traceback goes to a file in the output folder."""
    exc = first_cause(exc)
    try:
        (out / ERRORS).write_text("".join(traceback.format_exception(exc)), encoding="utf-8")
        details = f" (details in {out / ERRORS})"
    except OSError:
        details = ""
    if isinstance(exc, ConsultaError):
        return DemoFailed(f"the demo stopped: {exc}{details}")
    return DemoFailed(f"the demo stopped: {type(exc).__name__}: {exc}{details}")


@click.command()
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("demo-output"),
    show_default=True,
    help="Folder for every email, the digest, the record and the database (emptied first).",
)
@click.pass_context
def demo(ctx: click.Context, out: Path) -> None:
    """Run a whole consultation end to end on embedded mail servers (nothing to configure).

    The Troika approves by email, the draft goes to the 11 members' focal points, who answer
    by email in Spanish and English (approvals, amendments inline and in Word, an objection, an
    out-of-office); a revision restarts the clock; the scheduler reminds, tallies at the
    deadline and sends the ST its digest; the PPT concludes. Time is moved on by the script.
    """
    lang = language(ctx)
    prepare(out)
    try:
        summary = run(Demo(out, lang).run())
    except Exception as exc:  # noqa: BLE001 — one sentence on the screen, the rest in a file
        raise failure(exc, out) from None
    outcome = _OUTCOMES[lang].get(summary.outcome, summary.outcome)
    files = f"{summary.consultation_id}.html/.md"
    if lang is Language.ES:
        click.echo(
            f"\nListo en {summary.seconds:.1f} s: {summary.consultation_id} concluida con "
            f"{outcome} sobre la versión {summary.version}. En {out}/: {summary.emails} correos "
            f"(mail/), el resumen de la ST (digest.es.txt/.html), el expediente ({files}), "
            "los tableros, el historial y la base de datos."
        )
    else:
        click.echo(
            f"\nDone in {summary.seconds:.1f} s: {summary.consultation_id} concluded with "
            f"{outcome} on version {summary.version}. In {out}/: {summary.emails} emails "
            f"(mail/), the ST's digest (digest.en.txt/.html), the record ({files}), the status "
            "boards, the audit trail and the database."
        )


_OUTCOMES = {
    Language.ES: {
        "consensus": "consenso",
        "consensus_with_amendments": "consenso con enmiendas",
        "blocked": "el consenso bloqueado",
    },
    Language.EN: {
        "consensus": "consensus",
        "consensus_with_amendments": "consensus with amendments",
        "blocked": "consensus blocked",
    },
}

COMMANDS = [demo]

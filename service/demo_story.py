"""The demo's consultation as it happens, step by step: the PPT's moves (the use cases the
command line calls), everyone else's emails, the clock moved on to each next morning. Each step
waits, with a time limit, for the running service to have done its part, never a fixed time."""

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, time, timedelta
from importlib.resources import files
from typing import Protocol, TypeVar
from zoneinfo import ZoneInfo

import arrow
from sqlmodel import select

from consultation import closing, distribution, drafting
from consultation.errors import ConsultaError
from consultation.moves import Move
from consultation.note_facts import describe_note
from consultation.roster import default_roster_text, load_roster
from consultation.roster_sync import import_roster
from consultation.scheduler import Done, Scheduler
from consultation.texts import Text, paragraphs_from_text
from consultation.timesource import ManualTime
from consultation.vocabulary import AmendmentStatus, Language
from mail.front import MailFront
from service import demo_script as script
from service.demo_mail import MailClient
from service.devmail import DevMailServer
from service.settings import ScheduleSettings
from store import queries
from store.database import Database
from store.tables import InboundMessageRow, OutboxRow

PPT = "ppt@cancilleria.do.example"
PPT_ZONE = ZoneInfo("America/Santo_Domingo")
WAIT = 20.0  # seconds for any one thing to happen; only a broken piece takes this long
POLL = 0.02  # seconds between two looks at the store
T = TypeVar("T")


class DemoFailed(ConsultaError):
    """Something in the demo did not happen as scripted: the message says what."""


class Narrator(Protocol):
    lang: Language

    def say(self, es: str, en: str) -> None: ...

    async def board(self, consultation_id: str) -> None: ...


class Story:
    """The consultation as it happens: each step waits for the service to have done its part."""

    def __init__(
        self,
        narrator: Narrator,
        *,
        db: Database,
        time: ManualTime,
        mail: DevMailServer,
        front: MailFront,
        scheduler: Scheduler,
    ) -> None:
        self.narrator, self.say = narrator, narrator.say
        self.db, self.time, self.front, self.scheduler = db, time, front, scheduler
        self.client = MailClient(mail, now=time.now)
        self.id = ""
        # The ST's digest with most to read: the morning after the first round's answers.
        self.digest_at: datetime | None = None

    async def tell(self) -> str:
        await self.open_and_ask_troika()
        await self.answers(script.TROIKA, version=1, troika=True)
        await self.distribute()
        await self.morning()
        self.at(10, 30)
        await self.answers(script.FIRST_ROUND, version=1)
        await self.narrator.board(self.id)
        await self.morning()
        self.digest_at = self.time.now()
        await self.revise()
        await self.morning()
        self.at(10, 30)
        await self.answers(script.SECOND_ROUND, version=2)
        await self.narrator.board(self.id)
        await self.until_tallied()
        await self.conclude()
        await self.narrator.board(self.id)
        return self.id

    def at(self, hour: int, minute: int = 0) -> None:
        """Today at this hour in the PPT's zone (Santo Domingo)."""
        today = self.time.now().astimezone(PPT_ZONE).date()
        self.time.set(datetime.combine(today, time(hour, minute), tzinfo=PPT_ZONE))

    async def open_and_ask_troika(self) -> None:
        async with self.db.transaction() as s:
            await import_roster(
                s, load_roster(default_roster_text()), actor="demo", at=self.time.now()
            )
            draft = drafting.Draft(
                "Flujos migratorios extracontinentales",
                "Extra-continental migration flows",
                Text(es=sample("es"), en=sample("en")),
            )
            row = await drafting.open_draft(s, draft, self.move())
            await drafting.submit_to_troika(s, row.id, self.move())
        self.id = row.id
        await self.sent_everything()
        self.say(
            f"{self._day()} · La PPT (República Dominicana) abre {row.id} «{row.title_es}» y "
            "lo somete a la Troika (México, República Dominicana, Panamá).",
            f"{self._day()} · The PPT (Dominican Republic) opens {row.id} “{row.title_en}” and "
            "puts it to the Troika (Mexico, Dominican Republic, Panama).",
        )

    async def distribute(self) -> None:
        self.at(12, 30)
        async with self.db.transaction() as s:
            version = await distribution.send(s, self.id, self.move())
        await self.sent_everything()
        self.say(
            f"{self._day()} · Con el consenso de la Troika, la versión 1 sale a los puntos "
            f"focales de los 11 países miembros; plazo: {self._deadline(version.deadline_at)}.",
            f"{self._day()} · With the Troika's consensus, version 1 goes to the focal points of "
            f"all 11 members; deadline: {self._deadline(version.deadline_at)}.",
        )

    async def revise(self) -> None:
        self.at(11)
        async with self.db.transaction() as s:
            amendments = await queries.amendments(s, self.id)
            taken = {a.id for a in amendments if a.status == AmendmentStatus.PROPOSED.value}
            es, en = sample("es"), sample("en")
            es[1], en[1] = script.GT_PARAGRAPH_2, script.GT_PARAGRAPH_2_EN
            es[2], en[2] = script.HN_PARAGRAPH_3, script.HN_PARAGRAPH_3_EN
            version = await distribution.revise(
                s,
                self.id,
                Text(es=es, en=en),
                self.move(),
                note=script.REVISION_NOTE,
                incorporated={i for i in taken if i is not None},
            )
        await self.sent_everything()
        self.say(
            f"{self._day()} · La PPT incorpora las enmiendas de Guatemala y Honduras: la versión 2 "
            f"sale a todos y el plazo vuelve a empezar ({self._deadline(version.deadline_at)}).",
            f"{self._day()} · The PPT takes up Guatemala's and Honduras's amendments: version 2 "
            f"goes to all and the clock restarts ({self._deadline(version.deadline_at)}).",
        )

    async def conclude(self) -> None:
        self.at(11)
        async with self.db.transaction() as s:
            await closing.conclude(s, self.id, self.move())
        await self.sent_everything()
        self.say(
            f"{self._day()} · La PPT concluye la consulta: el resultado va a los miembros y, "
            "para información, a los observadores.",
            f"{self._day()} · The PPT concludes: the results go to the members and, for "
            "information, to the observers.",
        )

    async def answers(
        self, emails: list[script.Email], *, version: int, troika: bool = False
    ) -> None:
        tag = f"[{self.id} v{version}]"
        for email in emails:
            self.time.advance(timedelta(minutes=40))
            words = (tag, "Recordatorio") if email in script.AFTER_REMINDER else (tag,)
            try:
                received = await self.client.received(email.writer.address, *words, timeout=WAIT)
            except TimeoutError:
                raise DemoFailed(
                    f"waited {WAIT:.0f} s for {email.writer.address} to receive {' '.join(words)}"
                ) from None
            message_id = await self.client.reply(received, email)
            row = await self.processed(message_id)
            self._check(email, row, troika=troika)
            await self.sent_everything()  # the receipt, before the clock moves on

    async def processed(self, message_id: str) -> InboundMessageRow:
        """The reply, once the running front has read it (stored, matched, recorded)."""

        async def done() -> InboundMessageRow | None:
            async with self.db.session() as s:
                query = select(InboundMessageRow).where(
                    InboundMessageRow.message_id == message_id,
                    InboundMessageRow.status != "stored",
                )
                return (await s.exec(query)).first()

        return await _waited(done, f"the service to read the reply {message_id}")

    def _check(self, email: script.Email, row: InboundMessageRow, *, troika: bool) -> None:
        reading = row.reading or {}
        read = "auto_reply" if row.status == "auto_reply" else reading.get("position")
        if row.status not in ("recorded", "auto_reply") or read != email.expected:
            raise DemoFailed(
                f"the email of {email.writer.address} was read as {row.status} "
                f"({row.reason or read}), not as {email.expected} as scripted"
            )
        amendments = len(reading.get("amendments", []))
        who = f"{'Troika ' if troika else ''}{email.country}"
        self.say(
            f"  ✉ {who:<9} {_READ_ES[email.expected]}"
            + (f" ({amendments} enmienda{'s' if amendments > 1 else ''})" if amendments else "")
            + f" — {email.writer.name}, {_CLIENT[email.writer.client]}",
            f"  ✉ {who:<9} {_READ_EN[email.expected]}"
            + (f" ({amendments} amendment{'s' if amendments > 1 else ''})" if amendments else "")
            + f" — {email.writer.name}, {_CLIENT[email.writer.client]}",
        )
        note = reading.get("note_verbale")
        if note:  # the note's number and date, kept beside the answer
            self.say(
                f"    {describe_note(note, Language.ES)}",
                f"    {describe_note(note, Language.EN)}",
            )

    async def morning(self) -> list[Done]:
        """The next day at 08:05 in the ST's zone: the scheduler's tick (digest, reminder,
        deadline), then the email front sends what it queued."""
        st = ZoneInfo(ScheduleSettings().st_timezone)
        day = self.time.now().astimezone(st).date() + timedelta(days=1)
        self.time.set(datetime.combine(day, time(8, 5), tzinfo=st))
        done = await self.scheduler.tick()
        await self.sent_everything()
        for report in done:
            if report.outcome not in ("done", "sent"):
                continue  # a reminder or deadline of version 1, made obsolete by the revision
            self.say(f"{self._day()} · {_done_es(report)}", f"{self._day()} · {_done_en(report)}")
        return done

    async def until_tallied(self) -> None:
        """Morning after morning until the deadline job has tallied; El Salvador answers once
        reminded."""
        for _ in range(30):  # five business days and their weekends, holidays, with room
            done = await self.morning()
            if any(d.kind == "reminder" and d.outcome == "done" for d in done):
                self.at(11)
                await self.answers(script.AFTER_REMINDER, version=2)
            if any(d.kind == "deadline" and d.outcome == "done" for d in done):
                return
        raise DemoFailed("the deadline never came: the scheduler did not tally the consultation")

    async def sent_everything(self) -> None:
        """Wake the email front and wait until it has sent every email queued so far: each
        email leaves at the moment of the move that queued it, and the folder reads in order."""
        self.front.wake()

        async def empty() -> bool | None:
            async with self.db.session() as s:
                query = select(OutboxRow.id).where(
                    OutboxRow.channel == "email", OutboxRow.status == "pending"
                )
                return (await s.exec(query)).first() is None or None

        await _waited(empty, "the email front to send every queued email")

    def move(self) -> Move:
        return Move(actor=PPT, at=self.time.now())

    def _day(self) -> str:
        local = self.time.now().astimezone(PPT_ZONE)
        spanish = self.narrator.lang is Language.ES
        return arrow.get(local).format("ddd D MMM HH:mm", locale="es" if spanish else "en")

    def _deadline(self, instant: datetime | None) -> str:
        spanish = self.narrator.lang is Language.ES
        assert instant is not None
        return arrow.get(instant.astimezone(PPT_ZONE)).format(
            "dddd D MMMM", locale="es" if spanish else "en"
        )


_READ_ES = {
    "approve": "aprueba",
    "amend": "propone enmiendas",
    "object": "OBJETA",
    "auto_reply": "respuesta automática (fuera de la oficina): anotada, no cuenta",
}
_READ_EN = {
    "approve": "approves",
    "amend": "proposes amendments",
    "object": "OBJECTS",
    "auto_reply": "automatic reply (out of office): noted, not counted",
}
_CLIENT = {"outlook": "Outlook", "gmail": "Gmail", "apple": "Apple Mail", "autoreply": "Exchange"}


def _done_es(done: Done) -> str:
    if done.kind == "digest":
        return "el planificador envía el resumen diario a la Secretaría Técnica"
    if done.kind == "reminder":
        return f"recordatorio automático a: {done.detail}"
    return f"vence el plazo: el planificador hace el recuento → {done.detail}"


def _done_en(done: Done) -> str:
    if done.kind == "digest":
        return "the scheduler sends the Technical Secretariat its daily digest"
    if done.kind == "reminder":
        return f"automatic reminder to: {done.detail}"
    return f"the deadline passes: the scheduler tallies → {done.detail}"


async def _waited(check: Callable[[], Awaitable[T | None]], what: str) -> T:
    try:
        async with asyncio.timeout(WAIT):
            while (found := await check()) is None:
                await asyncio.sleep(POLL)
    except TimeoutError:
        raise DemoFailed(f"waited {WAIT:.0f} s for {what}, in vain") from None
    return found


def sample(lang: str) -> list[str]:
    """The draft's paragraphs in one language (the texts shipped with the demo)."""
    text = files("service").joinpath(f"demo_draft.{lang}.md").read_text(encoding="utf-8")
    return paragraphs_from_text(text)

"""The scheduler: one tick that plans what is due from the database and does each thing once.

Design. Nothing lives in memory between ticks. Every tick has two steps:

1. **Plan** (one transaction): from the consultations being consulted, upsert a ``scheduled_job``
   row per thing that will be due: ``deadline:{id}:v{n}:{deadline}`` (due one second after
   the deadline), ``reminder:{id}:v{n}`` (due at ``reminder_hour`` in the PPT's zone,
   ``reminder_lead_days`` business days before the deadline; an undone reminder follows an
   extension) and, on business days of the ST's calendar, ``digest:{date}`` (due at
   ``digest_hour`` in the ST's zone). Keys are unique and the insert is ``ON CONFLICT DO
   NOTHING``, so planning is idempotent and safe from two instances at once.
2. **Do** (one transaction per job): claim the earliest undone job due by now with ``SELECT … FOR
   UPDATE SKIP LOCKED``, check it still applies, do it, and set ``done_at`` in the same
   transaction, so a job is done and recorded together or not at all. A second instance on the
   same PostgreSQL skips the locked row and, once the first commits, sees it done. On SQLite
   transactions start with BEGIN IMMEDIATE and serialise: run a single instance there.

A job whose facts changed is closed as ``obsolete`` rather than done: a deadline that an extension
moved (its key names the old instant), a version that was revised, a consultation concluded early
or withdrawn. A service that was down catches up on its first tick: a passed deadline is tallied
once; a reminder whose deadline has already passed is ``skipped`` (too late to help); a digest of
an earlier day is ``skipped`` (today's says everything). A job that raises is rolled back, its error
kept on the row and retried later; after ``max_attempts`` it is given up with an event for people.
The use cases' own dedupe keys on the outbox are a second guard: nothing is ever said twice.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from consultation import clock, closing, digest, journal, reminders
from consultation.moves import Move, current_version
from consultation.timesource import TimeSource
from consultation.vocabulary import Role, State
from store import jobs, queries
from store.database import Database, unavailable
from store.tables import ConsultationRow, ScheduledJobRow, VersionRow

ACTOR = "consulta:scheduler"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScheduleConfig:
    reminder_lead_days: int = 1  # business days before the deadline
    reminder_hour: int = 9  # in the PPT's timezone
    digest_hour: int = 8  # in the ST's timezone
    st_calendar: str = "CR"  # the ST's business days (Costa Rica)
    st_timezone: str = "America/Costa_Rica"
    extension_days: int = reminders.SUGGESTED_EXTENSION_DAYS
    max_attempts: int = 5
    retry_after: timedelta = timedelta(minutes=5)
    console: str | None = None  # the web console's public address: the digest links there


@dataclass(frozen=True)
class Done:
    key: str
    kind: str
    outcome: str  # done | sent | obsolete | skipped | failed | gave_up
    detail: str = ""  # for people: the tally's outcome, who was reminded, an error


class Scheduler:
    def __init__(
        self,
        db: Database,
        time: TimeSource,
        config: ScheduleConfig | None = None,
        *,
        name: str = "consulta",
    ) -> None:
        self.db, self.time, self.name = db, time, name
        self.config = config or ScheduleConfig()

    async def tick(self) -> list[Done]:
        """Plan, then do every job due by now; returns what was done, in order."""
        now = self.time.now()
        async with self.db.transaction() as session:
            await plan(session, now, self.config)
        done: list[Done] = []
        while (report := await self._one(now)) is not None:
            log.info(
                "scheduled job %s",
                report.outcome,
                extra={"job": report.key, "detail": report.detail, "scheduler": self.name},
            )
            done.append(report)
        return done

    async def run(
        self,
        stop: asyncio.Event,
        *,
        interval: float = 30.0,
        sleep: Callable[[float], Awaitable[None]] | None = None,
    ) -> None:
        """Tick until ``stop`` is set; ``sleep`` is injected by tests (default: wait on stop).

        A database that cannot be reached skips a tick, not the loop: what was due stays due
        in the database and the next tick does it.
        """
        wait = sleep or _waiter(stop)
        while not stop.is_set():
            try:
                await self.tick()
            except Exception as exc:
                if not unavailable(exc):
                    raise
                log.warning("scheduler %s: tick skipped, database unavailable: %s", self.name, exc)
            await wait(interval)

    async def _one(self, now: datetime) -> Done | None:
        job_id, key, kind = None, "", ""
        try:
            async with self.db.transaction() as session:
                job = await jobs.claim_due(session, now)
                if job is None:
                    return None
                job_id, key, kind = job.id, job.key, job.kind
                outcome, detail = await self._do(session, job, now)
                job.done_at, job.done_by, job.outcome = now, self.name, outcome
                job.attempts += 1
                session.add(job)
                return Done(key, kind, outcome, detail)
        except Exception as exc:  # noqa: BLE001 — shunted to the row, retried; the loop goes on
            if job_id is None or unavailable(exc):
                raise  # an outage is no fault of the job: the tick is skipped
            log.exception("scheduler %s: job %s failed", self.name, key)
            outcome = await self._failed(job_id, exc, now)
            return Done(key, kind, outcome, f"{type(exc).__name__}: {exc}")

    async def _do(
        self, session: AsyncSession, job: ScheduledJobRow, now: datetime
    ) -> tuple[str, str]:
        move = Move(actor=ACTOR, at=now)
        if job.kind == "digest":
            return await self._digest(session, job, now)
        # Locked before anything is read: a move committed meanwhile (an extension, an early
        # conclusion) is seen here, not after the use case locks an already-loaded row.
        row = await queries.consultation(session, job.consultation_id or "", for_update=True)
        if row is None or row.state != State.CONSULTING.value or row.current_version != job.version:
            return "obsolete", row.state if row else "gone"
        version = await current_version(session, row)
        if job.kind == "deadline":
            if job.key != deadline_key(row, version):
                return "obsolete", "the deadline moved"
            view = await closing.tally_at_deadline(session, row.id, move)
            return "done", view.result.outcome.value
        assert version.deadline_at is not None
        if now > version.deadline_at:
            return "skipped", "the deadline has passed"
        reminded = await reminders.remind(
            session, row.id, move, automatic=True, extension_days=self.config.extension_days
        )
        return "done", ", ".join(reminded.countries) or "nobody pending"

    async def _digest(
        self, session: AsyncSession, job: ScheduledJobRow, now: datetime
    ) -> tuple[str, str]:
        if job.key != digest_key(st_today(now, self.config)):
            return "skipped", "a later day's digest replaces it"
        since = await last_digest_at(session, now)
        content = await digest.gather(session, now=now, since=since, console=self.config.console)
        await journal.queue_emails(
            session,
            kind="digest",
            contacts=await queries.contacts_with_role(session, Role.ST.value),
            consultation_id=None,
            at=now,
            key=job.key,
            payload=content,
        )
        return "sent", "nothing to report" if digest.is_empty(content) else ""

    async def _failed(self, job_id: int, exc: Exception, now: datetime) -> str:
        async with self.db.transaction() as session:
            job = await session.get(ScheduledJobRow, job_id)
            assert job is not None
            job.attempts += 1
            job.last_error = f"{type(exc).__name__}: {exc}"[:500]
            if job.attempts >= self.config.max_attempts:
                job.done_at, job.done_by, job.outcome = now, self.name, "gave_up"
                await journal.record_event(
                    session,
                    consultation_id=job.consultation_id,
                    kind="job_failed",
                    actor=ACTOR,
                    at=now,
                    payload={"job": job.key, "error": job.last_error},
                )
            else:
                job.due_at = now + self.config.retry_after * job.attempts
            session.add(job)
            return job.outcome or "failed"


async def plan(session: AsyncSession, now: datetime, config: ScheduleConfig) -> None:
    """Make sure every job that follows from the current state exists."""
    for row in await queries.consultations(session, states=[State.CONSULTING.value]):
        version = await current_version(session, row)
        if version.deadline_at is None:
            continue
        await jobs.plan(
            session,
            key=deadline_key(row, version),
            kind="deadline",
            due_at=version.deadline_at + timedelta(seconds=1),
            at=now,
            consultation_id=row.id,
            version=version.number,
        )
        due = reminder_due(row, version.deadline_at, config)
        if version.distributed_at is not None and due > version.distributed_at:
            await jobs.plan(
                session,
                key=f"reminder:{row.id}:v{version.number}",
                kind="reminder",
                due_at=due,
                at=now,
                consultation_id=row.id,
                version=version.number,
                move_if_pending=True,
            )
    today = st_today(now, config)
    if clock.is_business_day(today, config.st_calendar):
        zone = ZoneInfo(config.st_timezone)
        due = datetime.combine(today, time(config.digest_hour), tzinfo=zone)
        await jobs.plan(session, key=digest_key(today), kind="digest", due_at=due, at=now)


def deadline_key(row: ConsultationRow, version: VersionRow) -> str:
    assert version.deadline_at is not None
    return f"deadline:{row.id}:v{version.number}:{version.deadline_at.isoformat()}"


def digest_key(day: date) -> str:
    return f"digest:{day.isoformat()}"


def st_today(now: datetime, config: ScheduleConfig) -> date:
    return now.astimezone(ZoneInfo(config.st_timezone)).date()


def reminder_due(row: ConsultationRow, deadline: datetime, config: ScheduleConfig) -> datetime:
    """``reminder_hour`` in the PPT's zone, ``reminder_lead_days`` business days before."""
    day = deadline.astimezone(ZoneInfo(row.timezone)).date()
    for _ in range(config.reminder_lead_days):
        day = clock.previous_business_day(day, row.calendar)
    return datetime.combine(day, time(config.reminder_hour), tzinfo=ZoneInfo(row.timezone))


async def last_digest_at(session: AsyncSession, now: datetime) -> datetime:
    """News in a digest starts where the last one sent stopped (a day back for the first)."""
    last = await jobs.last_done(session, kind="digest", outcome="sent")
    return last.done_at if last and last.done_at else now - timedelta(days=1)


def _waiter(stop: asyncio.Event) -> Callable[[float], Awaitable[None]]:
    async def wait(seconds: float) -> None:
        try:
            await asyncio.wait_for(stop.wait(), seconds)
        except TimeoutError:
            pass

    return wait

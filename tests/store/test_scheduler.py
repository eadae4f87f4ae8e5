"""The scheduler walks consultations through weeks on a hand-moved clock: each thing once."""

import asyncio
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlmodel import col, select

from consultation import closing, distribution, reminders
from consultation.clock import is_business_day
from consultation.scheduler import Done, ScheduleConfig, Scheduler
from consultation.timesource import ManualTime
from consultation.vocabulary import PositionValue, State
from store import queries
from store.database import Database
from store.tables import EventRow, OutboxRow, ScheduledJobRow
from tests.factories import MEMBERS, answer, make_consultation, move, seed_roster

# Consultations sent Monday 7 December 2026 10:00 in Santo Domingo end on Monday 14 December,
# 23:59:59 there (04:00 UTC on the 15th); the reminder is due Friday 11 December, 09:00 there.
DEADLINE = datetime(2026, 12, 15, 3, 59, 59, tzinfo=UTC)
REMINDER = datetime(2026, 12, 11, 13, 0, tzinfo=UTC)


async def walk(
    schedulers: list[Scheduler], time: ManualTime, until: datetime, step: timedelta
) -> list[Done]:
    """Tick every scheduler (at once) at every step up to ``until``."""
    done: list[Done] = []
    while time.now() < until:
        time.advance(step)
        for found in await asyncio.gather(*(s.tick() for s in schedulers)):
            done += found
    return done


async def outbox(db: Database, kind: str) -> list[OutboxRow]:
    async with db.session() as session:
        query = select(OutboxRow).where(OutboxRow.kind == kind).order_by(col(OutboxRow.id))
        return list((await session.exec(query)).all())


async def events(db: Database, kind: str) -> list[EventRow]:
    async with db.session() as session:
        query = select(EventRow).where(EventRow.kind == kind).order_by(col(EventRow.id))
        return list((await session.exec(query)).all())


async def all_jobs(db: Database) -> list[ScheduledJobRow]:
    async with db.session() as session:
        query = select(ScheduledJobRow).order_by(col(ScheduledJobRow.id))
        return list((await session.exec(query)).all())


async def test_a_consultation_walked_to_its_deadline(db: Database, time: ManualTime) -> None:
    made = await make_consultation(db, time)
    await answer(db, time, made.id, "GT", PositionValue.APPROVE)
    await answer(db, time, made.id, "HN", None, extension=True)
    scheduler = Scheduler(db, time)
    done = await walk([scheduler], time, DEADLINE + timedelta(days=3), timedelta(hours=1))

    kinds = Counter((d.kind, d.outcome) for d in done)
    assert kinds[("deadline", "done")] == 1
    assert kinds[("reminder", "done")] == 1
    assert [e.payload["countries"] for e in await events(db, "reminded")] == [
        [c for c in MEMBERS if c != "GT"]
    ]
    reminded = {r.payload["country"] for r in await outbox(db, "reminder")}
    assert reminded == set(MEMBERS) - {"GT"}
    assert all(r.created_at == REMINDER for r in await outbox(db, "reminder"))
    report = await outbox(db, "reminder_report")
    assert [r.payload["extension_requested_by"] for r in report] == [["HN"]]
    tallied = await events(db, "tallied")
    assert [e.at for e in tallied] == [datetime(2026, 12, 15, 4, 0, tzinfo=UTC)]  # first tick after
    assert tallied[0].payload["silent"] == [c for c in MEMBERS if c != "GT"]
    assert len(await outbox(db, "tally")) == 1
    async with db.session() as session:
        row = await queries.consultation(session, made.id)
    assert row is not None and row.state == State.TALLIED.value


async def test_a_deadline_passed_while_stopped_is_handled_once_on_restart(
    db: Database, time: ManualTime
) -> None:
    made = await make_consultation(db, time)
    await Scheduler(db, time).tick()  # then the service stops for the whole week
    time.set(DEADLINE + timedelta(days=4, hours=5))
    first = await Scheduler(db, time, name="restarted").tick()
    again = await Scheduler(db, time, name="restarted").tick()

    assert ("deadline", "done") in [(d.kind, d.outcome) for d in first]
    # The reminder's moment went by while stopped: too late to help, so it is not sent.
    assert ("reminder", "skipped") in [(d.kind, d.outcome) for d in first]
    assert again == []
    assert len(await events(db, "tallied")) == 1
    assert await outbox(db, "reminder") == []
    assert {j.key: j.done_by for j in await all_jobs(db) if j.kind == "deadline"} == {
        f"deadline:{made.id}:v1:{DEADLINE.isoformat()}": "restarted"
    }


async def test_an_extension_moves_the_deadline_and_the_reminder(
    db: Database, time: ManualTime
) -> None:
    made = await make_consultation(db, time)
    scheduler = Scheduler(db, time)
    await scheduler.tick()
    time.advance(timedelta(days=1))
    async with db.transaction() as session:
        version = await distribution.extend(session, made.id, 2, move(time))
    assert version.deadline_at == DEADLINE + timedelta(days=2)
    done = await walk([scheduler], time, DEADLINE + timedelta(days=4), timedelta(hours=2))

    outcomes = Counter((d.kind, d.outcome) for d in done)
    assert outcomes[("deadline", "obsolete")] == 1  # the first deadline, moved
    assert outcomes[("deadline", "done")] == 1
    assert outcomes[("reminder", "done")] == 1
    reminder_jobs = [j.due_at for j in await all_jobs(db) if j.kind == "reminder"]
    assert reminder_jobs == [REMINDER + timedelta(days=4)]  # Tuesday 15th, not Friday 11th
    assert {r.created_at for r in await outbox(db, "reminder")} == {
        datetime(2026, 12, 15, 14, 0, tzinfo=UTC)  # the first tick after it
    }
    tallied = await events(db, "tallied")
    assert [e.at > DEADLINE + timedelta(days=2) for e in tallied] == [True]


async def test_no_deadline_job_runs_for_a_consultation_concluded_early(
    db: Database, time: ManualTime
) -> None:
    made = await make_consultation(db, time)
    for country in MEMBERS:
        await answer(db, time, made.id, country, PositionValue.APPROVE)
    scheduler = Scheduler(db, time)
    await scheduler.tick()
    async with db.transaction() as session:
        await closing.conclude(session, made.id, move(time))
    done = await walk([scheduler], time, DEADLINE + timedelta(days=1), timedelta(hours=6))
    assert {(d.kind, d.outcome) for d in done if d.kind != "digest"} == {
        ("deadline", "obsolete"),
        ("reminder", "obsolete"),
    }
    assert await events(db, "tallied") == []


def st_business_days(first: date, last: date) -> list[date]:
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    return [d for d in days if is_business_day(d, "CR")]


async def test_one_digest_per_business_day_of_the_st(db: Database, time: ManualTime) -> None:
    await seed_roster(db, time.now())
    time.set(datetime(2026, 12, 19, 12, 0, tzinfo=UTC))  # Saturday, 06:00 in Costa Rica
    scheduler = Scheduler(db, time)
    await walk([scheduler], time, datetime(2027, 1, 5, 0, 0, tzinfo=UTC), timedelta(hours=3))

    sent = [j.key.removeprefix("digest:") for j in await all_jobs(db) if j.outcome == "sent"]
    assert len(await outbox(db, "digest")) == len(sent)  # one ST contact in the roster
    expected = st_business_days(date(2026, 12, 19), date(2027, 1, 4))
    assert sent == [d.isoformat() for d in expected]
    # Christmas Day and New Year's Day are Costa Rican holidays; weekends never have one.
    assert "2026-12-25" not in sent and "2027-01-01" not in sent
    assert all(date.fromisoformat(d).weekday() < 5 for d in sent)
    digest_time = {r.created_at.astimezone(UTC).hour for r in await outbox(db, "digest")}
    assert digest_time == {15}  # the first tick after 08:00 in Costa Rica (14:00 UTC)


async def test_a_digest_missed_on_its_day_is_not_sent_the_next(
    db: Database, time: ManualTime
) -> None:
    await seed_roster(db, time.now())
    time.set(datetime(2026, 12, 8, 13, 0, tzinfo=UTC))  # Tuesday, 07:00 in Costa Rica
    scheduler = Scheduler(db, time)
    await scheduler.tick()  # plans Tuesday's digest, not due yet; then the service stops
    time.set(datetime(2026, 12, 9, 20, 0, tzinfo=UTC))  # Wednesday afternoon
    done = await scheduler.tick()
    assert [(d.key, d.outcome) for d in done] == [
        ("digest:2026-12-08", "skipped"),
        ("digest:2026-12-09", "sent"),
    ]
    assert await scheduler.tick() == []


async def test_the_ppt_reminds_on_demand(db: Database, time: ManualTime) -> None:
    made = await make_consultation(db, time)
    for country in MEMBERS[:9]:
        await answer(db, time, made.id, country, PositionValue.APPROVE)
    time.advance(timedelta(hours=2))
    asked = move(time)
    for _ in range(2):  # a retried request says nothing twice
        async with db.transaction() as session:
            done = await reminders.remind(session, made.id, asked)
    assert done.countries == MEMBERS[9:]
    assert len(await outbox(db, "reminder")) == 4  # two focal points each
    time.advance(timedelta(hours=2))
    async with db.transaction() as session:
        await reminders.remind(session, made.id, move(time))
    assert len(await outbox(db, "reminder")) == 8
    assert len(await events(db, "reminded")) == 3


async def test_a_failing_job_is_retried_then_given_up(
    db: Database, time: ManualTime, monkeypatch: pytest.MonkeyPatch
) -> None:
    await make_consultation(db, time)

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("consultation.closing.tally_at_deadline", broken)
    config = ScheduleConfig(max_attempts=2, retry_after=timedelta(minutes=30))
    scheduler = Scheduler(db, time, config)
    time.set(DEADLINE + timedelta(minutes=5))
    assert ("deadline", "failed") in [(d.kind, d.outcome) for d in await scheduler.tick()]
    assert not [d for d in await scheduler.tick() if d.kind == "deadline"]  # waits its turn
    time.advance(timedelta(minutes=31))
    assert [(d.kind, d.outcome) for d in await scheduler.tick()] == [("deadline", "gave_up")]
    failed = await events(db, "job_failed")
    assert len(failed) == 1 and "boom" in failed[0].payload["error"]


async def test_the_run_loop_ticks_until_stopped(db: Database, time: ManualTime) -> None:
    made = await make_consultation(db, time)
    stop, ticks = asyncio.Event(), []

    async def sleep(seconds: float) -> None:
        ticks.append(seconds)
        time.advance(timedelta(hours=12))
        if len(ticks) == 20:
            stop.set()

    await Scheduler(db, time).run(stop, interval=60, sleep=sleep)
    assert len(ticks) == 20
    async with db.session() as session:
        row = await queries.consultation(session, made.id)
    assert row is not None and row.state == State.TALLIED.value


async def _search_path(db: Database) -> str:
    async with db.engine.connect() as connection:
        return str((await connection.execute(text("SHOW search_path"))).scalar_one())


async def test_two_instances_on_postgresql_do_everything_once(
    db: Database, time: ManualTime
) -> None:
    if db.is_sqlite:
        pytest.skip("SQLite runs a single instance")
    made = [await make_consultation(db, time, seed=n == 0) for n in range(3)]
    await answer(db, time, made[0].id, "GT", PositionValue.OBJECT)
    other = Database(
        db.url.render_as_string(hide_password=False),
        server_settings={"search_path": await _search_path(db)},
    )
    try:
        schedulers = [Scheduler(db, time, name="one"), Scheduler(other, time, name="two")]
        done = await walk(schedulers, time, DEADLINE + timedelta(days=2), timedelta(hours=1))
    finally:
        await other.dispose()

    keys = Counter(d.key for d in done)
    assert keys and max(keys.values()) == 1, "a job was done by both instances"
    assert {d.outcome for d in done} <= {"done", "sent"}
    assert len(await events(db, "tallied")) == 3
    assert len(await events(db, "reminded")) == 3
    digests = [j.key for j in await all_jobs(db) if j.kind == "digest" and j.outcome == "sent"]
    assert len(await outbox(db, "digest")) == len(digests) == 8  # Monday 7th to Wednesday 16th
    jobs = await all_jobs(db)
    assert all(j.done_at is not None and j.attempts == 1 for j in jobs)
    assert {j.done_by for j in jobs} == {"one", "two"}  # both took part


async def test_the_run_loop_outlives_a_database_outage(
    db: Database, time: ManualTime, monkeypatch: pytest.MonkeyPatch
) -> None:
    await make_consultation(db, time)
    scheduler, stop, calls = Scheduler(db, time), asyncio.Event(), []
    real_tick = scheduler.tick

    async def flaky_tick() -> list[Done]:
        calls.append(time.now())
        if len(calls) == 1:
            raise OperationalError("SELECT 1", {}, Exception("connection refused"))
        return await real_tick()

    async def sleep(seconds: float) -> None:
        time.advance(timedelta(days=5))
        if len(calls) == 3:
            stop.set()

    monkeypatch.setattr(scheduler, "tick", flaky_tick)
    await scheduler.run(stop, interval=60, sleep=sleep)
    assert len(calls) == 3
    assert len(await events(db, "tallied")) == 1

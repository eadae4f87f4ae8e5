"""Shared fixtures: a migrated database on each backend, a clock that moves by hand, and real
mail servers (aiosmtpd, Dovecot) on free loopback ports."""

import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from consultation.timesource import ManualTime
from store.database import Database
from tests.databases import BACKENDS, postgres_database, postgres_url, sqlite_database
from tests.servers.dovecot import Dovecot, running_dovecot
from tests.servers.smtpd import SmtpServer, running_smtpd

# Monday 7 December 2026, 10:00 in Santo Domingo (the PPT's zone in the default roster).
START = datetime(2026, 12, 7, 14, 0, tzinfo=UTC)


@pytest.fixture(params=BACKENDS)
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """The same tests run on SQLite and PostgreSQL (TEST_DATABASE_URL); never duplicated."""
    if request.param == "sqlite":
        async with sqlite_database(tmp_path) as database:
            yield database
        return
    url = postgres_url()
    if url is None:
        if os.environ.get("CI"):
            pytest.fail("CI must set TEST_DATABASE_URL: the store is tested on PostgreSQL too")
        pytest.skip("TEST_DATABASE_URL is not set")
    async with postgres_database(url) as database:
        yield database


@pytest.fixture
def time() -> ManualTime:
    return ManualTime(START)


@pytest.fixture
async def smtpd() -> AsyncIterator[SmtpServer]:
    async with running_smtpd() as server:
        yield server


@pytest.fixture
async def dovecot() -> AsyncIterator[Dovecot]:
    async with running_dovecot() as server:
        yield server

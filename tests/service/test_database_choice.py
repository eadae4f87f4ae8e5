"""Which database a command uses: one that reads or acts on records never invents an empty
one (a `status` run outside the project folder), one that starts records may, and says where."""

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from consultation.timesource import ManualTime
from service.cli import cli
from service.context import AppContext, sqlite_file
from service.settings import DbSettings, Settings
from tests.conftest import START
from tests.servers.ports import free_port
from tests.servers.smtpd import SmtpServer

CONSULTA = Path(sys.executable).with_name("consulta")
RELATIVE = "sqlite+aiosqlite:///var/consulta.db"  # the default setting


def invoke(url: str, *args: str) -> Result:
    context = AppContext(settings=Settings(db=DbSettings(url=url)), time=ManualTime(START))
    return CliRunner().invoke(cli, list(args), obj=context)


@pytest.mark.parametrize(
    "command",
    [
        ["status"],
        ["status", "CRM-2026-001"],
        ["history", "CRM-2026-001"],
        ["export", "CRM-2026-001", "-o", "-"],
        ["send", "CRM-2026-001"],
        ["tick"],
    ],
)
def test_a_command_on_existing_records_refuses_to_invent_a_database(
    command: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # "outside the project folder"
    result = invoke(RELATIVE, *command)
    assert result.exit_code != 0
    where = tmp_path / "var" / "consulta.db"
    assert f"there is no database at {where}" in str(result.exception)
    assert "CONSULTA_DB__URL" in str(result.exception)
    assert list(tmp_path.iterdir()) == []  # no file, not even the folder


def test_the_refusal_speaks_spanish(tmp_path: Path) -> None:
    result = invoke(f"sqlite+aiosqlite:///{tmp_path / 'c.db'}", "--lang", "es", "status")
    assert f"no hay base de datos en {tmp_path / 'c.db'}" in str(result.exception)
    assert "no crea una vacía" in str(result.exception)


@pytest.mark.parametrize("command", [["roster", "import"], ["db", "upgrade"]])
def test_a_command_that_starts_records_creates_it_and_says_where(
    command: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    first = invoke(RELATIVE, *command)
    assert first.exit_code == 0, first.output
    where = tmp_path / "var" / "consulta.db"
    assert where.exists()
    assert f"database: {where}\n" in first.stderr and str(where) not in first.stdout
    again = invoke(RELATIVE, *command)
    assert again.exit_code == 0 and "database:" not in again.stderr  # said once, on creation
    assert invoke(RELATIVE, "status").exit_code == 0  # now there is one to read


def test_the_default_database_is_refused_by_the_installed_command_outside_the_project(
    tmp_path: Path,
) -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CONSULTA_")}
    result = subprocess.run(
        [str(CONSULTA), "status"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=environment,
        timeout=60,
    )
    assert result.returncode == 1 and result.stdout == ""
    assert f"error: there is no database at {tmp_path / 'var' / 'consulta.db'}" in result.stderr
    assert list(tmp_path.iterdir()) == []


async def test_serve_says_where_it_created_the_database_in_its_json_log(
    tmp_path: Path, smtpd: SmtpServer
) -> None:
    keep = {k: v for k, v in os.environ.items() if not k.startswith("CONSULTA_")}
    env = keep | {
        "CONSULTA_DB__URL": RELATIVE,
        "CONSULTA_HTTP__PORT": str(free_port()),
        "CONSULTA_SMTP__HOST": smtpd.host,
        "CONSULTA_SMTP__PORT": str(smtpd.port),
        "CONSULTA_SMTP__SECURITY": "none",
        "CONSULTA_MAIL__SECRETS": '["a-test-secret-long-enough-to-sign-tokens"]',
    }
    process = await asyncio.create_subprocess_exec(
        str(CONSULTA), "serve", env=env, cwd=tmp_path, stderr=asyncio.subprocess.PIPE
    )
    assert process.stderr is not None
    seen: list[dict[str, str]] = []
    try:
        async with asyncio.timeout(60):  # generous: a loaded machine starts slowly
            while not any(line["message"] == "consulta serving" for line in seen):
                seen.append(json.loads(await process.stderr.readline()))
    finally:
        process.send_signal(signal.SIGTERM)
        rest = (await asyncio.wait_for(process.communicate(), 60))[1]
    lines = seen + [json.loads(line) for line in rest.decode().splitlines()]  # every line JSON
    [created] = [line for line in lines if line["message"] == "database created"]
    assert created["path"] == str(tmp_path / "var" / "consulta.db")


def test_only_a_sqlite_file_is_a_path() -> None:
    assert sqlite_file("postgresql+asyncpg://postgres@127.0.0.1/test") is None
    assert sqlite_file("sqlite+aiosqlite:///:memory:") is None
    assert sqlite_file("sqlite+aiosqlite:////srv/consulta/c.db") == Path("/srv/consulta/c.db")

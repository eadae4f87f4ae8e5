"""The command line as the PPT and the ST use it, on a SQLite file and an injected clock."""

import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from consultation.timesource import ManualTime
from consultation.vocabulary import Language
from service.cli import cli, error_lines
from service.context import AppContext
from service.settings import DbSettings, Settings
from tests.conftest import START
from tests.factories import TEXT_EN, TEXT_ES

CONSULTA = Path(sys.executable).with_name("consulta")


class Operator:
    """Runs commands against one database with a clock the test moves."""

    def __init__(self, tmp_path: Path) -> None:
        self.time = ManualTime(START)
        url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
        self.context = AppContext(settings=Settings(db=DbSettings(url=url)), time=self.time)
        self.tmp = tmp_path

    def __call__(self, *args: str) -> Result:
        result = CliRunner().invoke(cli, list(args), obj=self.context, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result

    def file(self, name: str, paragraphs: list[str]) -> str:
        path = self.tmp / name
        path.write_text("\n\n".join(paragraphs) + "\n", encoding="utf-8")
        return str(path)


@pytest.fixture
def op(tmp_path: Path) -> Operator:
    return Operator(tmp_path)


def test_a_consultation_from_draft_to_results(op: Operator) -> None:
    op("roster", "import")
    es, en = op.file("es.md", TEXT_ES), op.file("en.md", TEXT_EN)
    assert (
        "CRM-2026-001 opened"
        in op("new", "--title", "Flujos", "--text", es, "--text-en", en).output
    )
    op("troika", "CRM-2026-001")
    for country in ("MX", "DO"):
        op("troika-answer", "CRM-2026-001", "--country", country, "--approve")
    last = op("troika-answer", "crm-2026-001", "--country", "pa", "--approve").output
    assert "consulta send" in last
    assert "2026-12-14T23:59:59-04:00" in op("send", "CRM-2026-001").output
    op(
        "record",
        "CRM-2026-001",
        "--country",
        "GT",
        "--position",
        "amend",
        "--replace",
        "2",
        "Nuevo.",
    )
    op("record", "CRM-2026-001", "--country", "US", "--position", "approve")
    op.time.advance(timedelta(days=1))
    board = op("status", "CRM-2026-001").output
    assert "version 1" in board and "4 business days left" in board
    assert "GT Guatemala" in board and "amendments" in board and "1 amendment" in board
    assert re.search(r"US United States\s+approves\s+2026-12-07 10:00", board)
    assert '#1 GT replace ¶2: "Nuevo."' in board
    spanish = op("--lang", "es", "status", "CRM-2026-001").output
    assert "quedan 4 días hábiles" in spanish and "lunes 14 de diciembre de 2026" in spanish
    assert "1 aprueba · 1 con enmiendas · 0 objetan · 0 se abstienen · 9 pendientes" in spanish
    op.time.advance(timedelta(days=10))
    assert "CRM-2026-001: deadline reached, consensus with amendments" in op("tick").output
    assert "concluded: consensus with amendments" in op("conclude", "CRM-2026-001").output
    trail = op("history", "CRM-2026-001").output
    moves = [line.strip() for line in trail.splitlines() if line.startswith("    ")]
    assert moves[-3:] == [
        "United States approves (version 1).",
        "Deadline of version 1 reached: consensus with amendments; no answer: Belize, Canada, "
        "Costa Rica, Dominican Republic, Honduras, Mexico, Nicaragua, Panama, El Salvador.",
        "Consultation concluded: consensus with amendments.",
    ]
    spanish = op("--lang", "es", "history", "CRM-2026-001").output
    assert "lunes 7 de diciembre de 2026, 10:00 (hora de Santo Domingo) · cli:" in spanish
    assert (
        "    Guatemala aprueba con enmiendas (versión 1): sustituir el párrafo 2 por «Nuevo.»."
        in (spanish)
    )
    assert "answer_recorded" not in spanish and "position_id" not in spanish


def test_revise_and_extend(op: Operator) -> None:
    op("roster", "import")
    op("new", "--title", "Flujos", "--text", op.file("es.md", TEXT_ES), "--urgent")
    op("troika", "CRM-2026-001")
    for country in ("MX", "DO", "PA"):
        op("troika-answer", "CRM-2026-001", "--country", country, "--approve")
    assert "2026-12-10T23:59:59-04:00" in op("send", "CRM-2026-001").output  # 3 business days
    revised = op.file("v2.md", TEXT_ES[:3])
    op.time.advance(timedelta(days=1))
    assert "v2 sent" in op("revise", "CRM-2026-001", "--text", revised).output
    assert "2026-12-14T23:59:59-04:00" in op("extend", "CRM-2026-001", "--days", "1").output


@pytest.mark.parametrize(
    ("start", "days", "calendar", "expected"),
    [
        ("2026-12-21", "5", "DO", "2026-12-29T23:59:59-04:00"),
        ("2026-11-23", "5", "US", "2026-12-01T23:59:59-05:00"),  # Thanksgiving on the 26th
        ("2026-12-30", "3", "MX", "2027-01-05T23:59:59-06:00"),  # New Year's Day
    ],
)
def test_deadline_command(
    op: Operator, start: str, days: str, calendar: str, expected: str
) -> None:
    out = op("deadline", "--from", start, "--days", days, "--calendar", calendar).output
    assert out.strip() == expected


def run_consulta(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CONSULTA_DB__URL": f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"}
    return subprocess.run(
        [str(CONSULTA), *args], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("send", "CRM-2026-404"), "error: There is no consultation CRM-2026-404.\n"),
        (
            ("deadline", "--from", "2026-12-21", "--days", "5", "--calendar", "XX"),
            "XX is not a CRM country",
        ),
    ],
)
def test_errors_are_one_sentence_without_traceback(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    assert run_consulta(tmp_path, "db", "upgrade").returncode == 0  # `send` needs a database
    result = run_consulta(tmp_path, *args)
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_invalid_roster_lists_every_problem(tmp_path: Path) -> None:
    bad = tmp_path / "roster.yaml"
    bad.write_text(
        "presidency: {previous: MX, current: DO, next: PA}\n"
        "countries:\n"
        "  - {code: MX, name_es: México, name_en: Mexico, status: member, timezone: Mars/Base}\n"
        "contacts:\n"
        "  - {name: Ana, emails: [nope], language: es, timezone: America/Lima, roles: [ppt]}\n",
        encoding="utf-8",
    )
    result = run_consulta(tmp_path, "roster", "check", str(bad))
    assert result.returncode == 2
    assert "countries[0] (MX).timezone: unknown timezone 'Mars/Base'" in result.stderr
    assert "contacts[0] (Ana).emails: 'nope' is not an email address" in result.stderr
    assert "Traceback" not in result.stderr


def test_errors_and_confirmations_in_spanish(tmp_path: Path, op: Operator) -> None:
    """Under --lang es the typed errors are rendered from their fields, never the English
    message or a state's code; confirmations are Spanish sentences; --position takes Spanish."""
    assert run_consulta(tmp_path, "db", "upgrade").returncode == 0  # send invents no database
    missing = run_consulta(tmp_path, "--lang", "es", "send", "CRM-2026-404")
    assert missing.returncode == 2
    assert missing.stderr == "error: No existe la consulta CRM-2026-404.\n"
    op("roster", "import")
    es = op.file("es.md", TEXT_ES)
    opened = op("--lang", "es", "new", "--title", "Flujos", "--text", es).output
    assert opened == "CRM-2026-001 abierta como borrador (4 párrafos).\n"
    for args, sentence in [
        (
            ("conclude", "CRM-2026-001"),
            "No se puede concluir la consulta mientras está en borrador.",
        ),
        (("send", "CRM-2026-001"), "CRM-2026-001 no puede enviarse a los miembros hasta que toda"),
    ]:
        refused = CliRunner().invoke(cli, ["--lang", "es", *args], obj=op.context)
        assert refused.exit_code != 0
        lines = error_lines(refused.exception, Language.ES)  # type: ignore[arg-type]
        assert lines[0].startswith("error: " + sentence), lines
        assert "draft" not in lines[0] and "conclude" not in lines[0]
    op("troika", "CRM-2026-001")
    for country in ("MX", "DO", "PA"):
        op("--lang", "es", "troika-answer", "CRM-2026-001", "--country", country, "--approve")
    sent = op("--lang", "es", "send", "CRM-2026-001").output
    assert sent == (
        "CRM-2026-001, versión 1, enviada a todos los miembros; plazo: lunes 14 de diciembre "
        "de 2026, 23:59 (hora de Santo Domingo, UTC-04:00).\n"
    )
    for country, words in [("GT", "se abstiene"), ("SV", "Objeta")]:
        said = op(
            "--lang", "es", "record", "CRM-2026-001", "--country", country, "--position", words
        )
        assert said.output.startswith(f"Respuesta de {country} registrada en CRM-2026-001")
    board = op("status", "CRM-2026-001").output
    assert re.search(r"GT Guatemala\s+abstains", board) and re.search(
        r"SV El Salvador\s+OBJECTS", board
    )
    wrong = CliRunner().invoke(
        cli,
        ["--lang", "es", "record", "CRM-2026-001", "--country", "HN", "--position", "quizá"],
        obj=op.context,
    )
    assert wrong.exit_code == 2 and "«quizá» no es una posición" in wrong.output

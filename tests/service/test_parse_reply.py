"""`consulta parse-reply`, the reader's command-line contract from the fixtures' README."""

import json
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from service.cli import cli
from tests.fixtures.replies import CORPUS as FIXTURES
from tests.mail.reading.test_fixtures import MISSES
from tests.service.test_cli import CONSULTA

LABELS = json.loads((FIXTURES / "labels.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=MISSES[n]))
        if n in MISSES
        else n
        for n in sorted(LABELS)
    ],
)
def test_prints_one_json_label(name: str) -> None:
    draft = FIXTURES / LABELS[name]["draft"]
    args = ["parse-reply", "--draft", str(draft), "--json", str(FIXTURES / "messages" / name)]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0
    label = json.loads(result.output)
    expected = LABELS[name]["expected"]
    assert {k: label[k] for k in ("kind", "position", "extension_requested", "language")} == {
        k: expected[k] for k in ("kind", "position", "extension_requested", "language")
    }
    assert {(a["action"], a["paragraph"]) for a in label["amendments"]} == {
        (a["action"], a["paragraph"]) for a in expected["amendments"]
    }
    assert 0.0 <= label["confidence"] <= 1.0


@pytest.mark.parametrize(
    ("draft", "message", "error"),
    [
        ("missing.txt", "x.eml", "No such file or directory"),
        ("draft.txt", "empty.eml", "is empty"),
        ("latin1.txt", "x.eml", "is not UTF-8 text"),
    ],
)
def test_bad_input_is_one_line_on_stderr(
    tmp_path: Path, draft: str, message: str, error: str
) -> None:
    (tmp_path / "draft.txt").write_text("Uno.\n\nDos.\n", encoding="utf-8")
    (tmp_path / "latin1.txt").write_bytes("Párrafo único.\n".encode("latin-1"))
    (tmp_path / "empty.eml").write_bytes(b"")
    (tmp_path / "x.eml").write_bytes(b"Subject: hola\r\n\r\nAprobamos.\r\n")
    result = subprocess.run(
        [str(CONSULTA), "parse-reply", "--draft", draft, "--json", message],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode != 0 and result.stdout == ""
    assert error in result.stderr and len(result.stderr.strip().splitlines()) == 1

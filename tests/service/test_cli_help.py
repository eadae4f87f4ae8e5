"""`consulta --help` in the reader's language: every command and option has its Spanish text,
and the Spanish help says nothing in English, Click's own words included."""

import os
import re
import subprocess
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from consultation.vocabulary import Language
from service.cli import cli
from service.cli_help import catalogue, commands, localized
from tests.service.test_cli import CONSULTA, run_consulta

SPANISH = catalogue(Language.ES)
assert SPANISH is not None
PATHS = [path for path, _ in commands(cli)]

# Click's English, and the English names of values, that must not reach a Spanish reader.
ENGLISH = re.compile(
    r"Usage|Options|Commands|Show this message|\bTEXT\b|INTEGER|\bFILE\b|DIRECTORY|\bPATH\b"
    r"|\bNUMBER\b|CONSULTATION_ID|\bADDRESS\b|\bMESSAGE\b|\bCOMMAND\b|\[ARGS\]|default:|\brequired\b"
    r"|\bthe\b|\bof\b|\band\b"
)


def help_of(root: click.Group, path: str) -> str:
    result = CliRunner().invoke(
        root, [*path.split(), "--help"], prog_name="consulta", catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return result.output


def test_every_command_and_option_has_its_spanish_and_nothing_else_is_there() -> None:
    assert SPANISH is not None
    written = SPANISH["commands"]
    assert sorted(written) == sorted(PATHS)
    for path, command in commands(cli):
        options = {p.name for p in command.params if isinstance(p, click.Option)}
        assert written[path]["help"].strip(), path
        assert set(written[path].get("options", {})) == options, path
        assert set(written[path].get("metavars", {})) <= options, path


@pytest.mark.parametrize("path", PATHS)
def test_the_spanish_help_says_nothing_in_english(path: str) -> None:
    assert SPANISH is not None
    shown = help_of(localized(cli, Language.ES), path)
    assert shown.startswith("Uso: consulta")
    assert "Opciones:" in shown and ("-h, --help" in shown and "Muestra esta ayuda" in shown)
    first_words = " ".join(SPANISH["commands"][path]["help"].split()[:4])
    assert first_words in " ".join(shown.split())
    assert not ENGLISH.search(shown), ENGLISH.search(shown)


def test_click_s_notes_on_an_option_are_in_spanish() -> None:
    shown = " ".join(help_of(localized(cli, Language.ES), "deadline").split())
    assert "[obligatorio]" in shown and "[x>=1; obligatorio]" in shown
    shown = " ".join(help_of(localized(cli, Language.ES), "mailserver").split())
    assert "[por omisión: 2525]" in shown and "--folder CARPETA" in shown


def test_the_english_commands_stay_english() -> None:
    localized(cli, Language.ES)
    shown = help_of(cli, "export")
    assert shown.startswith("Usage: consulta export [OPTIONS] CONSULTATION_ID")
    assert "Write the full record" in shown and "Show this message and exit." in shown
    assert localized(cli, Language.EN) is cli


def test_the_command_line_chooses_the_help_s_language(tmp_path: Path) -> None:
    spanish = run_consulta(tmp_path, "--lang", "es", "review", "-h")
    assert spanish.returncode == 0 and spanish.stdout.startswith("Uso: consulta review")
    assert "Respuestas retenidas para una persona" in spanish.stdout
    english = run_consulta(tmp_path, "--lang", "en", "review", "--help")
    assert english.stdout.startswith("Usage: consulta review")
    assert not (tmp_path / "x.db").exists()  # asking for help creates nothing


def test_the_configured_language_chooses_it_too(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "CONSULTA_DB__URL": f"sqlite+aiosqlite:///{tmp_path / 'x.db'}",
        "CONSULTA_LANGUAGE": "es",
    }
    shown = subprocess.run(
        [str(CONSULTA), "send", "--help"], capture_output=True, text=True, env=env, timeout=60
    )
    assert shown.returncode == 0
    assert shown.stdout.startswith("Uso: consulta send [OPCIONES] CONSULTA")

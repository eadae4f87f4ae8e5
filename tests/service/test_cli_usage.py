"""Mistakes in how a command is typed are said in the reader's language, in sentences that name
the command and the option, never Click's English text or its parameter names."""

import pytest

from tests.service.test_cli import run_consulta


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ("--lang", "es", "stauts"),
            "«consulta» no tiene ninguna orden llamada «stauts». ¿Quiso decir «status»?",
        ),
        (("--lang", "es", "status", "--bogus"), "«consulta status» no tiene la opción --bogus."),
        (
            ("--lang", "es", "record"),
            "Falta el identificador de la consulta (por ejemplo, CRM-2026-001) en «consulta record».",
        ),
        (
            ("--lang", "es", "extend", "CRM-2026-001", "--days", "x"),
            "La opción --days debe ser un número entero.",
        ),
        (("--lang", "es", "--lang", "xx", "status"), "elija es o en."),
        (
            ("--lang", "en", "record"),
            '"consulta record" is missing the consultation\'s identifier (for example CRM-2026-001).',
        ),
        (("--lang", "en", "status", "--jsn"), '"consulta status" has no option --jsn.'),
    ],
)
def test_usage_mistakes_are_sentences_in_the_readers_language(
    tmp_path, args: tuple[str, ...], expected: str
) -> None:
    result = run_consulta(tmp_path, *args)
    assert result.returncode == 2 and result.stdout == ""
    first, help_line = result.stderr.strip().splitlines()
    assert expected in first
    assert "--help" in help_line
    for english in ("Usage:", "Error:", "No such", "Missing", "CONSULTATION_ID", "Try "):
        assert english not in result.stderr
    assert not (tmp_path / "x.db").exists()  # a typing mistake creates nothing

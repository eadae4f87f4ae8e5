"""The documented configuration is the real one: `.env.example` loads as it stands."""

import os
from pathlib import Path

import pytest

from service.settings import Settings
from service.wiring import check

EXAMPLE = Path(__file__).resolve().parents[2] / ".env.example"


def test_the_env_example_loads_and_names_every_group(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in os.environ if n.startswith("CONSULTA_")]:
        monkeypatch.delenv(name)
    settings = Settings(_env_file=EXAMPLE)  # type: ignore[call-arg]
    assert settings.smtp.host == "smtp.example.org"
    assert settings.imap.max_message_bytes == 25 * 1024 * 1024
    assert settings.schedule.st_calendar == "CR" and settings.slack is None
    assert check(settings) == []  # it describes a service that starts
    text = EXAMPLE.read_text(encoding="utf-8")
    for group in ("DB", "SMTP", "IMAP", "MAIL", "SCHEDULE", "SLACK"):
        assert f"CONSULTA_{group}__" in text

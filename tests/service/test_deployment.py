"""docker-compose.yml and the Dockerfile agree with the code they run.

No Docker engine runs in the test environment, so the compose file is checked for what drifts
silently: every CONSULTA_* variable is a real setting, the settings it gives pass start-up's
checks, every `consulta` command and flag it runs exists, and the health checks ask the port
the service listens on.
"""

import re
import shlex
import tomllib
from pathlib import Path
from typing import Any

import click
import yaml

from service.cli import cli
from service.settings import Settings
from service.wiring import check

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]


def interpolated(value: str) -> str:
    """Compose's ${NAME:-default} and ${NAME:?error}, as a fresh .env from the example sets."""
    example = {"CONSULTA_MAIL__SECRETS": '["change-me-to-a-long-random-string"]'}

    def one(match: re.Match[str]) -> str:
        name, sep, rest = match.group(1), match.group(2) or "", match.group(3) or ""
        return example.get(name, rest if sep == ":-" else "")

    return re.sub(r"\$\{(\w+)(:[-?])?([^}]*)\}", one, value)


def environment(service: str) -> dict[str, str]:
    return {k: interpolated(str(v)) for k, v in SERVICES[service]["environment"].items()}


def test_every_variable_is_a_setting_and_together_they_pass_the_start_up_checks(
    monkeypatch: Any,
) -> None:
    env = environment("consulta")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert check(settings) == []
    for name in env:  # pydantic-settings ignores unknown names: look each one up
        node: Any = settings
        for part in name.removeprefix("CONSULTA_").lower().split("__"):
            assert part in type(node).model_fields, f"{name} is not a setting"
            node = getattr(node, part)
    assert (
        settings.db.url.startswith("postgresql+asyncpg://") and "@postgres:5432/" in settings.db.url
    )
    assert (settings.imap.host, settings.smtp.host) == ("mail", "mail")


def command_line(service: str) -> list[str]:
    command = SERVICES[service].get("command")
    if command is None:  # the image's CMD
        dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
        [cmd] = re.findall(r"^CMD (\[.*\])$", dockerfile, re.M)
        command = yaml.safe_load(cmd)
    if isinstance(command, str):
        command = shlex.split(command)
    return [interpolated(str(part)) for part in command]


def consulta_invocations(service: str) -> list[list[str]]:
    words = command_line(service)
    if words[:2] == ["sh", "-c"]:
        return [shlex.split(part) for part in words[2].split("&&")]
    return [words]


def test_every_command_the_containers_run_exists_with_its_flags() -> None:
    seen = []
    for service in ("mail", "migrate", "consulta"):
        for words in consulta_invocations(service):
            assert words[0] == "consulta", words
            with click.Context(cli) as ctx:
                # make_context parses the flags exactly as the command line would.
                command = cli
                args = words[1:]
                while isinstance(command, click.Group):
                    name, command, args = command.resolve_command(ctx, args)
                    assert command is not None, words
                    seen.append(name)
                command.make_context(name, list(args), parent=ctx)
    assert {"mailserver", "db", "upgrade", "roster", "import", "serve"} <= set(seen)


def test_health_checks_ask_the_port_the_service_listens_on() -> None:
    service = SERVICES["consulta"]
    port = environment("consulta")["CONSULTA_HTTP__PORT"]
    assert f"http://127.0.0.1:{port}/readyz" in " ".join(service["healthcheck"]["test"])
    assert f"{port}:{port}" in service["ports"]
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert f"CONSULTA_HTTP__PORT={port}" in dockerfile and f"EXPOSE {port}" in dockerfile
    assert f"http://127.0.0.1:{port}/healthz" in dockerfile


def test_the_service_waits_for_the_database_the_mail_server_and_the_migrations() -> None:
    waits = SERVICES["consulta"]["depends_on"]
    assert waits["postgres"]["condition"] == "service_healthy"
    assert waits["mail"]["condition"] == "service_healthy"
    assert waits["migrate"]["condition"] == "service_completed_successfully"
    assert "pg_isready" in " ".join(SERVICES["postgres"]["healthcheck"]["test"])
    mail = [w for w in command_line("mail") if w.startswith("--")]
    env = environment("consulta")
    assert f"--smtp-port={env['CONSULTA_SMTP__PORT']}" in mail
    assert f"--imap-port={env['CONSULTA_IMAP__PORT']}" in mail
    assert f"--user={env['CONSULTA_IMAP__USERNAME']}" in mail
    assert f"--password={env['CONSULTA_IMAP__PASSWORD']}" in mail
    assert f"--address={env['CONSULTA_MAIL__ADDRESS']}" in mail


def test_the_image_holds_every_package_the_wheel_does() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    packages = project["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    copied = set(re.findall(r"^COPY (\w+) \./\1$", dockerfile, flags=re.MULTILINE))
    assert set(packages) <= copied, f"the Dockerfile leaves out {set(packages) - copied}"

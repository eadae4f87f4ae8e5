"""The service's log lines: what a collector parses (JSON) and what a person reads (text)."""

import io
import json
import logging
from collections.abc import Iterator

import pytest

from service import logs


@pytest.fixture
def restore_root() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_json_lines_carry_the_message_the_extra_fields_and_the_error(restore_root: None) -> None:
    stream = io.StringIO()
    logs.configure("json", "INFO", stream)
    log = logging.getLogger("mail.inbound")
    log.debug("not at INFO")
    log.info("reply %s recorded", 7, extra={"consultation": "CRM-2026-001", "país": "Panamá"})
    try:
        raise ValueError("bad header")
    except ValueError:
        log.exception("inbound message failed", extra={"inbound": 8})
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["message"] == "reply 7 recorded" and first["level"] == "info"
    assert first["consultation"] == "CRM-2026-001" and first["país"] == "Panamá"
    assert first["logger"] == "mail.inbound" and first["ts"].endswith("+00:00")
    assert first["instance"] == logs.instance_name()
    assert second["inbound"] == 8 and "ValueError: bad header" in second["error"]
    assert "bad header" not in second["message"]


def test_text_lines_append_the_extra_fields(restore_root: None) -> None:
    stream = io.StringIO()
    logs.configure("text", "INFO", stream)
    logging.getLogger("consultation.scheduler").warning(
        "job failed", extra={"job": "deadline:CRM-2026-001:2"}
    )
    logging.getLogger("x").info("plain")
    job, plain = stream.getvalue().splitlines()
    assert job.endswith("WARNING consultation.scheduler: job failed [job=deadline:CRM-2026-001:2]")
    assert plain.endswith("INFO x: plain")


def test_auto_is_text_on_a_terminal_and_json_elsewhere(restore_root: None) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert isinstance(logs.configure("auto", "INFO", Terminal()).formatter, logs.TextFormatter)
    assert isinstance(logs.configure("auto", "INFO", io.StringIO()).formatter, logs.JsonFormatter)

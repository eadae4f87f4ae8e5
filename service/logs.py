"""Logging for the long-running service: JSON lines for a collector, or text for a terminal.

A JSON line carries the record's message and every field a log call passes in ``extra=``
(``log.info("reply recorded", extra={"consultation": "CRM-2026-001"})``), plus which instance
wrote it: with several instances on one database, that is how an operator tells them apart.
"""

import json
import logging
import os
import socket
import sys
from datetime import UTC, datetime
from typing import Literal, TextIO

# Attributes every LogRecord has; anything else on a record came from ``extra=``.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    def __init__(self, instance: str) -> None:
        super().__init__()
        self.instance = instance

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "instance": self.instance,
        }
        line |= {k: v for k, v in vars(record).items() if k not in _STANDARD}
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """The classic line, with the ``extra=`` fields appended as key=value."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        fields = {k: v for k, v in vars(record).items() if k not in _STANDARD}
        if not fields:
            return text
        first, newline, rest = text.partition("\n")
        pairs = " ".join(f"{k}={v}" for k, v in fields.items())
        return f"{first} [{pairs}]{newline}{rest}"


def instance_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def configure(
    fmt: Literal["auto", "json", "text"] = "auto",
    level: str = "INFO",
    stream: TextIO | None = None,
) -> logging.Handler:
    """Replace the root logger's handlers with one that writes to ``stream`` (stderr)."""
    stream = stream or sys.stderr
    if fmt == "auto":
        fmt = "text" if stream.isatty() else "json"
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter(instance_name()) if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    for old in root.handlers[:]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # Per-request lines from aiohttp and the Slack SDK's debug chatter say nothing an operator
    # needs; their warnings still come through.
    for noisy in ("aiohttp.access", "slack_bolt", "slack_sdk"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    return handler

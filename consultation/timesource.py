"""The one source of "now": injected everywhere so tests and the demo can move time by hand."""

from datetime import UTC, datetime, timedelta
from typing import Protocol


class TimeSource(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...


class SystemTime:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualTime:
    """Time that moves only when told to: for tests, the demo and replaying a record."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualTime needs a timezone-aware start")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        self._now += delta
        return self._now

    def set(self, instant: datetime) -> None:
        if instant.tzinfo is None:
            raise ValueError("ManualTime needs a timezone-aware instant")
        self._now = instant.astimezone(UTC)

"""Business-day arithmetic of the procedure (DESIGN §4): pure functions over dates and zones.

Distribution day is day 0; the deadline is the end of the Nth business day after it, in the
timezone of the consultation (the PPT's). Business days are Monday to Friday minus the public
holidays of the chosen calendar (the ``holidays`` package, national holidays of the country).
"""

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from consultation.errors import InvalidInput

END_OF_DAY = time(23, 59, 59)


@lru_cache(maxsize=512)  # every member's calendar of a 193-member roster stays built
def _calendar(code: str) -> holidays.HolidayBase:
    try:
        # Years expand on lookup, so one object serves any date.
        return holidays.country_holidays(code.upper())
    except NotImplementedError as exc:
        raise InvalidInput(f"no holiday calendar for {code!r}") from exc


def check_calendar(code: str) -> None:
    """Raise :class:`InvalidInput` unless ``code`` names a supported holiday calendar."""
    _calendar(code)


def holiday_name(day: date, calendar: str) -> str | None:
    name = _calendar(calendar).get(day)
    return str(name) if name else None


def is_business_day(day: date, calendar: str) -> bool:
    return day.weekday() < 5 and day not in _calendar(calendar)


def add_business_days(start: date, days: int, calendar: str) -> date:
    """The date ``days`` business days after ``start`` (``start`` itself never counts)."""
    if days < 0:
        raise InvalidInput(f"business days must be zero or more, not {days}")
    day, counted = start, 0
    while counted < days:
        day += timedelta(days=1)
        if is_business_day(day, calendar):
            counted += 1
    return day


def end_of_day(day: date, timezone: str) -> datetime:
    return datetime.combine(day, END_OF_DAY, tzinfo=ZoneInfo(timezone))


def deadline_for(distributed_at: datetime, days: int, *, calendar: str, timezone: str) -> datetime:
    """End of the ``days``-th business day after the local day of distribution."""
    if days < 1:
        raise InvalidInput(f"a consultation period is at least one business day, not {days}")
    local_day = _local(distributed_at, timezone).date()
    return end_of_day(add_business_days(local_day, days, calendar), timezone)


def extended(deadline: datetime, days: int, *, calendar: str, timezone: str) -> datetime:
    """The deadline moved ``days`` business days later (an extension granted by the PPT)."""
    if days < 1:
        raise InvalidInput(f"an extension is at least one business day, not {days}")
    local_day = _local(deadline, timezone).date()
    return end_of_day(add_business_days(local_day, days, calendar), timezone)


def business_days_left(now: datetime, deadline: datetime, *, calendar: str, timezone: str) -> int:
    """Business days after today up to the deadline: N on distribution day, 0 on the last day.

    Counting from tomorrow matches how the period is defined (day 0 is distribution day), so
    a 5-day consultation reads "5 days left" the day it is sent.
    """
    day, last = _local(now, timezone).date(), _local(deadline, timezone).date()
    if now > deadline:
        return 0
    left = 0
    while day < last:
        day += timedelta(days=1)
        left += is_business_day(day, calendar)
    return left


def previous_business_day(day: date, calendar: str) -> date:
    day -= timedelta(days=1)
    while not is_business_day(day, calendar):
        day -= timedelta(days=1)
    return day


def _local(instant: datetime, timezone: str) -> datetime:
    if instant.tzinfo is None:
        raise InvalidInput("instants must carry a timezone")
    return instant.astimezone(ZoneInfo(timezone))

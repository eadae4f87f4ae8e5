"""The clock (DESIGN §4): business days, deadlines in the PPT's zone, and how people read them."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consultation.clock import (
    END_OF_DAY,
    add_business_days,
    business_days_left,
    check_calendar,
    deadline_for,
    extended,
    holiday_name,
    is_business_day,
    previous_business_day,
)
from consultation.deadlines import render_deadline, render_relative
from consultation.errors import InvalidInput
from consultation.timesource import ManualTime, SystemTime
from consultation.vocabulary import DAYS_BY_KIND, Kind, Language

# The 11 member countries with the zone of their capital (as in the shipped roster).
MEMBER_ZONES = {
    "BZ": "America/Belize",
    "CA": "America/Toronto",
    "CR": "America/Costa_Rica",
    "SV": "America/El_Salvador",
    "US": "America/New_York",
    "GT": "America/Guatemala",
    "HN": "America/Tegucigalpa",
    "MX": "America/Mexico_City",
    "NI": "America/Managua",
    "PA": "America/Panama",
    "DO": "America/Santo_Domingo",
}
SANTO_DOMINGO = MEMBER_ZONES["DO"]

# An oracle independent of the module under test: the holidays package asked directly.
HOLIDAYS = {code: holidays.country_holidays(code) for code in MEMBER_ZONES}


def local(text: str, zone: str) -> datetime:
    """``2026-12-21T10:00`` as a wall-clock time in ``zone``."""
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone))


def deadline_in(code: str, distributed_at: datetime, days: int) -> datetime:
    """The deadline of a consultation run by ``code`` as PPT (its calendar and zone)."""
    return deadline_for(distributed_at, days, calendar=code, timezone=MEMBER_ZONES[code])


def end_of(day: str, zone: str) -> datetime:
    return datetime.combine(date.fromisoformat(day), time(23, 59, 59), tzinfo=ZoneInfo(zone))


def oracle_business_day(day: date, code: str) -> bool:
    return day.weekday() < 5 and day not in HOLIDAYS[code]


def oracle_business_days_between(start: date, end: date, code: str) -> int:
    """Business days in the half-open interval (start, end]."""
    span = (end - start).days
    return sum(oracle_business_day(start + timedelta(days=i), code) for i in range(1, span + 1))


def oracle_previous_business_day(day: date, code: str) -> date:
    day -= timedelta(days=1)
    while not oracle_business_day(day, code):
        day -= timedelta(days=1)
    return day


def assert_holiday(code: str, day: str, name: str) -> None:
    """The case below relies on this holiday: check it with the holidays package itself."""
    found = holidays.country_holidays(code).get(date.fromisoformat(day))
    assert found is not None, f"{day} is not a holiday of {code} any more"
    assert name in found
    assert date.fromisoformat(day).weekday() < 5, "a weekend holiday shifts nothing"


# --- the issue's example -------------------------------------------------------------------------


def test_the_issues_example_five_days_from_21_december_over_christmas() -> None:
    distributed = local("2026-12-21T10:00", SANTO_DOMINGO)

    deadline = deadline_in("DO", distributed, 5)

    assert deadline.isoformat() == "2026-12-29T23:59:59-04:00"
    assert deadline == datetime(2026, 12, 30, 3, 59, 59, tzinfo=UTC)


def test_standard_and_urgent_periods_are_five_and_three_business_days() -> None:
    assert DAYS_BY_KIND == {Kind.STANDARD: 5, Kind.URGENT: 3}


# --- national holidays of the PPT's calendar shift the deadline ----------------------------------

HOLIDAY_CASES = [
    # PPT, distributed (local), days, expected deadline day, holiday crossed, its name
    ("MX", "2026-11-11T09:00", 5, "2026-11-19", "2026-11-16", "Revolution Day"),
    ("US", "2026-11-23T09:00", 5, "2026-12-01", "2026-11-26", "Thanksgiving"),
    ("US", "2026-11-09T09:00", 3, "2026-11-13", "2026-11-11", "Veterans Day"),
    ("CA", "2026-06-29T09:00", 3, "2026-07-03", "2026-07-01", "Canada Day"),
    ("CR", "2026-09-14T09:00", 3, "2026-09-18", "2026-09-15", "Independence Day"),
    ("CR", "2026-04-01T09:00", 3, "2026-04-08", "2026-04-02", "Maundy Thursday"),
    ("CR", "2026-04-01T09:00", 3, "2026-04-08", "2026-04-03", "Good Friday"),
    ("GT", "2026-10-19T09:00", 5, "2026-10-27", "2026-10-20", "Revolution Day"),
    ("HN", "2026-10-06T09:00", 3, "2026-10-14", "2026-10-07", "Morazan"),
    ("HN", "2026-10-06T09:00", 3, "2026-10-14", "2026-10-09", "Morazan"),
    ("SV", "2026-10-30T09:00", 3, "2026-11-05", "2026-11-02", "All Souls"),
    ("NI", "2026-12-07T09:00", 3, "2026-12-11", "2026-12-08", "Immaculate Conception"),
    ("BZ", "2026-11-18T09:00", 3, "2026-11-24", "2026-11-19", "Garifuna"),
    ("DO", "2026-11-06T09:00", 5, "2026-11-16", "2026-11-09", "Constitution Day"),
    # Panama's November: three holidays on weekdays inside one five-day period.
    ("PA", "2026-11-02T09:00", 5, "2026-11-12", "2026-11-03", "Separation Day"),
    ("PA", "2026-11-02T09:00", 5, "2026-11-12", "2026-11-05", "Colon Day"),
    ("PA", "2026-11-02T09:00", 5, "2026-11-12", "2026-11-10", "Los Santos"),
]


@pytest.mark.parametrize(
    ("code", "distributed", "days", "expected", "holiday", "name"),
    HOLIDAY_CASES,
    ids=[f"{c[0]}-{c[4]}" for c in HOLIDAY_CASES],
)
def test_a_holiday_of_the_ppt_calendar_is_not_a_business_day(
    code: str, distributed: str, days: int, expected: str, holiday: str, name: str
) -> None:
    assert_holiday(code, holiday, name)
    zone = MEMBER_ZONES[code]

    deadline = deadline_in(code, local(distributed, zone), days)

    assert deadline == end_of(expected, zone)
    assert local(distributed, zone).date() < date.fromisoformat(holiday) <= deadline.date()
    assert not is_business_day(date.fromisoformat(holiday), code)


def test_the_same_dates_without_the_holiday_give_an_earlier_deadline() -> None:
    # Mexico's Revolution day delays a Mexican PPT's deadline; Guatemala works that Monday.
    assert date(2026, 11, 16) not in holidays.country_holidays("GT")
    distributed = local("2026-11-11T09:00", "America/Mexico_City")

    mexico = deadline_for(distributed, 5, calendar="MX", timezone="America/Mexico_City")
    guatemala = deadline_for(distributed, 5, calendar="GT", timezone="America/Mexico_City")

    assert mexico.date() == date(2026, 11, 19)
    assert guatemala.date() == date(2026, 11, 18)


def test_the_calendar_not_the_zone_decides_the_holidays() -> None:
    # A consultation may use another calendar than its zone's country: the US Thanksgiving
    # does not stop a Dominican clock.
    distributed = local("2026-11-23T09:00", SANTO_DOMINGO)

    dominican = deadline_for(distributed, 5, calendar="DO", timezone=SANTO_DOMINGO)
    american = deadline_for(distributed, 5, calendar="US", timezone=SANTO_DOMINGO)

    assert dominican == end_of("2026-11-30", SANTO_DOMINGO)
    assert american == end_of("2026-12-01", SANTO_DOMINGO)


# --- the year's end ------------------------------------------------------------------------------


def test_christmas_and_new_year_both_skipped_across_the_year_change() -> None:
    assert_holiday("US", "2026-12-25", "Christmas")
    assert_holiday("US", "2027-01-01", "New Year")
    distributed = local("2026-12-23T09:00", "America/New_York")

    deadline = deadline_in("US", distributed, 5)

    # 24, (25), 28, 29, 30, 31 ...
    assert deadline == end_of("2026-12-31", "America/New_York")
    # ... and from the 29th: 30, 31, (1 Jan), 4, 5, 6.
    assert deadline_in("US", local("2026-12-29T09:00", "America/New_York"), 5) == end_of(
        "2027-01-06", "America/New_York"
    )


def test_dominican_year_end_crosses_new_year_and_epiphany() -> None:
    assert_holiday("DO", "2027-01-01", "New Year")
    assert_holiday("DO", "2027-01-04", "Epiphany")
    distributed = local("2026-12-28T15:00", SANTO_DOMINGO)

    deadline = deadline_in("DO", distributed, 5)

    # 29, 30, 31, (1 Jan), (4 Jan), 5, 6.
    assert deadline == end_of("2027-01-06", SANTO_DOMINGO)
    assert oracle_business_days_between(date(2026, 12, 28), deadline.date(), "DO") == 5


# --- urgent consultations ------------------------------------------------------------------------


def test_urgent_consultation_runs_three_business_days() -> None:
    days = DAYS_BY_KIND[Kind.URGENT]

    assert deadline_in("DO", local("2026-12-21T10:00", SANTO_DOMINGO), days) == end_of(
        "2026-12-24", SANTO_DOMINGO
    )
    assert deadline_in("DO", local("2026-12-23T10:00", SANTO_DOMINGO), days) == end_of(
        "2026-12-29", SANTO_DOMINGO
    )


def test_urgent_deadline_is_before_the_standard_one() -> None:
    distributed = local("2026-11-02T09:00", "America/Panama")

    urgent = deadline_in("PA", distributed, DAYS_BY_KIND[Kind.URGENT])
    standard = deadline_in("PA", distributed, DAYS_BY_KIND[Kind.STANDARD])

    assert urgent == end_of("2026-11-09", "America/Panama")
    assert urgent < standard


# --- daylight saving time (Canada, the United States) --------------------------------------------


@pytest.mark.parametrize("code", ["CA", "US"])
def test_deadline_after_the_autumn_change_carries_winter_offset(code: str) -> None:
    zone = MEMBER_ZONES[code]
    distributed = local("2026-10-28T10:00", zone)  # Wednesday, still on summer time

    deadline = deadline_in(code, distributed, 5)

    assert distributed.utcoffset() == timedelta(hours=-4)
    assert deadline.isoformat() == "2026-11-04T23:59:59-05:00"
    assert deadline.utcoffset() == timedelta(hours=-5)
    assert deadline.astimezone(ZoneInfo(zone)).time() == END_OF_DAY
    assert deadline == datetime(2026, 11, 5, 4, 59, 59, tzinfo=UTC)


@pytest.mark.parametrize("code", ["CA", "US"])
def test_deadline_after_the_spring_change_carries_summer_offset(code: str) -> None:
    zone = MEMBER_ZONES[code]
    distributed = local("2026-03-05T10:00", zone)  # Thursday before 8 March

    deadline = deadline_in(code, distributed, 3)

    assert distributed.utcoffset() == timedelta(hours=-5)
    assert deadline.isoformat() == "2026-03-10T23:59:59-04:00"


def test_dst_change_does_not_move_zones_without_dst() -> None:
    # Santo Domingo keeps -04:00 all year: same offset on both sides of the US change.
    distributed = local("2026-10-28T10:00", SANTO_DOMINGO)

    deadline = deadline_in("DO", distributed, 5)

    assert deadline.isoformat() == "2026-11-04T23:59:59-04:00"


# --- day 0 is the local date of distribution -----------------------------------------------------


def test_late_evening_distribution_counts_from_the_local_date_not_utc() -> None:
    # 23:30 on Monday 21 December in Santo Domingo is already Tuesday 03:30 in UTC.
    distributed = datetime(2026, 12, 22, 3, 30, tzinfo=UTC)
    assert distributed.astimezone(ZoneInfo(SANTO_DOMINGO)).date() == date(2026, 12, 21)

    deadline = deadline_in("DO", distributed, 5)

    assert deadline == end_of("2026-12-29", SANTO_DOMINGO)
    assert deadline == deadline_in("DO", local("2026-12-21T23:30", SANTO_DOMINGO), 5)


def test_evening_distribution_in_mexico_city_counts_from_the_mexican_date() -> None:
    # 20:00 on Wednesday 11 November in Mexico City is Thursday 02:00 UTC.
    distributed = datetime(2026, 11, 12, 2, 0, tzinfo=UTC)

    assert deadline_in("MX", distributed, 5) == end_of("2026-11-19", "America/Mexico_City")


def test_the_zone_of_the_instant_given_does_not_matter() -> None:
    instant = local("2026-12-21T23:30", SANTO_DOMINGO)
    elsewhere = [instant.astimezone(ZoneInfo(z)) for z in ("UTC", "Asia/Tokyo", "Pacific/Apia")]

    assert {deadline_in("DO", when, 5) for when in elsewhere} == {deadline_in("DO", instant, 5)}


def test_just_after_local_midnight_is_the_next_day() -> None:
    before = local("2026-12-21T23:59:59", SANTO_DOMINGO)
    after = local("2026-12-22T00:00:00", SANTO_DOMINGO)

    assert deadline_in("DO", before, 1) == end_of("2026-12-22", SANTO_DOMINGO)
    assert deadline_in("DO", after, 1) == end_of("2026-12-23", SANTO_DOMINGO)


# --- distribution on a day off -------------------------------------------------------------------


def test_distribution_on_a_weekend_counts_from_the_next_business_day() -> None:
    saturday = local("2026-12-19T11:00", SANTO_DOMINGO)
    friday = local("2026-12-18T11:00", SANTO_DOMINGO)

    assert deadline_in("DO", saturday, 5) == end_of("2026-12-28", SANTO_DOMINGO)
    assert deadline_in("DO", local("2026-12-20T11:00", SANTO_DOMINGO), 5) == end_of(
        "2026-12-28", SANTO_DOMINGO
    )
    # Friday is day 0 too, so the weekend after it adds nothing either.
    assert deadline_in("DO", friday, 5) == end_of("2026-12-28", SANTO_DOMINGO)


def test_distribution_on_a_holiday_is_like_distribution_on_the_day_before() -> None:
    assert_holiday("DO", "2026-12-25", "Christmas")

    on_christmas = deadline_in("DO", local("2026-12-25T10:00", SANTO_DOMINGO), 5)
    on_christmas_eve = deadline_in("DO", local("2026-12-24T10:00", SANTO_DOMINGO), 5)

    # 28, 29, 30, 31, (1 Jan), (4 Jan), 5.
    assert on_christmas == end_of("2027-01-05", SANTO_DOMINGO)
    assert on_christmas_eve == on_christmas


# --- extensions ----------------------------------------------------------------------------------


def test_extension_counts_business_days_after_the_current_deadline() -> None:
    deadline = end_of("2026-12-29", SANTO_DOMINGO)

    later = extended(deadline, 2, calendar="DO", timezone=SANTO_DOMINGO)

    assert later == end_of("2026-12-31", SANTO_DOMINGO)


def test_extension_over_holidays() -> None:
    assert_holiday("DO", "2027-01-01", "New Year")
    assert_holiday("DO", "2027-01-04", "Epiphany")
    deadline = end_of("2026-12-29", SANTO_DOMINGO)

    later = extended(deadline, 3, calendar="DO", timezone=SANTO_DOMINGO)

    # 30, 31, (1 Jan), (4 Jan), 5.
    assert later == end_of("2027-01-05", SANTO_DOMINGO)


def test_extension_over_mexicos_revolution_day() -> None:
    assert_holiday("MX", "2026-11-16", "Revolution Day")
    deadline = end_of("2026-11-13", "America/Mexico_City")

    later = extended(deadline, 1, calendar="MX", timezone="America/Mexico_City")

    assert later == end_of("2026-11-17", "America/Mexico_City")


def test_extension_reads_the_deadline_in_the_consultation_zone() -> None:
    # The stored deadline may come back in UTC, where it is already the next day.
    deadline = end_of("2026-12-29", SANTO_DOMINGO).astimezone(UTC)
    assert deadline.date() == date(2026, 12, 30)

    later = extended(deadline, 1, calendar="DO", timezone=SANTO_DOMINGO)

    assert later == end_of("2026-12-30", SANTO_DOMINGO)


# --- business days left --------------------------------------------------------------------------

DEADLINE = end_of("2026-12-29", SANTO_DOMINGO)


def days_left(now: datetime) -> int:
    return business_days_left(now, DEADLINE, calendar="DO", timezone=SANTO_DOMINGO)


# The contract as documented in clock.py: business days *after* today up to the deadline, so
# N on distribution day and 0 on the last day (and after it).
@pytest.mark.parametrize(
    ("now", "left"),
    [
        ("2026-12-18T09:00", 6),  # after Fri 18: 21, 22, 23, 24, (25), 28, 29
        ("2026-12-19T09:00", 6),  # a Saturday: the same
        ("2026-12-24T17:00", 2),  # (25), across the weekend, 28, 29
        ("2026-12-25T09:00", 2),  # on Christmas
        ("2026-12-26T09:00", 2),  # across the weekend: 28, 29
        ("2026-12-28T09:00", 1),  # the day before the last
        ("2026-12-29T00:00", 0),  # the deadline's own day
        ("2026-12-29T23:59:59", 0),  # the very last second
        ("2026-12-30T00:00", 0),  # after it
        ("2027-01-15T09:00", 0),
    ],
)
def test_business_days_left(now: str, left: int) -> None:
    assert days_left(local(now, SANTO_DOMINGO)) == left


def test_business_days_left_reads_now_in_the_consultation_zone() -> None:
    # 02:00 UTC on the 29th is still 22:00 on Monday 28 in Santo Domingo.
    assert days_left(datetime(2026, 12, 29, 2, 0, tzinfo=UTC)) == 1
    assert days_left(datetime(2026, 12, 29, 4, 0, tzinfo=UTC)) == 0


def test_business_days_left_on_distribution_day_is_the_period() -> None:
    distributed = local("2026-12-21T10:00", SANTO_DOMINGO)
    deadline = deadline_in("DO", distributed, 5)

    left = business_days_left(distributed, deadline, calendar="DO", timezone=SANTO_DOMINGO)

    assert left == 5


# --- a new version restarts the clock ------------------------------------------------------------


def test_revision_restarts_the_clock_from_the_revision_instant() -> None:
    first = deadline_in("DO", local("2026-12-21T10:00", SANTO_DOMINGO), 5)
    revised_at = local("2026-12-28T14:00", SANTO_DOMINGO)

    restarted = deadline_in("DO", revised_at, 5)

    assert first == end_of("2026-12-29", SANTO_DOMINGO)
    assert restarted == end_of("2027-01-06", SANTO_DOMINGO)
    assert oracle_business_days_between(revised_at.date(), restarted.date(), "DO") == 5


# --- plain business-day arithmetic and errors ----------------------------------------------------


def test_add_business_days_zero_is_the_start_itself_even_on_a_weekend() -> None:
    assert add_business_days(date(2026, 12, 19), 0, "DO") == date(2026, 12, 19)


def test_add_business_days_never_counts_the_start() -> None:
    assert add_business_days(date(2026, 12, 21), 1, "DO") == date(2026, 12, 22)
    assert add_business_days(date(2026, 12, 24), 1, "DO") == date(2026, 12, 28)


@pytest.mark.parametrize("days", [-1, -5])
def test_add_business_days_rejects_negative_days(days: int) -> None:
    with pytest.raises(InvalidInput, match="zero or more"):
        add_business_days(date(2026, 12, 21), days, "DO")


@pytest.mark.parametrize("days", [0, -1])
def test_deadline_needs_at_least_one_business_day(days: int) -> None:
    with pytest.raises(InvalidInput, match="at least one business day"):
        deadline_in("DO", local("2026-12-21T10:00", SANTO_DOMINGO), days)


@pytest.mark.parametrize("days", [0, -3])
def test_extension_needs_at_least_one_business_day(days: int) -> None:
    with pytest.raises(InvalidInput, match="at least one business day"):
        extended(DEADLINE, days, calendar="DO", timezone=SANTO_DOMINGO)


def test_naive_instants_are_refused() -> None:
    with pytest.raises(InvalidInput, match="timezone"):
        deadline_for(datetime(2026, 12, 21, 10), 5, calendar="DO", timezone=SANTO_DOMINGO)
    with pytest.raises(InvalidInput, match="timezone"):
        days_left(datetime(2026, 12, 21, 10))


@pytest.mark.parametrize("calendar", ["XX", "ZZ", "Atlantis"])
def test_unknown_calendar_is_invalid_input(calendar: str) -> None:
    with pytest.raises(InvalidInput, match="no holiday calendar"):
        check_calendar(calendar)
    with pytest.raises(InvalidInput, match="no holiday calendar"):
        deadline_for(
            local("2026-12-21T10:00", SANTO_DOMINGO), 5, calendar=calendar, timezone=SANTO_DOMINGO
        )
    with pytest.raises(InvalidInput):
        is_business_day(date(2026, 12, 21), calendar)


def test_calendar_codes_are_case_insensitive() -> None:
    check_calendar("do")
    assert not is_business_day(date(2026, 12, 25), "do")
    assert add_business_days(date(2026, 12, 21), 5, "do") == date(2026, 12, 29)


def test_holiday_name_and_previous_business_day() -> None:
    assert holiday_name(date(2026, 11, 16), "MX") == str(HOLIDAYS["MX"][date(2026, 11, 16)])
    assert holiday_name(date(2026, 11, 17), "MX") is None
    # Before Tuesday 5 January 2027 in DO: (4 Jan) Epiphany, weekend, (1 Jan), so 31 December.
    assert previous_business_day(date(2027, 1, 5), "DO") == date(2026, 12, 31)
    assert previous_business_day(date(2026, 12, 22), "DO") == date(2026, 12, 21)


# --- deadlines as people read them ---------------------------------------------------------------


def test_render_deadline_in_the_ppt_zone_in_spanish() -> None:
    text = render_deadline(DEADLINE, timezone=SANTO_DOMINGO, language=Language.ES)

    assert text == "martes 29 de diciembre de 2026, 23:59 (hora de Santo Domingo, UTC-04:00)"


def test_render_deadline_for_a_reader_in_madrid() -> None:
    # 23:59 in Santo Domingo is 04:59 the next morning in Madrid (winter time, +01:00).
    spanish = render_deadline(DEADLINE, timezone="Europe/Madrid", language=Language.ES)
    english = render_deadline(DEADLINE, timezone="Europe/Madrid", language=Language.EN)

    assert spanish == "miércoles 30 de diciembre de 2026, 04:59 (hora de Madrid, UTC+01:00)"
    assert english == "Wednesday 30 December 2026, 04:59 (Madrid time, UTC+01:00)"


def test_render_deadline_for_a_reader_in_toronto() -> None:
    english = render_deadline(DEADLINE, timezone="America/Toronto", language=Language.EN)
    spanish = render_deadline(DEADLINE, timezone="America/Toronto", language=Language.ES)

    assert english == "Tuesday 29 December 2026, 22:59 (Toronto time, UTC-05:00)"
    assert "martes" in spanish and "diciembre" in spanish
    assert "hora de Toronto, UTC-05:00" in spanish


def test_render_deadline_follows_the_readers_dst() -> None:
    # The same deadline read in Toronto before and after the change shows different offsets.
    summer = end_of("2026-10-30", SANTO_DOMINGO)
    winter = end_of("2026-11-04", SANTO_DOMINGO)

    summer_text = render_deadline(summer, timezone="America/Toronto", language=Language.EN)
    winter_text = render_deadline(winter, timezone="America/Toronto", language=Language.EN)

    assert summer_text == "Friday 30 October 2026, 23:59 (Toronto time, UTC-04:00)"
    assert winter_text == "Wednesday 4 November 2026, 22:59 (Toronto time, UTC-05:00)"


def test_render_deadline_names_multi_part_zones_by_their_city() -> None:
    text = render_deadline(
        DEADLINE, timezone="America/Argentina/Buenos_Aires", language=Language.ES
    )

    assert text.endswith("(hora de Buenos Aires, UTC-03:00)")
    assert text.startswith("miércoles 30 de diciembre de 2026, 00:59")


@pytest.mark.parametrize(
    ("before", "language", "expected"),
    [
        (timedelta(days=3), Language.ES, "en 3 días"),
        (timedelta(days=3), Language.EN, "in 3 days"),
        (timedelta(minutes=30), Language.ES, "en 30 minutos"),
        (timedelta(hours=-2), Language.ES, "hace 2 horas"),
        (timedelta(hours=-2), Language.EN, "2 hours ago"),
    ],
)
def test_render_relative(before: timedelta, language: Language, expected: str) -> None:
    assert render_relative(DEADLINE, now=DEADLINE - before, language=language) == expected


# --- the time source -----------------------------------------------------------------------------


def test_manual_time_moves_only_when_told_and_speaks_utc() -> None:
    clock = ManualTime(local("2026-12-21T10:00", SANTO_DOMINGO))

    assert clock.now() == datetime(2026, 12, 21, 14, 0, tzinfo=UTC)
    assert clock.now().utcoffset() == timedelta(0)
    assert clock.advance(timedelta(days=1)) == datetime(2026, 12, 22, 14, 0, tzinfo=UTC)
    clock.set(local("2026-12-29T23:59:59", SANTO_DOMINGO))
    assert clock.now() == DEADLINE


def test_manual_time_refuses_naive_instants() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        ManualTime(datetime(2026, 12, 21, 10))
    clock = ManualTime(datetime(2026, 12, 21, tzinfo=UTC))
    with pytest.raises(ValueError, match="timezone-aware"):
        clock.set(datetime(2026, 12, 22))


def test_system_time_is_aware_utc() -> None:
    assert SystemTime().now().utcoffset() == timedelta(0)


# --- properties ----------------------------------------------------------------------------------

CALENDARS = st.sampled_from(sorted(MEMBER_ZONES.items()))
INSTANTS = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
)
DAYS = st.integers(min_value=1, max_value=15)
PROPERTY_SETTINGS = settings(max_examples=200, deadline=None)


@PROPERTY_SETTINGS
@given(calendar=CALENDARS, distributed=INSTANTS, days=DAYS)
def test_property_deadline_falls_at_the_end_of_a_business_day(
    calendar: tuple[str, str], distributed: datetime, days: int
) -> None:
    code, zone = calendar

    deadline = deadline_for(distributed, days, calendar=code, timezone=zone)

    in_zone = deadline.astimezone(ZoneInfo(zone))
    assert oracle_business_day(in_zone.date(), code)
    assert in_zone.time() == time(23, 59, 59)
    assert in_zone.utcoffset() == deadline.utcoffset()


@PROPERTY_SETTINGS
@given(calendar=CALENDARS, distributed=INSTANTS, days=DAYS)
def test_property_exactly_n_business_days_after_day_zero(
    calendar: tuple[str, str], distributed: datetime, days: int
) -> None:
    code, zone = calendar
    day0 = distributed.astimezone(ZoneInfo(zone)).date()

    deadline = deadline_for(distributed, days, calendar=code, timezone=zone)

    assert deadline.date() > day0
    assert oracle_business_days_between(day0, deadline.date(), code) == days


@PROPERTY_SETTINGS
@given(calendar=CALENDARS, distributed=INSTANTS, days=DAYS, more=st.integers(0, 10))
def test_property_more_days_never_give_an_earlier_deadline(
    calendar: tuple[str, str], distributed: datetime, days: int, more: int
) -> None:
    code, zone = calendar

    shorter = deadline_for(distributed, days, calendar=code, timezone=zone)
    longer = deadline_for(distributed, days + more, calendar=code, timezone=zone)

    assert longer >= shorter
    if more:
        assert longer > shorter


@PROPERTY_SETTINGS
@given(
    calendar=CALENDARS,
    distributed=INSTANTS,
    later_by=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=30)),
    days=DAYS,
)
def test_property_later_distribution_never_gives_an_earlier_deadline(
    calendar: tuple[str, str], distributed: datetime, later_by: timedelta, days: int
) -> None:
    code, zone = calendar

    first = deadline_for(distributed, days, calendar=code, timezone=zone)
    second = deadline_for(distributed + later_by, days, calendar=code, timezone=zone)

    assert second >= first


@PROPERTY_SETTINGS
@given(
    calendar=CALENDARS,
    distributed=INSTANTS,
    days=DAYS,
    first=st.integers(1, 10),
    then=st.integers(1, 10),
)
def test_property_extending_twice_is_extending_once_by_the_sum(
    calendar: tuple[str, str], distributed: datetime, days: int, first: int, then: int
) -> None:
    code, zone = calendar
    deadline = deadline_for(distributed, days, calendar=code, timezone=zone)

    twice = extended(
        extended(deadline, first, calendar=code, timezone=zone), then, calendar=code, timezone=zone
    )
    once = extended(deadline, first + then, calendar=code, timezone=zone)

    assert twice == once
    assert once == deadline_for(distributed, days + first + then, calendar=code, timezone=zone)


@PROPERTY_SETTINGS
@given(calendar=CALENDARS, distributed=INSTANTS, days=DAYS)
def test_property_days_left_count_down_from_the_period_to_zero(
    calendar: tuple[str, str], distributed: datetime, days: int
) -> None:
    code, zone = calendar
    deadline = deadline_for(distributed, days, calendar=code, timezone=zone)
    eve = datetime.combine(
        oracle_previous_business_day(deadline.date(), code), time(12), tzinfo=ZoneInfo(zone)
    )

    def left(now: datetime) -> int:
        return business_days_left(now, deadline, calendar=code, timezone=zone)

    assert left(distributed) == days
    assert left(eve) == 1
    assert left(deadline) == 0
    assert left(deadline + timedelta(seconds=1)) == 0

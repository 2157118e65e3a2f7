"""Cron firings in a time zone: validation, and daylight-saving changes fire once at the right local time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import islice, pairwise
from zoneinfo import ZoneInfo

import pytest

from lumiere.core.errors import Invalid
from lumiere.services.cron import (
    PRESETS,
    count_firings,
    describe,
    firings_after,
    latest_firing,
    next_firing,
    parse_cron,
    parse_timezone,
)

PARIS = "Europe/Paris"
NEW_YORK = "America/New_York"


def _local(moment: datetime, zone: str) -> datetime:
    return moment.astimezone(ZoneInfo(zone))


def _day(expression: str, zone: str, day: datetime) -> list[datetime]:
    """The firings during one local calendar day, in local time."""
    start = day.replace(tzinfo=ZoneInfo(zone))
    end = start + timedelta(days=1)
    found = []
    for moment in firings_after(expression, zone, start - timedelta(seconds=1)):
        local = _local(moment, zone)
        if local.date() > end.date():
            break
        if local.date() == start.date():
            found.append(local)
    return found


@pytest.mark.parametrize(("zone", "day", "expected"), [
    (PARIS, datetime(2026, 3, 29), "03:00:00+02:00"),  # 02:00 -> 03:00: 02:30 does not exist
    (NEW_YORK, datetime(2026, 3, 8), "03:00:00-04:00"),
])
def test_a_time_skipped_by_spring_forward_fires_once_just_after_the_gap(zone, day, expected) -> None:
    (fired,) = _day("30 2 * * *", zone, day)
    assert fired.isoformat()[11:] == expected
    (next_day,) = _day("30 2 * * *", zone, day + timedelta(days=1))
    assert next_day.strftime("%H:%M") == "02:30"


@pytest.mark.parametrize(("zone", "day", "expression", "expected_utc"), [
    (PARIS, datetime(2026, 10, 25), "30 2 * * *", "00:30"),  # 02:30 happens twice (CEST, then CET): once, the first
    (NEW_YORK, datetime(2026, 11, 1), "30 1 * * *", "05:30"),  # 01:30 EDT, not again at 01:30 EST (06:30 UTC)
])
def test_a_time_repeated_by_fall_back_fires_once(zone, day, expression, expected_utc) -> None:
    (fired,) = _day(expression, zone, day)
    assert fired.astimezone(UTC).strftime("%H:%M") == expected_utc


@pytest.mark.parametrize(("zone", "day", "hours"), [
    (PARIS, datetime(2026, 3, 29), 23), (PARIS, datetime(2026, 10, 25), 25),
    (NEW_YORK, datetime(2026, 3, 8), 23), (NEW_YORK, datetime(2026, 11, 1), 25),
])
def test_an_hourly_cron_fires_once_in_each_real_hour(zone, day, hours) -> None:
    fired = _day("0 * * * *", zone, day)
    assert len(fired) == hours
    in_utc = [moment.astimezone(UTC) for moment in fired]
    assert all(later - earlier == timedelta(hours=1) for earlier, later in pairwise(in_utc))


def test_a_daily_report_stays_at_eight_local_across_the_change() -> None:
    start = datetime(2026, 3, 27, 12, tzinfo=UTC)
    fired = list(islice(firings_after("0 8 * * *", PARIS, start), 4))
    assert [_local(moment, PARIS).strftime("%d %H:%M") for moment in fired] == [
        "28 08:00", "29 08:00", "30 08:00", "31 08:00"]
    assert [moment.strftime("%H:%M") for moment in fired] == ["07:00", "06:00", "06:00", "06:00"]


def test_next_and_latest_firing_bracket_a_moment() -> None:
    at = datetime(2026, 5, 4, 6, 30, 10, tzinfo=UTC)  # a Monday, 08:30:10 in Paris
    assert latest_firing("0 8 * * MON", PARIS, at) == datetime(2026, 5, 4, 6, 0, tzinfo=UTC)
    assert next_firing("0 8 * * MON", PARIS, at) == datetime(2026, 5, 11, 6, 0, tzinfo=UTC)
    on_the_dot = datetime(2026, 5, 4, 6, 0, tzinfo=UTC)
    assert latest_firing("0 8 * * MON", PARIS, on_the_dot) == on_the_dot
    assert next_firing("0 8 * * MON", PARIS, on_the_dot) == datetime(2026, 5, 11, 6, 0, tzinfo=UTC)
    assert latest_firing("0 8 * * MON", PARIS, on_the_dot - timedelta(microseconds=1)) == datetime(
        2026, 4, 27, 6, 0, tzinfo=UTC)
    assert count_firings("*/15 * * * *", "UTC", on_the_dot, on_the_dot + timedelta(hours=2)) == 8


@pytest.mark.parametrize("expression", ["0 8 * * MON", "  0   8 * * 1 ", "*/5 9-17 * * 1-5", "0 0 1 1 *", "0 8 L * *"])
def test_five_field_expressions_are_accepted_and_normalised(expression) -> None:
    assert parse_cron(expression) == " ".join(expression.split())


@pytest.mark.parametrize(("expression", "says"), [
    ("", "Enter a cron expression"),
    ("* * * * * *", "exactly 5 fields"),
    ("0 8 * *", "exactly 5 fields"),
    ("@daily", "exactly 5 fields"),
    ("61 * * * *", "not a valid cron expression"),
    ("0 25 * * *", "not a valid cron expression"),
    ("0 8 30 2 *", "not a valid cron expression"),
    ("0 8 * * FUNDAY", "not a valid cron expression"),
    ("0 " * 60, "too long"),
    (8, "Enter a cron expression"),
])
def test_a_bad_cron_is_a_422_naming_the_field(expression, says) -> None:
    with pytest.raises(Invalid) as raised:
        parse_cron(expression)
    assert raised.value.extra["field"] == "cron" and says in raised.value.detail


@pytest.mark.parametrize("zone", ["Paris", "Europe/Pariss", "", "../etc/passwd", "UTC+2", None, "x" * 500])
def test_a_bad_time_zone_is_a_422_naming_the_field(zone) -> None:
    with pytest.raises(Invalid) as raised:
        parse_timezone(zone)
    assert raised.value.extra["field"] == "timezone"


def test_iana_zones_are_accepted_and_crons_are_described_in_words() -> None:
    assert parse_timezone(" America/New_York ") == NEW_YORK and parse_timezone("UTC") == "UTC"
    assert describe("0 8 * * MON") == "At 08:00 on Monday"


def test_the_presets_are_valid_crons_that_say_what_their_label_says() -> None:
    assert [parse_cron(expression) for _label, expression in PRESETS] == [expression for _l, expression in PRESETS]
    assert [describe(expression) for _label, expression in PRESETS][:3] == [
        "At 08:00 every day", "At 08:00 on Monday through Friday", "At 08:00 on Monday"]

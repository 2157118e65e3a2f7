"""Cron expressions in a time zone: validation, the next and the latest firing, in UTC.

Firings are computed in the schedule's IANA zone by cronsim, which follows Debian cron across
daylight-saving changes: a time skipped when clocks go forward fires once at the first minute after
the gap, and a time that happens twice when they go back fires once, the first time (a job that
fires every hour still fires in each real hour). Stored times are UTC.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

from cronsim import CronSim, CronSimError

from lumiere.core.errors import Invalid

MAX_CRON_CHARS = 100
CRON_FIELDS = ("minute", "hour", "day of month", "month", "day of week")
CRON_EXAMPLE = "0 8 * * MON (minute hour day-of-month month day-of-week)"
# What the schedule form offers before a custom expression: (label, cron).
PRESETS: tuple[tuple[str, str], ...] = (
    ("Every day at 8:00", "0 8 * * *"),
    ("Every weekday at 8:00", "0 8 * * MON-FRI"),
    ("Every Monday at 8:00", "0 8 * * MON"),
    ("The first of the month at 8:00", "0 8 1 * *"),
    ("Every hour", "0 * * * *"),
)
# Iterations a firing search may take; the most frequent cron fires 1,440 times a day.
_MAX_STEPS = 100_000


@lru_cache(maxsize=1)
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def parse_timezone(name: object) -> str:
    """An IANA time zone name such as `Europe/Paris`; 422 naming `timezone` otherwise."""
    if not isinstance(name, str) or not name.strip():
        raise Invalid("Choose a time zone, such as Europe/Paris or America/New_York.", field="timezone")
    name = name.strip()
    if name not in _zone_names():
        raise Invalid(
            f"'{name[:64]}' is not an IANA time zone name; use one such as Europe/Paris, America/New_York or UTC.",
            field="timezone",
        )
    return name


def parse_cron(expression: object) -> str:
    """A standard 5-field cron expression, with single spaces; 422 naming `cron` otherwise."""
    if not isinstance(expression, str) or not expression.strip():
        raise Invalid(f"Enter a cron expression, such as {CRON_EXAMPLE}.", field="cron")
    if len(expression) > MAX_CRON_CHARS:
        raise Invalid(f"That cron expression is too long: at most {MAX_CRON_CHARS} characters.", field="cron")
    fields = expression.split()
    if len(fields) != len(CRON_FIELDS):
        raise Invalid(
            f"A cron expression has exactly 5 fields ({', '.join(CRON_FIELDS)}); '{expression.strip()}' has "
            f"{len(fields)}. Example: {CRON_EXAMPLE}.",
            field="cron",
        )
    normalized = " ".join(fields)
    try:
        next(CronSim(normalized, datetime.now(UTC)))
    except (CronSimError, StopIteration, ValueError) as error:
        reason = getattr(error, "msg", None) or str(error) or "it never fires"
        raise Invalid(f"'{normalized}' is not a valid cron expression: {reason}. Example: {CRON_EXAMPLE}.",
                      field="cron") from None
    return normalized


def describe(expression: str) -> str:
    """The expression in words ("At 08:00 on Monday"), for lists and emails."""
    try:
        return CronSim(expression, datetime.now(UTC)).explain()
    except Exception:  # explain() does not know every form cronsim runs; the expression still says it all
        return expression


def _local(moment: datetime, timezone: str) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("firing times are computed from aware datetimes")
    return moment.astimezone(ZoneInfo(timezone))


def firings_after(expression: str, timezone: str, after: datetime) -> Iterator[datetime]:
    """Every firing strictly after `after`, in UTC, each later than the one before."""
    previous = after.astimezone(UTC)
    for step, local in enumerate(CronSim(expression, _local(after, timezone))):
        if step >= _MAX_STEPS:
            return
        moment = local.astimezone(UTC)
        if moment > previous:
            previous = moment
            yield moment


def next_firing(expression: str, timezone: str, after: datetime) -> datetime | None:
    """The first firing strictly after `after` (UTC), None if the expression never fires again."""
    return next(firings_after(expression, timezone, after), None)


def latest_firing(expression: str, timezone: str, at: datetime) -> datetime | None:
    """The last firing at or before `at` (UTC)."""
    # cronsim's reverse search returns times strictly before its start, in whole seconds.
    start = _local(at.replace(microsecond=0) + timedelta(seconds=1), timezone)
    for step, local in enumerate(CronSim(expression, start, reverse=True)):
        if step >= _MAX_STEPS:
            return None
        moment = local.astimezone(UTC)
        if moment <= at:
            return moment
    return None


def count_firings(expression: str, timezone: str, start: datetime, end: datetime, *, cap: int = 10_000) -> int:
    """How many firings fall in [start, end) (at most `cap`)."""
    count = 0
    for moment in firings_after(expression, timezone, start - timedelta(seconds=1)):
        if moment >= end or count >= cap:
            break
        count += 1
    return count

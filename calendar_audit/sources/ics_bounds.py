"""Bounds on reading an .ics file: its size, and how far a recurrence may be expanded.

dateutil walks a rule from DTSTART, one step at a time, up to the end of the span asked for, so a rule that
repeats every second (or every day since 1601) would take hours and gigabytes. A series is measured before it
is expanded, from its rule alone, and skipped with a note when it is too big. The estimates are upper bounds:
BY* lists are taken to multiply the steps, which a rule that filters with them does not.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import icalendar

MAX_FILE_BYTES = 100 * 1024 * 1024  # an Outlook export of a year is a few MB; attachments are dropped unread
MAX_SERIES_OCCURRENCES = 10_000  # occurrences of one series inside the window (hourly for a year is 8,760)
MAX_SERIES_STEPS = 200_000  # steps from DTSTART to the window's end (daily since 1600 is ~155,000)

_FREQ_SECONDS = {"SECONDLY": 1, "MINUTELY": 60, "HOURLY": 3600, "DAILY": 86400, "WEEKLY": 7 * 86400,
                 "MONTHLY": 28 * 86400, "YEARLY": 365 * 86400}
_EXPANDING = ("BYSECOND", "BYMINUTE", "BYHOUR", "BYMONTHDAY", "BYYEARDAY", "BYWEEKNO", "BYMONTH")
_DAYS_PER_PERIOD = {"MONTHLY": 5, "YEARLY": 53}  # BYDAY=MO is up to 5 Mondays a month, 53 a year


def _instant(value: Any, tz: str) -> datetime | None:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=ZoneInfo(tz))).astimezone(UTC)
    if isinstance(value, date):
        return datetime.combine(value, time(0), tzinfo=UTC)
    return None


def _first(rule: Any, key: str) -> Any:
    values = rule.get(key) or []
    return values[0] if isinstance(values, list) and values else None


def _per_period(rule: Any, freq: str) -> int:
    """How many candidate instants one period of the rule can give (an upper bound)."""
    n = 1
    for key in _EXPANDING:
        values = rule.get(key) or []
        n *= max(len(values), 1) if isinstance(values, list) else 1
    days = rule.get("BYDAY") or []
    if isinstance(days, list) and days:
        n *= len(days) * _DAYS_PER_PERIOD.get(freq, 1)
    return n


def series_size(rule: Any, start: date, lo: datetime, hi: datetime, tz: str) -> tuple[int, int]:
    """(steps from DTSTART to ``hi``, occurrences between ``lo`` and ``hi``), both upper estimates; (0, 0) when
    the rule cannot be read (the expansion reports it)."""
    freq = str(_first(rule, "FREQ") or "").upper()
    if freq not in _FREQ_SECONDS:
        return 0, 0
    try:
        interval = max(int(_first(rule, "INTERVAL") or 1), 1)
        count = int(_first(rule, "COUNT")) if _first(rule, "COUNT") is not None else None
    except (TypeError, ValueError):
        return 0, 0
    first = _instant(start, tz)
    if first is None:
        return 0, 0
    until = _instant(_first(rule, "UNTIL"), tz)
    end = min(hi, until) if until else hi
    period = _FREQ_SECONDS[freq] * interval
    per_period = _per_period(rule, freq)

    def periods(a: datetime, b: datetime) -> int:
        return max(math.ceil((b - a).total_seconds() / period) + 1, 0) if b >= a else 0

    steps = periods(first, end) * per_period
    inside = periods(max(first, lo), end) * per_period
    if count is not None:
        steps, inside = min(steps, count), min(inside, count)
    return steps, inside


def too_big(event: icalendar.Event, lo: datetime, hi: datetime, tz: str) -> str:
    """Why a series must not be expanded between lo and hi ("" when it may)."""
    rules = event.get("RRULE")
    if rules is None:
        return ""
    start = event["DTSTART"].dt
    for rule in rules if isinstance(rules, list) else [rules]:
        try:
            steps, inside = series_size(rule, start, lo, hi, tz)
        except Exception:  # a broken RRULE (icalendar keeps it as a broken property): the expansion reports it
            continue
        if inside > MAX_SERIES_OCCURRENCES:
            return (f"it repeats too often (about {inside:,} times in the window; the limit is "
                    f"{MAX_SERIES_OCCURRENCES:,} a series)")
        if steps > MAX_SERIES_STEPS:
            return (f"it repeats too often since it began (about {steps:,} times before the window ends; the limit "
                    f"is {MAX_SERIES_STEPS:,})")
    return ""

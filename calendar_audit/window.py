"""The reporting window: two inclusive local dates in the team's time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pandas as pd

from .errors import InputError


@dataclass(frozen=True)
class Window:
    """[first 00:00, last + 1 day 00:00) in ``tz``; both dates inclusive."""

    first: date
    last: date
    tz: str = "Europe/London"

    def __post_init__(self) -> None:
        if self.first > self.last:
            raise InputError(f"--from {self.first} is after --to {self.last}")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    @property
    def start(self) -> pd.Timestamp:
        """Start of the window as a UTC timestamp."""
        return local_midnight(self.first, self.tz)

    @property
    def end(self) -> pd.Timestamp:
        """End of the window (exclusive) as a UTC timestamp."""
        return local_midnight(self.last + timedelta(days=1), self.tz)

    def days(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range((self.last - self.first).days + 1)]

    def week_starts(self) -> list[date]:
        """The Monday of every week the window touches."""
        monday = self.first - timedelta(days=self.first.weekday())
        out = []
        while monday <= self.last:
            out.append(monday)
            monday += timedelta(days=7)
        return out

    @classmethod
    def weeks_from(cls, first: date, weeks: int, tz: str) -> Window:
        monday = first - timedelta(days=first.weekday())
        return cls(monday, monday + timedelta(days=7 * weeks - 1), tz)


def rolling_window(today: date, weeks_back: int, weeks_ahead: int, tz: str) -> Window:
    """From the Monday ``weeks_back`` weeks before this week's to the Sunday ``weeks_ahead`` weeks after it:
    the window ``sync`` keeps current (the command's default and the service's scheduled syncs)."""
    monday = today - timedelta(days=today.weekday())
    return Window(monday - timedelta(weeks=weeks_back), monday + timedelta(weeks=weeks_ahead, days=6), tz)


FIRST_DATE, LAST_DATE = date(1900, 1, 1), date(2199, 12, 31)


def local_midnight(day: date, tz: str) -> pd.Timestamp:
    """00:00 of ``day`` in ``tz``, as a UTC timestamp."""
    return pd.Timestamp(datetime.combine(day, time(0), tzinfo=ZoneInfo(tz))).tz_convert("UTC")


def parse_date(value: str, field: str) -> date:
    """A YYYY-MM-DD date from the command line or a file; ``field`` names it in the error."""
    try:
        day = date.fromisoformat(value)
    except (TypeError, ValueError):
        raise InputError(f"{field}: {value!r} is not a date (use YYYY-MM-DD)") from None
    if not FIRST_DATE <= day <= LAST_DATE:  # the frame's timestamps (pandas, nanoseconds) end in 2262
        raise InputError(f"{field}: {value} is out of range (use a date from {FIRST_DATE} to {LAST_DATE})")
    return day

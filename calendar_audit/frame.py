"""The events frame: one row per person per occurrence. Its columns and dtypes are defined here and nowhere else.

Every source (graph, ics, demo, store) builds records with these keys and calls :func:`from_records`;
nothing downstream knows where an event came from.

Conventions
- ``start``/``end`` are timezone-aware UTC. For all-day events they hold the calendar dates at 00:00 UTC
  (``end`` exclusive), so the dates survive whatever zone the source used; :func:`all_day_dates` reads them.
- ``attendee_count`` counts distinct people on the event other than the person, the organizer included when it
  is someone else.
- ``has_agenda`` is a nullable boolean: ``<NA>`` when the body was not read.
- ``ical_uid`` identifies the same meeting across mailboxes (Graph ``iCalUId``, ICS ``UID``); empty when unknown.
- ``attendees`` holds the other people's addresses (lower case) when the source knows them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, time
from typing import Any

import numpy as np
import pandas as pd

from .window import Window

SHOW_AS = ("free", "tentative", "busy", "oof", "workingElsewhere", "unknown")
RESPONSES = ("organizer", "accepted", "tentativelyAccepted", "notResponded", "declined", "none")

#: column -> dtype; the order is the frame's column order.
COLUMNS: dict[str, Any] = {
    "person": "string",
    "event_id": "string",
    "series_id": "string",
    "ical_uid": "string",
    "subject": "string",
    "start": "datetime64[ns, UTC]",
    "end": "datetime64[ns, UTC]",
    "is_all_day": "bool",
    "show_as": "string",
    "response": "string",
    "is_cancelled": "bool",
    "is_optional": "bool",
    "attendee_count": "int64",
    "organizer": "string",
    "outlook_categories": "object",
    "is_online": "bool",
    "location": "string",
    "sensitivity": "string",
    "has_agenda": "boolean",
    "attendees": "object",
}

DEFAULTS: dict[str, Any] = {
    "series_id": "",
    "ical_uid": "",
    "subject": "",
    "is_all_day": False,
    "show_as": "busy",
    "response": "none",
    "is_cancelled": False,
    "is_optional": False,
    "attendee_count": 0,
    "organizer": "",
    "outlook_categories": (),
    "is_online": False,
    "location": "",
    "sensitivity": "normal",
    "has_agenda": pd.NA,
    "attendees": (),
}

REQUIRED = ("person", "event_id", "start", "end")


def empty_frame() -> pd.DataFrame:
    """A frame with no rows and the right columns and dtypes."""
    return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in COLUMNS.items()})


def from_records(records: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """Build the events frame from dicts keyed by column name; missing optional keys take their defaults."""
    rows = list(records)
    if not rows:
        return empty_frame()
    data: dict[str, list[Any]] = {}
    for name in COLUMNS:
        if name in REQUIRED:
            data[name] = [r[name] for r in rows]
        else:
            default = DEFAULTS[name]
            data[name] = [r.get(name, default) for r in rows]
    return from_columns(data)


def from_columns(data: Mapping[str, Any]) -> pd.DataFrame:
    """Build the events frame from column arrays (the fast path for large sources).

    A column already in its dtype (a datetime index in UTC, a bool array, a ``string`` or ``boolean`` array) is
    taken as it is; a list column given as an object array must already hold tuples (it is taken as it is too).
    Arrays are not copied (the frame owns them from here): every source builds them for this call alone.
    """
    n = len(data["person"])
    cols: dict[str, Any] = {}
    for name, dtype in COLUMNS.items():
        values = data.get(name)
        if values is None:
            if name in REQUIRED:
                raise KeyError(name)
            default = DEFAULTS[name]
            values = [default] * n if isinstance(default, tuple) else np.full(n, default, dtype=object)
        if dtype != "object" and getattr(values, "dtype", None) == pd.api.types.pandas_dtype(dtype):  # typed already
            cols[name] = pd.Series(values, copy=False)
        elif name in ("start", "end"):
            cols[name] = pd.to_datetime(pd.Series(values), utc=True).astype(dtype)
        elif name in ("outlook_categories", "attendees") and isinstance(values, np.ndarray) and values.dtype == object:
            cols[name] = pd.Series(values, copy=False)  # an object array of tuples, as a source's decoder made them
        elif name in ("outlook_categories", "attendees"):
            cols[name] = pd.Series([tuple(v) if v is not None else () for v in values], dtype=object)
        elif name == "has_agenda" and isinstance(values, np.ndarray) and values.dtype == bool:
            cols[name] = pd.Series(pd.array(values, dtype="boolean"))  # no NA to look for: not via object
        elif name == "has_agenda":
            cols[name] = pd.Series(values, dtype=object).astype("boolean")
        elif dtype == "string":
            cols[name] = _strings(values)
        else:
            cols[name] = pd.Series(values).astype(dtype)
    return pd.DataFrame(cols, copy=False)  # the columns are built above or handed over: a copy is only time


def _strings(values: Any) -> pd.Series:
    """A ``string`` column, missing values (None, NaN, NA) as "".

    The scan for missing values is what costs on large columns, so it is skipped when every value is a str
    (infer_dtype's one pass in C): the result is the same either way.
    """
    col = pd.Series(values, dtype=object)
    if pd.api.types.infer_dtype(col, skipna=False) != "string":
        col = col.fillna("")
    return col.astype("string")


def concat(frames: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate events frames, keeping the dtypes."""
    frames = [f for f in frames if len(f)]
    if not frames:
        return empty_frame()
    return pd.concat(frames, ignore_index=True).astype(COLUMNS)


def all_day_dates(start: pd.Timestamp, end: pd.Timestamp) -> list[date]:
    """The calendar dates an all-day event covers (``end`` exclusive, at least one day)."""
    first = start.tz_convert("UTC").date()
    last = end.tz_convert("UTC").date()
    days = max((last - first).days, 1)
    return [date.fromordinal(first.toordinal() + i) for i in range(days)]


@dataclass(frozen=True)
class WorkingHours:
    """A person's working week: which weekdays, from when to when, in which zone (IANA name)."""

    days: tuple[int, ...] = (0, 1, 2, 3, 4)  # Monday = 0
    start: time = time(9)
    end: time = time(17)
    tz: str | None = None  # None: the team's zone


@dataclass
class MailboxFailure:
    """A mailbox (or export file) that could not be read; reported, never fatal to the others.

    ``bad_input`` marks a file the user gave that is malformed (exit 2) rather than a mailbox the server refused
    (exit 3); either way everyone else is reported.
    """

    person: str
    reason: str
    bad_input: bool = False


@dataclass
class SourceData:
    """What every source returns: the events frame plus what it learned about each person."""

    events: pd.DataFrame
    people: list[str] = field(default_factory=list)
    working_hours: dict[str, WorkingHours] = field(default_factory=dict)
    failures: list[MailboxFailure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # documented skips, e.g. a VEVENT without DTSTART
    window: Window | None = None  # the source's natural window, used when the user gives none

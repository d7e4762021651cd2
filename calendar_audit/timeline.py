"""Interval arithmetic over many people at once: the precedence partition, coverage depth and extra layers.

Times are whole seconds since the Unix epoch (int64). Each person's intervals are shifted into a private stretch
of one global axis (person * stride), so one sorted sweep serves the whole team: the sweep cuts the axis at every
boundary of every interval and cut point, and for each elementary segment records which category wins (the earliest
in precedence order among the covering events), how many events cover it, whether a statutory event covers it and
whether each extra layer (working hours, protected slots, ...) covers it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from .frame import WorkingHours


@dataclass(frozen=True)
class Intervals:
    """Intervals per person: parallel arrays of person code, start and end (epoch seconds)."""

    person: np.ndarray
    start: np.ndarray
    end: np.ndarray

    @classmethod
    def empty(cls) -> Intervals:
        z = np.zeros(0, dtype=np.int64)
        return cls(z, z, z)

    @classmethod
    def concat(cls, parts: list[Intervals]) -> Intervals:
        if not parts:
            return cls.empty()
        return cls(*(np.concatenate([getattr(p, f) for p in parts]).astype(np.int64)
                     for f in ("person", "start", "end")))


@dataclass(frozen=True)
class Segments:
    """The elementary segments of a sweep, zero-length and uncovered gaps between people removed."""

    person: np.ndarray  # person code
    start: np.ndarray  # epoch seconds
    seconds: np.ndarray  # length
    winner: np.ndarray  # rank of the winning category, -1 where no counted event covers the segment
    depth: np.ndarray  # how many counted events cover it
    statutory: np.ndarray  # a counted statutory event covers it
    layers: dict[str, np.ndarray]  # layer name -> covered (bool)

    def hours_by(self, group: np.ndarray, n_groups: int, where: np.ndarray) -> np.ndarray:
        """Sum of segment hours per group code, over the segments selected by ``where``."""
        return np.bincount(group[where], weights=self.seconds[where], minlength=n_groups) / 3600.0


def to_seconds(values: pd.Series | pd.DatetimeIndex) -> np.ndarray:
    """UTC timestamps -> epoch seconds (int64)."""
    idx = pd.DatetimeIndex(values)
    return (idx.as_unit("s").asi8 if len(idx) else np.zeros(0, dtype=np.int64)).astype(np.int64)


def sweep(
    n_people: int,
    origin: int,
    length: int,
    events: Intervals,
    ranks: np.ndarray,
    n_ranks: int,
    statutory: np.ndarray,
    layers: Mapping[str, Intervals] | None = None,
    cuts: np.ndarray | None = None,
) -> Segments:
    """Partition [origin, origin + length) for every person by the events, layers and common cut points.

    Everything is clipped to the span first; ``cuts`` (e.g. week starts) split segments for every person.
    """
    layers = dict(layers or {})
    stride = length + 1  # a one-second gap between people, covered by nothing

    def shift(iv: Intervals) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        s = np.clip(iv.start, origin, origin + length) - origin
        e = np.clip(iv.end, origin, origin + length) - origin
        keep = e > s
        base = iv.person[keep].astype(np.int64) * stride
        return base + s[keep], base + e[keep], keep

    ev_s, ev_e, ev_keep = shift(events)
    ranks = np.asarray(ranks, dtype=np.int64)[ev_keep]
    statutory = np.asarray(statutory, dtype=bool)[ev_keep]
    layer_se = {name: shift(iv)[:2] for name, iv in layers.items()}

    cut_rel = np.asarray(cuts if cuts is not None else [], dtype=np.int64) - origin
    cut_rel = cut_rel[(cut_rel > 0) & (cut_rel < length)]
    people_base = np.arange(n_people, dtype=np.int64) * stride
    all_cuts = (people_base[:, None] + np.concatenate([[0, length], cut_rel])[None, :]).ravel()

    points = np.sort(np.concatenate([ev_s, ev_e, all_cuts, *[a for se in layer_se.values() for a in se]]))
    if len(points):  # no people (every mailbox failed): no points, no segments
        points = points[np.concatenate([[True], points[1:] != points[:-1]])]  # faster than np.unique for int64
    n = len(points)

    def coverage(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
        delta = np.bincount(np.searchsorted(points, starts), minlength=n + 1)[:n] - np.bincount(
            np.searchsorted(points, ends), minlength=n + 1
        )[:n]
        return np.cumsum(delta)

    depth = coverage(ev_s, ev_e)
    winner = np.full(n, -1, dtype=np.int64)
    for rank in range(n_ranks - 1, -1, -1):  # earliest rank assigned last, so it wins
        sel = ranks == rank
        if sel.any():
            winner[coverage(ev_s[sel], ev_e[sel]) > 0] = rank
    stat = coverage(ev_s[statutory], ev_e[statutory]) > 0
    layer_cov = {name: coverage(s, e) > 0 for name, (s, e) in layer_se.items()}

    seconds = np.diff(points)
    seg = slice(0, n - 1)
    person = points[seg] // stride
    keep = (seconds > 0) & (points[seg] - person * stride < length)
    return Segments(
        person=person[keep],
        start=(points[seg] - person * stride + origin)[keep],
        seconds=seconds[keep],
        winner=winner[seg][keep],
        depth=depth[seg][keep],
        statutory=stat[seg][keep],
        layers={name: cov[seg][keep] for name, cov in layer_cov.items()},
    )


def local_instant(day: date, clock: time, tz: ZoneInfo) -> int:
    """Epoch seconds of a local wall-clock time (``time.max`` means the next midnight)."""
    if clock == time.max:
        moment = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    else:
        moment = datetime.combine(day, clock, tzinfo=tz)
    return int(moment.timestamp())


def daily_intervals(
    person: int, days: list[date], weekdays: tuple[int, ...], start: time, end: time, tz: str,
    skip: set[date] | frozenset[date] = frozenset(),
) -> Intervals:
    """One interval per listed weekday between local ``start`` and ``end``, except on ``skip`` dates."""
    chosen, s, e = _daily(tuple(days), weekdays, start, end, tz)
    if skip:
        keep = np.array([d not in skip for d in chosen], dtype=bool)
        s, e = s[keep], e[keep]
    return Intervals(np.full(len(s), person, dtype=np.int64), s, e)


@lru_cache(maxsize=64)
def _daily(days: tuple[date, ...], weekdays: tuple[int, ...], start: time, end: time,
           tz: str) -> tuple[list[date], np.ndarray, np.ndarray]:
    """The same for everyone who shares a timetable: computed once per timetable and window."""
    zone = ZoneInfo(tz)
    wanted = set(weekdays)
    chosen = [d for d in days if d.weekday() in wanted]
    s = np.array([local_instant(d, start, zone) for d in chosen], dtype=np.int64)
    e = np.array([local_instant(d, end, zone) for d in chosen], dtype=np.int64)
    s.flags.writeable = e.flags.writeable = False  # shared between callers
    return chosen, s, e


def working_intervals(person: int, days: list[date], hours: WorkingHours, team_tz: str,
                      leave: set[date]) -> Intervals:
    """A person's working hours over ``days``, less every leave day."""
    return daily_intervals(person, days, hours.days, hours.start, hours.end, hours.tz or team_tz, leave)

"""The person-week table and team summaries, exactly as DESIGN.md defines the metrics. Pure: frames in, frames out.

Visit-ready time (issue 11): direct work in children's social care needs long unbroken stretches (a home visit
with travel takes two to three hours). A person's *free* time is time inside their working hours that no counted
event covers. A *visit-ready block* is a maximal stretch of free time within one local calendar day (blocks never
span midnight) lasting at least ``visit_block_minutes`` (default 120). Per person and week:
``visit_ready_hours`` is the total length of those blocks, ``visit_ready_blocks`` their number, and
``visit_ready_slot_hours`` the part of them inside the person's protected-slot occurrences (0 without a policy).
A day 09:30-17:00 broken by an 11:00-11:30 meeting has no block in the morning (09:30-11:00 is 1.5 h) and one
of 5.5 h in the afternoon.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from .frame import MailboxFailure, WorkingHours, all_day_dates
from .timeline import Intervals, Segments, sweep, to_seconds, working_intervals
from .window import Window, local_midnight

CATEGORIES = ("direct_work", "meeting", "training", "travel", "admin", "other")
HOUR_COLUMNS = ["working_hours", "busy_hours", "direct_work_hours", "meeting_hours", "statutory_meeting_hours",
                "training_hours", "travel_hours", "admin_hours", "other_hours", "double_booked_hours",
                "after_hours_hours"]
PERSON_WEEK_COLUMNS = ["person", "week_start", *HOUR_COLUMNS, "direct_work_pct", "meeting_pct"]
VISIT_READY_COLUMNS = ["visit_ready_hours", "visit_ready_blocks", "visit_ready_slot_hours"]
DEFAULT_VISIT_BLOCK_MINUTES = 120
SLOT_LAYER_PREFIX = "slot:"
DEFAULT_COUNTED_RESPONSES = ("organizer", "accepted", "tentativelyAccepted", "notResponded", "none")
DAY = 24 * 3600


def exclusion_reasons(events: pd.DataFrame, counted_responses: Sequence[str] = DEFAULT_COUNTED_RESPONSES) -> pd.Series:
    """Why each event is not counted ("" when it is), the first reason that applies."""
    seconds = (events["end"] - events["start"]).dt.total_seconds()
    conditions = [
        events["is_cancelled"].to_numpy(bool),
        (events["response"] == "declined").to_numpy(bool),
        events["is_all_day"].to_numpy(bool),
        (seconds >= DAY).to_numpy(bool),
        (events["show_as"] == "free").to_numpy(bool),
        ~events["response"].isin(list(counted_responses)).to_numpy(bool),
    ]
    labels = ["cancelled", "declined", "all_day", "over_24h", "free", "response_not_counted"]
    return pd.Series(np.select(conditions, labels, default=""), index=events.index, dtype="string")


def leave_days(events: pd.DataFrame) -> dict[str, set[date]]:
    """Per person, the dates covered by an all-day oof event that is neither cancelled nor declined."""
    all_day = events[events["is_all_day"].to_numpy(bool)]  # few rows: the text comparisons run on those alone
    leave = all_day[(all_day["show_as"] == "oof") & ~all_day["is_cancelled"] & (all_day["response"] != "declined")]
    out: dict[str, set[date]] = {}
    for person, start, end in zip(leave["person"], leave["start"], leave["end"], strict=True):
        out.setdefault(person, set()).update(all_day_dates(start, end))
    return out


@dataclass
class Partition:
    """The team's time over the window, partitioned into segments, with the codes needed to read it."""

    window: Window
    people: list[str]
    weeks: list[date]
    categories: tuple[str, ...]
    segments: Segments
    week_of_segment: np.ndarray
    leave: dict[str, set[date]]
    day_starts: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # local midnights


def partition(
    events: pd.DataFrame,
    people: Sequence[str],
    window: Window,
    categories: Sequence[str],
    hours: Mapping[str, WorkingHours],
    default_hours: WorkingHours,
    layers: Mapping[str, Intervals] | None = None,
) -> Partition:
    """Sweep the counted events of ``people`` (classified, with a ``counted`` column) over the window.

    ``hours`` maps a person to their working hours (others get ``default_hours``); the layer "work" is added here.
    """
    code = {p: i for i, p in enumerate(people)}
    counted = events[events["counted"] & events["person"].isin(code)]
    leave = leave_days(events)
    days = window.days()
    work = Intervals.concat([
        working_intervals(i, days, hours.get(p, default_hours), window.tz, leave.get(p, set()))
        for i, p in enumerate(people)
    ])
    weeks = window.week_starts()
    cuts = to_seconds(pd.DatetimeIndex([local_midnight(w, window.tz) for w in weeks]))
    # every local midnight cuts the sweep too, so no segment spans two days (visit-ready blocks stop at midnight)
    day_starts = to_seconds(pd.DatetimeIndex([local_midnight(d, window.tz) for d in days]))
    origin = int(window.start.timestamp())
    length = int(window.end.timestamp()) - origin
    person_code = pd.Categorical(counted["person"], categories=list(people)).codes.astype(np.int64)
    rank = pd.Categorical(counted["category"], categories=list(categories)).codes.astype(np.int64)
    ev = Intervals(person_code, to_seconds(counted["start"]), to_seconds(counted["end"]))
    segments = sweep(len(people), origin, length, ev, rank,
                     len(categories), counted["statutory"].to_numpy(bool), {"work": work, **(layers or {})},
                     day_starts)
    week_of_segment = np.searchsorted(cuts, segments.start, side="right") - 1
    return Partition(window, list(people), weeks, tuple(categories), segments, np.maximum(week_of_segment, 0), leave,
                     day_starts)


def visit_ready(part: Partition, block_minutes: int = DEFAULT_VISIT_BLOCK_MINUTES) -> dict[str, np.ndarray]:
    """Per person-week group: visit-ready hours, blocks and the hours of them in protected slots (module docstring).

    Free segments are joined into blocks where one ends exactly where the next begins, for the same person, and
    the next does not start at a local midnight; the sweep already cuts every segment at midnight.
    """
    seg = part.segments
    n_weeks = len(part.weeks)
    n = len(part.people) * n_weeks
    free = np.flatnonzero(seg.layers["work"] & (seg.depth == 0))
    in_slot = np.zeros(len(seg.seconds), dtype=bool)
    for name, covered in seg.layers.items():
        if name.startswith(SLOT_LAYER_PREFIX):
            in_slot |= covered
    if not len(free):
        return {"visit_ready_hours": np.zeros(n), "visit_ready_blocks": np.zeros(n, dtype=np.int64),
                "visit_ready_slot_hours": np.zeros(n)}
    person, start, seconds = seg.person[free], seg.start[free], seg.seconds[free]
    first = np.ones(len(free), dtype=bool)
    first[1:] = (person[1:] != person[:-1]) | (start[1:] != start[:-1] + seconds[:-1]) | np.isin(
        start[1:], part.day_starts)
    block = np.cumsum(first) - 1
    long_enough = (np.bincount(block, weights=seconds) >= block_minutes * 60)[block]
    group = (person * n_weeks + part.week_of_segment[free])
    slot = in_slot[free]
    return {
        "visit_ready_hours": np.bincount(group[long_enough], weights=seconds[long_enough], minlength=n) / 3600.0,
        "visit_ready_blocks": np.bincount(group[long_enough & first], minlength=n).astype(np.int64),
        "visit_ready_slot_hours": np.bincount(group[long_enough & slot], weights=seconds[long_enough & slot],
                                              minlength=n) / 3600.0,
    }


def person_week(part: Partition, visit_block_minutes: int = DEFAULT_VISIT_BLOCK_MINUTES) -> pd.DataFrame:
    """One row per person and week with every metric in DESIGN.md, then the visit-ready columns."""
    seg = part.segments
    n_weeks = len(part.weeks)
    n = len(part.people) * n_weeks
    group = seg.person * n_weeks + part.week_of_segment
    busy = seg.depth > 0
    work = seg.layers["work"]
    cols: dict[str, np.ndarray] = {
        "working_hours": seg.hours_by(group, n, work),
        "busy_hours": seg.hours_by(group, n, busy),
    }
    for rank, category in enumerate(part.categories):
        cols[f"{category}_hours"] = seg.hours_by(group, n, seg.winner == rank)
    meeting_rank = part.categories.index("meeting") if "meeting" in part.categories else -2
    cols["statutory_meeting_hours"] = seg.hours_by(group, n, (seg.winner == meeting_rank) & seg.statutory)
    cols["double_booked_hours"] = seg.hours_by(group, n, seg.depth >= 2)
    cols["after_hours_hours"] = seg.hours_by(group, n, busy & ~work)
    table = pd.DataFrame({
        "person": np.repeat(part.people, n_weeks),
        "week_start": np.tile(np.array(part.weeks, dtype=object), len(part.people)),
    })
    for column in HOUR_COLUMNS:
        table[column] = cols.get(column, np.zeros(n))
    table = add_percentages(table)
    for column, values in visit_ready(part, visit_block_minutes).items():
        table[column] = values
    return table


def add_percentages(table: pd.DataFrame) -> pd.DataFrame:
    """direct_work_pct and meeting_pct of working hours; NaN (an empty cell) where working hours are 0."""
    working = table["working_hours"].where(table["working_hours"] > 0)
    table["direct_work_pct"] = 100 * table["direct_work_hours"] / working
    table["meeting_pct"] = 100 * table["meeting_hours"] / working
    return table


def team_week(person_week_table: pd.DataFrame) -> pd.DataFrame:
    """Per week, the hour columns summed over people and the shares recomputed from the sums."""
    table = person_week_table.groupby("week_start", sort=True)[HOUR_COLUMNS].sum().reset_index()
    table.insert(1, "people", person_week_table.groupby("week_start", sort=True)["person"].nunique().to_numpy())
    return add_percentages(table)


def event_hours(events: pd.DataFrame, window: Window) -> pd.Series:
    """Counted hours of each event inside the window, before the precedence partition."""
    start = events["start"].clip(lower=window.start, upper=window.end)
    end = events["end"].clip(lower=window.start, upper=window.end)
    hours = (end - start).dt.total_seconds() / 3600.0
    return hours.where(events["counted"], 0.0)


@dataclass
class Costs:
    """The meetings that cost the team most, and the counted ones no rule matched."""

    top_series: pd.DataFrame
    unclassified: pd.DataFrame


RECURRENCE = ((0.5, 1.5, "daily"), (6, 8, "weekly"), (13, 15, "fortnightly"), (27, 35, "monthly"))
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def recurrence(gap: float, dates: int) -> str:
    """How often a meeting recurs, from the median days between its distinct start dates: weekly, fortnightly..."""
    if dates <= 1 or math.isnan(gap):
        return "once"
    return next((label for low, high, label in RECURRENCE if low <= gap <= high), f"{dates} times")


def _mode_per_key(keys: np.ndarray, values: np.ndarray, groups: int) -> np.ndarray:
    """The most common value for each key code 0..groups-1 (ties: the smallest); integers in, integers out."""
    counts = pd.DataFrame({"key": keys, "value": values}).value_counts(sort=False).rename("n").reset_index()
    counts = counts.sort_values(["key", "n", "value"], ascending=[True, False, True], kind="stable")
    first = counts.drop_duplicates("key")
    out = np.zeros(groups, dtype=np.int64)
    out[first["key"].to_numpy()] = first["value"].to_numpy()
    return out


def describe_meetings(meetings: pd.DataFrame, tz: str) -> pd.DataFrame:
    """Per key, what tells a meeting apart without its subject: its usual weekday and start time, length in
    minutes, how often it recurs, organiser and how many people it invites (the person included)."""
    codes, keys = pd.factorize(meetings["key"])  # integers throughout: sorting the long key strings is slow
    n = len(keys)
    wall = meetings["start"].dt.tz_convert(tz).dt.tz_localize(None)  # local wall-clock time, as numbers below
    minutes = wall.to_numpy().astype("datetime64[m]").astype(np.int64)  # since 1970-01-01 00:00 (local)
    day, minute = minutes // 1440, minutes % 1440
    when = _mode_per_key(codes, ((day + 3) % 7) * 1440 + minute, n)  # 1970-01-01 was a Thursday
    length = ((meetings["end"] - meetings["start"]).dt.total_seconds().to_numpy() // 60).astype(np.int64)
    organizer_codes, organizers = pd.factorize(meetings["organizer"].astype(object).fillna(""))
    days = pd.DataFrame({"key": codes, "day": day}).drop_duplicates().sort_values(["key", "day"])
    days["gap"] = days.groupby("key")["day"].diff()
    spacing = days.groupby("key").agg(gap=("gap", "median"), dates=("day", "size")).reindex(range(n))
    attendees = pd.Series(meetings["attendee_count"].to_numpy()).groupby(codes).max().reindex(range(n))
    return pd.DataFrame({
        "when": [f"{WEEKDAYS[c // 1440]} {c % 1440 // 60:02d}:{c % 60:02d}" for c in when.tolist()],
        "minutes": _mode_per_key(codes, length, n),
        "organizer": np.asarray(organizers, dtype=object)[_mode_per_key(codes, organizer_codes, n)],
        "attendees": attendees.to_numpy() + 1,
        "recurs": [recurrence(g, int(d)) for g, d in zip(spacing["gap"], spacing["dates"], strict=True)],
    }, index=pd.Index(keys, name="key"))


def _per_value(values: pd.Series, text: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """``text(values)``, worked out once per distinct value (a year's meetings repeat a few thousand organisers and
    subjects across ~170,000 rows)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    out = text(pd.Series(uniques, dtype=values.dtype))
    return pd.Series(out.array.take(codes), index=values.index, dtype=out.dtype)


def _text_codes(values: pd.Series, text: Callable[[pd.Series], pd.Series]) -> np.ndarray:
    """Integer codes of ``text(values)`` (equal texts, equal codes), worked out once per distinct value."""
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    text_codes, _ = pd.factorize(text(pd.Series(uniques, dtype=values.dtype)), use_na_sentinel=False)
    return text_codes[codes]


def meeting_keys(meetings: pd.DataFrame, recurring: np.ndarray) -> np.ndarray:
    """One integer per row naming its meeting, numbered in order of first appearance: a recurring meeting by its
    organiser and subject (case and outer spaces aside), any other by its iCalUId (its event id when it has none).

    Integers, not joined key strings: building, grouping and sorting ~170,000 long strings cost a year's report
    half a second, and a joined string could make two series one ("a|b" + "c" and "a" + "b|c")."""
    organizer = _text_codes(meetings["organizer"], lambda s: s.str.lower())
    subject = _text_codes(meetings["subject"], lambda s: s.str.strip().str.lower())
    series = organizer.astype(np.int64) * (int(subject.max(initial=0)) + 1) + subject
    single, _ = pd.factorize(meetings["ical_uid"].where(meetings["ical_uid"] != "", meetings["event_id"]))
    codes, _ = pd.factorize(np.where(recurring, series, -1 - single.astype(np.int64)))
    return codes


def meeting_costs(events: pd.DataFrame, include_subjects: bool, top: int = 15, tz: str = "UTC") -> Costs:
    """Group counted meetings with others by series (or meeting), summing person-hours; the costliest of the
    meeting category, each told apart by when it is, its length, how often it recurs, its organiser and size."""
    meetings = events[events["counted"] & (events["attendee_count"] > 0) & (events["category"] != "direct_work")]
    # One meeting in several mailboxes: a single event shares its iCalUId everywhere, but a series' ids are per
    # mailbox in Graph (seriesMasterId) and per occurrence (iCalUId), so a series is known by organizer and subject.
    recurring = meetings["series_id"] != ""
    meetings = meetings.assign(
        key=meeting_keys(meetings, recurring.to_numpy(bool)),
        recurring=recurring,
        # rsplit, not rpartition: rpartition of an empty column has no column 2 (a team with no meetings)
        organizer_domain=_per_value(meetings["organizer"], lambda s: s.str.rsplit("@", n=1).str[-1].str.lower()),
    )
    grouped = meetings.groupby("key", sort=False).agg(
        category=("category", "first"), rule=("rule", "first"), subject=("subject", "first"),
        occurrences=("start", "nunique"), people=("person", "nunique"), hours=("hours", "sum"),
        matched=("matched", "first"), organizer_domain=("organizer_domain", "first"), recurring=("recurring", "any"),
    ).sort_values(["hours", "occurrences"], ascending=False).reset_index()
    # the costliest meetings: rows of the meeting category only (admin, training and travel are not meetings to
    # cut, even when others are invited); and the costliest unclassified. Only these rows are described: a year
    # has tens of thousands of one-off meetings, and describing them all cost more than the rest of this.
    is_meeting = (grouped["category"] == "meeting").to_numpy(bool)
    unmatched = ~grouped["matched"].astype(bool).to_numpy()
    rows = np.union1d(np.flatnonzero(is_meeting)[:top], np.flatnonzero(unmatched)[:top])
    shown = grouped.iloc[rows]
    mentioned = meetings[meetings["key"].isin(shown["key"]).to_numpy(bool)]
    described = describe_meetings(mentioned, tz) if len(mentioned) else pd.DataFrame(
        {c: pd.Series(dtype=t) for c, t in (("when", "object"), ("minutes", "int64"), ("organizer", "object"),
                                              ("attendees", "int64"), ("recurs", "object"))})
    shown = shown.join(described, on="key")
    if not include_subjects:
        shown["subject"] = ""
    # named by rank among all of them ("series 3" is the third costliest of any kind)
    shown["key"] = [f"{'series' if r else 'meeting'} {i + 1}" for i, r in zip(rows, shown["recurring"], strict=True)]
    top_series = shown[is_meeting[rows]].head(top)[
        ["key", "category", "rule", "subject", "when", "minutes", "recurs", "organizer", "attendees", "occurrences",
         "people", "hours"]].reset_index(drop=True)
    top_series.attrs["of"] = int(is_meeting.sum())  # how many there were: the page says "the 15 costliest of 213"
    unclassified = shown[unmatched[rows]][
        ["key", "subject", "occurrences", "people", "hours", "organizer_domain"]].head(top)
    return Costs(top_series, unclassified.reset_index(drop=True))


@dataclass
class AuditResult:
    """Everything a report shows; writers render it, nothing else computes."""

    window: Window
    categories: tuple[str, ...]
    person_week: pd.DataFrame
    team_week: pd.DataFrame
    events: pd.DataFrame
    top_series: pd.DataFrame
    unclassified: pd.DataFrame
    failures: list[MailboxFailure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    include_subjects: bool = False
    source_label: str = ""
    extra_sections: list = field(default_factory=list)  # writers.section.Section
    withheld_reason: str = ""  # set: team aggregates are withheld (too few people); writers show this instead
    # the policy the audit was given and its partition, whose layers hold that policy's occurrences (slot sections
    # read compliance from it)
    slot_partition: tuple[tuple[object, ...], Partition] | None = None

"""Metric definitions on small hand-made calendars, numbers worked out by hand (DESIGN.md)."""

from __future__ import annotations

from datetime import date, time

import numpy as np
import pandas as pd
import pytest

from calendar_audit.frame import WorkingHours, from_records
from calendar_audit.metrics import (
    CATEGORIES,
    PERSON_WEEK_COLUMNS,
    VISIT_READY_COLUMNS,
    exclusion_reasons,
    partition,
    person_week,
)
from calendar_audit.window import Window
from tests.conftest import local

TEAM_HOURS = WorkingHours()
SAM = "sam@council.gov.uk"


def measure(events: pd.DataFrame, window: Window, hours: dict | None = None, people=(SAM,)) -> pd.DataFrame:
    """Events already classified by hand (category, statutory columns) -> person_week rows."""
    if "statutory" not in events:
        events = events.assign(statutory=False)
    events = events.assign(counted=(exclusion_reasons(events) == "").to_numpy(bool))
    part = partition(events, list(people), window, CATEGORIES, hours or {}, TEAM_HOURS)
    return person_week(part)


def row_of(table: pd.DataFrame, week: str, person: str = SAM) -> dict:
    row = table[(table["person"] == person) & (table["week_start"] == date.fromisoformat(week))]
    assert len(row) == 1
    return {k: (round(v, 2) if isinstance(v, float) else v) for k, v in row.iloc[0].to_dict().items()}


def test_design_worked_example(make_events):
    """The worked example of DESIGN.md, week of Mon 2026-10-19 with the clock change on Sunday 25th."""
    events = make_events(
        dict(subject="Team meeting", start="2026-10-19 10:00", end="2026-10-19 11:00", response="accepted",
             attendee_count=6, category="meeting"),
        dict(subject="Home visit", start="2026-10-19 10:30", end="2026-10-19 12:00", response="organizer",
             category="direct_work"),
        dict(subject="Annual leave", start="2026-10-20", end="2026-10-21", is_all_day=True, show_as="oof",
             response="organizer", category="other"),
        dict(subject="Core group", start="2026-10-20 14:00", end="2026-10-20 15:00", response="accepted",
             category="meeting", statutory=True),
        dict(subject="Catch up", start="2026-10-21 09:00", end="2026-10-21 10:00", response="declined",
             category="meeting"),
        dict(subject="Strategy discussion", start="2026-10-22 16:00", end="2026-10-22 18:00",
             response="tentativelyAccepted", category="meeting", statutory=True),
        dict(subject="FYI", start="2026-10-23 09:00", end="2026-10-23 09:30", response="accepted", show_as="free",
             category="meeting"),
        dict(subject="duty cover", start="2026-10-25 00:30", end="2026-10-25 03:30", response="organizer",
             category="other"),
    )
    # what counts, written out: the leave is all-day, the catch-up declined, the FYI free
    assert exclusion_reasons(events).tolist() == ["", "", "all_day", "", "declined", "", "free", ""]
    table = measure(events, Window(date(2026, 10, 19), date(2026, 10, 25)))
    assert list(table.columns) == PERSON_WEEK_COLUMNS + VISIT_READY_COLUMNS
    # visit-ready: Mon 12:00-17:00 (5 h; 09:00-10:00 is too short), Wed and Fri whole days (the declined and
    # free events do not count), Thu 09:00-16:00; Tue is leave
    assert row_of(table, "2026-10-19") == {
        "person": SAM, "week_start": date(2026, 10, 19), "working_hours": 32.0, "busy_hours": 9.0,
        "direct_work_hours": 1.5, "meeting_hours": 3.5, "statutory_meeting_hours": 3.0, "training_hours": 0.0,
        "travel_hours": 0.0, "admin_hours": 0.0, "other_hours": 4.0, "double_booked_hours": 0.5,
        "after_hours_hours": 6.0, "direct_work_pct": 4.69, "meeting_pct": 10.94,
        "visit_ready_hours": 28.0, "visit_ready_blocks": 4, "visit_ready_slot_hours": 0.0,
    }


def test_event_across_midnight_and_week_boundary_is_split(make_events):
    """Sun 23:00 to Mon 02:00 in March (BST starts 29 Mar 2026): 1 h in one week, 2 h in the next."""
    events = make_events(dict(start="2026-03-22 23:00", end="2026-03-23 02:00", category="other"))
    table = measure(events, Window(date(2026, 3, 16), date(2026, 3, 29)))
    assert row_of(table, "2026-03-16")["other_hours"] == 1.0
    assert row_of(table, "2026-03-23")["other_hours"] == 2.0
    assert row_of(table, "2026-03-23")["after_hours_hours"] == 2.0


def test_spring_forward_night_has_one_hour_less():
    """00:30-03:30 local on Sun 29 Mar 2026 lasts 2 elapsed hours (clocks go forward at 01:00)."""
    events = from_records([{"person": SAM, "event_id": "x", "start": local("2026-03-29 00:30"),
                            "end": local("2026-03-29 03:30")}]).assign(category="other")
    table = measure(events, Window(date(2026, 3, 23), date(2026, 3, 29)))
    assert row_of(table, "2026-03-23")["other_hours"] == 2.0


def test_window_clips_events(make_events):
    """Only the part of an event inside [from 00:00, to + 1 day 00:00) counts."""
    events = make_events(dict(start="2026-10-18 22:00", end="2026-10-19 10:00", category="meeting"))
    table = measure(events, Window(date(2026, 10, 19), date(2026, 10, 19)))
    row = row_of(table, "2026-10-19")
    assert row["meeting_hours"] == 10.0
    assert row["working_hours"] == 8.0
    assert row["after_hours_hours"] == 9.0


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        (dict(is_cancelled=True), "cancelled"),
        (dict(response="declined"), "declined"),
        (dict(show_as="free"), "free"),
        (dict(end="2026-10-20 10:00"), "over_24h"),
    ],
)
def test_excluded_events_count_nothing(make_events, extra, reason):
    events = make_events({**dict(start="2026-10-19 10:00", end="2026-10-19 11:00", category="meeting"), **extra})
    assert exclusion_reasons(events).tolist() == [reason]
    row = row_of(measure(events, Window(date(2026, 10, 19), date(2026, 10, 25))), "2026-10-19")
    assert row["busy_hours"] == 0.0


def test_overlap_of_three_categories_counts_each_instant_once(make_events):
    """Training 09-12, meeting 10-11, travel 11:30-12:30: precedence meeting > training > travel."""
    events = make_events(
        dict(start="2026-10-19 09:00", end="2026-10-19 12:00", category="training"),
        dict(start="2026-10-19 10:00", end="2026-10-19 11:00", category="meeting"),
        dict(start="2026-10-19 11:30", end="2026-10-19 12:30", category="travel"),
    )
    row = row_of(measure(events, Window(date(2026, 10, 19), date(2026, 10, 25))), "2026-10-19")
    assert (row["meeting_hours"], row["training_hours"], row["travel_hours"]) == (1.0, 2.0, 0.5)
    assert row["busy_hours"] == 3.5 == row["meeting_hours"] + row["training_hours"] + row["travel_hours"]
    assert row["double_booked_hours"] == 1.5


def test_part_time_hours_and_zero_working_hours_give_empty_pct(make_events):
    """Mon-Thu 08:00-16:00 is 32 h; a week with all four days on leave has no percentage."""
    part_time = WorkingHours((0, 1, 2, 3), time(8), time(16))
    leave = [dict(start=f"2026-10-{d}", end=f"2026-10-{d + 1}", is_all_day=True, show_as="oof", category="other")
             for d in (26, 27, 28, 29)]
    events = make_events(*leave, dict(start="2026-10-19 15:00", end="2026-10-19 17:00", category="direct_work"))
    table = measure(events, Window(date(2026, 10, 19), date(2026, 11, 1)), {SAM: part_time})
    first = row_of(table, "2026-10-19")
    assert first["working_hours"] == 32.0
    assert first["after_hours_hours"] == 1.0
    second = row_of(table, "2026-10-26")
    assert second["working_hours"] == 0.0
    assert np.isnan(second["direct_work_pct"])


def test_declined_or_cancelled_leave_keeps_working_hours(make_events):
    events = make_events(
        dict(start="2026-10-19", end="2026-10-20", is_all_day=True, show_as="oof", is_cancelled=True, category="other"),
        dict(start="2026-10-20", end="2026-10-22", is_all_day=True, show_as="oof", response="declined",
             category="other"),
        dict(start="2026-10-22", end="2026-10-24", is_all_day=True, show_as="oof", category="other"),
    )
    row = row_of(measure(events, Window(date(2026, 10, 19), date(2026, 10, 25))), "2026-10-19")
    assert row["working_hours"] == 24.0  # Thu and Fri on leave; Mon-Wed leave was cancelled or declined


def test_person_with_no_events_gets_working_hours(make_events):
    events = make_events(dict(start="2026-10-19 10:00", end="2026-10-19 11:00", category="meeting"))
    table = measure(events, Window(date(2026, 10, 19), date(2026, 10, 25)), people=(SAM, "alex@council.gov.uk"))
    row = row_of(table, "2026-10-19", "alex@council.gov.uk")
    assert (row["working_hours"], row["busy_hours"]) == (40.0, 0.0)


def test_a_series_in_two_mailboxes_is_one_costly_series():
    """Graph gives each mailbox its own seriesMasterId; organizer and subject still make it one series."""
    from calendar_audit.metrics import meeting_costs

    rows = []
    for person, series in (("sam@x.gov.uk", "AAMkSam"), ("alex@x.gov.uk", "AAMkAlex")):
        for week, uid in ((19, "occ-1"), (26, "occ-2")):
            rows.append({"person": person, "event_id": f"{person}-{week}", "series_id": series, "ical_uid": uid,
                         "subject": "Team meeting", "organizer": "lead@x.gov.uk", "attendee_count": 5,
                         "start": local(f"2026-10-{week} 10:00"), "end": local(f"2026-10-{week} 11:00")})
    rows.append({"person": "sam@x.gov.uk", "event_id": "one-off", "ical_uid": "uid-9", "subject": "Panel",
                 "organizer": "lead@x.gov.uk", "attendee_count": 3, "start": local("2026-10-20 10:00"),
                 "end": local("2026-10-20 12:30")})
    events = from_records(rows).assign(category="meeting", rule="team-meeting", matched=True, counted=True)
    events["hours"] = (events["end"] - events["start"]).dt.total_seconds() / 3600
    costs = meeting_costs(events, include_subjects=False)
    assert costs.top_series[["key", "occurrences", "people", "hours", "subject"]].values.tolist() == [
        ["series 1", 2, 2, 4.0, ""],
        ["meeting 2", 1, 1, 2.5, ""],
    ]


def test_costliest_meetings_are_told_apart_without_subjects():
    """The Tuesday 10:00 weekly, 2 h, organised by lead@, 12 people: recognisable with no subject; only meetings."""
    from calendar_audit.metrics import meeting_costs

    rows = []
    for day in ("2026-10-20", "2026-10-27", "2026-11-03"):  # three Tuesdays, 10:00 London (BST, then GMT)
        rows.append({"person": "sam@x.gov.uk", "event_id": f"weekly-{day}", "series_id": "S1", "ical_uid": day,
                     "subject": "Practice forum", "organizer": "lead@x.gov.uk", "attendee_count": 11,
                     "start": local(f"{day} 10:00"), "end": local(f"{day} 12:00"), "category": "meeting"})
    rows.append({"person": "sam@x.gov.uk", "event_id": "fortnightly-1", "series_id": "S2", "ical_uid": "f1",
                 "subject": "Panel", "organizer": "chair@x.gov.uk", "attendee_count": 4,
                 "start": local("2026-10-22 14:00"), "end": local("2026-10-22 15:30"), "category": "meeting"})
    rows.append({"person": "sam@x.gov.uk", "event_id": "fortnightly-2", "series_id": "S2", "ical_uid": "f2",
                 "subject": "Panel", "organizer": "chair@x.gov.uk", "attendee_count": 5,
                 "start": local("2026-11-05 14:00"), "end": local("2026-11-05 15:30"), "category": "meeting"})
    rows.append({"person": "sam@x.gov.uk", "event_id": "audit", "ical_uid": "a1", "subject": "Case file audit",
                 "organizer": "qa@x.gov.uk", "attendee_count": 11, "start": local("2026-10-21 09:00"),
                 "end": local("2026-10-21 17:00"), "category": "admin"})
    events = from_records(rows).assign(rule="r", matched=True, counted=True)
    events["category"] = [r["category"] for r in rows]
    events["hours"] = (events["end"] - events["start"]).dt.total_seconds() / 3600
    costs = meeting_costs(events, include_subjects=False, tz="Europe/London")
    top = costs.top_series
    assert top[["key", "when", "minutes", "recurs", "organizer", "attendees", "occurrences", "hours"]
               ].values.tolist() == [
        ["series 2", "Tue 10:00", 120, "weekly", "lead@x.gov.uk", 12, 3, 6.0],
        ["series 3", "Thu 14:00", 90, "fortnightly", "chair@x.gov.uk", 6, 2, 3.0],
    ]  # the 8-hour admin audit costs most, and is not a meeting: left out (it keeps its key, "meeting 1")
    assert set(top["subject"]) == {""}
    assert top.attrs["of"] == 2

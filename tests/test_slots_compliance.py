"""Slot compliance and violations to the minute on a hand-made calendar (DESIGN.md's definitions)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from calendar_audit.frame import WorkingHours
from calendar_audit.metrics import CATEGORIES, exclusion_reasons
from calendar_audit.slots import parse_slots, slot_occurrences
from calendar_audit.slots.compliance import (
    COMPLIANCE_COLUMNS,
    VIOLATION_COLUMNS,
    compliance_csv,
    measure_slots,
    violations_csv,
)
from calendar_audit.window import Window

SAM = "sam@council.gov.uk"
BOSS = "boss@council.gov.uk"
POLICY = """
[[slot]]
name = "mornings"
days = ["tue", "thu"]
start = "09:30"
end = "12:30"
allow = ["direct_work", "statutory"]
since = "2026-10-20"

[[slot]]
name = "sunday-nights"
days = ["sun"]
start = "00:00"
end = "04:00"
allow = ["direct_work"]
people = ["sam@council.gov.uk"]
"""
# Two weeks around the clocks going back (Sun 25 Oct 2026 02:00 BST -> 01:00 GMT).
WINDOW = Window(date(2026, 10, 19), date(2026, 11, 1))


def prepared(events: pd.DataFrame) -> pd.DataFrame:
    """Events classified by hand (category, rule, statutory) with the counted column, as prepare_events makes."""
    if "statutory" not in events:
        events = events.assign(statutory=False)
    reasons = exclusion_reasons(events)
    return events.assign(counted=(reasons == "").to_numpy(bool), excluded_because=reasons)


@pytest.fixture
def calendar(make_events) -> pd.DataFrame:
    return prepared(make_events(
        # Tue 20: on leave, so no slot that day and the meeting is no violation
        dict(subject="Annual leave", start="2026-10-20", end="2026-10-21", is_all_day=True, show_as="oof",
             response="organizer", category="other", rule="default:alone"),
        dict(subject="Panel", start="2026-10-20 10:00", end="2026-10-20 11:00", response="accepted",
             attendee_count=4, organizer=BOSS, category="meeting", rule="panel"),
        # Thu 22: a statutory meeting is kept; the team meeting breaks the slot though a visit wins half of it
        dict(subject="Strategy discussion", start="2026-10-22 09:30", end="2026-10-22 10:30", response="accepted",
             attendee_count=5, organizer=BOSS, category="meeting", rule="strategy", statutory=True),
        dict(subject="Team meeting", start="2026-10-22 11:00", end="2026-10-22 12:00", response="accepted",
             attendee_count=6, organizer=BOSS, category="meeting", rule="team-meeting"),
        dict(subject="Home visit", start="2026-10-22 11:30", end="2026-10-22 13:00", response="organizer",
             category="direct_work", rule="home-visit"),
        # Sun 25 (25-hour day): 00:30-03:30 local is 4 h elapsed inside a 5 h slot
        dict(subject="duty cover", start="2026-10-25 00:30", end="2026-10-25 03:30", response="organizer",
             category="other", rule="default:alone"),
        # Tue 27: declined and free meetings are not counted; a self-booked catch-up is half in the slot
        dict(subject="Catch up", start="2026-10-27 09:30", end="2026-10-27 10:30", response="declined",
             attendee_count=1, organizer=BOSS, category="meeting", rule="catch-up"),
        dict(subject="FYI", start="2026-10-27 10:30", end="2026-10-27 11:00", response="accepted", show_as="free",
             attendee_count=1, organizer=BOSS, category="meeting", rule="fyi"),
        dict(subject="Catch up", start="2026-10-27 12:00", end="2026-10-27 13:30", response="organizer",
             attendee_count=2, category="meeting", rule="catch-up"),
    ))


def measure(events: pd.DataFrame, **kw):
    return measure_slots(events, [SAM], WINDOW, parse_slots(POLICY), CATEGORIES, {}, WorkingHours(), **kw)


def test_the_calendar_counts_what_design_md_counts(calendar) -> None:
    """The fixture's counted column, written out: leave is all-day, the catch-up declined, the FYI free."""
    assert calendar["counted"].tolist() == [False, True, True, True, True, True, False, False, True]
    assert calendar["excluded_because"].tolist() == ["all_day", "", "", "", "", "", "declined", "free", ""]


def test_occurrences_skip_leave_days_and_days_before_since_and_follow_the_clock_change(calendar) -> None:
    occ = slot_occurrences(parse_slots(POLICY), [SAM], WINDOW, {SAM: {date(2026, 10, 20)}})
    assert list(occ.columns) == ["person", "slot", "start", "end"]
    assert [(s, str(a), str(b)) for s, a, b in zip(occ["slot"], occ["start"], occ["end"], strict=True)] == [
        ("mornings", "2026-10-22 08:30:00+00:00", "2026-10-22 11:30:00+00:00"),
        ("sunday-nights", "2026-10-24 23:00:00+00:00", "2026-10-25 04:00:00+00:00"),
        ("mornings", "2026-10-27 09:30:00+00:00", "2026-10-27 12:30:00+00:00"),
        ("mornings", "2026-10-29 09:30:00+00:00", "2026-10-29 12:30:00+00:00"),
        ("sunday-nights", "2026-11-01 00:00:00+00:00", "2026-11-01 04:00:00+00:00"),
    ]


def test_compliance_per_person_and_week_to_the_minute(calendar) -> None:
    table = measure(calendar).compliance
    assert list(table.columns) == COMPLIANCE_COLUMNS
    rows = [tuple(round(v, 4) if isinstance(v, float) else v for v in r) for r in table.itertuples(index=False)]
    assert rows == [
        # Thu 3 h (1 h statutory kept, 0.5 h free, 0.5 h team meeting lost, 1 h home visit) + Sun 5 h (4 h lost)
        (SAM, date(2026, 10, 19), 8.0, 3.5, 1.0, 43.75),
        # Tue 3 h (0.5 h lost to the catch-up) + Thu 3 h + Sun 4 h
        (SAM, date(2026, 10, 26), 10.0, 9.5, 0.0, 95.0),
    ]


def test_violations_are_events_outside_allow_with_their_overlap(calendar) -> None:
    v = measure(calendar).violations
    assert list(v.columns) == [*VIOLATION_COLUMNS, "subject"]
    got = v[["slot", "subject", "overlap_minutes", "category", "rule", "self_organised", "organizer"]]
    assert got.to_dict("records") == [
        # the visit wins 11:30-12:00, but the meeting still overlaps the slot for its whole hour
        {"slot": "mornings", "subject": "Team meeting", "overlap_minutes": 60.0, "category": "meeting",
         "rule": "team-meeting", "self_organised": False, "organizer": BOSS},
        {"slot": "sunday-nights", "subject": "duty cover", "overlap_minutes": 240.0, "category": "other",
         "rule": "default:alone", "self_organised": True, "organizer": SAM},
        {"slot": "mornings", "subject": "Catch up", "overlap_minutes": 30.0, "category": "meeting",
         "rule": "catch-up", "self_organised": True, "organizer": SAM},
    ]


def test_violations_csv_has_local_times_and_no_subject(calendar) -> None:
    table = violations_csv(measure(calendar).violations, "Europe/London")
    assert list(table.columns) == VIOLATION_COLUMNS
    assert [t.isoformat() for t in table["start"]] == [
        "2026-10-22T11:00:00+01:00", "2026-10-25T00:30:00+01:00", "2026-10-27T12:00:00+00:00"]


def test_statutory_meeting_in_a_slot_without_statutory_in_allow_is_a_violation(make_events) -> None:
    events = prepared(make_events(
        dict(subject="Core group", start="2026-10-22 09:30", end="2026-10-22 10:30", response="accepted",
             attendee_count=5, organizer=BOSS, category="meeting", rule="core-group", statutory=True),
    ))
    strict = POLICY.replace('allow = ["direct_work", "statutory"]', 'allow = ["direct_work"]')
    result = measure_slots(events, [SAM], WINDOW, parse_slots(strict), CATEGORIES, {}, WorkingHours())
    week = result.compliance.iloc[0]
    # no leave here: Tue 3 h + Thu 3 h + Sun 5 h, the core group's hour lost
    assert (week["slot_hours"], week["slot_kept_hours"]) == (11.0, 10.0)
    assert result.violations["overlap_minutes"].tolist() == [60.0]


def test_ignore_since_schedules_the_same_hours_before_the_policy(calendar) -> None:
    result = measure(calendar, ignore_since=True)
    first = result.compliance.iloc[0]
    # Tue 20 is still leave; Thu 22 and Sun 25 as before: since only moved nothing in this window's first week
    assert first["slot_hours"] == 8.0
    occ = slot_occurrences(parse_slots(POLICY), [SAM], Window(date(2026, 10, 12), date(2026, 10, 18)), {},
                           ignore_since=True)
    assert occ["slot"].tolist() == ["mornings", "mornings", "sunday-nights"]
    assert slot_occurrences(parse_slots(POLICY), [SAM], Window(date(2026, 10, 12), date(2026, 10, 18)),
                            {})["slot"].tolist() == ["sunday-nights"]


def test_slots_for_other_people_are_not_theirs(calendar) -> None:
    other = "kim@council.gov.uk"
    result = measure_slots(calendar, [SAM, other], WINDOW, parse_slots(POLICY), CATEGORIES, {}, WorkingHours())
    kim = result.compliance[result.compliance["person"] == other]
    assert kim["slot_hours"].tolist() == [6.0, 6.0]  # mornings only, no leave; sunday-nights is Sam's
    assert kim["kept_pct"].tolist() == [100.0, 100.0]


def test_a_week_all_on_leave_has_zero_slot_hours_and_an_empty_kept_pct(make_events) -> None:
    events = prepared(make_events(
        dict(subject="Leave", start="2026-10-26", end="2026-11-02", is_all_day=True, show_as="oof",
             response="organizer", category="other", rule="default:alone"),
    ))
    result = measure_slots(events, [SAM], WINDOW, parse_slots(POLICY), CATEGORIES, {}, WorkingHours())
    last = result.compliance.iloc[1]
    assert last["slot_hours"] == 0.0 and pd.isna(last["kept_pct"])


def test_violations_follow_the_teams_order_of_people_then_start(calendar, make_events) -> None:
    aaron = "aaron@council.gov.uk"  # sorts before Sam, and his violation starts earlier than any of Sam's
    his = prepared(make_events(
        dict(subject="Panel", start="2026-10-22 09:30", end="2026-10-22 10:00", response="accepted",
             attendee_count=3, organizer=BOSS, category="meeting", rule="panel"), person=aaron))
    events = pd.concat([calendar, his], ignore_index=True)
    slots = parse_slots(POLICY.replace('people = ["sam@council.gov.uk"]', f'people = ["{SAM}", "{aaron}"]'))
    v = measure_slots(events, [SAM, aaron], WINDOW, slots, CATEGORIES, {}, WorkingHours()).violations
    assert list(zip(v["person"], v["subject"], strict=True)) == [
        (SAM, "Team meeting"), (SAM, "duty cover"), (SAM, "Catch up"), (aaron, "Panel")]
    table = violations_csv(v, "Europe/London")
    assert table["person"].tolist() == [SAM, SAM, SAM, aaron]


def test_compliance_csv_rounds_halves_away_from_zero_like_person_week() -> None:
    table = pd.DataFrame([(SAM, date(2026, 10, 19), 16.0, 0.75, 0.00005, 100 * 0.75 / 16)],
                         columns=COMPLIANCE_COLUMNS)
    row = compliance_csv(table).iloc[0]
    assert row["kept_pct"] == 4.69  # 4.6875: numpy's round-half-to-even would give 4.68
    assert row["slot_direct_work_hours"] == 0.0001
    assert (row["slot_hours"], row["slot_kept_hours"]) == (16.0, 0.75)

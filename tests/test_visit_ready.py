"""Visit-ready time on hand-worked calendars: free working time in blocks of at least visit_block_minutes."""

from __future__ import annotations

from datetime import date, time

import pandas as pd

from calendar_audit.frame import WorkingHours
from calendar_audit.metrics import CATEGORIES, VISIT_READY_COLUMNS, exclusion_reasons, partition, person_week
from calendar_audit.slots import parse_slots, slot_occurrences
from calendar_audit.slots.occurrences import occurrence_layers
from calendar_audit.window import Window

SAM = "sam@council.gov.uk"
WEEK = Window(date(2026, 10, 19), date(2026, 10, 25))  # Mon-Sun; the clocks go back on Sun 25th
HALF_NINE = {SAM: WorkingHours(start=time(9, 30), end=time(17, 0))}
SLOT = """
[[slot]]
name = "mornings"
days = ["mon"]
start = "09:30"
end = "12:30"
allow = ["direct_work"]
"""


def visit_ready(events: pd.DataFrame, hours: dict | None = None, minutes: int = 120, slots: str = "",
                window: Window = WEEK) -> dict:
    events = events.assign(statutory=False) if "statutory" not in events else events
    events = events.assign(counted=(exclusion_reasons(events) == "").to_numpy(bool))
    layers = {}
    if slots:
        policy = parse_slots(slots)
        layers = occurrence_layers(slot_occurrences(policy, [SAM], window, {}), policy, [SAM])
    part = partition(events, [SAM], window, CATEGORIES, hours or {}, WorkingHours(), layers)
    row = person_week(part, minutes).iloc[0]
    return {c: (round(float(row[c]), 2) if c != "visit_ready_blocks" else int(row[c])) for c in VISIT_READY_COLUMNS}


def test_a_half_hour_meeting_at_eleven_leaves_no_morning_block_when_work_starts_at_half_nine(make_events):
    """Mon 09:30-17:00, meeting 11:00-11:30: 09:30-11:00 is 1.5 h (too short), 11:30-17:00 is one 5.5 h block.
    Tue-Fri are free all day: four blocks of 7.5 h."""
    events = make_events(dict(start="2026-10-19 11:00", end="2026-10-19 11:30", category="meeting",
                              attendee_count=3, response="accepted"))
    assert visit_ready(events, HALF_NINE) == {
        "visit_ready_hours": 5.5 + 4 * 7.5, "visit_ready_blocks": 5, "visit_ready_slot_hours": 0.0}


def test_meetings_every_two_hours_leave_nothing_visit_ready(make_events):
    """09:00-17:00 with a 15-minute meeting at 10:45, 12:30, 14:15 and 16:00 each day: the gaps are 1.75 h, 1.5 h,
    1.5 h, 1.5 h and 0.75 h, none of two hours."""
    rows = []
    for d in range(19, 24):
        for at in ("10:45", "12:30", "14:15", "16:00"):
            h, m = (int(p) for p in at.split(":"))
            rows.append(dict(start=f"2026-10-{d} {at}", end=f"2026-10-{d} {h + (m + 15) // 60:02d}:{(m + 15) % 60:02d}",
                             category="meeting", attendee_count=2, response="accepted"))
    assert visit_ready(make_events(*rows)) == {
        "visit_ready_hours": 0.0, "visit_ready_blocks": 0, "visit_ready_slot_hours": 0.0}


def test_declined_free_and_cancelled_events_leave_time_free_and_leave_days_have_none(make_events):
    """Declined and show-as-free events do not break a block; a leave day has no working time at all."""
    events = make_events(
        dict(start="2026-10-19 12:00", end="2026-10-19 13:00", response="declined", category="meeting"),
        dict(start="2026-10-19 14:00", end="2026-10-19 15:00", show_as="free", category="meeting"),
        dict(start="2026-10-20", end="2026-10-21", is_all_day=True, show_as="oof", response="organizer",
             category="other"),
    )
    assert visit_ready(events) == {"visit_ready_hours": 4 * 8.0, "visit_ready_blocks": 4,
                                   "visit_ready_slot_hours": 0.0}


def test_block_length_is_a_setting_and_a_block_exactly_that_long_counts(make_events):
    """Mon: meeting 11:00-12:00 splits 09:00-11:00 (2 h, counts at 120 min) and 12:00-17:00 (5 h)."""
    events = make_events(dict(start="2026-10-19 11:00", end="2026-10-19 12:00", category="meeting",
                              attendee_count=2, response="accepted"))
    assert visit_ready(events)["visit_ready_blocks"] == 6
    assert visit_ready(events, minutes=121) == {"visit_ready_hours": 5.0 + 4 * 8.0, "visit_ready_blocks": 5,
                                                "visit_ready_slot_hours": 0.0}


def test_blocks_do_not_span_midnight():
    """Working 00:00-24:00 every day: each day is its own block (seven of 24 h, 25 h on the clock change)."""
    allday = {SAM: WorkingHours(days=(0, 1, 2, 3, 4, 5, 6), start=time(0), end=time.max)}
    from calendar_audit.frame import empty_frame

    events = empty_frame().assign(category=pd.Series(dtype="string"))
    result = visit_ready(events, allday)
    assert result == {"visit_ready_hours": 6 * 24.0 + 25.0, "visit_ready_blocks": 7, "visit_ready_slot_hours": 0.0}


def test_slot_hours_are_the_visit_ready_part_inside_protected_slots(make_events):
    """Mon slot 09:30-12:30; meeting 09:00-09:45 and 14:00-15:00: blocks 09:45-14:00 (4.25 h, 2.75 h of it in
    the slot) and 15:00-17:00 (2 h)."""
    events = make_events(
        dict(start="2026-10-19 09:00", end="2026-10-19 09:45", category="meeting", attendee_count=2,
             response="accepted"),
        dict(start="2026-10-19 14:00", end="2026-10-19 15:00", category="meeting", attendee_count=2,
             response="accepted"),
    )
    assert visit_ready(events, slots=SLOT) == {"visit_ready_hours": 4.25 + 2 + 4 * 8.0, "visit_ready_blocks": 6,
                                               "visit_ready_slot_hours": 2.75}


AMY = "amy@council.gov.uk"
MONDAY = Window(date(2026, 10, 19), date(2026, 10, 19))


def week_table(events: pd.DataFrame, people: list[str], slots: str = "", slot_people: list[str] | None = None,
               window: Window = WEEK) -> pd.DataFrame:
    """person_week's visit-ready columns for several people, 09:00-17:00; ``slots`` for ``slot_people`` only."""
    events = events.assign(statutory=False, counted=(exclusion_reasons(events) == "").to_numpy(bool))
    layers = {}
    if slots:
        policy = parse_slots(slots)
        layers = occurrence_layers(slot_occurrences(policy, slot_people or people, window, {}), policy, people)
    part = partition(events, people, window, CATEGORIES, {}, WorkingHours(), layers)
    return person_week(part)[["person", *VISIT_READY_COLUMNS]]


def test_slot_hours_count_the_visit_ready_time_in_every_slot_of_the_policy():
    """A free week 09:00-17:00: five 8-hour blocks; the Monday 09:30-12:30 and Tuesday 13:00-16:00 slots hold
    3 h of them each."""
    from calendar_audit.frame import empty_frame

    two = SLOT + '\n[[slot]]\nname = "afternoons"\ndays = ["tue"]\nstart = "13:00"\nend = "16:00"\n' \
                 'allow = ["direct_work"]\n'
    table = week_table(empty_frame().assign(category=pd.Series(dtype="string")), [SAM], two)
    assert table.values.tolist() == [[SAM, 40.0, 5, 6.0]]


def test_a_week_with_no_free_time_has_no_visit_ready_time_and_blocks_stay_whole_numbers(make_events):
    """Meetings 09:00-17:00 every weekday: no free time at all, for anyone."""
    rows = [dict(start=f"2026-10-{d} 09:00", end=f"2026-10-{d} 17:00", category="meeting", attendee_count=2,
                 response="accepted") for d in range(19, 24)]
    table = week_table(make_events(*rows), [SAM])
    assert table.values.tolist() == [[SAM, 0.0, 0, 0.0]]
    assert str(table["visit_ready_blocks"].dtype) == "int64"  # a count: written as 0, not 0.0


def test_a_free_stretch_cut_by_slot_edges_is_one_block_for_each_person():
    """Monday only, both free 09:00-17:00. Amy's slot 09:30-12:30 cuts her day into three touching pieces: still
    one 8-hour block, 3 h of it in the slot. Sam has no slot: one 8-hour block."""
    from calendar_audit.frame import empty_frame

    table = week_table(empty_frame().assign(category=pd.Series(dtype="string")), [SAM, AMY], SLOT, [AMY], MONDAY)
    assert table.values.tolist() == [[SAM, 8.0, 1, 0.0], [AMY, 8.0, 1, 3.0]]
    assert str(table["visit_ready_blocks"].dtype) == "int64"

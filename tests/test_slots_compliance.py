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
    slot_compliance,
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


# --- cases each worked out by hand (tests/README.md "Mutation testing") ----------------------------------------
KIM = "kim@council.gov.uk"
SINCE_THURSDAY = """
[[slot]]
name = "mornings"
days = ["tue", "thu"]
start = "09:30"
end = "12:30"
allow = ["direct_work"]
since = "2026-10-29"
"""


def since_thursday_calendar(make_events) -> pd.DataFrame:
    """An hour's meeting in the 09:30-12:30 slot on Thu 22 Oct (before since) and on Thu 29 Oct (after it)."""
    return prepared(make_events(
        dict(subject="Panel", start="2026-10-22 10:00", end="2026-10-22 11:00", response="accepted",
             attendee_count=3, organizer=BOSS, category="meeting", rule="panel"),
        dict(subject="Panel", start="2026-10-29 10:00", end="2026-10-29 11:00", response="accepted",
             attendee_count=3, organizer=BOSS, category="meeting", rule="panel"),
    ))


def hours_rows(table: pd.DataFrame) -> list[tuple]:
    return [(r.week_start, r.slot_hours, r.slot_kept_hours, r.slot_direct_work_hours, round(r.kept_pct, 4))
            for r in table.itertuples(index=False)]


def test_since_is_honoured_by_default_and_ignored_when_asked(make_events) -> None:
    events = since_thursday_calendar(make_events)
    slots = parse_slots(SINCE_THURSDAY)
    # by default only Thu 29 is scheduled: week of 26 Oct, 3 h of slot, the panel's hour lost
    honoured = measure_slots(events, [SAM], WINDOW, slots, CATEGORIES, {}, WorkingHours())
    assert hours_rows(honoured.compliance) == [(date(2026, 10, 26), 3.0, 2.0, 0.0, 66.6667)]
    assert [str(t) for t in honoured.occurrences["start"]] == ["2026-10-29 09:30:00+00:00"]
    assert [str(t) for t in honoured.violations["start"]] == ["2026-10-29 10:00:00+00:00"]
    table, occurrences = slot_compliance(events, [SAM], WINDOW, slots, CATEGORIES, {}, WorkingHours())
    assert hours_rows(table) == [(date(2026, 10, 26), 3.0, 2.0, 0.0, 66.6667)]
    assert len(occurrences) == 1
    # ignoring since: Tue+Thu both weeks (BST 08:30 UTC before the clocks go back on 25 Oct), each week 6 h, 1 h lost
    ignored = measure_slots(events, [SAM], WINDOW, slots, CATEGORIES, {}, WorkingHours(), ignore_since=True)
    assert hours_rows(ignored.compliance) == [(date(2026, 10, 19), 6.0, 5.0, 0.0, 83.3333),
                                              (date(2026, 10, 26), 6.0, 5.0, 0.0, 83.3333)]
    assert [str(t) for t in ignored.occurrences["start"]] == [
        "2026-10-20 08:30:00+00:00", "2026-10-22 08:30:00+00:00", "2026-10-27 09:30:00+00:00",
        "2026-10-29 09:30:00+00:00"]
    assert [str(t) for t in ignored.violations["start"]] == ["2026-10-22 09:00:00+00:00", "2026-10-29 10:00:00+00:00"]


def test_the_audits_partition_gives_the_same_compliance_as_sweeping_here(make_events) -> None:
    """The report passes its own partition (slot layers, and shadow layers ignoring since): same figures."""
    from calendar_audit.audit import slot_layers
    from calendar_audit.metrics import partition

    events = since_thursday_calendar(make_events)
    slots = parse_slots(SINCE_THURSDAY)
    part = partition(events, [SAM], WINDOW, CATEGORIES, {}, WorkingHours(), slot_layers(events, [SAM], WINDOW, slots))
    table, _ = slot_compliance(events, [SAM], WINDOW, slots, CATEGORIES, {}, WorkingHours(), part=part)
    assert hours_rows(table) == [(date(2026, 10, 26), 3.0, 2.0, 0.0, 66.6667)]
    shadow, _ = slot_compliance(events, [SAM], WINDOW, slots, CATEGORIES, {}, WorkingHours(), ignore_since=True,
                                part=part)
    assert hours_rows(shadow) == [(date(2026, 10, 19), 6.0, 5.0, 0.0, 83.3333),
                                  (date(2026, 10, 26), 6.0, 5.0, 0.0, 83.3333)]
    result = measure_slots(events, [SAM], WINDOW, slots, CATEGORIES, {}, WorkingHours(), ignore_since=True, part=part)
    assert hours_rows(result.compliance) == hours_rows(shadow)
    assert len(result.violations) == 2


def test_a_half_hour_slot_allowing_training_loses_the_direct_work_in_it(make_events) -> None:
    slots = parse_slots('[[slot]]\nname = "learning"\ndays = ["mon"]\nstart = "09:00"\nend = "09:30"\n'
                        'allow = ["training"]\n')
    events = prepared(make_events(
        dict(subject="Home visit", start="2026-10-19 09:00", end="2026-10-19 09:15", response="organizer",
             category="direct_work", rule="home-visit"),
    ))
    result = measure_slots(events, [SAM], Window(date(2026, 10, 19), date(2026, 10, 25)), slots, CATEGORIES, {},
                           WorkingHours())
    # 0.5 h of slot: the visit's quarter hour is direct work but not the slot's purpose; the empty quarter is kept
    assert hours_rows(result.compliance) == [(date(2026, 10, 19), 0.5, 0.25, 0.25, 50.0)]
    assert result.violations["overlap_minutes"].tolist() == [15.0]


def test_direct_work_hours_are_zero_under_a_rule_set_without_direct_work(make_events) -> None:
    slots = parse_slots('[[slot]]\nname = "s"\ndays = ["mon"]\nstart = "09:00"\nend = "10:00"\nallow = ["other"]\n')
    events = prepared(make_events(
        dict(subject="duty", start="2026-10-19 09:00", end="2026-10-19 09:30", response="organizer",
             category="other", rule="default:alone"),
    ))
    result = measure_slots(events, [SAM], Window(date(2026, 10, 19), date(2026, 10, 25)), slots,
                           ("meeting", "training", "other"), {}, WorkingHours())
    assert hours_rows(result.compliance) == [(date(2026, 10, 19), 1.0, 1.0, 0.0, 100.0)]


def test_someone_without_the_slot_breaks_nobody_elses(make_events) -> None:
    """Kim has no slot (it names Sam alone): her meetings at Sam's slot times and later are no violations."""
    slots = parse_slots('[[slot]]\nname = "s"\ndays = ["mon"]\nstart = "09:00"\nend = "10:00"\n'
                        f'allow = ["direct_work"]\npeople = ["{SAM}"]\n')
    sam = make_events(dict(subject="Visit", start="2026-10-19 09:00", end="2026-10-19 10:00", response="organizer",
                           category="direct_work", rule="home-visit"))
    kim = make_events(
        dict(subject="Panel", start="2026-10-19 09:00", end="2026-10-19 10:00", response="accepted",
             attendee_count=3, organizer=BOSS, category="meeting", rule="panel"),
        dict(subject="Panel", start="2026-10-23 15:00", end="2026-10-23 16:00", response="accepted",
             attendee_count=3, organizer=BOSS, category="meeting", rule="panel"), person=KIM)
    events = prepared(pd.concat([sam, kim], ignore_index=True))
    result = measure_slots(events, [SAM, KIM], Window(date(2026, 10, 19), date(2026, 10, 25)), slots, CATEGORIES,
                           {}, WorkingHours())
    assert hours_rows(result.compliance) == [(date(2026, 10, 19), 1.0, 1.0, 1.0, 100.0)]
    assert len(result.violations) == 0


TWO_SLOTS_A_DAY = """
[[slot]]
name = "am"
days = ["tue", "thu"]
start = "09:30"
end = "12:30"
allow = ["direct_work"]

[[slot]]
name = "pm"
days = ["tue"]
start = "13:00"
end = "15:00"
allow = ["direct_work"]
"""


def test_a_meeting_across_two_slots_breaks_each_and_a_second_counts(make_events) -> None:
    events = prepared(make_events(
        # 09:00:00-09:30:01: one second into the morning slot
        dict(subject="Early", start="2026-10-20 09:00:00", end="2026-10-20 09:30:01", response="accepted",
             attendee_count=2, organizer=BOSS, category="meeting", rule="catch-up"),
        # a reminder at 10:00 lasting no time overlaps nothing
        dict(subject="Reminder", start="2026-10-20 10:00", end="2026-10-20 10:00", response="organizer",
             category="admin", rule="reminder"),
        # 12:00-13:30: half an hour in each slot; its invitation named no organiser
        dict(subject="Lunch and learn", start="2026-10-20 12:00", end="2026-10-20 13:30", response="accepted",
             attendee_count=8, category="training", rule="training"),
    ))
    v = measure_slots(events, [SAM], Window(date(2026, 10, 19), date(2026, 10, 25)), parse_slots(TWO_SLOTS_A_DAY),
                      CATEGORIES, {}, WorkingHours()).violations
    assert list(zip(v["slot"], v["subject"], v["overlap_minutes"].round(4), v["organizer"], v["self_organised"],
                    strict=True)) == [
        ("am", "Early", 0.0167, BOSS, False),
        ("am", "Lunch and learn", 30.0, "", False),
        ("pm", "Lunch and learn", 30.0, "", False),
    ]
    table = violations_csv(v, "Europe/London")
    assert table["overlap_minutes"].tolist() == [0.02, 30.0, 30.0]  # 1/60 of a minute to 2 decimals
    assert table["self_organised"].dtype == bool  # written False, not 0.0


def test_no_violation_gives_an_empty_table_typed_like_a_full_one(make_events) -> None:
    """Nothing counted (a declined meeting), or nothing in a slot: the same columns, times in UTC, numbers, flags."""
    declined = prepared(make_events(
        dict(subject="Panel", start="2026-10-22 10:00", end="2026-10-22 11:00", response="declined",
             attendee_count=3, organizer=BOSS, category="meeting", rule="panel")))
    outside = prepared(make_events(
        dict(subject="Panel", start="2026-10-22 14:00", end="2026-10-22 15:00", response="accepted",
             attendee_count=3, organizer=BOSS, category="meeting", rule="panel")))
    for events in (declined, outside):
        v = measure(events).violations
        assert len(v) == 0
        assert list(v.columns) == [*VIOLATION_COLUMNS, "subject"]
        assert (str(v["start"].dtype), str(v["end"].dtype)) == ("datetime64[ns, UTC]", "datetime64[ns, UTC]")
        assert (v["overlap_minutes"].dtype, v["self_organised"].dtype) == (float, bool)
        assert list(violations_csv(v, "Europe/London").columns) == VIOLATION_COLUMNS


def test_compliance_csv_has_design_md_columns_only() -> None:
    table = pd.DataFrame([(SAM, date(2026, 10, 19), 3.0, 2.0, 0.0, 100 * 2 / 3)], columns=COMPLIANCE_COLUMNS,
                         index=[7])
    out = compliance_csv(table)
    assert list(out.columns) == COMPLIANCE_COLUMNS
    assert out.iloc[0].tolist() == [SAM, date(2026, 10, 19), 3.0, 2.0, 0.0, 66.67]


def test_a_team_with_no_one_yet_has_an_empty_compliance_table(make_events) -> None:
    nobody = prepared(make_events(
        dict(subject="Panel", start="2026-10-22 10:00", end="2026-10-22 11:00", response="accepted",
             attendee_count=3, organizer=BOSS, category="meeting", rule="panel")))[:0]
    result = measure_slots(nobody, [], WINDOW, parse_slots(POLICY), CATEGORIES, {}, WorkingHours())
    assert list(result.compliance.columns) == COMPLIANCE_COLUMNS and len(result.compliance) == 0
    assert len(result.violations) == 0 and len(result.occurrences) == 0

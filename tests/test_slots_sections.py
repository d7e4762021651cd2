"""The report's protected-slot sections (slots/sections.py): compliance and before/after, figures by hand.

The overrun tables and the section texts are built from hand-made compliance, violations and before/after tables;
``policy_sections`` and ``slot_result`` from a two-person, two-week calendar measured as ``audit`` measures it.
"""

from __future__ import annotations

from datetime import date, time

import numpy as np
import pandas as pd
import pytest

from calendar_audit.audit import slot_layers
from calendar_audit.frame import WorkingHours
from calendar_audit.metrics import CATEGORIES, AuditResult, exclusion_reasons, partition, person_week, team_week
from calendar_audit.slots.compliance import VIOLATION_COLUMNS, SlotResult
from calendar_audit.slots.evaluate import BeforeAfter
from calendar_audit.slots.policy import Slot
from calendar_audit.slots.sections import (
    before_after_section,
    compliance_section,
    kept_by_week,
    no_comparison_section,
    overrun_organisers,
    overrun_people,
    overrun_purposes,
    policy_sections,
    policy_sentence,
    slot_result,
)
from calendar_audit.window import Window

NAN = float("nan")
W1, W2, W3 = date(2026, 1, 5), date(2026, 1, 12), date(2026, 1, 19)  # Mondays
MORNINGS = Slot("mornings", (1, 3), time(9, 30), time(12, 30), ("direct_work", "statutory"), since=date(2026, 1, 5))
WITHHELD = "Team figures are withheld: fewer than 5 people."


# --- sentences ----------------------------------------------------------------------------------------------------
def test_a_slot_reads_as_one_sentence_with_its_days_purposes_and_dates() -> None:
    assert policy_sentence(MORNINGS) == ("Tuesday and Thursday 09:30-12:30 are kept for direct work and statutory "
                                         "meetings (“mornings”, since Mon 5 Jan 2026).")
    three = Slot("admin", (0, 2, 4), time(14), time(16), ("admin_time",), since=date(2026, 1, 5),
                 until=date(2026, 3, 27))
    assert policy_sentence(three) == ("Monday, Wednesday and Friday 14:00-16:00 are kept for admin time "
                                      "(“admin”, since Mon 5 Jan 2026, until Fri 27 Mar 2026).")
    one = Slot("quiet", (4,), time(9), time(10), ())
    assert policy_sentence(one) == "Friday 09:00-10:00 is kept for nothing (“quiet”)."
    until = Slot("late", (6,), time(20), time.max, ("direct_work",), until=date(2026, 2, 1))
    assert policy_sentence(until) == "Sunday 20:00-24:00 is kept for direct work (“late”, until Sun 1 Feb 2026)."


def test_no_comparison_says_which_side_of_the_window_the_date_leaves_empty() -> None:
    first, last = date(2026, 1, 5), date(2026, 1, 18)
    window = "(Mon 5 Jan 2026 to Sun 18 Jan 2026)"
    after = no_comparison_section(date(2026, 1, 19), first, last)
    assert after.title == "Before and after the policy"
    assert after.intro == (f"No comparison: --compare-at Mon 19 Jan 2026 leaves no week on one side: it is after the "
                           f"window {window}, so there are no weeks after it. Choose a date inside the window, or "
                           "widen the window with --from and --to.")
    assert (after.tables, after.chart, after.points) == ([], None, [])
    assert no_comparison_section(first, first, last).intro == (
        f"No comparison: --compare-at Mon 5 Jan 2026 leaves no week on one side: it is the window’s first day "
        f"{window}, so there are no weeks before it. Choose a date inside the window, or widen the window with --from "
        "and --to.")
    assert no_comparison_section(date(2025, 12, 31), first, last).intro == (
        f"No comparison: --compare-at Wed 31 Dec 2025 leaves no week on one side: it is before the window {window}, "
        "so there are no weeks before it. Choose a date inside the window, or widen the window with --from and --to.")
    # a one-day window compared at its only day: that day is its first, so no week before it
    assert no_comparison_section(first, first, first).intro == (
        "No comparison: --compare-at Mon 5 Jan 2026 leaves no week on one side: it is the window’s first day (Mon 5 "
        "Jan 2026 to Mon 5 Jan 2026), so there are no weeks before it. Choose a date inside the window, or widen the "
        "window with --from and --to.")


# --- compliance tables --------------------------------------------------------------------------------------------
def compliance(rows: list[tuple[str, date, float, float, float]]) -> pd.DataFrame:
    """(person, week_start, slot hours, kept hours, direct work hours in the slot)."""
    frame = pd.DataFrame(rows, columns=["person", "week_start", "slot_hours", "slot_kept_hours",
                                        "slot_direct_work_hours"])
    frame["kept_pct"] = 100 * frame["slot_kept_hours"] / frame["slot_hours"].where(frame["slot_hours"] > 0)
    return frame


def violations(rows: list[tuple[str, str, str, bool, float, str, str]]) -> pd.DataFrame:
    """(event_id, person, organizer, self_organised, overlap minutes, category, rule)."""
    frame = pd.DataFrame(rows, columns=["event_id", "person", "organizer", "self_organised", "overlap_minutes",
                                        "category", "rule"])
    frame["slot"] = "mornings"
    frame["start"] = frame["end"] = pd.Timestamp("2026-01-06 10:00", tz="UTC")
    return frame[VIOLATION_COLUMNS]


# ana: 3 overruns (2.5 h); cy: 2 (3 h); sam: 2 (1.5 h), one his own; dee: none
MEASURED = SlotResult(
    compliance=compliance([
        ("ana", W1, 3, 1.5, 1), ("ana", W2, 3, 1.5, 1),
        ("sam", W1, 3, 3, 2), ("sam", W2, 3, 1.5, 0),
        ("cy", W1, 1, 0, 0), ("cy", W2, 0, 0, 0),  # one slot hour, then on leave
        ("dee", W1, 3, 3, 3), ("dee", W2, 3, 3, 3),
        ("ana", W3, 0, 0, 0), ("sam", W3, 0, 0, 0),  # a week everyone is on leave
    ]),
    violations=violations([
        ("e1", "sam", "boss", False, 60, "meeting", "team-meeting"),
        ("e2", "sam", "sam", True, 30, "meeting", "catch-up"),
        ("e3", "ana", "boss", False, 90, "meeting", "team-meeting"),
        ("e4", "ana", "kim", False, 45, "other", "default:alone"),
        ("e5", "cy", "kim", False, 150, "meeting", "panel"),
        ("e6", "ana", "kim", False, 15, "meeting", "team-meeting"),
        ("e7", "cy", "boss", False, 30, "meeting", "team-meeting"),
    ]),
    occurrences=pd.DataFrame(),
)


def test_kept_by_week_sums_the_team_and_has_no_rate_without_slot_time() -> None:
    expected = pd.DataFrame({
        "week_start": [W1, W2, W3],
        "slot_hours": [10.0, 9.0, 0.0], "slot_kept_hours": [7.5, 6.0, 0.0], "slot_direct_work_hours": [6.0, 4.0, 0.0],
        "kept_pct": [75.0, 200 / 3, NAN],
    })
    pd.testing.assert_frame_equal(kept_by_week(MEASURED.compliance), expected, check_dtype=False)
    one = compliance([("cy", W1, 0.5, 0.5, 0), ("sam", W1, 0.5, 0, 0)])  # one slot hour, half of it kept
    assert kept_by_week(one)["kept_pct"].tolist() == [50.0]


def test_people_overrun_most_often_come_first_then_by_hours_lost_with_their_kept_rate() -> None:
    expected = pd.DataFrame({
        "person": ["ana", "cy", "sam"], "violations": [3, 2, 2], "overlap_hours": [2.5, 3.0, 1.5],
        "self_booked": [0, 0, 1], "kept_pct": [50.0, 0.0, 75.0],  # cy kept none of his one slot hour
    })
    pd.testing.assert_frame_equal(overrun_people(MEASURED), expected, check_dtype=False)


def test_organisers_who_overrun_most_come_first_with_the_people_they_overran() -> None:
    expected = pd.DataFrame({
        "organizer": ["kim", "boss", "sam"], "violations": [3, 3, 1], "people": [2, 3, 1],
        "overlap_hours": [3.5, 3.0, 0.5], "self_booked": [0, 0, 1],
    })
    pd.testing.assert_frame_equal(overrun_organisers(MEASURED), expected, check_dtype=False)


def test_purposes_that_take_slot_time_most_come_first() -> None:
    expected = pd.DataFrame({
        "category": ["meeting", "meeting", "other", "meeting"],
        "rule": ["team-meeting", "panel", "default:alone", "catch-up"],
        "violations": [4, 1, 1, 1], "people": [3, 1, 1, 1], "overlap_hours": [3.25, 2.5, 0.75, 0.5],
    })
    pd.testing.assert_frame_equal(overrun_purposes(MEASURED), expected, check_dtype=False)


def test_compliance_section_states_the_policy_the_kept_total_and_the_overruns() -> None:
    late = Slot("late", (4,), time(16), time(17), ())
    section = compliance_section(MEASURED, [MORNINGS, late])
    assert section.title == "Protected direct-work slots"
    assert section.intro == (
        "The policy: Tuesday and Thursday 09:30-12:30 are kept for direct work and statutory meetings (“mornings”, "
        "since Mon 5 Jan 2026). Friday 16:00-17:00 is kept for nothing (“late”). Of 19.0 h of protected time "
        "scheduled (less leave days), 13.5 h were kept (71.1%): free, or used for what the slot allows. 7 counted "
        "events outside the slot's purpose overlapped it.")
    captions = [caption for caption, _ in section.tables]
    assert captions == ["Kept rate per week", "People whose slots were overrun most often",
                        "Organisers whose meetings overran slots most", "Purposes that overran slots most"]
    tables = dict(section.tables)
    pd.testing.assert_frame_equal(tables["Kept rate per week"], kept_by_week(MEASURED.compliance))
    pd.testing.assert_frame_equal(tables["People whose slots were overrun most often"], overrun_people(MEASURED))
    pd.testing.assert_frame_equal(tables["Organisers whose meetings overran slots most"],
                                  overrun_organisers(MEASURED))
    pd.testing.assert_frame_equal(tables["Purposes that overran slots most"], overrun_purposes(MEASURED))
    assert section.chart.columns.tolist() == ["week_start", "kept_pct"]
    assert section.chart["week_start"].tolist() == [W1, W2, W3]
    assert section.chart["kept_pct"].tolist()[:2] == [75.0, pytest.approx(200 / 3)]


def test_compliance_totals_use_thousands_separators_and_say_none_without_slot_time() -> None:
    big = SlotResult(compliance([("ana", W1, 1234.5, 1000, 0)]), violations([("e1", "ana", "boss", False, 60,
                                                                             "meeting", "x")] * 1200),
                     pd.DataFrame())
    assert "Of 1,234.5 h of protected time scheduled (less leave days), 1,000.0 h were kept (81.0%)" in \
        compliance_section(big, [MORNINGS]).intro
    assert "1,200 counted events" in compliance_section(big, [MORNINGS]).intro
    empty = SlotResult(compliance([]), violations([]), pd.DataFrame())
    section = compliance_section(empty, [MORNINGS])
    assert "Of 0.0 h of protected time scheduled (less leave days), 0.0 h were kept (none)" in section.intro
    assert "0 counted events" in section.intro


def test_a_withheld_team_keeps_people_and_organisers_and_loses_the_team_totals() -> None:
    section = compliance_section(MEASURED, [MORNINGS], WITHHELD)
    assert section.title == "Protected direct-work slots"
    assert section.intro == ("The policy: Tuesday and Thursday 09:30-12:30 are kept for direct work and statutory "
                             f"meetings (“mornings”, since Mon 5 Jan 2026). {WITHHELD}")
    assert [caption for caption, _ in section.tables] == ["People whose slots were overrun most often",
                                                          "Organisers whose meetings overran slots most"]
    pd.testing.assert_frame_equal(section.tables[0][1], overrun_people(MEASURED))
    pd.testing.assert_frame_equal(section.tables[1][1], overrun_organisers(MEASURED))
    assert section.chart is None


# --- before/after text --------------------------------------------------------------------------------------------
def evaluation(team_rows: list[tuple], caveats: list[str]) -> BeforeAfter:
    team = pd.DataFrame(team_rows, columns=["measure", "before", "after", "difference", "ci_low", "ci_high",
                                            "people"])
    people = pd.DataFrame([
        ("ana", "direct work hours a week", 9.0, 13.5, 4.5), ("ben", "direct work hours a week", 5.0, 5.0, 0.0),
        ("ana", "meeting hours a week", 5.0, 4.5, -0.5), ("ben", "meeting hours a week", 10.0, 2.5, -7.5),
    ], columns=["person", "measure", "before", "after", "difference"])
    return BeforeAfter(date(2026, 1, 5), team, people, 4, 3, caveats)


TEAM_ROWS = [
    ("direct work hours a week", 7.0, 9.3, 2.3, 0.04, 4.5, 2),
    ("meeting hours a week", 7.5, 3.5, -4.0, -7.5, -0.5, 2),
    ("direct work % of working hours", 28.0, 47.5, 19.5, 9.0, 30.0, 2),
    ("protected slot time kept %", 75.0, 87.5, 12.5, NAN, NAN, 1),
]
LEAD = ("Weeks before and after Mon 5 Jan 2026 (4 before, 3 after), each person compared with themselves. Slot "
        "time kept before the policy is measured over the same hours. Changes of a share are in percentage points.")
TREND = pd.DataFrame({"week_start": [W1, W2], "direct_work_pct": [30.0, 40.0], "meeting_pct": [20.0, 10.0],
                      "kept_pct": [50.0, 75.0]})


def test_before_after_lists_each_measure_with_its_change_and_interval_then_the_caveats() -> None:
    section = before_after_section(evaluation(TEAM_ROWS, ["Only 3 weeks after.", "Not proof."]), TREND)
    assert section.title == "Before and after the policy"
    assert section.lead == LEAD
    assert section.points == [
        "Direct work hours a week: 7.0 h before, 9.3 h after, a change of +2.3 h (95% interval +0.0 to +4.5 h; "
        "2 people).",
        "Meeting hours a week: 7.5 h before, 3.5 h after, a change of -4.0 h (95% interval -7.5 to -0.5 h; "
        "2 people).",
        "Direct work % of working hours: 28.0% before, 47.5% after, a change of +19.5 percentage points (95% "
        "interval +9.0 to +30.0 percentage points; 2 people).",
        # the kept rate of one person has no interval: not stated as a team change
        "Only 3 weeks after.",
        "Not proof.",
    ]
    assert section.intro == " ".join([LEAD, *section.points])
    assert section.chart is TREND and section.chart_marker == date(2026, 1, 5)


def test_before_after_tables_are_the_team_and_each_persons_change_per_measure() -> None:
    ba = evaluation(TEAM_ROWS, [])
    section = before_after_section(ba, TREND)
    (team_caption, team), (people_caption, people) = section.tables
    assert team_caption == "Team: mean per person before and after, change and 95% interval"
    pd.testing.assert_frame_equal(team, ba.team)
    assert team.attrs["changes"] == ("difference", "ci_low", "ci_high")
    assert "changes" not in ba.team.attrs  # the evaluation's own table is left alone
    assert people_caption == "Change per person (after minus before)"
    expected = pd.DataFrame({"person": ["ana", "ben"], "direct work hours a week": [4.5, 0.0],
                             "meeting hours a week": [-0.5, -7.5]})
    pd.testing.assert_frame_equal(people, expected)
    assert people.columns.name is None
    assert people.attrs["changes"] == ("direct work hours a week", "meeting hours a week")


def test_before_after_without_any_interval_says_there_is_not_enough_to_compare() -> None:
    rows = [("direct work hours a week", 7.0, 9.3, 2.3, NAN, NAN, 1)]
    section = before_after_section(evaluation(rows, ["Not proof."]), TREND)
    assert section.points == ["Not enough weeks on both sides to compare.", "Not proof."]


def test_a_withheld_team_shows_each_persons_change_only() -> None:
    section = before_after_section(evaluation(TEAM_ROWS, ["Not proof."]), TREND, WITHHELD)
    assert section.title == "Before and after the policy"
    assert section.intro == ("Weeks before and after Mon 5 Jan 2026 (4 before, 3 after), each person compared with "
                             f"themselves. {WITHHELD}")
    [(caption, people)] = section.tables
    assert caption == "Change per person (after minus before)"
    assert people.columns.tolist() == ["person", "direct work hours a week", "meeting hours a week"]
    assert people.columns.name is None
    assert people.attrs["changes"] == ("direct work hours a week", "meeting hours a week")
    assert (section.chart, section.chart_marker, section.points, section.lead) == (None, None, [], "")


# --- from a calendar ----------------------------------------------------------------------------------------------
SAM, ANA, BOSS = "sam@council.gov.uk", "ana@council.gov.uk", "boss@council.gov.uk"
WINDOW = Window(date(2026, 1, 5), date(2026, 1, 18))
FROM_12 = Slot("mornings", (1,), time(9, 30), time(12, 30), ("direct_work", "statutory"), since=date(2026, 1, 12))


@pytest.fixture
def calendar(make_events) -> pd.DataFrame:
    """sam: a meeting in Tuesday's slot both weeks, and a home visit in it the second; ana: nothing."""
    events = make_events(
        dict(subject="Team meeting", start="2026-01-06 10:00", end="2026-01-06 11:00", response="accepted",
             attendee_count=4, organizer=BOSS, category="meeting", rule="team-meeting"),
        dict(subject="Team meeting", start="2026-01-13 10:00", end="2026-01-13 11:00", response="accepted",
             attendee_count=4, organizer=BOSS, category="meeting", rule="team-meeting"),
        dict(subject="Home visit", start="2026-01-13 11:00", end="2026-01-13 12:00", response="organizer",
             category="direct_work", rule="home-visit"),
        person=SAM,
    ).assign(statutory=False)
    reasons = exclusion_reasons(events)
    return events.assign(counted=(reasons == "").to_numpy(bool), excluded_because=reasons)


def audited(events: pd.DataFrame, slots: list[Slot], *, withheld: str = "", layers_for: list[Slot] | None = None
            ) -> AuditResult:
    """What ``audit`` returns for these events: the partition swept with ``layers_for`` (default: the slots)."""
    layers_for = slots if layers_for is None else layers_for
    people = [SAM, ANA]
    part = partition(events, people, WINDOW, CATEGORIES, {}, WorkingHours(),
                     slot_layers(events, people, WINDOW, layers_for))
    table = person_week(part)
    return AuditResult(WINDOW, tuple(CATEGORIES), table, team_week(table), events, pd.DataFrame(), pd.DataFrame(),
                       withheld_reason=withheld,
                       slot_partition=(tuple(layers_for), part) if layers_for else None)


def test_slot_result_measures_the_slot_from_its_start_date(calendar) -> None:
    measured = slot_result(audited(calendar, [FROM_12]), [FROM_12])
    # sam keeps 09:30-10:00, the visit and 12:00-12:30 of 3 h; ana all 3 h
    expected = pd.DataFrame({"person": [SAM, ANA], "week_start": [W2, W2], "slot_hours": [3.0, 3.0],
                             "slot_kept_hours": [2.0, 3.0], "slot_direct_work_hours": [1.0, 0.0],
                             "kept_pct": [200 / 3, 100.0]})
    pd.testing.assert_frame_equal(measured.compliance.reset_index(drop=True), expected, check_dtype=False)
    assert measured.violations["event_id"].tolist() == ["e1"]
    assert measured.violations["overlap_minutes"].tolist() == [60]


def test_a_drafts_preview_measures_it_over_the_whole_window(calendar) -> None:
    """The policy page measures a draft with its start date ignored, over an audit swept without it."""
    measured = slot_result(audited(calendar, []), [FROM_12], ignore_since=True)
    assert measured.compliance[["person", "week_start", "slot_kept_hours"]].values.tolist() == [
        [SAM, W1, 2.0], [SAM, W2, 2.0], [ANA, W1, 3.0], [ANA, W2, 3.0]]
    assert measured.violations["event_id"].tolist() == ["e0", "e1"]


@pytest.mark.parametrize("layers_for", [None, [], [MORNINGS]], ids=["audit's", "no policy", "another policy"])
def test_policy_sections_measure_compliance_then_compare_before_and_after_the_start(calendar, layers_for) -> None:
    """Whatever policy the audit was swept with, the sections measure the one they are given."""
    sections = policy_sections(audited(calendar, [FROM_12], layers_for=layers_for), [FROM_12])
    assert [s.title for s in sections] == ["Protected direct-work slots", "Before and after the policy"]
    assert sections[0].intro == (
        "The policy: Tuesday 09:30-12:30 is kept for direct work and statutory meetings (“mornings”, since Mon 12 "
        "Jan 2026). Of 6.0 h of protected time scheduled (less leave days), 5.0 h were kept (83.3%): free, or used "
        "for what the slot allows. 1 counted events outside the slot's purpose overlapped it.")
    after = sections[1]
    assert after.chart_marker == W2
    assert after.lead.startswith("Weeks before and after Mon 12 Jan 2026 (1 before, 1 after)")
    # 40 working hours a week; sam: 0 -> 1 h direct work, 1 -> 1 h meetings; ana: nothing either week.
    # kept, measured over the same Tuesday hours before the policy: sam 2 of 3 h both weeks, ana 3 of 3.
    team = after.tables[0][1]
    expected = pd.DataFrame([
        ("direct work hours a week", 0.0, 0.5, 0.5, 0.0, 1.0, 2),
        ("meeting hours a week", 0.5, 0.5, 0.0, 0.0, 0.0, 2),
        ("direct work % of working hours", 0.0, 1.25, 1.25, 0.0, 2.5, 2),
        ("protected slot time kept %", 250 / 3, 250 / 3, 0.0, 0.0, 0.0, 2),
    ], columns=["measure", "before", "after", "difference", "ci_low", "ci_high", "people"])
    pd.testing.assert_frame_equal(team, expected, check_dtype=False)
    trend = pd.DataFrame({"week_start": [W1, W2], "direct_work_pct": [0.0, 1.25], "meeting_pct": [1.25, 1.25],
                          "kept_pct": [250 / 3, 250 / 3]})
    pd.testing.assert_frame_equal(after.chart, trend, check_dtype=False)


def test_compare_at_overrides_the_slots_start_date(calendar) -> None:
    sections = policy_sections(audited(calendar, [FROM_12]), [FROM_12], date(2026, 1, 13))
    assert sections[1].chart_marker == date(2026, 1, 13)
    assert sections[1].lead.startswith("Weeks before and after Tue 13 Jan 2026 (1 before, 0 after)")


def test_the_earliest_start_date_of_the_slots_is_the_cutoff(calendar) -> None:
    always = Slot("afternoons", (3,), time(14), time(16), ("direct_work",))
    later = Slot("fridays", (4,), time(9), time(10), ("direct_work",), since=date(2026, 1, 16))
    sections = policy_sections(audited(calendar, [always, later, FROM_12]), [always, later, FROM_12])
    assert sections[1].chart_marker == W2


def test_the_windows_last_day_can_be_compared_at(calendar) -> None:
    sections = policy_sections(audited(calendar, [FROM_12]), [FROM_12], date(2026, 1, 18))
    assert sections[1].title == "Before and after the policy" and sections[1].chart_marker == date(2026, 1, 18)


def test_a_start_on_the_windows_first_day_has_no_comparison_unless_asked(calendar) -> None:
    from_first = Slot("mornings", (1,), time(9, 30), time(12, 30), ("direct_work",), since=WINDOW.first)
    sections = policy_sections(audited(calendar, [from_first]), [from_first])
    assert [s.title for s in sections] == ["Protected direct-work slots"]
    sections = policy_sections(audited(calendar, [from_first]), [from_first], WINDOW.first)
    assert sections[1].intro.startswith("No comparison: --compare-at Mon 5 Jan 2026 leaves no week on one side: it "
                                        "is the window’s first day")


def test_a_slot_without_a_start_date_has_compliance_only(calendar) -> None:
    always = Slot("mornings", (1,), time(9, 30), time(12, 30), ("direct_work",))
    sections = policy_sections(audited(calendar, [always]), [always])
    assert [s.title for s in sections] == ["Protected direct-work slots"]
    assert "Of 12.0 h of protected time scheduled" in sections[0].intro


def test_no_policy_and_no_date_has_no_section_and_a_date_alone_compares_without_kept_time(calendar) -> None:
    assert policy_sections(audited(calendar, []), []) == []
    [section] = policy_sections(audited(calendar, []), [], W2)
    assert section.title == "Before and after the policy"
    assert section.tables[0][1]["measure"].tolist() == [
        "direct work hours a week", "meeting hours a week", "direct work % of working hours"]
    assert section.chart["kept_pct"].isna().all()
    [section] = policy_sections(audited(calendar, []), [], date(2026, 2, 1))
    assert section.intro.startswith("No comparison: --compare-at Sun 1 Feb 2026 leaves no week on one side: it is "
                                    "after the window")


def test_a_withheld_team_gets_withheld_sections(calendar) -> None:
    sections = policy_sections(audited(calendar, [FROM_12], withheld=WITHHELD), [FROM_12])
    assert sections[0].intro.endswith(WITHHELD) and sections[0].chart is None
    assert sections[1].intro.endswith(WITHHELD) and sections[1].chart is None


def test_sections_leave_the_audit_untouched(calendar) -> None:
    result = audited(calendar, [FROM_12])
    before = result.person_week.copy()
    policy_sections(result, [FROM_12])
    pd.testing.assert_frame_equal(result.person_week, before)
    assert np.array_equal(result.events["event_id"].to_numpy(), np.array(["e0", "e1", "e2"], dtype=object))

"""Tests added to kill surviving mutants of the core (`make mutation`, tests/README.md): each pins a value worked out
by hand, on the smallest input that tells the right code from a plausible wrong one."""

from __future__ import annotations

import hashlib
import hmac

import numpy as np
import pandas as pd
import pytest

from calendar_audit.errors import ConfigError
from calendar_audit.frame import SourceData, WorkingHours, from_records
from calendar_audit.privacy import Pseudonyms, group_withheld, private, pseudonymise, salt_of
from calendar_audit.rules import parse_rules
from calendar_audit.rules.patterns import pattern_problem
from calendar_audit.settings import load_settings

SALT = "a-long-random-team-secret"


def hand(who: str) -> str:
    """A pseudonym worked out with hmac directly (not with the product's function)."""
    return "person-" + hmac.new(SALT.encode(), who.encode(), hashlib.sha256).hexdigest()[:8]


# --- privacy ------------------------------------------------------------------------------------------------------

def test_group_withheld_says_why_for_one_person_and_for_two() -> None:
    tail = (", fewer than the minimum group size of 5 (privacy.min_group_size), so a team figure would reveal "
            "individuals. Per-person figures are shown; run with --allow-small-team to show team figures anyway.")
    head = "Team totals and comparisons are withheld: this audit covers "
    assert group_withheld(["amy"], 5) == head + "1 person" + tail
    assert group_withheld(["amy", "ben", "amy"], 5) == head + "2 people" + tail  # distinct people
    assert group_withheld(["amy", "ben"], 5, allow_small=True) == ""
    assert group_withheld(["a", "b", "c", "d", "e"], 5) == ""  # exactly the minimum is enough


def test_salt_of_refuses_an_empty_or_blank_salt_with_the_whole_message() -> None:
    settings = load_settings(None, privacy={"pseudonymise": True, "pseudonym_salt": "   "})
    with pytest.raises(ConfigError) as caught:
        salt_of(settings)
    assert str(caught.value) == (
        "privacy.pseudonym_salt: privacy.pseudonymise is on but no salt is set; set a long random secret (e.g. "
        "CALENDAR_AUDIT_PRIVACY__PSEUDONYM_SALT) and keep it to show the same pseudonyms next time")
    assert salt_of(load_settings(None, privacy={"pseudonymise": True, "pseudonym_salt": SALT})) == SALT


def test_a_blank_name_stays_blank() -> None:
    names = Pseudonyms(SALT)
    assert (names(""), names("  ")) == ("", "")
    assert names.known == {}


def test_text_replaces_the_longest_known_name_first_whatever_its_case() -> None:
    names = Pseudonyms(SALT)
    names("jo.smith")
    names("jo.smith@x.uk")
    # "jo.smith@x.uk" must become one pseudonym, not the stem's pseudonym followed by "@x.uk"
    assert names.text("From JO.SMITH@X.UK and Jo.Smith") == f"From {hand('jo.smith@x.uk')} and {hand('jo.smith')}"


def test_text_learns_names_added_after_it_was_first_used() -> None:
    names = Pseudonyms(SALT)
    names("amy")
    assert names.text("amy and ben") == f"{hand('amy')} and ben"
    names("ben")  # the pattern of known names is rebuilt as it grows
    assert names.text("amy and ben") == f"{hand('amy')} and {hand('ben')}"


def test_text_pseudonymises_an_unknown_address_without_learning_it() -> None:
    names = Pseudonyms(SALT)
    assert names.text("invite from Stranger@Else.org today") == f"invite from {hand('stranger@else.org')} today"
    assert names.known == {}


def test_pseudonymise_learns_exactly_the_people_and_fixes_uids_holding_an_address() -> None:
    events = from_records([
        {"person": "sam@x.uk", "event_id": "123-sam@x.uk", "ical_uid": "uid-1", "organizer": "kim@x.uk",
         "start": pd.Timestamp("2026-10-20 09:00Z"), "end": pd.Timestamp("2026-10-20 10:00Z"),
         "attendees": ("kim@x.uk",)},
        {"person": "sam@x.uk", "event_id": "plain-2", "organizer": "",
         "start": pd.Timestamp("2026-10-21 09:00Z"), "end": pd.Timestamp("2026-10-21 10:00Z"),
         "attendees": ("lee@y.uk",)},
    ])
    events.index = [5, 7]  # a filtered frame: values must follow the index, not the position
    names = Pseudonyms(SALT)
    out = pseudonymise(SourceData(events, people=["sam@x.uk"]), SALT, names=names)
    assert set(names.known) == {"sam@x.uk", "kim@x.uk", "lee@y.uk"}
    assert out.events["event_id"].tolist() == [f"123-{hand('sam@x.uk')}", "plain-2"]
    assert out.events["ical_uid"].tolist() == ["uid-1", ""]
    assert out.events["attendees"].tolist() == [(hand("kim@x.uk"),), (hand("lee@y.uk"),)]
    assert out.events["organizer"].tolist() == [hand("kim@x.uk"), ""]


def test_private_uses_the_settings_salt_hours_and_names_that_map_back() -> None:
    settings = load_settings(None, privacy={"pseudonymise": True, "pseudonym_salt": SALT}, people={
        "Sam@X.uk": {"working_hours": {"days": ["mon"], "start": "08:00", "end": "12:00"}}})
    events = from_records([{"person": "sam@x.uk", "event_id": "e1", "start": pd.Timestamp("2026-10-20 09:00Z"),
                            "end": pd.Timestamp("2026-10-20 10:00Z")}])
    data, names = private(SourceData(events, people=["sam@x.uk"]), settings)
    assert data.people == [hand("sam@x.uk")]
    assert list(data.working_hours) == [hand("sam@x.uk")]
    assert data.working_hours[hand("sam@x.uk")].days == (0,)
    assert names.real(f"{hand('sam@x.uk')}/e1") == "sam@x.uk/e1"
    assert names.real("person-0000beef/e1") == "person-0000beef/e1"  # a pseudonym it never made is kept
    assert names.given("SAM@x.uk") == hand("sam@x.uk") and names.given(hand("sam@x.uk")) == hand("sam@x.uk")


def test_names_are_shown_as_they_are_when_pseudonyms_are_off() -> None:
    events = from_records([{"person": "sam@x.uk", "event_id": "e1", "start": pd.Timestamp("2026-10-20 09:00Z"),
                            "end": pd.Timestamp("2026-10-20 10:00Z")}])
    source = SourceData(events, people=["sam@x.uk"], working_hours={"sam@x.uk": WorkingHours()})
    data, names = private(source, load_settings(None))
    assert data is source
    assert (names("Sam@x.uk"), names.text("sam@x.uk"), names.real("x"), names.given("sam")) == (
        "Sam@x.uk", "sam@x.uk", "x", "sam")


# --- metrics and timeline -----------------------------------------------------------------------------------------

DAY0 = pd.Timestamp("2026-10-19 10:00Z")


def costs_events(rows: list[dict]) -> pd.DataFrame:
    """Hand-classified events for meeting_costs: category, rule, matched and counted given, hours from the times."""
    base = {"person": "sam@x.uk", "organizer": "lead@x.uk", "attendee_count": 3, "subject": "Panel",
            "category": "meeting", "rule": "panel", "matched": True, "counted": True}
    records = [{**base, "event_id": f"e{i}", "ical_uid": f"uid-{i}",
                "start": DAY0 + pd.Timedelta(days=i), "end": DAY0 + pd.Timedelta(days=i, hours=1), **row}
               for i, row in enumerate(rows)]
    frame = from_records(records)
    for key in ("category", "rule", "matched", "counted"):
        frame[key] = [r[key] for r in records]
    frame["hours"] = (frame["end"] - frame["start"]).dt.total_seconds() / 3600
    return frame


def test_meeting_costs_count_only_counted_meetings_with_others_that_are_not_direct_work() -> None:
    from calendar_audit.metrics import meeting_costs

    events = costs_events([
        {},  # counted, 3 others, a meeting: the only one that costs
        {"category": "direct_work", "rule": "joint-visit", "attendee_count": 2},  # direct work with others
        {"counted": False},  # declined or free
        {"category": "other", "rule": "default:alone", "attendee_count": 0, "matched": False},  # alone
    ])
    costs = meeting_costs(events, include_subjects=True)
    # Mon 10:00 for an hour, once, organised by lead@x.uk, 4 invited (the person and 3 others)
    assert costs.top_series.values.tolist() == [
        ["meeting 1", "meeting", "panel", "Panel", "Mon 10:00", 60, "once", "lead@x.uk", 4, 1, 1, 1.0]]
    assert costs.unclassified.empty


def test_meeting_costs_show_the_fifteen_costliest_by_default() -> None:
    from calendar_audit.metrics import meeting_costs

    # 17 one-off meetings of 1 to 17 hours (each on its own day, so no two clash)
    rows = [{"end": DAY0 + pd.Timedelta(days=i, hours=i + 1), "matched": False}
            for i in range(17)]
    costs = meeting_costs(costs_events(rows), include_subjects=False)
    assert costs.top_series["hours"].tolist() == [float(h) for h in range(17, 2, -1)]  # 17 h down to 3 h
    assert len(costs.unclassified) == 15


def test_team_week_puts_people_second_and_weeks_in_order() -> None:
    from calendar_audit.metrics import HOUR_COLUMNS, team_week

    rows = []
    # weeks given out of order; two people in the later week, one in the earlier
    for person, week, working in (("amy", "2026-10-26", 30.0), ("ben", "2026-10-26", 10.0),
                                  ("amy", "2026-10-19", 40.0)):
        row = dict.fromkeys(HOUR_COLUMNS, 0.0)
        row.update(person=person, week_start=pd.Timestamp(week).date(), working_hours=working,
                   meeting_hours=working / 10)
        rows.append(row)
    table = team_week(pd.DataFrame(rows))
    assert list(table.columns[:3]) == ["week_start", "people", "working_hours"]
    assert [(str(w), p, h, m) for w, p, h, m in table[["week_start", "people", "working_hours", "meeting_pct"]]
            .itertuples(index=False)] == [("2026-10-19", 1, 40.0, 10.0), ("2026-10-26", 2, 40.0, 10.0)]


def test_empty_intervals_are_three_empty_int64_arrays() -> None:
    from calendar_audit.timeline import Intervals

    for empty in (Intervals.empty(), Intervals.concat([])):
        assert [(a.dtype.name, a.shape) for a in (empty.person, empty.start, empty.end)] == [("int64", (0,))] * 3


# --- rules: the static regular-expression checks -------------------------------------------------------------------

ALTERNATION = "repeats a group of alternatives"
NESTED = "repeats a group that itself repeats"


@pytest.mark.parametrize(("pattern", "found"), [
    ("(a|bb)+", ALTERNATION),
    ("(a|bc){2}", ALTERNATION),  # a repeat that may match twice is enough
    ("((ab|cd))+", ALTERNATION),  # alternatives two groups down
    ("(x|(ab|cd)+)", ALTERNATION),  # the repeat inside one alternative
    ("(?:(?=a|bc)x)+", ALTERNATION),  # alternatives in a lookahead under a repeat
    ("(?=(ab|cd)+)x", ALTERNATION),  # a repeat inside a lookahead
    ("(?>a|bc)+", ALTERNATION),  # an atomic group under a repeat
    ("(?:x(?>ab|cd)+)", ALTERNATION),
    ("(a+)+", NESTED),
    ("(a{1,2})+x", NESTED),  # an inner repeat of at most 2 still repeats
    ("(?:x(?:ab)+)+", NESTED),
    ("(?:x|a+)+", NESTED),  # an inner repeat inside an alternative
    ("(?=(a+)+)b", NESTED),  # inside a lookahead
    ("(?!(a+)+)b", NESTED),  # inside a negative lookahead
    ("(?>(a+)+)b", NESTED),  # inside an atomic group
    ("(a)?(?:(?(1)b+|c))+", NESTED),  # inside a conditional group
    ("(a)?(?:(?(1)c|b+))+", NESTED),  # in its "no" branch
    ("(?:(?=a+)x)+", NESTED),  # a repeat in a lookahead that is itself repeated
    ("(?:(?>a+)x)+", NESTED),  # a repeat in an atomic group that is itself repeated
])
def test_pattern_problem_finds_each_backtracking_shape(pattern: str, found: str) -> None:
    problem = pattern_problem(pattern)
    assert problem is not None and found in problem, (pattern, problem)


@pytest.mark.parametrize("pattern", [
    "(a|bc)?x",  # alternatives that match at most once
    "(ab?)+",  # an inner repeat of at most one
    "(?:x(?:ab)?)+",
    "(?=a|bc)x+",  # a lookahead outside any repeat
    "(?>ab|cd)x",  # an atomic group outside any repeat
    "(a)?(?(1)b|c)+",  # a conditional whose branches do not repeat
    "(x|y)|(ab|cd)",  # alternatives of alternatives, nothing repeated
    "a{2}(b|cd)",
])
def test_pattern_problem_accepts_shapes_that_cannot_backtrack(pattern: str) -> None:
    assert pattern_problem(pattern) is None


def test_pattern_problem_messages_in_full() -> None:
    assert pattern_problem("a" * 500) is None  # the longest pattern allowed
    assert pattern_problem("a" * 501) == "pattern is 501 characters long (at most 500)"
    assert pattern_problem("(ab") == 'bad regular expression "(ab": missing ), unterminated subpattern'
    assert pattern_problem("x*") == '"x*" matches an empty subject, so it would match every event'
    assert pattern_problem("(a+)+") == ('"(a+)+" repeats a group that itself repeats (like "(a+)+"), which can take '
                                        "exponential time on a long subject; rewrite it without the nested repeat")
    assert pattern_problem("(a|bc)+") == (
        '"(a|bc)+" repeats a group of alternatives (like "(a|aa)+"), which can take exponential time on a long '
        "subject; rewrite it without the repeat, or with a character class such as [ab]+")


def test_sweep_partitions_two_people_by_precedence_depth_statutory_layers_and_cuts() -> None:
    """Worked by hand on a 100-second span: person 0 has A [10, 40) rank 1 and B [30, 60) rank 0 statutory (and D,
    outside the span); person 1 has C [50, 120) rank 2, clipped at 100. Work: person 0 [0, 50), person 1 [80, 100).
    One common cut at 25; the cuts 0, 100 and 150 are the span's ends or outside it."""
    from calendar_audit.timeline import Intervals, sweep

    def iv(*rows: tuple[int, int, int]) -> Intervals:
        return Intervals(*(np.array(col, dtype=np.int64) for col in zip(*rows, strict=True)))

    events = iv((0, 200, 300), (0, 10, 40), (0, 30, 60), (1, 50, 120))
    seg = sweep(2, 0, 100, events, np.array([0, 1, 0, 2]), 3, np.array([True, False, True, False]),
                {"work": iv((0, 0, 50), (1, 80, 100))}, np.array([0, 25, 100, 150]))
    assert seg.person.tolist() == [0] * 7 + [1] * 4
    assert seg.start.tolist() == [0, 10, 25, 30, 40, 50, 60, 0, 25, 50, 80]
    assert seg.seconds.tolist() == [10, 15, 5, 10, 10, 10, 40, 25, 25, 30, 20]
    assert seg.winner.tolist() == [-1, 1, 1, 0, 0, 0, -1, -1, -1, 2, 2]
    assert seg.depth.tolist() == [0, 1, 1, 2, 1, 1, 0, 0, 0, 1, 1]
    assert seg.statutory.tolist() == [False, False, False, True, True, True, False] + [False] * 4
    assert seg.layers["work"].tolist() == [True] * 5 + [False] * 5 + [True]
    # busy seconds per person, as hours: (15 + 5 + 10 + 10 + 10) / 3600 and (30 + 20) / 3600
    assert (seg.hours_by(seg.person, 2, seg.depth > 0) * 3600).tolist() == [50.0, 50.0]


def test_sweep_with_an_origin_that_is_not_zero_reports_absolute_starts() -> None:
    from calendar_audit.timeline import Intervals, sweep

    one = Intervals(np.array([0]), np.array([1_010]), np.array([1_020]))
    seg = sweep(1, 1_000, 30, one, np.array([0]), 1, np.array([False]))
    assert (seg.start.tolist(), seg.seconds.tolist(), seg.winner.tolist()) == ([1_000, 1_010, 1_020],
                                                                                [10, 10, 10], [-1, 0, -1])
    assert seg.start.dtype == seg.seconds.dtype == np.int64  # epoch seconds stay whole, with or without cuts


def test_sweep_ignores_a_zero_length_event_and_honours_a_cut_one_second_in() -> None:
    from calendar_audit.timeline import Intervals, sweep

    # a zero-length event at 20 must not split [10, 30); a cut at 1 splits [0, 10); a one-second event is kept
    events = Intervals(np.array([0, 0, 0]), np.array([20, 10, 35]), np.array([20, 30, 36]))
    seg = sweep(1, 0, 40, events, np.array([0, 0, 0]), 1, np.array([False] * 3), cuts=np.array([1]))
    assert (seg.start.tolist(), seg.depth.tolist()) == ([0, 1, 10, 30, 35, 36], [0, 0, 1, 0, 1, 0])


def test_sweep_an_event_of_no_known_category_never_overrides_a_winner() -> None:
    from calendar_audit.timeline import Intervals, sweep

    # rank -1 (a category not in the order) over [0, 20); rank 0 over [10, 20): the known category wins [10, 20)
    events = Intervals(np.array([0, 0]), np.array([0, 10]), np.array([20, 20]))
    seg = sweep(1, 0, 20, events, np.array([-1, 0]), 1, np.array([False, False]))
    assert (seg.winner.tolist(), seg.depth.tolist()) == ([-1, 0], [1, 2])


def test_working_intervals_follow_the_persons_own_zone_skip_leave_and_end_at_midnight() -> None:
    from datetime import date, time

    from calendar_audit.timeline import local_instant, working_intervals

    days = [date(2026, 10, 19), date(2026, 10, 20), date(2026, 10, 24)]  # Mon, Tue, Sat
    # New York hours 09:00-17:00 EDT (UTC-4) on Mon and Sat only; Tue is leave
    ny = WorkingHours(days=(0, 1, 5), start=time(9), end=time(17), tz="America/New_York")
    work = working_intervals(3, days, ny, "Europe/London", {date(2026, 10, 20)})
    mon_9 = int(pd.Timestamp("2026-10-19 13:00Z").timestamp())
    sat_9 = int(pd.Timestamp("2026-10-24 13:00Z").timestamp())
    assert work.person.tolist() == [3, 3]
    assert work.start.tolist() == [mon_9, sat_9]
    assert (work.end - work.start).tolist() == [8 * 3600, 8 * 3600]
    # the team's zone when the person has none: 09:00 BST is 08:00 UTC
    team = working_intervals(0, days[:1], WorkingHours(), "Europe/London", set())
    assert team.start.tolist() == [int(pd.Timestamp("2026-10-19 08:00Z").timestamp())]
    # time.max means the next midnight: Sun 25 Oct 2026 has 25 hours in London
    from zoneinfo import ZoneInfo

    london = ZoneInfo("Europe/London")
    # in summer time the next midnight is 23:00 UTC
    assert local_instant(date(2026, 6, 15), time.max, london) == int(pd.Timestamp("2026-06-15 23:00Z").timestamp())
    assert local_instant(date(2026, 10, 25), time.max, london) - local_instant(date(2026, 10, 25), time(0),
                                                                                london) == 25 * 3600


# --- metrics: what counts -----------------------------------------------------------------------------------------

def test_exclusion_reasons_first_reason_wins_and_24_hours_is_too_long(make_events) -> None:
    from calendar_audit.metrics import exclusion_reasons

    events = make_events(
        dict(start="2026-10-19 09:00", end="2026-10-20 09:00"),  # exactly 24 h
        dict(start="2026-10-19 09:00", end="2026-10-20 08:59"),  # a minute less
        dict(start="2026-10-19 09:00", end="2026-10-19 10:00", is_cancelled=True, response="declined"),
        dict(start="2026-10-19 09:00", end="2026-10-19 10:00", response="declined", show_as="free"),
        dict(start="2026-10-19", end="2026-10-20", is_all_day=True, show_as="free"),
        dict(start="2026-10-19 09:00", end="2026-10-19 10:00", show_as="free", response="tentativelyAccepted"),
        dict(start="2026-10-19 09:00", end="2026-10-19 10:00", response="tentativelyAccepted"),
        dict(start="2026-10-19 09:00", end="2026-10-19 10:00", response="none"),
    )
    assert exclusion_reasons(events).tolist() == ["over_24h", "", "cancelled", "declined", "all_day", "free", "",
                                                  ""]
    assert exclusion_reasons(events, ("accepted", "organizer")).tolist()[-2:] == ["response_not_counted"] * 2
    # a filtered frame keeps its own index, and the reasons are a string column like the frame's text columns
    reasons = exclusion_reasons(events.iloc[[2, 4]])
    assert (reasons.index.tolist(), reasons.dtype) == ([2, 4], "string")


def test_event_hours_are_clipped_to_the_window_and_zero_when_not_counted(make_events) -> None:
    from datetime import date

    from calendar_audit.metrics import event_hours
    from calendar_audit.window import Window

    events = make_events(
        dict(start="2026-10-18 23:00", end="2026-10-19 01:30"),  # 1.5 h inside (the window starts Mon 00:00)
        dict(start="2026-10-25 23:00", end="2026-10-26 02:00"),  # 1 h inside (it ends Mon 26 00:00 GMT)
        dict(start="2026-10-20 09:00", end="2026-10-20 10:00"),
        dict(start="2026-10-17 09:00", end="2026-10-17 10:00"),  # before the window
        dict(start="2026-10-27 09:00", end="2026-10-27 10:00"),  # after it
    )
    events["counted"] = [True, True, False, True, True]
    assert event_hours(events, Window(date(2026, 10, 19), date(2026, 10, 25))).tolist() == [1.5, 1.0, 0.0, 0.0, 0.0]


def test_leave_days_ignore_cancelled_declined_and_timed_oof(make_events) -> None:
    from datetime import date

    from calendar_audit.metrics import leave_days

    events = make_events(
        dict(start="2026-10-20", end="2026-10-22", is_all_day=True, show_as="oof"),  # Tue and Wed
        dict(start="2026-10-23", end="2026-10-24", is_all_day=True, show_as="oof", is_cancelled=True),
        dict(start="2026-10-26", end="2026-10-27", is_all_day=True, show_as="oof", response="declined"),
        dict(start="2026-10-27 09:00", end="2026-10-27 17:00", show_as="oof"),  # timed: not a leave day
    )
    assert leave_days(events) == {"sam@council.gov.uk": {date(2026, 10, 20), date(2026, 10, 21)}}


# --- suggestions: the words a practitioner reads, weights and the team-wide rule ------------------------------------

def test_every_reason_sentence_in_full_with_the_settings_numbers() -> None:
    from calendar_audit.settings import SuggestSettings
    from calendar_audit.suggest import sentence

    config = SuggestSettings(large_attendees=10, recurring_heavy_hours_per_month=2.5)
    assert {code: sentence(code, config) for code in (
        "in_protected_slot", "double_booked", "no_clear_purpose", "optional", "teammate_attending",
        "recurring_heavy", "large", "after_hours")} == {
        "in_protected_slot": "It falls in your protected direct-work time, where this kind of meeting is not allowed.",
        "double_booked": "It clashes with direct work or a statutory meeting in your calendar.",
        "no_clear_purpose": "No clear purpose: no agenda or matching purpose, or a vague title.",
        "optional": "You were invited as optional.",
        "teammate_attending": "A teammate has already accepted: one person can represent the team.",
        "recurring_heavy": "A recurring series costing you more than 2.5 hours a month.",
        "large": "A large meeting (more than 10 others) that you do not organise.",
        "after_hours": "It is outside your working hours.",
    }


def test_weights_refuse_an_unknown_reason_or_a_negative_weight_naming_the_key() -> None:
    from calendar_audit.settings import SuggestSettings
    from calendar_audit.suggest import weights_of

    with pytest.raises(ConfigError) as caught:
        weights_of(SuggestSettings(weights={"boring": 1.0}))
    assert str(caught.value) == (
        "suggest.weights.boring: unknown reason (use in_protected_slot, double_booked, no_clear_purpose, optional, "
        "teammate_attending, recurring_heavy, large, after_hours)")
    with pytest.raises(ConfigError) as caught:
        weights_of(SuggestSettings(weights={"large": -0.5}))
    assert str(caught.value) == "suggest.weights.large: must be 0 or more, got -0.5"
    with pytest.raises(ConfigError, match=r"^suggest\.weights\.optional: must be 0 or more, got nan$"):
        weights_of(SuggestSettings(weights={"optional": float("nan")}))
    weights = weights_of(SuggestSettings(weights={"large": 0, "after_hours": 3}))
    assert (weights["large"], weights["after_hours"], weights["optional"]) == (0.0, 3.0, 1.5)


def test_reasons_rank_by_weight_then_by_the_reason_order_and_a_zero_weight_drops_one() -> None:
    from calendar_audit.settings import SuggestSettings
    from calendar_audit.suggest import reasons_of

    config = SuggestSettings(weights={"after_hours": 1.8, "optional": 0, "large": 2.0})
    found = reasons_of(["after_hours", "optional", "large", "in_protected_slot"], config)
    # large 2.0 first; in_protected_slot and after_hours tie at 1.8: in_protected_slot comes first in REASON_CODES
    assert [(r.code, r.weight) for r in found] == [("large", 2.0), ("in_protected_slot", 1.8), ("after_hours", 1.8)]
    assert found[0].sentence == "A large meeting (more than 8 others) that you do not organise."


@pytest.mark.parametrize(("on_it", "team", "wide"), [
    (2, 2, False),  # two people can always be represented by one
    (3, 4, True), (3, 5, True), (3, 6, False),  # more than half the team
    (4, 7, True), (1, 1, False),
])
def test_team_wide_means_more_than_two_and_more_than_half(on_it: int, team: int, wide: bool) -> None:
    from calendar_audit.suggest import team_wide

    assert team_wide(on_it, team) is wide


def test_a_bad_vague_subject_pattern_is_refused_naming_its_index() -> None:
    from calendar_audit.suggest import vague

    subjects = pd.Series(["Quick Catch-Up", "Core group", None])
    assert vague(subjects, [r"\bcatch[ -]?up\b"]).tolist() == [True, False, False]
    with pytest.raises(ConfigError, match=r"^suggest\.vague_subjects\[1\]: not a regular expression: "):
        vague(subjects, ["fine", "(unclosed"])


def test_meeting_costs_keys_one_off_meetings_by_uid_else_by_event_and_names_the_organizer_domain() -> None:
    from calendar_audit.metrics import meeting_costs

    events = costs_events([
        # one meeting in two mailboxes (same iCalUId): one row, two people, 2 person-hours
        {"ical_uid": "uid-shared", "organizer": "Lead@Council.GOV.uk", "matched": False},
        {"ical_uid": "uid-shared", "person": "amy@x.uk", "organizer": "Lead@Council.GOV.uk", "matched": False},
        # two meetings without a UID stay apart (keyed by their event ids); one of them with a single other person
        {"ical_uid": "", "attendee_count": 1, "subject": "Review"},
        {"ical_uid": "", "subject": "Review"},
    ])
    events.loc[1, "start"] = events.loc[0, "start"]
    events.loc[1, "end"] = events.loc[0, "end"]
    events["hours"] = (events["end"] - events["start"]).dt.total_seconds() / 3600
    costs = meeting_costs(events, include_subjects=True)
    assert costs.top_series[["key", "subject", "occurrences", "people", "hours"]].values.tolist() == [
        ["meeting 1", "Panel", 1, 2, 2.0], ["meeting 2", "Review", 1, 1, 1.0], ["meeting 3", "Review", 1, 1, 1.0]]
    assert costs.unclassified.values.tolist() == [["meeting 1", "Panel", 1, 2, 2.0, "council.gov.uk"]]
    assert list(costs.unclassified.columns) == ["key", "subject", "occurrences", "people", "hours", "organizer_domain"]


def test_meeting_costs_keep_ties_in_the_order_the_meetings_first_appear() -> None:
    from calendar_audit.metrics import meeting_costs

    # equal hours and occurrences: "Zulu" (uid-z) appears first and stays first, though its key sorts last
    events = costs_events([{"ical_uid": "uid-z", "subject": "Zulu"}, {"ical_uid": "uid-a", "subject": "Alpha"}])
    assert meeting_costs(events, include_subjects=True).top_series["subject"].tolist() == ["Zulu", "Alpha"]


def test_a_rule_file_without_a_meeting_category_has_no_statutory_meeting_hours(make_events) -> None:
    from datetime import date

    from calendar_audit.metrics import partition, person_week
    from calendar_audit.window import Window

    # order without "meeting": a statutory event classified as training (rank 2) is 1 h training, 0 h statutory
    categories = ("direct_work", "admin", "training", "other")
    events = make_events(dict(start="2026-10-20 10:00", end="2026-10-20 11:00", category="training",
                              statutory=True))
    events["counted"] = True
    part = partition(events, ["sam@council.gov.uk"], Window(date(2026, 10, 19), date(2026, 10, 25)), categories, {},
                     WorkingHours())
    row = person_week(part).iloc[0]
    assert (row["training_hours"], row["statutory_meeting_hours"], row["meeting_hours"]) == (1.0, 0.0, 0.0)


def test_percentages_are_empty_only_where_working_hours_are_zero() -> None:
    from calendar_audit.metrics import add_percentages

    table = pd.DataFrame({"working_hours": [0.0, 0.5, 40.0], "direct_work_hours": [1.0, 0.5, 10.0],
                          "meeting_hours": [0.0, 0.25, 20.0]})
    out = add_percentages(table)
    assert out["direct_work_pct"].fillna(-1).tolist() == [-1, 100.0, 25.0]  # -1 marks the empty cell
    assert out["meeting_pct"].fillna(-1).tolist() == [-1, 50.0, 50.0]


def test_partition_clips_at_the_window_end_and_keeps_each_persons_hours_apart(make_events) -> None:
    from datetime import date

    from calendar_audit.metrics import CATEGORIES, partition, person_week
    from calendar_audit.window import Window

    # zed (listed first) has a meeting Sun 25 Oct 23:00 - Mon 26 Oct 01:00 GMT: 1 h inside the window;
    # amy has a 2-hour visit on Tuesday. Hours must stay with their owner whatever the names' sort order.
    events = pd.concat([
        make_events(dict(start="2026-10-25 23:00", end="2026-10-26 01:00", category="meeting"), person="zed@x.uk"),
        make_events(dict(start="2026-10-20 10:00", end="2026-10-20 12:00", category="direct_work"),
                    person="amy@x.uk"),
    ], ignore_index=True)
    events["counted"] = True
    events["statutory"] = False
    part = partition(events, ["zed@x.uk", "amy@x.uk"], Window(date(2026, 10, 19), date(2026, 10, 25)), CATEGORIES,
                     {}, WorkingHours())
    assert (part.window, part.people, part.leave) == (Window(date(2026, 10, 19), date(2026, 10, 25)),
                                                      ["zed@x.uk", "amy@x.uk"], {})
    table = person_week(part)
    assert table[["person", "busy_hours", "meeting_hours", "direct_work_hours"]].values.tolist() == [
        ["zed@x.uk", 1.0, 1.0, 0.0], ["amy@x.uk", 2.0, 0.0, 2.0]]


# --- rules: classification when patterns are merged into one search ------------------------------------------------

@pytest.mark.parametrize("subject", [
    ["(x)\\1", "(b)\\1"],  # a back-reference at the top level
    ["((x)\\2)", "((b)\\2)"],  # inside a group
    ["(x)(?:\\1)+", "(b)(?:\\1)+"],  # inside a repeat
    ["(x)(?:q|\\1)", "(b)(?:q|\\1)"],  # inside an alternative
    ["(x)(?>\\1)", "(b)(?>\\1)"],  # inside an atomic group
    ["(x)?(?(1)x|b)b", "zz"],  # a conditional on a group
])
def test_patterns_with_back_references_are_searched_on_their_own(make_events, subject: list[str]) -> None:
    """Merged into one alternation, the second pattern's \\1 would point at the first pattern's group: "abba" and
    "abb" would then match nothing."""
    import json

    from calendar_audit.rules import classify
    from calendar_audit.rules.classify import _merged

    _merged.cache_clear()  # the merge is cached per pattern tuple: decide it afresh, as a new rule file would
    rules = parse_rules(f'[[rule]]\nname = "doubled"\ncategory = "admin"\nsubject = {json.dumps(subject)}\n')
    events = make_events(dict(subject="abba", start="2026-10-20 10:00", end="2026-10-20 11:00"),
                         dict(subject="abb", start="2026-10-20 12:00", end="2026-10-20 13:00"),
                         dict(subject="plain", start="2026-10-20 14:00", end="2026-10-20 15:00"))
    assert classify(events, rules)["rule"].tolist() == ["doubled", "doubled", "default:alone"]


def test_a_missing_subject_is_searched_as_empty_text(make_events) -> None:
    from calendar_audit.rules import classify

    rules = parse_rules('[[rule]]\nname = "odd"\ncategory = "admin"\nsubject = ["na|xxxx|none"]\n')
    events = make_events(dict(subject="x", start="2026-10-20 10:00", end="2026-10-20 11:00"))
    events["subject"] = events["subject"].astype(object)
    events.loc[0, "subject"] = None
    assert classify(events, rules)["rule"].tolist() == ["default:alone"]
    # beside a subject the rule matches, the missing one is still "" (not the other event's text)
    rules = parse_rules('[[rule]]\nname = "visit"\ncategory = "direct_work"\nsubject = ["^home visit$"]\n')
    events = make_events(dict(subject="Home visit", start="2026-10-20 10:00", end="2026-10-20 11:00"),
                         dict(subject="x", start="2026-10-20 12:00", end="2026-10-20 13:00"))
    events["subject"] = events["subject"].astype(object)
    events.loc[1, "subject"] = None
    assert classify(events, rules)["rule"].tolist() == ["visit", "default:alone"]


@pytest.mark.parametrize("matcher", ["min_attendees = 0", "max_attendees = 100", "min_minutes = 0",
                                     "max_minutes = 1000", 'show_as = ["busy"]', "online = false",
                                     "recurring = false", 'organizer_domain = ["council.gov.uk"]',
                                     'outlook_categories = ["team"]', 'location = ["room"]'])
def test_a_later_rule_never_takes_an_event_an_earlier_rule_matched(make_events, matcher: str) -> None:
    from calendar_audit.rules import classify

    rules = parse_rules('[[rule]]\nname = "visit"\ncategory = "direct_work"\nsubject = ["visit"]\n\n'
                        f'[[rule]]\nname = "anything"\ncategory = "meeting"\n{matcher}\n')
    both = dict(attendee_count=2, organizer="lead@council.gov.uk", outlook_categories=("Team",), location="Room 1")
    events = make_events(dict(subject="Home visit", start="2026-10-20 10:00", end="2026-10-20 11:00", **both),
                         dict(subject="Panel", start="2026-10-20 12:00", end="2026-10-20 13:00", **both))
    assert classify(events, rules)["rule"].tolist() == ["visit", "anything"]


def test_organizer_domain_matches_any_listed_domain_and_its_subdomains_only(make_events) -> None:
    from calendar_audit.rules import classify

    rules = parse_rules('[[rule]]\nname = "ours"\ncategory = "meeting"\norganizer_domain = ["council.gov.uk", '
                        '"nhs.net"]\n')
    organizers = ["amy@council.gov.uk", "Bo@Social.Council.GOV.uk", "cy@nhs.net", "di@evilcouncil.gov.uk", "ed"]
    events = make_events(*[dict(organizer=o, attendee_count=1, start="2026-10-20 10:00", end="2026-10-20 11:00")
                           for o in organizers])
    assert classify(events, rules)["rule"].tolist() == ["ours", "ours", "ours", "default:with_attendees",
                                                        "default:with_attendees"]


@pytest.mark.parametrize("rules_text", ["", '[[rule]]\nname = "v"\ncategory = "direct_work"\nsubject = ["visit"]\n'])
def test_classifying_no_events_gives_an_empty_frame_with_the_new_columns(rules_text: str) -> None:
    from calendar_audit.rules import classify

    out = classify(from_records([]), parse_rules(rules_text))
    assert len(out) == 0
    assert {"category", "rule", "statutory", "never_decline", "matched"} <= set(out.columns)


def test_classify_keeps_a_filtered_frames_index(make_events) -> None:
    from calendar_audit.rules import classify

    rules = parse_rules('[[rule]]\nname = "v"\ncategory = "direct_work"\nsubject = ["visit"]\nstatutory = true\n'
                        "never_decline = true\n")
    events = make_events(dict(subject="Panel", attendee_count=2, start="2026-10-20 09:00", end="2026-10-20 10:00"),
                         dict(subject="Home visit", start="2026-10-20 10:00", end="2026-10-20 11:00"),
                         dict(subject="Filed", start="2026-10-20 12:00", end="2026-10-20 13:00")).iloc[[1, 2]]
    out = classify(events, rules)
    assert out.index.tolist() == [1, 2]
    assert out[["category", "rule", "statutory", "never_decline", "matched"]].values.tolist() == [
        ["direct_work", "v", True, True, True], ["other", "default:alone", False, False, False]]


def test_with_no_rules_nothing_is_statutory_or_never_declined(make_events) -> None:
    from calendar_audit.rules import classify

    events = make_events(dict(subject="Core group", attendee_count=4, start="2026-10-20 09:00",
                              end="2026-10-20 10:00"))
    out = classify(events, parse_rules(""))
    assert out[["category", "rule", "statutory", "never_decline", "matched"]].values.tolist() == [
        ["meeting", "default:with_attendees", False, False, False]]


# --- slots: occurrences -------------------------------------------------------------------------------------------

OVERLAPPING_SLOTS = """
[[slot]]
name = "only-kim"
days = ["tue"]
start = "08:00"
end = "09:00"
allow = ["direct_work"]
people = ["kim@council.gov.uk"]

[[slot]]
name = "long"
days = ["tue"]
start = "09:00"
end = "12:00"
allow = ["direct_work"]

[[slot]]
name = "short"
days = ["tue"]
start = "13:00"
end = "14:00"
allow = ["direct_work"]
since = "2026-11-09"
"""


def test_slot_occurrences_skip_slots_for_others_and_keep_the_later_slots() -> None:
    from datetime import date

    from calendar_audit.slots import parse_slots, slot_occurrences
    from calendar_audit.window import Window

    slots = parse_slots(OVERLAPPING_SLOTS)
    occ = slot_occurrences(slots, ["sam@council.gov.uk"], Window(date(2026, 11, 9), date(2026, 11, 15)), {})
    # Tue 10 Nov (GMT): the first slot is Kim's only; the two after it are Sam's
    assert [(s, str(a.time()), str(b.time())) for s, a, b in occ[["slot", "start", "end"]].itertuples(index=False)] == [
        ("long", "09:00:00", "12:00:00"), ("short", "13:00:00", "14:00:00")]
    assert (occ["person"].dtype, occ["slot"].dtype) == ("string", "string")


def test_planned_weeks_start_at_since_unless_asked_to_ignore_it() -> None:
    from datetime import date

    from calendar_audit.slots import parse_slots
    from calendar_audit.slots.occurrences import planned_weeks
    from calendar_audit.window import Window

    slots = [s for s in parse_slots(OVERLAPPING_SLOTS) if s.name == "short"]  # since Mon 9 Nov
    window = Window(date(2026, 11, 2), date(2026, 11, 15))
    assert planned_weeks(slots, ["sam"], window) == {("sam", date(2026, 11, 9))}
    assert planned_weeks(slots, ["sam"], window, ignore_since=True) == {("sam", date(2026, 11, 2)),
                                                                         ("sam", date(2026, 11, 9))}


def test_occurrence_layers_of_no_occurrences_are_empty_int64_intervals() -> None:
    from calendar_audit.slots import parse_slots
    from calendar_audit.slots.occurrences import OCCURRENCE_COLUMNS, occurrence_layers

    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in OCCURRENCE_COLUMNS})
    layers = occurrence_layers(empty, parse_slots(OVERLAPPING_SLOTS), ["sam"])
    assert list(layers) == ["slot:only-kim", "slot:long", "slot:short"]
    iv = layers["slot:long"]
    assert [(a.dtype.name, len(a)) for a in (iv.start, iv.end)] == [("int64", 0), ("int64", 0)]


def test_a_weight_below_one_still_counts_and_touching_meetings_do_not_overlap() -> None:
    from calendar_audit.settings import SuggestSettings
    from calendar_audit.suggest import _overlaps, reasons_of

    assert [r.code for r in reasons_of(["large"], SuggestSettings(weights={"large": 0.5}))] == ["large"]
    s, e = np.array([10, 10]), np.array([20, 20])
    # [10, 20) against [20, 30) touches: no overlap; against [19, 30) it overlaps
    assert _overlaps(s, e, np.array([20, 19]), np.array([30, 30])).tolist() == [[False, True], [False, True]]


def test_team_view_counts_each_persons_suggestions_with_their_own_hours(make_events) -> None:
    from datetime import date, time

    from calendar_audit.audit import prepare_events
    from calendar_audit.settings import Settings, SuggestSettings
    from calendar_audit.suggest import team_view
    from calendar_audit.window import Window

    window = Window(date(2026, 11, 2), date(2026, 11, 6))  # GMT: local time is UTC
    meeting = dict(subject="Panel", attendee_count=3, response="accepted", has_agenda=True,
                   organizer="chair@council.gov.uk")
    events = pd.concat([
        # Sam: 08:00-09:20 is before the team's 09:00 start -> after_hours, 1.33 h freed
        make_events(dict(start="2026-11-03 08:00", end="2026-11-03 09:20", **meeting), person="sam@x.uk"),
        # Kim works 07:00-15:00 (settings, matched without regard to case): the same meeting is inside her hours
        make_events(dict(start="2026-11-03 08:00", end="2026-11-03 09:20", **meeting), person="kim@x.uk"),
    ], ignore_index=True)
    prepared = prepare_events(events, parse_rules('[[rule]]\nname = "p"\ncategory = "meeting"\nsubject = ["panel"]\n'),
                              window, Settings())
    early = WorkingHours(start=time(7), end=time(15))
    table = team_view(prepared, ["sam@x.uk", "Kim@x.uk"], window, SuggestSettings(), hours={"kim@x.uk": early},
                      default_hours=WorkingHours())
    assert table.values.tolist() == [["sam@x.uk", 1, 1.33], ["Kim@x.uk", 0, 0.0]]
    assert list(table.columns) == ["person", "suggestions", "hours_freed"]


def test_meeting_costs_group_a_series_by_organizer_and_subject_case_and_spaces_aside_never_by_their_joined_text(
) -> None:
    from calendar_audit.metrics import meeting_costs

    events = costs_events([
        # one series: the organiser's case and the subject's case and outer spaces differ, nothing else
        {"series_id": "S1", "organizer": "Lead@x.uk", "subject": "Panel"},
        {"series_id": "S1", "organizer": "lead@X.UK", "subject": "  PANEL "},
        # two series whose organiser and subject joined with "|" read the same ("a|b" + "c" and "a" + "b|c")
        {"series_id": "S2", "organizer": "a|b", "subject": "c"},
        {"series_id": "S3", "organizer": "a", "subject": "b|c"},
        # a one-off meeting with a UID that spells a series key stays a meeting of its own
        {"ical_uid": "series|lead@x.uk|panel"},
    ])
    costs = meeting_costs(events, include_subjects=True)
    assert costs.top_series[["key", "subject", "occurrences", "hours"]].values.tolist() == [
        ["series 1", "Panel", 2, 2.0], ["series 2", "c", 1, 1.0], ["series 3", "b|c", 1, 1.0],
        ["meeting 4", "Panel", 1, 1.0]]

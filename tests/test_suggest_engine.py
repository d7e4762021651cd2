"""suggest.py's entry points as `suggest --person` and the service call them, on a hand-made week: the person's own
protected slots, leave and working hours decide the reasons, whatever the case of the address asked for."""

from __future__ import annotations

from datetime import date, time

import pandas as pd

from calendar_audit.audit import prepare_events
from calendar_audit.frame import WorkingHours, concat
from calendar_audit.rules import parse_rules
from calendar_audit.settings import Settings, SuggestSettings, WorkingHoursSettings
from calendar_audit.slots import parse_slots
from calendar_audit.suggest import COLUMNS, empty_suggestions, suggest, suggestions_for, team_view
from calendar_audit.window import Window

SAM, ALEX = "sam@council.gov.uk", "alex@council.gov.uk"
WINDOW = Window(date(2026, 11, 2), date(2026, 11, 6), "Europe/London")  # Mon-Fri, GMT: local time = UTC
SLOTS = parse_slots(
    '[[slot]]\nname = "mornings"\ndays = ["tue", "thu"]\nstart = "09:30"\nend = "12:30"\n'
    'allow = ["direct_work", "statutory"]\nsince = "2026-01-05"\n'
)
RULES = parse_rules('[[rule]]\nname = "panel"\ncategory = "meeting"\nsubject = ["panel"]\n')
PANEL = {"subject": "Panel", "attendee_count": 3, "response": "accepted", "has_agenda": True,
         "organizer": "chair@council.gov.uk"}
# the team works 08:00-16:00; slot reasons weigh 2, after-hours 1 (so the scores tell the reasons apart)
SETTINGS = Settings(working_hours=WorkingHoursSettings(start="08:00", end="16:00"),
                    suggest=SuggestSettings(weights={"in_protected_slot": 2.0, "after_hours": 1.0}))
SAM_HOURS = {SAM: WorkingHours(start=time(7), end=time(15))}  # Sam's own hours: 07:00-15:00


def week(make_events) -> pd.DataFrame:
    sam = make_events(
        {"event_id": "slot", "start": "2026-11-03 10:00", "end": "2026-11-03 11:00", **PANEL},  # Tue, in the slot
        {"event_id": "early", "start": "2026-11-04 07:30", "end": "2026-11-04 08:30", **PANEL},  # in Sam's hours
        {"event_id": "leave", "start": "2026-11-05", "end": "2026-11-06", "is_all_day": True, "show_as": "oof",
         "subject": "Annual leave"},
        {"event_id": "thu", "start": "2026-11-05 10:00", "end": "2026-11-05 11:00", **PANEL},  # Thu, on leave
        person=SAM)
    alex = make_events(
        {"event_id": "a-slot", "start": "2026-11-03 10:00", "end": "2026-11-03 11:30", **PANEL},
        {"event_id": "a-early", "start": "2026-11-04 07:30", "end": "2026-11-04 08:30", **PANEL},  # before 08:00
        person=ALEX)
    return prepare_events(concat([sam, alex]), RULES, WINDOW, Settings())


def test_suggestions_for_use_the_persons_slots_leave_and_own_hours_whatever_the_case_asked(make_events) -> None:
    found = suggestions_for(week(make_events), [SAM, ALEX], "Sam@Council.GOV.uk", WINDOW, SETTINGS, SLOTS, SAM_HOURS)
    # Tue 10:00 is in Sam's slot (weight 2); Wed 07:30 is inside Sam's 07:00-15:00 (no reason, not suggested);
    # Thu is a leave day: no slot occurrence that day, and no working hours, so only after-hours (weight 1)
    assert found[["event_id", "score", "reasons", "hours"]].values.tolist() == [
        ["slot", 2.0, "in_protected_slot", 1.0], ["thu", 1.0, "after_hours", 1.0]]


def test_suggestions_for_someone_without_own_hours_use_the_teams(make_events) -> None:
    found = suggestions_for(week(make_events), [SAM, ALEX], ALEX, WINDOW, SETTINGS, SLOTS, SAM_HOURS)
    # Alex's Tuesday slot holds his 10:00-11:30 panel; Wed 07:30 starts before the team's 08:00
    assert found[["event_id", "score", "reasons", "hours"]].values.tolist() == [
        ["a-slot", 2.0, "in_protected_slot", 1.5], ["a-early", 1.0, "after_hours", 1.0]]


def test_no_candidate_and_no_reason_give_the_same_empty_table(make_events) -> None:
    events = week(make_events)
    nobody = suggest(events, "kim@council.gov.uk", WINDOW, SuggestSettings(), hours=WorkingHours())
    # Alex's panels with no reason weighing anything: candidates, none suggested
    silent = SuggestSettings(weights={"in_protected_slot": 0, "after_hours": 0})
    none_left = suggest(events, ALEX, WINDOW, silent, hours=WorkingHours(), slots=SLOTS)
    for table in (nobody, none_left, empty_suggestions()):
        assert list(table.columns) == COLUMNS
        assert table.empty


def test_team_view_takes_each_persons_own_hours_else_the_default(make_events) -> None:
    events = week(make_events)
    table = team_view(events, [SAM, ALEX, "kim@council.gov.uk"], WINDOW, SuggestSettings(), hours=SAM_HOURS,
                      default_hours=WorkingHours(start=time(10, 20), end=time(11)))
    # Sam (07:00-15:00): Thu on leave -> 1 h. Alex (10:20-11:00): both panels reach outside -> 1.5 h + 1 h. Kim: none
    assert table.values.tolist() == [[SAM, 1, 1.0], [ALEX, 2, 2.5], ["kim@council.gov.uk", 0, 0.0]]


def test_a_matched_meeting_without_an_agenda_has_a_clear_purpose(make_events) -> None:
    # the rule "panel" states its purpose: no agenda is needed; a plain subject is not vague
    events = make_events({"start": "2026-11-03 14:00", "end": "2026-11-03 15:00", **PANEL, "has_agenda": None},
                         person=SAM)
    found = suggest(prepare_events(events, RULES, WINDOW, Settings()), SAM, WINDOW, SuggestSettings(),
                    hours=WorkingHours())
    assert found.empty


def test_a_teammates_cancelled_copy_is_not_a_teammate_attending(make_events) -> None:
    meeting = {"start": "2026-11-03 14:00", "end": "2026-11-03 15:00", **PANEL, "ical_uid": "uid-1"}
    events = concat([make_events(meeting, person=SAM),
                     make_events({**meeting, "is_cancelled": True}, person=ALEX),
                     make_events({"start": "2026-11-02 14:00", "end": "2026-11-02 15:00", "subject": "Home visit"},
                                 person="kim@council.gov.uk")])
    prepared = prepare_events(events, RULES, WINDOW, Settings())
    assert suggest(prepared, SAM, WINDOW, SuggestSettings(), hours=WorkingHours()).empty
    # the same copy not cancelled: Alex is going (2 of 3 people: not team-wide), so Sam could decline
    events.loc[events["person"] == ALEX, "is_cancelled"] = False
    prepared = prepare_events(events, RULES, WINDOW, Settings())
    found = suggest(prepared, SAM, WINDOW, SuggestSettings(), hours=WorkingHours())
    assert found["reasons"].tolist() == ["teammate_attending"]


def test_a_slot_that_allows_meetings_gives_no_reason_and_unknown_slots_are_skipped(make_events) -> None:
    # Tuesday mornings allow meetings, Thursday mornings do not; an occurrence of a slot the policy does not know
    # (before Tuesday's) is skipped, not a reason to stop looking
    slots = parse_slots(
        '[[slot]]\nname = "tue"\ndays = ["tue"]\nstart = "09:30"\nend = "12:30"\nallow = ["direct_work", "meeting"]\n'
        '[[slot]]\nname = "thu"\ndays = ["thu"]\nstart = "09:30"\nend = "12:30"\nallow = ["direct_work"]\n')
    events = make_events({"event_id": "tue", "start": "2026-11-03 10:00", "end": "2026-11-03 11:00", **PANEL},
                         {"event_id": "thu", "start": "2026-11-05 10:00", "end": "2026-11-05 11:00", **PANEL},
                         person=SAM)
    prepared = prepare_events(events, RULES, WINDOW, Settings())
    occurrences = pd.DataFrame({
        "person": pd.Series([SAM] * 3, dtype="string"),
        "slot": pd.Series(["retired", "tue", "thu"], dtype="string"),
        "start": pd.to_datetime(["2026-11-02 09:30", "2026-11-03 09:30", "2026-11-05 09:30"], utc=True),
        "end": pd.to_datetime(["2026-11-02 12:30", "2026-11-03 12:30", "2026-11-05 12:30"], utc=True),
    })
    found = suggest(prepared, SAM, WINDOW, SuggestSettings(), hours=WorkingHours(), occurrences=occurrences,
                    slots=slots)
    assert found[["event_id", "reasons"]].values.tolist() == [["thu", "in_protected_slot"]]


def test_team_view_of_nobody_is_an_empty_table_with_its_columns(make_events) -> None:
    table = team_view(week(make_events), [], WINDOW, SuggestSettings(), hours={}, default_hours=WorkingHours())
    assert table.empty
    assert list(table.columns) == ["person", "suggestions", "hours_freed"]


def optional(event_id: str, start: str, end: str, **more) -> dict:
    return {"event_id": event_id, "start": start, "end": end, **PANEL, "is_optional": True, **more}


def test_a_suggestion_row_in_full_and_ties_ranked_by_hours_then_start_then_event_id(make_events) -> None:
    events = make_events(
        optional("b", "2026-11-05 14:00", "2026-11-05 15:00"), optional("a", "2026-11-05 14:00", "2026-11-05 15:00"),
        optional("late", "2026-11-03 14:00", "2026-11-03 15:00"),
        optional("long", "2026-11-04 10:00", "2026-11-04 12:00", series_id="ser", subject="Panel review"),
        optional("early", "2026-11-02 14:00", "2026-11-02 15:00"),
        optional("friday", "2026-11-06 14:00", "2026-11-06 15:00"),
        person=SAM)
    config = SuggestSettings(weights={"optional": 1.0000005}, templates={"optional": "Sorry: optional for me."},
                             recurring_heavy_hours_per_month=100)  # the 2-hour series is not heavy
    found = suggest(prepare_events(events, RULES, WINDOW, Settings()), SAM, WINDOW, config, hours=WorkingHours())
    assert list(found.columns) == COLUMNS
    assert found["event_id"].tolist() == ["long", "early", "late", "a", "b", "friday"]
    row = found.iloc[0].to_dict()
    assert row == {
        "person": SAM, "event_id": "long", "start": pd.Timestamp("2026-11-04 10:00Z"),
        "end": pd.Timestamp("2026-11-04 12:00Z"), "score": 1.000001, "reasons": "optional",
        "reply": "Sorry: optional for me.", "hours": 2.0, "category": "meeting", "rule": "panel",
        "main_reason": "optional", "sentences": ["You were invited as optional."], "subject": "Panel review",
        "series_id": "ser"}


def test_exemptions_are_named_and_one_other_attendee_is_enough(make_events) -> None:
    from calendar_audit.suggest import candidates

    events = make_events(
        optional("free", "2026-11-02 10:00", "2026-11-02 11:00", show_as="free"),  # not counted
        optional("alone", "2026-11-02 12:00", "2026-11-02 13:00", attendee_count=0),
        optional("pair", "2026-11-02 14:00", "2026-11-02 15:00", attendee_count=1),
        optional("at-start", "2026-11-02 00:00", "2026-11-02 00:30"),  # exactly at the window's start
        optional("at-end", "2026-11-07 00:00", "2026-11-07 01:00"),  # exactly at its end: outside, left out
        person=SAM)
    prepared = prepare_events(events, RULES, WINDOW, Settings())
    assert candidates(prepared, SAM, WINDOW).set_index("event_id")["exempt"].to_dict() == {
        "free": "not_counted", "alone": "no_other_attendees", "pair": "", "at-start": ""}
    found = suggest(prepared, SAM, WINDOW, SuggestSettings(), hours=WorkingHours())
    assert found[["event_id", "reasons"]].values.tolist() == [
        ["at-start", "optional;after_hours"], ["pair", "optional"]]


def test_a_meeting_right_after_direct_work_is_not_double_booked_and_leave_all_window_is_after_hours(
        make_events) -> None:
    events = make_events(
        {"event_id": "visit", "start": "2026-11-02 09:00", "end": "2026-11-02 10:00", "subject": "Home visit",
         "response": "organizer"},
        optional("after", "2026-11-02 10:00", "2026-11-02 11:00"), person=SAM)
    rules = parse_rules('[[rule]]\nname = "visit"\ncategory = "direct_work"\nsubject = ["home visit"]\n'
                        '[[rule]]\nname = "panel"\ncategory = "meeting"\nsubject = ["panel"]\n')
    found = suggest(prepare_events(events, rules, WINDOW, Settings()), SAM, WINDOW, SuggestSettings(),
                    hours=WorkingHours())
    assert found["reasons"].tolist() == ["optional"]
    # Sam on leave every day of the window (and the days around it): no working time at all
    leave = make_events({"event_id": "leave", "start": "2026-10-31", "end": "2026-11-09", "is_all_day": True,
                         "show_as": "oof", "subject": "Annual leave"}, person=SAM)
    found = suggest(prepare_events(concat([events, leave]), rules, WINDOW, Settings()), SAM, WINDOW,
                    SuggestSettings(), hours=WorkingHours())
    assert found["reasons"].tolist() == ["optional;after_hours"]


def test_recurring_heavy_is_strictly_above_the_threshold_and_counts_only_counted_occurrences(make_events) -> None:
    # a weekly 1-hour series accepted once and declined once in the 5-day window: 1 h x 30 / 5 = 6 h a month
    events = make_events(
        optional("mon", "2026-11-02 14:00", "2026-11-02 15:00", series_id="ser"),
        optional("thu", "2026-11-05 14:00", "2026-11-05 15:00", series_id="ser", response="declined"),
        person=SAM)
    prepared = prepare_events(events, RULES, WINDOW, Settings())
    at_six = suggest(prepared, SAM, WINDOW, SuggestSettings(recurring_heavy_hours_per_month=6), hours=WorkingHours())
    assert at_six[["event_id", "reasons"]].values.tolist() == [["mon", "optional"]]
    below = suggest(prepared, SAM, WINDOW, SuggestSettings(recurring_heavy_hours_per_month=5.9),
                    hours=WorkingHours())
    assert below[["event_id", "reasons"]].values.tolist() == [["mon", "optional;recurring_heavy"]]

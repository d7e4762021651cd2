"""The suggestion engine on a hand-made fortnight: each reason fires on the meeting built for it and nowhere else."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from calendar_audit.audit import prepare_events
from calendar_audit.errors import ConfigError
from calendar_audit.frame import WorkingHours, concat
from calendar_audit.metrics import leave_days
from calendar_audit.rules import load_rules
from calendar_audit.settings import Settings, SuggestSettings
from calendar_audit.slots import parse_slots, slot_occurrences
from calendar_audit.suggest import DEFAULT_WEIGHTS, REASON_CODES, candidates, suggest, team_view
from calendar_audit.window import Window

DATA = Path(__file__).resolve().parent / "data" / "suggest"
SAM, ALEX = "sam@council.gov.uk", "alex@council.gov.uk"
TEAMMATES = ("kim@council.gov.uk", "lee@council.gov.uk")
WINDOW = Window(date(2026, 11, 2), date(2026, 11, 15), "Europe/London")  # GMT: local time = UTC
SLOTS = parse_slots(
    '[[slot]]\nname = "mornings"\ndays = ["tue", "thu"]\nstart = "09:30"\nend = "12:30"\n'
    'allow = ["direct_work", "statutory"]\nsince = "2026-01-05"\n'
)
HOURS = WorkingHours()
CLEAN = {"subject": "Panel review", "attendee_count": 3, "response": "accepted", "has_agenda": True,
         "organizer": "chair@council.gov.uk"}

#: event id -> (start, end, overrides of the clean meeting)
SAM_EVENTS = {
    "clean": ("2026-11-02 14:00", "2026-11-02 15:00", {}),
    "slot": ("2026-11-03 10:00", "2026-11-03 11:00", {}),
    "vague": ("2026-11-04 10:00", "2026-11-04 11:00", {"subject": "Quick catch up"}),
    "unmatched": ("2026-11-04 14:00", "2026-11-04 15:00", {"subject": "Budget planning", "has_agenda": None}),
    "optional": ("2026-11-05 14:00", "2026-11-05 15:00", {"is_optional": True}),
    "large": ("2026-11-06 10:00", "2026-11-06 11:00", {"attendee_count": 12}),
    "team": ("2026-11-09 10:00", "2026-11-09 11:00", {"ical_uid": "uid-team"}),
    "double": ("2026-11-11 10:00", "2026-11-11 11:00", {}),
    "visit": ("2026-11-11 10:30", "2026-11-11 12:00", {"subject": "Home visit", "response": "organizer",
                                                       "attendee_count": 0, "organizer": SAM}),
    "series1": ("2026-11-06 14:00", "2026-11-06 15:30", {"series_id": "ser-1"}),
    "series2": ("2026-11-13 14:00", "2026-11-13 15:30", {"series_id": "ser-1"}),
    "late": ("2026-11-12 17:30", "2026-11-12 18:30", {}),
    "multi": ("2026-11-10 10:00", "2026-11-10 11:00", {"subject": "Catch up", "is_optional": True,
                                                       "attendee_count": 12}),
    # exempt, though each would have reasons
    "statutory": ("2026-11-03 11:00", "2026-11-03 12:00", {"subject": "Core group", "is_optional": True,
                                                           "attendee_count": 12}),
    "own": ("2026-11-04 16:30", "2026-11-04 18:00", {"subject": "Catch up", "response": "organizer",
                                                     "attendee_count": 12}),
    "own_by_address": ("2026-11-05 16:30", "2026-11-05 18:00", {"subject": "Catch up", "organizer": SAM}),
    "declined": ("2026-11-05 17:30", "2026-11-05 18:30", {"subject": "Catch up", "response": "declined",
                                                          "is_optional": True}),
    "never": ("2026-11-09 16:00", "2026-11-09 18:00", {"subject": "Supervision", "is_optional": True}),
    "joint": ("2026-11-12 10:00", "2026-11-12 11:00", {"subject": "Joint home visit"}),
    "cancelled": ("2026-11-12 10:00", "2026-11-12 11:00", {"subject": "Catch up", "is_cancelled": True}),
    "before": ("2026-10-30 10:00", "2026-10-30 11:00", {"subject": "Catch up"}),
}
EXPECTED = {
    "in_protected_slot": {"slot", "multi"},
    "no_clear_purpose": {"vague", "unmatched", "multi"},
    "optional": {"optional", "multi"},
    "large": {"large", "multi"},
    "teammate_attending": {"team"},
    "double_booked": {"double"},
    "recurring_heavy": {"series1", "series2"},
    "after_hours": {"late"},
}


def build(make_events, sam=SAM_EVENTS, alex_response="accepted") -> pd.DataFrame:
    rows = [{"event_id": k, "start": s, "end": e, **CLEAN, **o} for k, (s, e, o) in sam.items()]
    alex = [{"event_id": "a-team", "start": "2026-11-09 10:00", "end": "2026-11-09 11:00", **CLEAN,
             "ical_uid": "uid-team", "response": alex_response},
            # same meeting as "clean", but another occurrence time: not the same occurrence
            {"event_id": "a-other", "start": "2026-11-02 15:00", "end": "2026-11-02 16:00", **CLEAN,
             "ical_uid": "uid-clean"}]
    sam_frame = make_events(*rows, person=SAM)
    sam_frame.loc[sam_frame["event_id"] == "clean", "ical_uid"] = "uid-clean"
    # two more teammates, so the team meeting Sam and Alex share is not team-wide (2 of 4 people)
    rest = [make_events({"event_id": f"{p[0]}-visit", "start": "2026-11-02 10:00", "end": "2026-11-02 11:00",
                         "subject": "Home visit", "response": "organizer"}, person=p) for p in TEAMMATES]
    return concat([sam_frame, make_events(*alex, person=ALEX), *rest])


def prepared(events: pd.DataFrame, window: Window = WINDOW) -> pd.DataFrame:
    return prepare_events(events, load_rules([DATA / "rules.toml"]), window, Settings())


def run(events: pd.DataFrame, config: SuggestSettings | None = None, person: str = SAM,
        window: Window = WINDOW) -> pd.DataFrame:
    ev = prepared(events, window)
    occ = slot_occurrences(SLOTS, [person], window, leave_days(ev))
    return suggest(ev, person, window, config or SuggestSettings(), hours=HOURS, occurrences=occ, slots=SLOTS)


def fired(found: pd.DataFrame, code: str) -> set[str]:
    return {e for e, r in zip(found["event_id"], found["reasons"], strict=True) if code in r.split(";")}


@pytest.mark.parametrize("code", REASON_CODES)
def test_each_reason_fires_on_the_meeting_built_for_it_and_nothing_else(make_events, code):
    found = run(build(make_events))
    assert fired(found, code) == EXPECTED[code]


def test_suggested_meetings_are_exactly_those_with_a_reason(make_events):
    found = run(build(make_events))
    assert set(found["event_id"]) == set().union(*EXPECTED.values())
    assert set(found["person"]) == {SAM}


def test_statutory_self_organised_declined_never_decline_cancelled_and_past_are_never_suggested(make_events):
    ev = prepared(build(make_events))
    why = candidates(ev, SAM, WINDOW).set_index("event_id")["exempt"]
    assert why["statutory"] == "statutory"
    assert why["own"] == "self_organised"
    assert why["own_by_address"] == "self_organised"
    assert why["declined"] == "declined"
    assert why["never"] == "never_decline"
    assert why["cancelled"] == "cancelled"
    assert why["joint"] == "direct_work"
    assert why["visit"] == "self_organised"  # the first exemption that applies
    assert "before" not in why.index  # outside the window altogether
    found = run(build(make_events))
    assert not set(found["event_id"]) & {"statutory", "own", "own_by_address", "declined", "never", "cancelled",
                                          "visit", "joint", "before"}


def test_an_event_started_before_the_window_is_not_suggested(make_events):
    sam = {"early": ("2026-11-01 23:00", "2026-11-02 10:00", {"subject": "Catch up"})}
    ev = prepared(build(make_events, sam))
    assert candidates(ev, SAM, WINDOW).set_index("event_id")["exempt"]["early"] == "before_window"
    assert run(build(make_events, sam)).empty


def test_several_reasons_rank_above_one(make_events):
    found = run(build(make_events))
    assert found["event_id"].iloc[0] == "multi"
    assert found["reasons"].iloc[0] == "in_protected_slot;no_clear_purpose;optional;large"
    assert found["score"].iloc[0] == pytest.approx(1.8 + 1.6 + 1.5 + 1.2)
    singles = found[~found["reasons"].str.contains(";")]
    assert found["score"].iloc[0] > singles["score"].max()


def test_any_two_default_weights_outscore_any_one():
    weights = sorted(DEFAULT_WEIGHTS.values())
    assert weights[0] + weights[1] > weights[-1]


def test_ties_on_score_are_ranked_by_hours_freed(make_events):
    found = run(build(make_events))
    heavy = found[found["reasons"] == "recurring_heavy"]
    assert list(heavy["hours"]) == [1.5, 1.5]
    # the 1.5-hour recurring meetings outrank nothing of higher score; among equal scores, longer first
    scores = list(found["score"])
    assert scores == sorted(scores, reverse=True)
    same = found[found["score"] == found["score"].iloc[1]]
    assert list(same["hours"]) == sorted(same["hours"], reverse=True)


def test_hours_freed_is_the_meeting_length(make_events):
    found = run(build(make_events)).set_index("event_id")
    assert found.loc["series1", "hours"] == 1.5
    assert found.loc["late", "hours"] == 1.0


def test_teammate_must_have_accepted(make_events):
    found = run(build(make_events, alex_response="tentativelyAccepted"))
    assert fired(found, "teammate_attending") == set()


def test_a_team_wide_meeting_is_not_one_a_teammate_can_represent(make_events):
    events = build(make_events)
    extra = make_events({"event_id": "k-team", "start": "2026-11-09 10:00", "end": "2026-11-09 11:00", **CLEAN,
                         "ical_uid": "uid-team"}, person=TEAMMATES[0])
    assert fired(run(concat([events, extra])), "teammate_attending") == set()  # 3 of 4 people on it


def test_recurring_heavy_scales_the_window_to_thirty_days(make_events):
    # 3 h in 14 days = 6.43 h a month: heavy above 6.4, not above 6.5
    assert fired(run(build(make_events), SuggestSettings(recurring_heavy_hours_per_month=6.4)),
                 "recurring_heavy") == {"series1", "series2"}
    assert fired(run(build(make_events), SuggestSettings(recurring_heavy_hours_per_month=6.5)),
                 "recurring_heavy") == set()


def test_large_is_strictly_more_than_the_threshold(make_events):
    assert fired(run(build(make_events), SuggestSettings(large_attendees=12)), "large") == set()
    assert fired(run(build(make_events), SuggestSettings(large_attendees=11)), "large") == {"large", "multi"}


def test_a_meeting_on_a_leave_day_is_after_hours(make_events):
    sam = {**SAM_EVENTS, "leave": ("2026-11-02", "2026-11-03", {"is_all_day": True, "show_as": "oof",
                                                                "response": "organizer"})}
    assert fired(run(build(make_events, sam)), "after_hours") == {"late", "clean"}


def test_weights_from_settings_change_the_score_and_zero_switches_a_reason_off(make_events):
    config = SuggestSettings(weights={"after_hours": 5.0, "large": 0})
    found = run(build(make_events), config)
    assert found["event_id"].iloc[0] == "late"
    assert found["score"].iloc[0] == 5.0
    assert fired(found, "large") == set()
    assert "large" not in set(found["event_id"])


@pytest.mark.parametrize(("weights", "message"), [
    ({"boring": 1.0}, "suggest.weights.boring: unknown reason"),
    ({"large": -1.0}, "suggest.weights.large: must be 0 or more"),
])
def test_bad_weights_are_refused_naming_the_setting(make_events, weights, message):
    with pytest.raises(ConfigError, match=message):
        run(build(make_events), SuggestSettings(weights=weights))


def test_a_bad_vague_pattern_is_refused_naming_it(make_events):
    with pytest.raises(ConfigError, match=r"suggest.vague_subjects\[1\]"):
        run(build(make_events), SuggestSettings(vague_subjects=["fyi", "(unclosed"]))


def test_team_view_sums_hours_per_person_without_event_detail(make_events):
    ev = prepared(build(make_events))
    people = [SAM, ALEX]
    occ = slot_occurrences(SLOTS, people, WINDOW, leave_days(ev))
    table = team_view(ev, people, WINDOW, SuggestSettings(), hours={}, default_hours=HOURS, occurrences=occ,
                      slots=SLOTS)
    assert list(table.columns) == ["person", "suggestions", "hours_freed"]
    rows = table.set_index("person")
    assert rows.loc[SAM, "suggestions"] == 11
    assert rows.loc[SAM, "hours_freed"] == 12.0  # nine 1-hour meetings and two 1.5-hour ones
    # Sam accepted the team meeting too, so Alex could equally let Sam represent the team
    assert (rows.loc[ALEX, "suggestions"], rows.loc[ALEX, "hours_freed"]) == (1, 1.0)

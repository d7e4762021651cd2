"""The demo team: deterministic, well-formed, and telling the story a team manager should see first."""

from __future__ import annotations

import tomllib
from datetime import date, time, timedelta
from pathlib import Path

import pandas as pd
import pytest

from calendar_audit.errors import InputError
from calendar_audit.frame import COLUMNS
from calendar_audit.sources import demo_data
from calendar_audit.sources.demo import DEMO_START, demo_slots_toml, generate
from calendar_audit.window import Window

TZ = "Europe/London"
DIRECT = r"^(?:HV\b|Home visit|Joint home visit|Direct work|Life story)"
STATUTORY = r"^(?:ICPC|RCPC|Core group|CLA review|LAC review|Strategy discussion|PEP|FGC|Court)"


@pytest.fixture(scope="module")
def data():
    return generate()


@pytest.fixture(scope="module")
def ev(data) -> pd.DataFrame:
    """The demo frame plus local times and the counted flag of DESIGN.md."""
    out = data.events.copy()
    out["local"] = out["start"].dt.tz_convert(TZ).dt.tz_localize(None)
    out["local_end"] = out["end"].dt.tz_convert(TZ).dt.tz_localize(None)
    out["week"] = (out["local"].dt.normalize() - pd.Timestamp(DEMO_START)).dt.days // 7
    out["hours"] = (out["end"] - out["start"]).dt.total_seconds() / 3600
    out["counted"] = (~out["is_cancelled"] & (out["response"] != "declined") & ~out["is_all_day"]
                      & (out["show_as"] != "free"))
    return out


def test_same_arguments_give_an_identical_frame_and_another_seed_a_different_one(data):
    pd.testing.assert_frame_equal(generate().events, data.events)
    other = generate(seed=8).events
    assert not (len(other) == len(data.events) and other["subject"].tolist() == data.events["subject"].tolist())


def test_the_frame_has_exactly_the_frame_columns_and_dtypes(data):
    assert list(data.events.columns) == list(COLUMNS)
    assert {c: str(t) for c, t in data.events.dtypes.items()} == {c: str(pd.Series(dtype=t).dtype)
                                                                  for c, t in COLUMNS.items()}
    assert not data.events["has_agenda"].isna().any()
    # The demo hands its text columns over typed: none may be missing (from_columns would have made it "").
    texts = [c for c, t in COLUMNS.items() if t == "string"]
    assert not data.events[texts].isna().any().any()
    assert (data.events["event_id"] == [f"demo-{i:06d}" for i in range(len(data.events))]).all()


def test_window_and_people(data):
    assert data.window == Window(DEMO_START, DEMO_START + timedelta(days=55), TZ)
    assert DEMO_START.weekday() == 0
    assert len(data.people) == 12 == len(set(data.people))
    assert all(p == p.lower() and p.endswith("@demo-council.gov.uk") for p in data.people)
    assert data.people[0] == "sarah.okafor@demo-council.gov.uk"  # the team manager
    assert set(data.events["person"]) == set(data.people)
    assert data.events["event_id"].is_unique
    assert data.events["event_id"].str.fullmatch(r"demo-\d{6}").all()


def test_only_the_part_time_worker_has_own_hours_and_works_mon_to_thu(data, ev):
    ((person, hours),) = data.working_hours.items()
    assert person == "daniel.hughes@demo-council.gov.uk"
    assert (hours.days, hours.start, hours.end) == ((0, 1, 2, 3), time(8), time(16))
    friday = ev[(ev["person"] == person) & ev["counted"] & (ev["local"].dt.day_of_week == 4)]
    assert friday.empty


@pytest.mark.parametrize("pattern", [
    r"^HV - [A-Z]\.[A-Z]\.$", r"^Home visit - [A-Z] family$", r"^Direct work session", r"^Life story work",
    r"^ICPC - [A-Z] family$", r"^RCPC", r"^Core group", r"^CLA review", r"^Strategy discussion", r"^PEP",
    r"^Supervision - ", r"^Team meeting$", r"^Training", r"^Travel", r"^Recording", r"^Annual leave$",
    r"^Catch up$", r"^Quick sync$", r"^FYI: new form$", r"^Project Phoenix steering$",
    r"^Inspection prep", r"^Performance clinic$",
])
def test_every_kind_of_event_is_present(data, pattern):
    assert data.events["subject"].str.contains(pattern).any()


def test_responses_show_as_and_flags_each_occur(ev):
    assert set(ev["response"]) == {"organizer", "accepted", "tentativelyAccepted", "notResponded", "declined"}
    assert {"busy", "tentative", "free", "oof", "workingElsewhere"} == set(ev["show_as"])
    assert (ev["response"] == "tentativelyAccepted").equals(ev["response"].eq("tentativelyAccepted"))
    assert ev["is_cancelled"].any() and ev["is_online"].any() and (ev["sensitivity"] == "private").any()
    assert ev["outlook_categories"].map(len).gt(0).any()
    vague = ev[ev["subject"].isin(["Catch up", "Quick sync"])]
    assert not vague["has_agenda"].any()
    assert ev.loc[ev["subject"].str.startswith("ICPC"), "has_agenda"].all()


def test_leave_is_all_day_oof_at_utc_midnight(ev):
    leave = ev[ev["subject"] == "Annual leave"]
    assert leave["is_all_day"].all() and (leave["show_as"] == "oof").all()
    assert (leave["start"].dt.hour == 0).all() and (leave["end"] - leave["start"]).dt.days.between(1, 5).all()


def test_all_staff_briefing_is_optional_large_and_organised_outside_the_team(data, ev):
    brief = ev[ev["subject"].str.startswith("All staff briefing")]
    assert brief["is_optional"].all() and (brief["attendee_count"] > 8).all()
    assert set(brief["organizer"]) == {demo_data.DIRECTOR} and demo_data.DIRECTOR not in data.people
    assert brief.groupby("ical_uid")["person"].nunique().eq(12).all()


def test_attendees_exclude_the_person_and_count_the_distinct_others(ev):
    assert (ev["attendee_count"] == ev["attendees"].map(lambda a: len(set(a)))).all()
    assert not any(p in a for p, a in zip(ev["person"], ev["attendees"], strict=True))
    assert all(x == x.lower() for a in ev["attendees"] for x in a)
    invited = ev[ev["organizer"] != ev["person"]]
    assert all(o in a for o, a in zip(invited["organizer"], invited["attendees"], strict=True))


def test_team_meeting_is_a_weekly_series_with_one_moved_and_one_cancelled_occurrence(data, ev):
    tm = ev[ev["subject"].str.endswith("Team meeting")]
    assert tm["series_id"].nunique() == 1 and tm["series_id"].iloc[0] != ""
    assert tm["ical_uid"].nunique() == 8
    per_uid = tm.groupby("ical_uid")
    assert per_uid["person"].nunique().eq(12).all()  # everyone's copy shares the meeting's ical_uid
    assert per_uid["response"].apply(lambda r: (r == "organizer").sum()).eq(1).all()
    assert set(tm.loc[tm["response"] == "organizer", "person"]) == {data.people[0]}
    occurrences = tm.drop_duplicates("ical_uid")
    moved = occurrences[occurrences["local"].dt.day_of_week != 2]
    assert len(moved) == 1 and moved["local"].iloc[0].day_of_week == 3
    cancelled = occurrences[occurrences["is_cancelled"]]
    assert len(cancelled) == 1 and cancelled["subject"].iloc[0] == "Canceled: Team meeting"
    # 10:00 local on both sides of the 25 October clock change: 09:00 UTC in BST, 10:00 UTC in GMT
    usual = occurrences[occurrences["local"].dt.day_of_week == 2]
    assert (usual["local"].dt.hour == 10).all()
    assert set(usual["start"].dt.hour) == {9, 10}


def test_a_core_group_two_teammates_attend_appears_in_both_calendars(ev):
    cg = ev[ev["subject"].str.startswith("Core group")]
    shared = cg.groupby("ical_uid").filter(lambda g: g["person"].nunique() == 2)
    assert not shared.empty
    for _, g in shared.groupby("ical_uid"):
        assert sorted(g["response"] == "organizer") == [False, True]
        a, b = g.itertuples()
        assert a.person in b.attendees and b.person in a.attendees
        assert (a.start, a.end, a.subject) == (b.start, b.end, b.subject)


def test_double_bookings_and_after_hours_work_occur(data, ev):
    counted = ev[ev["counted"]].sort_values(["person", "start"])
    overlap = counted.groupby("person")["start"].shift(-1) < counted["end"]
    assert overlap.sum() >= 10
    full_time = counted[counted["person"] != "daniel.hughes@demo-council.gov.uk"]
    late = full_time[full_time["local_end"].dt.hour * 60 + full_time["local_end"].dt.minute > 17 * 60]
    assert len(late) >= 5


def slot_hours(rows: pd.DataFrame) -> pd.Series:
    """Overlap in hours of each row with the Tue/Thu 09:30-12:30 protected morning of its day."""
    day = rows["local"].dt.normalize()
    lo = (rows["local"]).clip(lower=day + pd.Timedelta(minutes=570))
    hi = (rows["local_end"]).clip(upper=day + pd.Timedelta(minutes=750))
    hours = ((hi - lo).dt.total_seconds() / 3600).clip(lower=0)
    return hours.where(rows["local"].dt.day_of_week.isin([1, 3]), 0.0)


def test_policy_empties_protected_mornings_of_meetings_and_direct_work_rises(data, ev):
    policy = tomllib.loads(demo_slots_toml())["slot"][0]
    since = date.fromisoformat(policy["since"])
    assert since == DEMO_START + timedelta(days=28)
    counted = ev[ev["counted"] & (ev["person"] != data.people[0])]
    practitioner_weeks = 11 * 4
    meetings = counted[~counted["subject"].str.contains(DIRECT) & ~counted["subject"].str.contains(STATUTORY)]
    in_slot = slot_hours(meetings)
    before = in_slot[meetings["week"] < 4].sum() / practitioner_weeks
    after = in_slot[meetings["week"] >= 4].sum() / practitioner_weeks
    assert before > 1.5 and after < before / 3
    # still: the head of service keeps booking Project Phoenix over the mornings
    late = meetings[(meetings["week"] >= 4) & (in_slot > 0)]
    assert (late["organizer"] == demo_data.HEAD_OF_SERVICE).sum() >= 3
    direct = counted[counted["subject"].str.contains(DIRECT)]
    per_week = direct.groupby("week")["hours"].sum() / 11
    assert per_week[per_week.index < 4].mean() + 3 < per_week[per_week.index >= 4].mean()
    # and the inspection-prep fortnight (weeks 3 and 4) is the low point
    assert per_week[[2, 3]].mean() + 2 < per_week[[0, 1]].mean()


def test_last_week_holds_a_meeting_for_every_decline_reason(data, ev):
    person = data.people[demo_data.DEMO_PRACTITIONER_POS]
    last = ev[(ev["week"] == 7) & (ev["person"] == person)]
    subjects = dict(zip(last["subject"], last.itertuples(), strict=False))
    phoenix = subjects["Project Phoenix steering"]
    assert (phoenix.local.day_of_week, phoenix.local.hour) == (3, 10) and phoenix.response == "accepted"
    assert not subjects["Catch up"].has_agenda
    assert subjects["Lunch and learn: new case recording form"].is_optional
    forum = subjects["Partnership forum: neglect strategy"]
    assert forum.attendee_count > 8 and forum.response != "organizer"
    prof = next(r for s, r in subjects.items() if s.startswith("Professionals meeting"))
    mates = ev[(ev["ical_uid"] == prof.ical_uid) & (ev["person"] != person)]
    assert prof.response == "notResponded" and (mates["response"] == "accepted").any()
    sync, visit = subjects["Quick sync"], next(r for s, r in subjects.items() if s.startswith("HV - "))
    assert visit.start < sync.start < visit.end
    clinic = ev[(ev["person"] == person) & (ev["subject"] == "Performance clinic")]
    assert clinic["series_id"].nunique() == 1 and clinic["hours"].sum() / 8 * 52 / 12 > 4
    assert subjects["Locality network evening"].local.hour >= 18


def test_slot_policy_file_matches_the_brief():
    (slot,) = tomllib.loads(demo_slots_toml())["slot"]
    assert slot == {"name": "direct-work-mornings", "days": ["tue", "thu"], "start": "09:30", "end": "12:30",
                    "allow": ["direct_work", "statutory"], "since": "2026-10-05"}
    assert tomllib.loads(demo_slots_toml(date(2027, 1, 4)))["slot"][0]["since"] == "2027-02-01"


def test_bad_sizes_are_refused():
    with pytest.raises(InputError, match="--people 0"):
        generate(people=0)
    with pytest.raises(InputError, match="--weeks 0"):
        generate(weeks=0)


def test_a_single_person_and_an_odd_start_still_build():
    one = generate(people=1, weeks=1, start=date(2026, 9, 9))
    assert one.people == ["sarah.okafor@demo-council.gov.uk"] and len(one.events)
    assert one.window == Window(date(2026, 9, 9), date(2026, 9, 15), TZ)


def test_five_hundred_people_over_a_year():
    big = generate(people=500, weeks=52)
    assert len(big.people) == 500 == len(set(big.people))
    assert len(big.working_hours) == 42  # one part-time worker per team of up to 12
    assert big.events["event_id"].is_unique
    assert big.events["start"].min() >= big.window.start - pd.Timedelta(hours=1)
    assert set(big.events["person"]) == set(big.people)


RULES = Path(__file__).resolve().parents[2] / "rules" / "social-care.toml"


def test_the_shipped_rules_classify_the_demo_subjects(data):
    import calendar_audit.rules as rules_mod

    out = rules_mod.classify(data.events, rules_mod.load_rules([RULES]))
    by_subject = out.drop_duplicates("subject").set_index("subject")
    expect = {"HV - ": "direct_work", "Home visit": "direct_work", "Life story": "direct_work",
              "Direct work session": "direct_work", "Team meeting": "meeting", "Travel": "travel",
              "Recording - case notes": "admin", "Training": "training"}
    for prefix, category in expect.items():
        cats = set(by_subject.loc[by_subject.index.str.startswith(prefix), "category"])
        assert cats == {category}, prefix
    for prefix in ("ICPC", "RCPC", "Core group", "CLA review", "Strategy discussion"):
        assert by_subject.loc[by_subject.index.str.startswith(prefix), "statutory"].all(), prefix
    for subject in ("Catch up", "Project Phoenix steering"):  # no rule: the report's unclassified meetings
        assert by_subject.loc[subject, "rule"].startswith("default:"), subject

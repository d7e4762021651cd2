"""The enforcement engine on hand-made frames: who is answered, at which level, within the limits."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from calendar_audit.enforce.engine import (
    Availability,
    History,
    Version,
    lower,
    plan,
    propose,
    search_days,
)
from calendar_audit.enforce.notes import note_for
from calendar_audit.metrics import exclusion_reasons
from calendar_audit.slots import parse_slots, slot_occurrences
from calendar_audit.window import Window
from tests.conftest import local

SAM = "sam@council.gov.uk"
BOSS = "boss@council.gov.uk"
WINDOW = Window(date(2026, 11, 2), date(2026, 11, 15))
NOW = local("2026-11-02 08:00")
NO_HISTORY = History()
POLICY = """
[[slot]]
name = "mornings"
days = ["tue", "thu"]
start = "09:30"
end = "12:30"
allow = ["direct_work", "statutory"]
enforce = "decline"

[[slot]]
name = "fridays"
days = ["fri"]
start = "13:00"
end = "17:00"
allow = ["direct_work"]
enforce = "tentative"
"""


def prepared(events: pd.DataFrame) -> pd.DataFrame:
    defaults = {"statutory": False, "never_decline": False, "rule": "r", "category": "meeting"}
    events = events.assign(**{k: v for k, v in defaults.items() if k not in events})
    return events.assign(counted=(exclusion_reasons(events) == "").to_numpy(bool))


def invite(start: str, end: str, **kw) -> dict:
    return dict(start=start, end=end, response="notResponded", attendee_count=2, organizer=BOSS, **kw)


def decide(make_events, *rows: dict, prefs: dict | None = None, history: History = NO_HISTORY, cap: int = 5,
           versions: dict | None = None, now: pd.Timestamp = NOW):
    events = prepared(make_events(*rows))
    slots = parse_slots(POLICY)
    occ = slot_occurrences(slots, [SAM], WINDOW, {})
    return plan(events, occ, slots, now, versions=versions or {}, preferences=prefs or {}, history=history,
                daily_cap=cap, tz="Europe/London", people=[SAM])


def test_only_open_future_invitations_outside_allow_are_chosen(make_events):
    got = decide(
        make_events,
        invite("2026-11-03 10:00", "2026-11-03 11:00"),  # e0: chosen
        invite("2026-11-03 13:00", "2026-11-03 14:00"),  # e1: after the slot
        invite("2026-11-05 10:00", "2026-11-05 11:00", statutory=True),  # e2: statutory
        invite("2026-11-05 11:00", "2026-11-05 12:00", never_decline=True),  # e3
        dict(start="2026-11-10 10:00", end="2026-11-10 11:00", response="organizer", attendee_count=2),  # e4: own
        invite("2026-11-10 11:00", "2026-11-10 12:00") | {"response": "accepted"},  # e5: answered
        invite("2026-11-12 10:00", "2026-11-12 11:00", category="direct_work"),  # e6: allowed
        invite("2026-11-12 11:00", "2026-11-12 12:00", is_cancelled=True),  # e7: cancelled
        dict(start="2026-11-12 09:00", end="2026-11-12 10:00", response="notResponded", attendee_count=0),  # e8
    )
    assert [(d.event_id, d.slot, d.action, d.why) for d in got] == [("e0", "mornings", "decline", "")]


def test_an_invitation_that_has_started_is_left_alone(make_events):
    events = [invite("2026-11-03 10:00", "2026-11-03 11:00"), invite("2026-11-03 11:00", "2026-11-03 12:00")]
    assert [d.event_id for d in decide(make_events, *events, now=local("2026-11-03 10:30"))] == ["e1"]


@pytest.mark.parametrize(("policy", "preference", "action"), [
    ("decline", "", "decline"), ("decline", "tentative", "tentative"), ("decline", "notify", "notify"),
    ("decline", "off", "off"), ("tentative", "decline", "tentative"), ("notify", "decline", "notify"),
    ("off", "decline", "off"),
])
def test_a_person_may_choose_less_than_the_policy_never_more(policy, preference, action):
    assert lower(policy, preference) == action


def test_preference_lowers_and_off_leaves_the_invitation_out(make_events):
    rows = [invite("2026-11-03 10:00", "2026-11-03 11:00"), invite("2026-11-06 14:00", "2026-11-06 15:00")]
    got = decide(make_events, *rows, prefs={SAM: "notify"})
    assert [(d.event_id, d.policy, d.action, d.why) for d in got] == [
        ("e0", "decline", "notify", "preference"), ("e1", "tentative", "notify", "preference")]
    assert decide(make_events, *rows, prefs={SAM: "off"}) == []


def test_each_version_once(make_events):
    rows = [invite("2026-11-03 10:00", "2026-11-03 11:00")]
    versions = {(SAM, "e0"): Version("ck2", True)}
    done = History(decided=frozenset({(SAM, "e0", "ck1")}))
    [again] = decide(make_events, *rows, versions=versions, history=done)
    assert (again.change_key, again.allow_new_time_proposals) == ("ck2", True)
    assert decide(make_events, *rows, versions=versions,
                  history=History(decided=frozenset({(SAM, "e0", "ck2")}))) == []


def test_the_daily_cap_holds_the_rest_until_tomorrow(make_events):
    rows = [invite(f"2026-11-03 {h}:00", f"2026-11-03 {h}:30") for h in (10, 11)] + [
        invite("2026-11-05 10:00", "2026-11-05 10:30")]
    earlier = History(writes=((SAM, "", local("2026-11-02 07:30")),))  # one answer already sent today
    got = decide(make_events, *rows, cap=2, history=earlier)
    assert [(d.event_id, d.action, d.why, d.journalled) for d in got] == [
        ("e0", "decline", "", True), ("e1", "notify", "daily_cap", False), ("e2", "notify", "daily_cap", False)]
    yesterday = History(writes=((SAM, "", local("2026-11-01 16:00")),))
    assert [d.action for d in decide(make_events, *rows, cap=2, history=yesterday)] == ["decline", "decline",
                                                                                         "notify"]


def test_a_series_is_answered_at_most_once_a_week(make_events):
    rows = [invite("2026-11-03 10:00", "2026-11-03 11:00", series_id="S"),
            invite("2026-11-05 10:00", "2026-11-05 11:00", series_id="S"),
            invite("2026-11-10 10:00", "2026-11-10 11:00", series_id="T")]
    got = decide(make_events, *rows)
    assert [(d.event_id, d.action, d.why) for d in got] == [
        ("e0", "decline", ""), ("e1", "notify", "series_this_week"), ("e2", "decline", "")]
    last_week = History(writes=((SAM, "S", local("2026-10-27 09:00")),))  # 6 days before now: still this week
    assert decide(make_events, *rows, history=last_week)[0].why == "series_this_week"


def test_the_nearest_free_time_on_the_quarter_hour_avoiding_both_calendars_and_slots(make_events):
    [d] = decide(make_events, invite("2026-11-03 10:00", "2026-11-03 11:00"))
    work = [(local(f"2026-11-{day:02d} 09:00"), local(f"2026-11-{day:02d} 17:00")) for day in (2, 3, 4, 5, 6)]
    slots = [(local("2026-11-03 09:30"), local("2026-11-03 12:30"))]
    mine = [(local("2026-11-03 12:30"), local("2026-11-03 13:10"))]
    avail = Availability(search_days(work, date(2026, 11, 3), 2, "Europe/London"), sorted(mine + slots),
                         [(local("2026-11-03 13:30"), local("2026-11-03 16:30"))])
    # Tue: 09:00-09:30 is too short, 13:15-14:15 meets the organiser, after 16:30 is too late: Wed 09:00 is nearer
    # (23 h) than nothing; Wed 10:00 itself would be 24 h away
    assert propose(d, avail, NOW) == (local("2026-11-04 09:00"), local("2026-11-04 10:00"))
    avail.organiser_busy = None
    assert propose(d, avail, NOW) == (local("2026-11-03 13:15"), local("2026-11-03 14:15"))
    assert search_days(work, date(2026, 11, 5), 5, "Europe/London") == work[3:]


def test_the_note_names_the_policy_and_the_time_but_nothing_of_the_meeting(make_events):
    from dataclasses import replace

    [d] = decide(make_events, invite("2026-11-03 10:00", "2026-11-03 11:00", subject="Panel for Jayden Smith"))
    named = replace(d, proposed_start=local("2026-11-04 09:00"), proposed_end=local("2026-11-04 10:00"))
    text = note_for(named, "Europe/London")
    assert text == ('Thank you for the invitation. This time is protected for direct work with children and families '
                    'under our team\'s protected-slot policy ("mornings"), so I am not able to attend. Could we meet '
                    'on Wednesday 4 November, 09:00-10:00 instead? I am free then.')
    sent = note_for(replace(named, proposal_sent=True, action="tentative"), "Europe/London",
                    {"tentative": "Under our {policy} I may miss this. {proposal}"})
    assert sent == ('Under our protected-slot policy ("mornings") I may miss this. I have proposed another time '
                    'that is free in my calendar; I hope it suits you.')

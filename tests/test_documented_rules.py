"""Every rule README.md and DESIGN.md promise, pinned on a small hand-made calendar with numbers worked out by hand.

Each test names the promise it guards and shows its arithmetic in a comment. The expected values are written here,
never computed by the product. tests/README.md lists, for each test, the deliberate break that makes it fail.
"""

from __future__ import annotations

from datetime import date, time
from pathlib import Path

import pandas as pd

from calendar_audit.actions.holds import Existing, plan_holds
from calendar_audit.audit import audit, prepare_events
from calendar_audit.frame import SourceData, WorkingHours
from calendar_audit.metrics import leave_days
from calendar_audit.rules import parse_rules
from calendar_audit.settings import Settings, SuggestSettings, load_settings
from calendar_audit.slots import parse_slots
from calendar_audit.sources.graph_adapter import events_to_frame
from calendar_audit.sources.ics import read_ics
from calendar_audit.suggest import suggest
from calendar_audit.window import Window

SAM = "sam@council.gov.uk"
#: a plain rule file with DESIGN.md's default order; the subjects below are chosen to match these rules exactly
RULES = """
[categories]
order = ["direct_work", "meeting", "training", "travel", "admin", "other"]

[[rule]]
name = "home-visit"
category = "direct_work"
subject = ["home visit"]

[[rule]]
name = "core-group"
category = "meeting"
subject = ["core group"]
statutory = true

[[rule]]
name = "team-meeting"
category = "meeting"
subject = ["team meeting"]
"""
OCT19 = Window(date(2026, 10, 19), date(2026, 10, 25))  # Mon 19 - Sun 25 Oct 2026; clocks go back Sun 25 at 02:00


def person_week(events: pd.DataFrame, window: Window = OCT19, rules: str = RULES, settings: Settings | None = None,
                mailbox_hours: dict[str, WorkingHours] | None = None) -> dict[str, dict]:
    """The whole audit (classify, count, partition, measure) -> {week_start: row} for Sam, rounded to 2 places."""
    data = SourceData(events, people=[SAM], working_hours=mailbox_hours or {})
    result = audit(data, parse_rules(rules), window, settings or Settings(), allow_small_team=True)
    rows = result.person_week[result.person_week["person"] == SAM]
    return {r["week_start"].isoformat(): {k: (round(v, 2) if isinstance(v, float) else v) for k, v in r.items()}
            for r in rows.to_dict("records")}


# --- metrics ----------------------------------------------------------------------------------------------------

def test_statutory_meeting_hours_never_exceed_meeting_hours_when_a_statutory_meeting_overlaps_direct_work(
        make_events):
    # Tue 10:00-12:00 Core group (statutory meeting) and a home visit 11:00-12:30 alone.
    # direct_work wins 11:00-12:00, so the meeting keeps 10:00-11:00 = 1 h, all of it statutory: 1 h, not 2 h.
    events = make_events(
        dict(subject="Core group", start="2026-10-20 10:00", end="2026-10-20 12:00", attendee_count=5,
             response="accepted"),
        dict(subject="Home visit", start="2026-10-20 11:00", end="2026-10-20 12:30", response="organizer"),
    )
    row = person_week(events)["2026-10-19"]
    assert (row["meeting_hours"], row["statutory_meeting_hours"], row["direct_work_hours"]) == (1.0, 1.0, 1.5)
    assert (row["busy_hours"], row["double_booked_hours"]) == (2.5, 1.0)


def test_the_rule_files_own_category_order_decides_overlaps_end_to_end(make_events):
    # The same two events, but this rule file puts meeting before direct_work: the meeting now wins 11:00-12:00.
    # Team meeting 10:00-12:00 -> 2 h meeting; Home visit 11:00-12:30 keeps only 12:00-12:30 -> 0.5 h direct work.
    meeting_first = RULES.replace('order = ["direct_work", "meeting",', 'order = ["meeting", "direct_work",')
    events = make_events(
        dict(subject="Team meeting", start="2026-10-20 10:00", end="2026-10-20 12:00", attendee_count=5,
             response="accepted"),
        dict(subject="Home visit", start="2026-10-20 11:00", end="2026-10-20 12:30", response="organizer"),
    )
    row = person_week(events, rules=meeting_first)["2026-10-19"]
    assert (row["meeting_hours"], row["direct_work_hours"], row["busy_hours"]) == (2.0, 0.5, 2.5)
    # direct_work_pct = 100 x 0.5 / 40 = 1.25; meeting_pct = 100 x 2 / 40 = 5
    assert (row["direct_work_pct"], row["meeting_pct"]) == (1.25, 5.0)


def test_an_all_day_busy_training_day_is_not_leave_only_oof_is(make_events):
    # Tue: all-day "Training day" shown busy -> still a working day. Thu: all-day "Annual leave" oof -> leave.
    # working_hours = 5 x 8 - 8 (Thu) = 32. A 1 h meeting on Tue 10:00 is inside hours; one on Thu 10:00 is not.
    events = make_events(
        dict(subject="Training day", start="2026-10-20", end="2026-10-21", is_all_day=True, show_as="busy",
             response="organizer"),
        dict(subject="Annual leave", start="2026-10-22", end="2026-10-23", is_all_day=True, show_as="oof",
             response="organizer"),
        dict(subject="Team meeting", start="2026-10-20 10:00", end="2026-10-20 11:00", attendee_count=4),
        dict(subject="Team meeting", start="2026-10-22 10:00", end="2026-10-22 11:00", attendee_count=4),
    )
    row = person_week(events)["2026-10-19"]
    assert (row["working_hours"], row["meeting_hours"], row["after_hours_hours"]) == (32.0, 2.0, 1.0)


def test_a_meeting_at_monday_0015_in_summer_time_belongs_to_the_new_week(make_events):
    # Mon 15 Jun 2026 00:15-01:00 BST is Sun 14 Jun 23:15-00:00 UTC: 0.75 h in the week of Mon 15 Jun, none before.
    events = make_events(dict(subject="Team meeting", start="2026-06-15 00:15", end="2026-06-15 01:00",
                              attendee_count=3))
    weeks = person_week(events, Window(date(2026, 6, 8), date(2026, 6, 21)))
    assert (weeks["2026-06-08"]["meeting_hours"], weeks["2026-06-15"]["meeting_hours"]) == (0.0, 0.75)
    assert (weeks["2026-06-08"]["busy_hours"], weeks["2026-06-15"]["after_hours_hours"]) == (0.0, 0.75)


def test_an_unmatched_event_never_inherits_a_rules_statutory_flag(make_events):
    # The first rule of this file is statutory; "Budget planning" matches no rule and goes to the default meeting.
    statutory_first = '[[rule]]\nname = "icpc"\ncategory = "meeting"\nsubject = ["ICPC"]\nstatutory = true\n'
    events = make_events(dict(subject="Budget planning", start="2026-10-21 10:00", end="2026-10-21 11:30",
                              attendee_count=6, response="accepted"))
    prepared = prepare_events(events, parse_rules(statutory_first), OCT19, Settings())
    assert prepared[["rule", "statutory"]].values.tolist() == [["default:with_attendees", False]]
    row = person_week(events, rules=statutory_first)["2026-10-19"]
    assert (row["meeting_hours"], row["statutory_meeting_hours"]) == (1.5, 0.0)


def test_the_window_end_across_the_clock_change_is_checked_on_the_metrics(make_events):
    # --to Sun 25 Oct: the window ends Mon 26 Oct 00:00 GMT = 00:00 UTC (not 23:00 UTC, the BST midnight).
    # Sun 25 Oct 23:00-23:45 GMT is inside: 0.75 h; Mon 26 Oct 00:00-01:00 is outside the window.
    # Sat 24 Oct 23:30 BST - Sun 00:30 BST: 1 h. The day of the change has 25 h: nothing else counts.
    events = make_events(
        dict(subject="duty", start="2026-10-25 23:00", end="2026-10-25 23:45"),
        dict(subject="duty", start="2026-10-26 00:00", end="2026-10-26 01:00"),
        dict(subject="duty", start="2026-10-24 23:30", end="2026-10-25 00:30"),
    )
    weeks = person_week(events)
    assert list(weeks) == ["2026-10-19"]
    assert (weeks["2026-10-19"]["other_hours"], weeks["2026-10-19"]["after_hours_hours"]) == (1.75, 1.75)


def test_per_person_working_hours_beat_mailbox_settings_at_the_audit_level(make_events, tmp_path: Path):
    # The mailbox says Mon-Fri 08:00-18:00 (50 h); settings say Mon-Thu 09:00-15:00 (4 x 6 = 24 h): settings win.
    # A meeting Fri 10:00-11:00 is outside Sam's settings hours (after hours 1 h), though inside the mailbox's.
    config = tmp_path / "calendar-audit.toml"
    config.write_text(f'[people."{SAM}"]\nworking_hours = {{ days = ["mon", "tue", "wed", "thu"], '
                      'start = "09:00", end = "15:00" }\n', encoding="utf-8")
    mailbox = {SAM: WorkingHours(days=(0, 1, 2, 3, 4), start=time(8), end=time(18), tz="Europe/London")}
    events = make_events(dict(subject="Team meeting", start="2026-10-23 10:00", end="2026-10-23 11:00",
                              attendee_count=3))
    row = person_week(events, settings=load_settings(config), mailbox_hours=mailbox)["2026-10-19"]
    assert (row["working_hours"], row["after_hours_hours"], row["meeting_pct"]) == (24.0, 1.0, 4.17)
    # and without the settings entry, the mailbox's hours apply: 50 h, the meeting inside them
    row = person_week(events, mailbox_hours=mailbox)["2026-10-19"]
    assert (row["working_hours"], row["after_hours_hours"], row["meeting_pct"]) == (50.0, 0.0, 2.0)


# --- suggestions ------------------------------------------------------------------------------------------------

def test_after_hours_in_suggestions_at_exactly_the_start_and_end_of_working_hours(make_events):
    # Working hours 09:00-17:00 (GMT in November: local = UTC). A meeting that starts exactly at 09:00 or ends
    # exactly at 17:00 is inside; one minute outside either end, or wholly before/after, is after hours.
    window = Window(date(2026, 11, 2), date(2026, 11, 6))
    spans = {"at-start": ("09:00", "10:00"), "at-end": ("16:00", "17:00"), "whole-day": ("09:00", "17:00"),
             "early": ("08:59", "09:30"), "late": ("16:30", "17:01"), "before": ("08:00", "09:00"),
             "after": ("17:00", "18:00")}
    rows = [dict(event_id=k, subject="Team meeting", start=f"2026-11-0{3 + i % 3} {s}", end=f"2026-11-0{3 + i % 3} {e}",
                 attendee_count=3, response="accepted", has_agenda=True, organizer="chair@council.gov.uk")
            for i, (k, (s, e)) in enumerate(spans.items())]
    prepared = prepare_events(make_events(*rows), parse_rules(RULES), window, Settings())
    found = suggest(prepared, SAM, window, SuggestSettings(), hours=WorkingHours())
    # only after_hours can hold here (matched rule, agenda, 3 others, not optional, no slot, no series, alone)
    assert sorted(found["event_id"]) == ["after", "before", "early", "late"]
    assert set(found["reasons"]) == {"after_hours"} and set(found["score"]) == {1.1}


# --- the ICS source ---------------------------------------------------------------------------------------------

def ics(tmp_path: Path, *events: list[str], tz: str = "Europe/London") -> pd.DataFrame:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:hand-made"]
    for i, body in enumerate(events):
        lines += ["BEGIN:VEVENT", f"UID:u{i}", "SUMMARY:Duty", *body, "END:VEVENT"]
    path = tmp_path / f"{SAM}.ics"
    path.write_text("\r\n".join([*lines, "END:VCALENDAR"]) + "\r\n", encoding="utf-8")
    return read_ics([path], Window(date(2026, 10, 19), date(2026, 10, 25), tz), tz=tz).events


def test_ics_transp_transparent_is_free_and_excluded(tmp_path: Path):
    events = ics(tmp_path, ["DTSTART:20261020T090000Z", "DTEND:20261020T100000Z", "TRANSP:TRANSPARENT"],
                 ["DTSTART:20261020T110000Z", "DTEND:20261020T120000Z", "TRANSP:OPAQUE"])
    assert events.sort_values("event_id")["show_as"].tolist() == ["free", "busy"]
    # one busy hour counts; the transparent hour does not: busy 1 h (Tue 12:00-13:00 BST), meetings 0 (no attendees)
    row = person_week(events)["2026-10-19"]
    assert (row["busy_hours"], row["other_hours"]) == (1.0, 1.0)


def test_ics_floating_times_are_read_in_the_teams_zone(tmp_path: Path):
    # DTSTART:20261020T090000 (no Z, no TZID) is 09:00 wherever the team is: 08:00Z in London (BST),
    # 13:00Z in New York (EDT, UTC-4).
    body = ["DTSTART:20261020T090000", "DTEND:20261020T100000"]
    london = ics(tmp_path, body)
    assert (london["start"].iloc[0], london["end"].iloc[0]) == (pd.Timestamp("2026-10-20 08:00Z"),
                                                                 pd.Timestamp("2026-10-20 09:00Z"))
    new_york = ics(tmp_path, body, tz="America/New_York")
    assert new_york["start"].iloc[0] == pd.Timestamp("2026-10-20 13:00Z")


def test_ics_cdo_alldayevent_flag_makes_an_all_day_event(tmp_path: Path):
    # Outlook writes some all-day items as local midnight to midnight with the CDO flag: Wed 21 Oct leave.
    # Leave takes Wed out of working hours: 40 - 8 = 32 h. Without the flag it would be a 24 h timed event.
    events = ics(tmp_path, ["DTSTART;TZID=Europe/London:20261021T000000", "DTEND;TZID=Europe/London:20261022T000000",
                            "X-MICROSOFT-CDO-ALLDAYEVENT:TRUE", "X-MICROSOFT-CDO-BUSYSTATUS:OOF"])
    row = events.iloc[0]
    assert bool(row["is_all_day"]) and (row["start"], row["end"]) == (pd.Timestamp("2026-10-21 00:00Z"),
                                                                      pd.Timestamp("2026-10-22 00:00Z"))
    assert person_week(events)["2026-10-19"]["working_hours"] == 32.0


# --- the Graph source -------------------------------------------------------------------------------------------

def test_graph_all_day_events_keep_their_dates_whatever_the_mailbox_zone():
    # An all-day leave day Tue 20 Oct in mailboxes on Pacific, Tokyo and London time: always 20 Oct 00:00 UTC to
    # 21 Oct 00:00 UTC (the frame's convention for dates), never shifted by the zone's offset.
    for zone in ("Pacific Standard Time", "Tokyo Standard Time", "GMT Standard Time", "UTC"):
        event = {"id": "leave", "isAllDay": True, "showAs": "oof", "subject": "Annual leave",
                 "start": {"dateTime": "2026-10-20T00:00:00.0000000", "timeZone": zone},
                 "end": {"dateTime": "2026-10-21T00:00:00.0000000", "timeZone": zone}}
        frame = events_to_frame(SAM, [event])
        assert (frame["start"].iloc[0], frame["end"].iloc[0]) == (pd.Timestamp("2026-10-20 00:00Z"),
                                                                  pd.Timestamp("2026-10-21 00:00Z")), zone
        assert leave_days(frame) == {SAM: {date(2026, 10, 20)}}, zone


# --- holds ------------------------------------------------------------------------------------------------------

HOLD_SLOTS = parse_slots('[[slot]]\nname = "mornings"\ndays = ["tue", "thu"]\nstart = "09:30"\nend = "12:30"\n'
                         'allow = ["direct_work"]\nsince = "2026-01-05"\n')


def test_holds_are_never_booked_on_a_leave_day_and_free_events_are_not_conflicts():
    # Slot Tue and Thu 09:30-12:30, fortnight of 2 Nov (GMT): four occurrences, 3, 5, 10, 12 Nov.
    # Leave (all-day oof) on Thu 5 Nov removes one; an all-day *busy* training on Tue 10 Nov does not.
    # Conflicts on Tue 3 Nov: a busy meeting 10:00-11:00 is one; a free one 11:00-12:00 and a cancelled one are not.
    def ts(text: str) -> pd.Timestamp:
        return pd.Timestamp(text, tz="UTC")

    calendar = [
        Existing("leave", ts("2026-11-05"), ts("2026-11-06"), is_all_day=True, show_as="oof"),
        Existing("training", ts("2026-11-10"), ts("2026-11-11"), is_all_day=True, show_as="busy"),
        Existing("busy", ts("2026-11-03 10:00"), ts("2026-11-03 11:00")),
        Existing("free", ts("2026-11-03 11:00"), ts("2026-11-03 12:00"), show_as="free"),
        Existing("gone", ts("2026-11-03 09:00"), ts("2026-11-03 12:00"), is_cancelled=True),
        Existing("touching", ts("2026-11-03 12:30"), ts("2026-11-03 13:00")),
    ]
    holds = plan_holds(HOLD_SLOTS, [SAM], Window(date(2026, 11, 2), date(2026, 11, 15)), ts("2026-11-01"),
                       {SAM: calendar}, set())
    assert [h.start for h in holds] == [ts("2026-11-03 09:30"), ts("2026-11-10 09:30"), ts("2026-11-12 09:30")]
    assert [[c.event_id for c in h.conflicts] for h in holds] == [["busy"], [], []]

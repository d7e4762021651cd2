"""The ICS source: Outlook / Exchange exports read into the events frame."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from calendar_audit.errors import IcsError, InputError
from calendar_audit.sources.ics import read_ics
from calendar_audit.sources.ics_event import has_agenda
from calendar_audit.sources.ics_text import prepare
from calendar_audit.window import Window

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "ics"
SHARED = ROOT / ".." / "shared" / "fixtures" / "ics"
SAM = DATA / "uk_social_worker" / "sam.jones@council.gov.uk.ics"

# skipped on a developer's machine without ../shared; a failure in CI (.ci/run checks the folder is there)
needs_shared = pytest.mark.usefixtures("shared_fixtures")


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def starts(frame: pd.DataFrame, subject: str | None = None) -> list[str]:
    rows = frame if subject is None else frame[frame["subject"] == subject]
    return sorted(t.strftime("%Y-%m-%dT%H:%MZ") for t in rows["start"])


def shared(name: str, first: date, last: date, tz: str = "Europe/London") -> pd.DataFrame:
    return read_ics([SHARED / name], Window(first, last, tz)).events


# --- upstream fixtures: what their own test suites expect -------------------------------------------------

@needs_shared
# never an empty parameter list (pytest would skip it silently): without the folder, the one case meets need()
@pytest.mark.parametrize("path", sorted(SHARED.glob("*.ics")) or [SHARED / "absent.ics"], ids=lambda p: p.name)
def test_every_shared_fixture_loads_without_notes(path: Path) -> None:
    data = read_ics([path], None, today=date(2026, 3, 1))
    assert len(data.events) > 0
    assert data.notes == []
    assert data.people == [path.stem]


@needs_shared
@pytest.mark.parametrize(
    ("name", "zones"),
    [
        ("nodeical__bad_ms_tz.ics", {"Customized Time Zone": "America/New_York"}),
        ("nodeical__exchange-custom-tz.ics", {"(UTC+07:00) Bangkok, Hanoi, Jakarta": "Asia/Bangkok"}),
        ("khal__tz_windows_format.ics", {"New Zealand Standard Time": "Pacific/Auckland"}),
        ("nodeical__Office-2012-owa.ics", {"(GMT+10:00) Canberra, Melbourne, Sydney": "Australia/Sydney",
                                           "(UTC-05:00) Eastern Time (US & Canada)": "America/New_York"}),
        ("nodeical__ms_timezones.ics", {"W. Europe Standard Time": "Europe/Berlin",
                                        "Pacific Standard Time": "America/Los_Angeles"}),
        ("recurring__issue_27_t1.ics", {"Europe/Berlin": "Europe/Berlin"}),
        ("recurring__issue_28_rrule_with_UTC_endinginZ.ics", {"GMT Standard Time": "Europe/London"}),
        ("icalendar__timezone_same_start_and_offset.ics", {"Tokyo Standard Time": "Asia/Tokyo"}),
    ],
)
def test_outlook_tzids_resolve_to_real_iana_zones(name: str, zones: dict[str, str]) -> None:
    assert prepare((SHARED / name).read_bytes(), name, "Europe/London").zones == zones


@needs_shared
def test_cdo_label_zone_resolves_to_a_central_european_zone() -> None:
    name = "icalendar__issue_165_missing_event.ics"
    zone = prepare((SHARED / name).read_bytes(), name, "Europe/London").zones[
        "GMT +0100 (Standard) / GMT +0200 (Daylight)"]
    assert zone.startswith("Europe/")
    assert utc("2015-07-03T12:00").tz_convert(zone).utcoffset() == pd.Timedelta(hours=2)
    assert utc("2015-01-03T12:00").tz_convert(zone).utcoffset() == pd.Timedelta(hours=1)


@needs_shared
@pytest.mark.parametrize(
    ("name", "first", "subject", "start", "end"),
    [
        ("nodeical__bad_ms_tz.ics", date(2020, 8, 25), "[private]", "2020-08-25T14:35", "2020-08-25T15:50"),
        ("nodeical__exchange-custom-tz.ics", date(2019, 4, 30), "Test event", "2019-04-30T02:00", None),
        ("khal__tz_windows_format.ics", date(2019, 11, 20), "Event with Windows TZ name", "2019-11-20T00:00", None),
        ("icalendar__timezone_same_start.ics", date(2017, 2, 24), "Test 4", "2017-02-24T20:00", None),
        ("icalendar__timezone_same_start_and_offset.ics", date(2017, 2, 24), "this is an event",
         "2017-02-24T03:00", None),
        ("icalendar__issue_836_do_not_quote_tzid.ics", date(2024, 10, 28), "Anonymous Test Event for TZID",
         "2024-10-28T21:00", None),
        ("nodeical__Office-2012-owa.ics", date(2020, 10, 28), "TEST", "2020-10-28T17:30", "2020-10-28T19:00"),
        ("nodeical__Office-2012-owa.ics", date(2020, 10, 28), "TEST Syd", "2020-10-28T02:30", "2020-10-28T04:00"),
        ("nodeical__Office-2012-owa.ics", date(2020, 11, 2), "TEST 3", "2020-11-02T18:30", "2020-11-02T20:00"),
        ("nodeical__ms_timezones.ics", date(2020, 6, 9), "Log Yesterday's Jira time", "2020-06-09T07:00",
         "2020-06-09T07:30"),
        ("nodeical__ms_timezones.ics", date(2020, 9, 15), "Not the actual summary 1", "2020-09-15T15:30", None),
    ],
)
def test_first_occurrence_starts_at_the_upstream_utc_time(
        name: str, first: date, subject: str, start: str, end: str | None) -> None:
    events = shared(name, first, first)
    row = events[events["subject"] == subject].iloc[0]
    assert row["start"] == utc(start)
    if end:
        assert row["end"] == utc(end)


@needs_shared
def test_issue_28_fifteen_bin_days_between_25_may_and_5_september() -> None:
    events = shared("recurring__issue_28_rrule_with_UTC_endinginZ.ics", date(2020, 5, 25), date(2020, 9, 4))
    assert len(events) == 15
    assert events["is_all_day"].all()
    assert (events["show_as"] == "free").all()


@needs_shared
def test_issue_28_only_the_moved_collection_between_3_and_5_september() -> None:
    events = shared("recurring__issue_28_rrule_with_UTC_endinginZ.ics", date(2020, 9, 3), date(2020, 9, 4))
    assert starts(events) == ["2020-09-04T00:00Z"]
    assert events.iloc[0]["end"] == utc("2020-09-05")
    assert events.iloc[0]["event_id"].endswith("/2020-09-03")


@needs_shared
def test_issue_28_utc_until_on_all_day_series_keeps_the_last_thursday() -> None:
    events = shared("recurring__issue_28_rrule_with_UTC_endinginZ.ics", date(2020, 9, 14), date(2020, 9, 30))
    assert starts(events, "Refuse black bin") == ["2020-09-17T00:00Z"]


@needs_shared
def test_issue_27_two_daily_occurrences_with_floating_until_and_utc_exdate() -> None:
    events = shared("recurring__issue_27_t1.ics", date(2020, 4, 25), date(2020, 4, 29), "Europe/Berlin")
    assert starts(events) == ["2020-04-26T12:00Z", "2020-04-28T12:00Z"]


@needs_shared
def test_issue_4_date_until_is_inclusive_and_out_of_office() -> None:
    events = shared("recurring__issue_4_weidenrinde.ics", date(2019, 8, 1), date(2019, 9, 30))
    assert starts(events) == ["2019-08-23T00:00Z", "2019-08-30T00:00Z"]
    assert list(events["show_as"]) == ["oof", "oof"]


@needs_shared
def test_whole_day_moved_occurrence_keyed_to_26_february_lands_on_27th() -> None:
    events = shared("nodeical__exchange_whole_day_moved_recurrence.ics", date(2026, 2, 23), date(2026, 3, 1))
    assert starts(events) == ["2026-02-24T00:00Z", "2026-02-27T00:00Z"]
    moved = events[events["start"] == utc("2026-02-27")].iloc[0]
    assert moved["event_id"] == "exchange-moved-recurrence/2026-02-26"
    assert moved["series_id"] == "exchange-moved-recurrence"
    assert moved["end"] == utc("2026-02-28")


@needs_shared
def test_whole_day_series_until_is_inclusive_in_the_export_zone() -> None:
    events = shared("nodeical__exchange_whole_day_moved_recurrence.ics", date(2026, 8, 10), date(2026, 8, 30))
    assert starts(events) == ["2026-08-11T00:00Z", "2026-08-13T00:00Z", "2026-08-18T00:00Z"]


@needs_shared
def test_customized_time_zone_follows_us_daylight_saving_until_its_last_instance() -> None:
    events = shared("nodeical__bad_ms_tz.ics", date(2020, 11, 1), date(2020, 12, 31))
    assert starts(events)[0] == "2020-11-03T15:35Z"  # EST after 1 November
    assert starts(events)[-1] == "2020-12-17T15:35Z"


@needs_shared
def test_ms_timezones_exdates_and_inclusive_until() -> None:
    events = shared("nodeical__ms_timezones.ics", date(2020, 7, 20), date(2020, 7, 26))
    assert starts(events, "Not the actual summary either") == ["2020-07-24T19:00Z", "2020-07-26T19:00Z"]
    jira = shared("nodeical__ms_timezones.ics", date(2021, 3, 8), date(2021, 3, 14))
    assert starts(jira, "Log Yesterday's Jira time") == ["2021-03-08T08:00Z", "2021-03-09T08:00Z"]
    assert set(jira["show_as"]) == {"free"}


@needs_shared
def test_cdo_rrule_with_spaces_in_byday_is_one_weekday_series() -> None:
    events = shared("icalendar__issue_165_missing_event.ics", date(2015, 7, 1), date(2015, 7, 31))
    assert len(events) == 14
    assert events["series_id"].nunique() == 1
    assert starts(events)[0] == "2015-07-03T08:00Z"
    assert starts(events)[-1] == "2015-07-22T08:00Z"


# --- a UK social worker's Outlook export ------------------------------------------------------------------

@pytest.fixture(scope="module")
def sam() -> pd.DataFrame:
    events = read_ics([SAM], Window(date(2026, 10, 5), date(2026, 11, 15))).events
    return events.set_index("event_id")


def test_weekly_team_meeting_keeps_10am_local_across_the_clock_change(sam: pd.DataFrame) -> None:
    team = sam[sam["series_id"] == "team-meeting-0001"].sort_values("start")
    assert [(str(r.Index), r.start, r.end) for r in team.itertuples()] == [
        ("team-meeting-0001/2026-10-07T09:00:00Z", utc("2026-10-07T09:00"), utc("2026-10-07T10:00")),
        ("team-meeting-0001/2026-10-21T09:00:00Z", utc("2026-10-21T09:00"), utc("2026-10-21T10:00")),
        ("team-meeting-0001/2026-10-28T10:00:00Z", utc("2026-10-28T10:00"), utc("2026-10-28T11:00")),
        ("team-meeting-0001/2026-11-04T10:00:00Z", utc("2026-11-05T14:00"), utc("2026-11-05T15:00")),
        ("team-meeting-0001/2026-11-11T10:00:00Z", utc("2026-11-11T10:00"), utc("2026-11-11T11:00")),
    ]  # 14 October is an EXDATE; 4 November moved to Thursday 5th at 14:00


def test_team_meeting_columns(sam: pd.DataFrame) -> None:
    row = sam.loc["team-meeting-0001/2026-10-07T09:00:00Z"]
    assert row["subject"] == "Team meeting"
    assert (row["show_as"], row["response"], row["is_cancelled"], row["is_optional"]) == (
        "busy", "accepted", False, False)
    assert row["attendee_count"] == 2  # the organizer and Tom; the room is not a person
    assert row["attendees"] == ("priya.shah@council.gov.uk", "tom.hill@council.gov.uk")
    assert row["organizer"] == "priya.shah@council.gov.uk"
    assert row["outlook_categories"] == ("Team", "Meetings")
    assert row["location"] == "Room 1, Civic Centre"
    assert (row["is_online"], row["sensitivity"], row["has_agenda"], row["is_all_day"]) == (
        False, "normal", True, False)
    assert row["ical_uid"] == "team-meeting-0001"


def test_cancelled_occurrence_is_kept_and_marked(sam: pd.DataFrame) -> None:
    row = sam.loc["team-meeting-0001/2026-11-11T10:00:00Z"]
    assert (row["is_cancelled"], row["show_as"]) == (True, "free")


def test_declined_teams_invite_with_only_joining_boilerplate(sam: pd.DataFrame) -> None:
    row = sam.loc["strategy-0002/2026-10-20T13:00:00Z"]
    assert (row["response"], row["is_online"], row["has_agenda"], row["series_id"]) == (
        "declined", True, False, "")
    assert row["end"] == utc("2026-10-20T14:00")


def test_optional_invite_not_answered(sam: pd.DataFrame) -> None:
    row = sam.loc["forum-0003/2026-10-22T11:30:00Z"]
    assert row["subject"] == "Practice forum"
    assert (row["response"], row["is_optional"], row["show_as"]) == ("notResponded", True, "tentative")
    assert (row["is_online"], row["sensitivity"], row["attendee_count"]) == (True, "private", 3)
    assert "tom.hill@council.gov.uk" in row["attendees"]


def test_tentative_invite_busystatus_wins_over_transp(sam: pd.DataFrame) -> None:
    row = sam.loc["core-group-0004/2026-10-27T14:00:00Z"]
    assert (row["response"], row["show_as"], row["sensitivity"]) == (
        "tentativelyAccepted", "tentative", "confidential")


def test_all_day_leave_is_dates_at_midnight_utc(sam: pd.DataFrame) -> None:
    row = sam.loc["leave-0005/2026-10-23"]
    assert (row["start"], row["end"]) == (utc("2026-10-23"), utc("2026-10-24"))
    assert (row["is_all_day"], row["show_as"], row["response"]) == (True, "oof", "organizer")
    assert row["outlook_categories"] == ("Leave",)


def test_own_meeting_is_organizer(sam: pd.DataFrame) -> None:
    row = sam.loc["home-visit-0006/2026-10-26T10:00:00Z"]
    assert (row["response"], row["attendee_count"], row["end"]) == ("organizer", 1, utc("2026-10-26T11:30"))


def test_window_clipping_keeps_only_overlapping_occurrences() -> None:
    events = read_ics([SAM], Window(date(2026, 10, 23), date(2026, 10, 23))).events
    assert list(events["event_id"]) == ["leave-0005/2026-10-23"]


def test_natural_window_runs_monday_to_sunday_of_the_data() -> None:
    data = read_ics([SAM], None, today=date(2026, 10, 1))
    assert data.window == Window(date(2026, 10, 5), date(2026, 11, 15))
    assert len(data.events) == 10


@pytest.mark.parametrize(
    ("today", "first", "last"),
    [
        (date(2024, 1, 10), date(2024, 1, 1), date(2024, 2, 11)),  # today + 28 days = Wed 7 Feb
        (date(2026, 3, 1), date(2025, 3, 31), date(2026, 3, 29)),  # at most 52 weeks
    ],
)
def test_natural_window_for_an_open_ended_series(today: date, first: date, last: date) -> None:
    data = read_ics([DATA / "open_ended_series.ics"], None, tz="Europe/London", today=today)
    assert data.window == Window(first, last)
    assert len(data.events) == (last - first).days // 7 + 1


# --- people, identity and odd inputs ------------------------------------------------------------------------

def test_plain_stem_matches_the_local_part_of_an_address() -> None:
    row = read_ics([DATA / "plain_stem" / "jo.smith.ics"], None, today=date(2026, 10, 1)).events.iloc[0]
    assert (row["person"], row["response"], row["attendee_count"]) == ("jo.smith", "declined", 2)


def test_people_listed_in_order_even_without_events(tmp_path: Path) -> None:
    empty = tmp_path / "Empty.Person@Council.gov.uk.ics"
    empty.write_text("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n")
    data = read_ics([empty, SAM], Window(date(2026, 10, 5), date(2026, 10, 11)))
    assert data.people == ["empty.person@council.gov.uk", "sam.jones@council.gov.uk"]


def test_duplicate_stems_name_both_files(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    copy = shutil.copy(SAM, tmp_path / "a" / "Sam.Jones@council.gov.uk.ics")
    with pytest.raises(InputError, match=r"sam\.jones@council\.gov\.uk\.ics.*Sam\.Jones@council\.gov\.uk\.ics"):
        read_ics([SAM, Path(copy)], None)


def test_method_cancel_marks_every_event_cancelled() -> None:
    events = read_ics([DATA / "method_cancel.ics"], None, today=date(2026, 10, 1)).events
    assert list(events["is_cancelled"]) == [True]


def test_unreadable_vevents_are_skipped_with_notes() -> None:
    data = read_ics([DATA / "bad_vevents.ics"], None, today=date(2026, 10, 1))
    assert list(data.events["subject"]) == ["Fine"]
    assert len(data.notes) == 2
    assert "bad_vevents.ics" in data.notes[0] and "no-start" in data.notes[0] and "no DTSTART" in data.notes[0]
    assert "backwards" in data.notes[1] and "ends before it starts" in data.notes[1]


def test_cp1252_export_is_decoded() -> None:
    events = read_ics([DATA / "cp1252.ics"], None, today=date(2026, 10, 1)).events
    assert list(events["subject"]) == ["Café meeting – review"]


def test_unknown_tzid_without_vtimezone_reads_as_the_team_zone_with_a_note() -> None:
    data = read_ics([DATA / "unknown_tzid.ics"], None, tz="Europe/London", today=date(2026, 7, 1))
    assert data.events.iloc[0]["start"] == utc("2026-07-20T09:00")
    assert "Mars Standard Time" in data.notes[0]


def test_custom_zone_matching_no_iana_zone_uses_its_own_rules() -> None:
    data = read_ics([DATA / "custom_unmatched_zone.ics"], None, today=date(2026, 7, 1))
    assert data.events.iloc[0]["start"] == utc("2026-07-20T04:43")
    assert "matches no IANA zone" in data.notes[0]


@needs_shared
def test_two_files_with_different_customized_time_zones_do_not_mix(tmp_path: Path) -> None:
    odd = Path(shutil.copy(DATA / "custom_unmatched_zone.ics", tmp_path / "odd.ics"))
    us = Path(shutil.copy(SHARED / "nodeical__bad_ms_tz.ics", tmp_path / "us.ics"))
    events = read_ics([odd, us], Window(date(2020, 8, 25), date(2026, 7, 20))).events
    assert events[events["person"] == "odd"].iloc[0]["start"] == utc("2026-07-20T04:43")
    assert events[events["person"] == "us"]["start"].min() == utc("2020-08-25T14:35")


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("truncated.ics", r"truncated\.ics: line 4: BEGIN:VEVENT is never closed"),
        ("not_icalendar.ics", r"not_icalendar\.ics: not an iCalendar file"),
    ],
)
def test_malformed_files_raise_ics_error_naming_file_and_line(name: str, message: str) -> None:
    with pytest.raises(IcsError, match=message):
        read_ics([DATA / name], None)


def test_binary_file_raises_ics_error(tmp_path: Path) -> None:
    path = tmp_path / "photo.ics"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(IcsError, match=r"photo\.ics: not an iCalendar file \(binary data\)"):
        read_ics([path], None)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("", False),
        ("\n", False),
        ("Agenda: review the plan for child A", True),
        ("Microsoft Teams meeting\nJoin on your computer, mobile app or room device\n"
         "Click here to join the meeting<https://teams.microsoft.com/l/x>\n____________", False),
        ("Catch up\nhttps://teams.microsoft.com/l/meetup-join/very-long-link-text", False),
    ],
)
def test_has_agenda(body: str, expected: bool) -> None:
    assert has_agenda(body) is expected

"""The costliest-meetings table (metrics.meeting_costs): how each meeting is told apart without its subject (usual
weekday and start, length, how often it recurs, organiser, size) and how it is keyed, on small hand-made inputs."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from calendar_audit.frame import from_records
from calendar_audit.metrics import meeting_costs, recurrence

MON = pd.Timestamp("2026-10-19 10:00Z")  # a Monday; October 2026 is BST in London (UTC+1)
TABLE = ["key", "when", "minutes", "recurs", "organizer", "attendees", "occurrences", "people", "hours"]


def events(rows: list[dict]) -> pd.DataFrame:
    """Counted meetings (category, rule and matched given), each row one hour from its start unless it says."""
    base = {"person": "sam@x.uk", "organizer": "lead@x.uk", "attendee_count": 3, "subject": "Panel",
            "category": "meeting", "rule": "panel", "matched": True, "counted": True}
    records = []
    for i, row in enumerate(rows):
        rec = {**base, "event_id": f"e{i}", "ical_uid": f"uid-{i}", **row}
        rec.setdefault("end", rec["start"] + pd.Timedelta(hours=1))
        records.append(rec)
    frame = from_records(records)
    for key in ("category", "rule", "matched", "counted"):
        frame[key] = [r[key] for r in records]
    frame["hours"] = (frame["end"] - frame["start"]).dt.total_seconds() / 3600
    return frame


def at(days: float, hours: float = 0, minutes: float = 0) -> pd.Timestamp:
    return MON + pd.Timedelta(days=days, hours=hours, minutes=minutes)


@pytest.mark.parametrize(("gap", "dates", "label"), [
    (1.0, 1, "once"), (float("nan"), 2, "once"), (7.0, 0, "once"),
    (0.5, 2, "daily"), (1.5, 3, "daily"), (0.4, 3, "3 times"), (1.6, 3, "3 times"),
    (6.0, 2, "weekly"), (8.0, 4, "weekly"), (5.5, 2, "2 times"), (8.5, 2, "2 times"),
    (13.0, 2, "fortnightly"), (15.0, 2, "fortnightly"), (12.5, 5, "5 times"), (15.5, 5, "5 times"),
    (27.0, 2, "monthly"), (35.0, 2, "monthly"), (26.0, 6, "6 times"), (36.0, 6, "6 times"),
])
def test_recurrence_labels_the_median_gap_between_dates_bounds_included(gap: float, dates: int, label: str) -> None:
    assert recurrence(gap, dates) == label


def test_recurrence_of_no_gap_is_once_even_with_many_dates() -> None:
    assert recurrence(math.nan, 9) == "once"


def test_a_series_is_described_by_its_usual_start_length_and_organiser_and_its_largest_invitation() -> None:
    # three Wednesdays at 10:05 local on 21 October (BST: 09:05 UTC) and 28 October (GMT: 10:05 UTC), and at 11:00
    # on 4 November; 45, 30 and 30 minutes; the organiser spelt "Lead@x.uk" (first) once and "lead@X.uk" twice;
    # 2, 6 and 4 others invited
    rows = [
        {"series_id": "S", "start": at(2, -1, 5), "end": at(2, -1, 50), "organizer": "Lead@x.uk",
         "attendee_count": 2},
        {"series_id": "S", "start": at(9, 0, 5), "end": at(9, 0, 35), "organizer": "lead@X.uk", "attendee_count": 6},
        {"series_id": "S", "start": at(16, 1), "end": at(16, 1, 30), "organizer": "lead@X.uk", "attendee_count": 4},
    ]
    top = meeting_costs(events(rows), include_subjects=False, tz="Europe/London").top_series
    # the most common local start, length and spelling; the largest invitation and Sam: 7 people; 7 days apart
    assert top[TABLE].values.tolist() == [
        ["series 1", "Wed 10:05", 30, "weekly", "lead@X.uk", 7, 3, 1, 1.75]]


def test_ties_take_the_earliest_start_the_shortest_length_and_the_first_organiser_seen() -> None:
    # two Sundays (UTC): 25 October at 15:00 for 90 minutes by "Chair@x.uk", 8 November at 08:00 for 60 minutes
    # by "chair@x.uk"
    rows = [
        {"series_id": "S", "start": at(6, 5), "end": at(6, 6, 30), "organizer": "Chair@x.uk"},
        {"series_id": "S", "start": at(20, -2), "end": at(20, -1), "organizer": "chair@x.uk"},
    ]
    top = meeting_costs(events(rows), include_subjects=False, tz="UTC").top_series
    # 14 days apart: fortnightly; 1.5 + 1 hours
    assert top[TABLE].values.tolist() == [
        ["series 1", "Sun 08:00", 60, "fortnightly", "Chair@x.uk", 4, 2, 1, 2.5]]


def test_each_meeting_is_described_from_its_own_rows_only() -> None:
    # a 6-hour admin session with others (ranked, but not a meeting to cut: left out of the table); a daily stand-up
    # (Mon, Tue, Wed, Thu at 09:00 UTC, 15 minutes, 5 others) costing 1 h; a one-off 2-hour Saturday workshop by
    # another organiser, 9 others, in two mailboxes (2 people, 4 person-hours); a monthly review (three Fridays 28
    # days apart, at midnight, 60 minutes) costing 3 h
    admin = [{"ical_uid": "a", "subject": "Audit", "category": "admin", "rule": "audit", "start": at(0, -1),
              "end": at(0, 5)}]
    stand_up = [{"series_id": "D", "subject": "Stand-up", "start": at(d, -1), "end": at(d, -1, 15),
                 "attendee_count": 5} for d in range(4)]
    workshop = [{"ical_uid": "w", "subject": "Workshop", "organizer": "trainer@y.uk", "attendee_count": 9,
                 "start": at(5), "end": at(5, 2), "person": p} for p in ("sam@x.uk", "amy@x.uk")]
    review = [{"series_id": "M", "subject": "Review", "start": at(d, -10), "end": at(d, -9)} for d in (4, 32, 60)]
    costs = meeting_costs(events(admin + stand_up + workshop + review), include_subjects=True, tz="UTC")
    assert costs.top_series[["subject", *TABLE]].values.tolist() == [
        ["Workshop", "meeting 2", "Sat 10:00", 120, "once", "trainer@y.uk", 10, 1, 2, 4.0],
        ["Review", "series 3", "Fri 00:00", 60, "monthly", "lead@x.uk", 4, 3, 1, 3.0],
        ["Stand-up", "series 4", "Mon 09:00", 15, "daily", "lead@x.uk", 6, 4, 1, 1.0],
    ]
    assert costs.top_series.attrs["of"] == 3


def test_direct_work_and_uncounted_events_are_left_out_before_ranking_and_domains_stay_with_their_rows() -> None:
    rows = [
        {"category": "direct_work", "rule": "joint-visit", "start": at(0), "end": at(0, 3)},  # 3 h, with others
        {"counted": False, "start": at(1)},  # declined
        {"start": at(2)},  # the panel, 1 h
        {"category": "other", "rule": "default:with_attendees", "matched": False, "subject": "Budget",
         "organizer": "Chair@Dept.Example.ORG", "start": at(3), "end": at(3, 0, 30)},
    ]
    costs = meeting_costs(events(rows), include_subjects=True)
    assert costs.top_series[["key", "subject", "when", "hours"]].values.tolist() == [
        ["meeting 1", "Panel", "Wed 10:00", 1.0]]
    assert costs.unclassified.values.tolist() == [["meeting 2", "Budget", 1, 1, 0.5, "dept.example.org"]]


def test_series_of_different_organisers_or_subjects_never_share_a_key() -> None:
    # organisers a, b, c and subjects x, y: (a, x), (b, x), (c, x) and (a, y) are four series of 4, 3, 2 and 1 h
    rows = [{"series_id": f"S{i}", "organizer": o, "subject": s, "start": at(i), "end": at(i, 4 - i)}
            for i, (o, s) in enumerate((("a@x.uk", "x"), ("b@x.uk", "x"), ("c@x.uk", "x"), ("a@x.uk", "y")))]
    top = meeting_costs(events(rows), include_subjects=True).top_series
    assert top[["key", "organizer", "subject", "hours"]].values.tolist() == [
        ["series 1", "a@x.uk", "x", 4.0], ["series 2", "b@x.uk", "x", 3.0], ["series 3", "c@x.uk", "x", 2.0],
        ["series 4", "a@x.uk", "y", 1.0]]


def test_a_one_off_meeting_never_shares_a_key_with_a_series() -> None:
    rows = [{"ical_uid": "u", "subject": "z", "start": at(0), "end": at(0, 2)},  # one-off, 2 h
            {"series_id": "S", "subject": "x", "start": at(1)}]  # a series of one occurrence, 1 h
    top = meeting_costs(events(rows), include_subjects=True).top_series
    assert top[["key", "subject", "recurs", "hours"]].values.tolist() == [
        ["meeting 1", "z", "once", 2.0], ["series 2", "x", "once", 1.0]]


def test_case_aside_means_lower_case_so_sharp_s_and_ss_stay_apart() -> None:
    # "Straße".lower() is "straße" and "STRASSE".lower() is "strasse": two subjects (upper case would make both
    # "STRASSE"); the same for the organisers "weiß@x.uk" and "WEISS@x.uk"
    rows = [{"series_id": "S1", "subject": "Straße", "start": at(0), "end": at(0, 3)},
            {"series_id": "S2", "subject": "STRASSE", "start": at(1), "end": at(1, 2)},
            {"series_id": "S3", "subject": "Panel", "organizer": "weiß@x.uk", "start": at(2), "end": at(2, 1, 30)},
            {"series_id": "S4", "subject": "Panel", "organizer": "WEISS@x.uk", "start": at(3)}]
    top = meeting_costs(events(rows), include_subjects=True).top_series
    assert top[["key", "subject", "organizer", "occurrences"]].values.tolist() == [
        ["series 1", "Straße", "lead@x.uk", 1], ["series 2", "STRASSE", "lead@x.uk", 1],
        ["series 3", "Panel", "weiß@x.uk", 1], ["series 4", "Panel", "WEISS@x.uk", 1]]


def test_top_limits_each_table_though_an_unmatched_meeting_is_a_candidate_for_both() -> None:
    matched = {"start": at(0), "end": at(0, 4)}  # a matched meeting, 4 h
    unmatched = {"ical_uid": "x", "category": "meeting", "rule": "default:with_attendees", "matched": False,
                 "start": at(1), "end": at(1, 3)}  # an unmatched meeting, 3 h
    other = {"ical_uid": "y", "category": "other", "rule": "default:with_attendees", "matched": False,
             "start": at(2), "end": at(2, 5)}  # unmatched, and not of the meeting category, 5 h
    # the costliest meeting is the matched one; the unmatched meeting is the costliest unclassified
    costs = meeting_costs(events([matched, unmatched]), include_subjects=True, top=1)
    assert costs.top_series[["key", "hours"]].values.tolist() == [["meeting 1", 4.0]]
    assert costs.unclassified[["key", "hours"]].values.tolist() == [["meeting 2", 3.0]]
    # the unmatched meeting is the costliest meeting; the costliest unclassified is the other one
    costs = meeting_costs(events([unmatched, other]), include_subjects=True, top=1)
    assert costs.top_series[["key", "hours"]].values.tolist() == [["meeting 2", 3.0]]
    assert costs.unclassified[["key", "hours"]].values.tolist() == [["meeting 1", 5.0]]


def test_the_organiser_domain_is_what_follows_the_last_at_sign_in_lower_case() -> None:
    rows = [{"matched": False, "organizer": '"Team@Home"@Dept.Example.ORG', "start": at(0)}]
    assert meeting_costs(events(rows), include_subjects=True).unclassified["organizer_domain"].tolist() == [
        "dept.example.org"]

"""A small hand-made AuditResult: two people, two weeks, a few events (some hostile), built without the pipeline."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd

from calendar_audit.frame import from_records
from calendar_audit.metrics import PERSON_WEEK_COLUMNS, AuditResult
from calendar_audit.window import Window
from tests.conftest import day, local

SAM = "sam@council.gov.uk"
ALEX = "alex@council.gov.uk"
WEEK1, WEEK2 = date(2026, 10, 19), date(2026, 10, 26)
CATEGORIES = ("direct_work", "meeting", "training", "travel", "admin", "other")
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
FORMULA = '=HYPERLINK("http://evil.example/x","click")'

# DESIGN.md's worked example is Sam's first week; Sam is on leave all the second week (no working hours).
PERSON_WEEK_ROWS = [
    # person, week, working, busy, direct, meeting, statutory, training, travel, admin, other, double, after
    (SAM, WEEK1, 32.0, 9.0, 1.5, 3.5, 3.0, 0.0, 0.0, 0.0, 4.0, 0.5, 6.0),
    (SAM, WEEK2, 0.0, 1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0),
    (ALEX, WEEK1, 40.0, 30.0, 12.25, 10.0, 2.0, 3.0, 2.0, 2.75, 0.0, 1.0, 0.0),
    (ALEX, WEEK2, 40.0, 20.0, 8.0, 1.0 / 3.0, 0.0, 0.0, 1.0, 10.6666666, 0.0, 0.0, 2.0),
]


def person_week_frame() -> pd.DataFrame:
    """The person_week table as metrics.py shapes it."""
    table = pd.DataFrame(PERSON_WEEK_ROWS, columns=PERSON_WEEK_COLUMNS[:-2])
    working = table["working_hours"].where(table["working_hours"] > 0)
    table["direct_work_pct"] = 100 * table["direct_work_hours"] / working
    table["meeting_pct"] = 100 * table["meeting_hours"] / working
    return table


def team_week_frame(person_week: pd.DataFrame) -> pd.DataFrame:
    """Per week, hours summed over people and the shares recomputed from the sums."""
    hours = [c for c in PERSON_WEEK_COLUMNS if c.endswith("_hours")]
    table = person_week.groupby("week_start", sort=True)[hours].sum().reset_index()
    table.insert(1, "people", person_week.groupby("week_start", sort=True)["person"].nunique().to_numpy())
    table["direct_work_pct"] = 100 * table["direct_work_hours"] / table["working_hours"]
    table["meeting_pct"] = 100 * table["meeting_hours"] / table["working_hours"]
    return table


def events_frame() -> pd.DataFrame:
    """Four occurrences: a meeting, a hostile-subject meeting, a declined one, and a day of leave."""
    frame = from_records(
        [
            {"person": SAM, "event_id": "e1", "series_id": "s1", "subject": "Team meeting",
             "start": local("2026-10-19 10:00"), "end": local("2026-10-19 11:00"), "attendee_count": 6},
            {"person": SAM, "event_id": "e2", "subject": SCRIPT,
             "start": local("2026-10-26 09:00"), "end": local("2026-10-26 10:00"), "attendee_count": 2},
            {"person": ALEX, "event_id": "-e3", "series_id": "@s3", "subject": FORMULA,
             "start": local("2026-10-21 09:00"), "end": local("2026-10-21 10:00"), "response": "declined"},
            {"person": SAM, "event_id": "e4", "subject": "Annual leave", "is_all_day": True, "show_as": "oof",
             "start": day("2026-10-20"), "end": day("2026-10-21")},
        ]
    )  # fmt: skip
    frame["category"] = ["meeting", "meeting", "meeting", "other"]
    frame["rule"] = ["team-meeting", "", "+catch-up", ""]
    frame["statutory"] = [False, False, True, False]
    frame["never_decline"] = [False, False, False, False]
    frame["matched"] = [True, False, True, False]
    frame["counted"] = [True, True, False, False]
    frame["excluded_because"] = ["", "", "declined", "all_day"]
    frame["hours"] = [1.0, 1.0, 0.0, 0.0]
    return frame


def top_series_frame(include_subjects: bool) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "key": ["series 1", "meeting 2"],
            "category": ["meeting", "meeting"],
            "rule": ["team-meeting", ""],
            "subject": ["Team meeting", IMG] if include_subjects else ["", ""],
            "occurrences": [1, 1],
            "people": [1, 1],
            "hours": [1.0, 1.0],
        }
    )


def unclassified_frame(include_subjects: bool) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "key": ["#2"],
            "subject": [SCRIPT if include_subjects else ""],
            "occurrences": [1],
            "people": [1],
            "hours": [1.0],
            "organizer_domain": ["council.gov.uk"],
        }
    )


def sample_result(include_subjects: bool = False, **overrides: Any) -> AuditResult:
    """The hand-made result; keyword arguments override its fields."""
    person_week = person_week_frame()
    fields: dict[str, Any] = {
        "window": Window(WEEK1, date(2026, 11, 1), "Europe/London"),
        "categories": CATEGORIES,
        "person_week": person_week,
        "team_week": team_week_frame(person_week),
        "events": events_frame(),
        "top_series": top_series_frame(include_subjects),
        "unclassified": unclassified_frame(include_subjects),
        "failures": [],
        "notes": [],
        "include_subjects": include_subjects,
        "source_label": "2 .ics files",
        "extra_sections": [],
    }
    fields.update(overrides)
    return AuditResult(**fields)

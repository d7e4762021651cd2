"""What a weekly digest says, as numbers: per practitioner and for a manager's team. Pure: frames in, figures out.

Every figure comes from the same calls ``report`` and ``slots check`` make (``audit.audit``'s person_week,
``slots.compliance``), over the reported week and the four before it, so a digest's week equals the report's
row for that week. No subject and no other practitioner's name is ever put in a figure: suggestions carry their
time, length and reason; a manager's organisers are addresses outside the team, team members counted together.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd

from ..enforce.journal import JournalEntry

PREVIOUS_WEEKS = 4


@dataclass(frozen=True)
class Measure:
    """One measure for the week against the person's own previous weeks (their mean; None without any)."""

    label: str
    week: float | None
    usual: float | None
    unit: str = "h"


@dataclass(frozen=True)
class Suggestion:
    """An upcoming meeting the person could decline: when, how long, and why (never its subject)."""

    start: pd.Timestamp
    end: pd.Timestamp
    hours: float
    reason: str


@dataclass
class PersonDigest:
    person: str
    week: date
    measures: list[Measure]
    enforcement: dict[str, int]  # declined, tentative, noted, undone
    suggestions: list[Suggestion] = field(default_factory=list)


@dataclass
class ManagerDigest:
    manager: str
    team: str
    week: date
    people: int
    withheld: str  # set: team figures are withheld (too few people)
    measures: list[Measure]
    kept_by_week: list[tuple[date, float | None]]
    organisers: list[tuple[str, int, float]]  # (organiser or "team members", violations, hours)


def _mean(values: Sequence[float]) -> float | None:
    clean = [float(v) for v in values if v is not None and not np.isnan(v)]
    return sum(clean) / len(clean) if clean else None


def _kept(compliance: pd.DataFrame, weeks: Sequence[date], person: str | None = None) -> float | None:
    rows = compliance[compliance["week_start"].isin(list(weeks))]
    if person is not None:
        rows = rows[rows["person"] == person]
    slot = float(rows["slot_hours"].sum())
    return 100.0 * float(rows["slot_kept_hours"].sum()) / slot if slot > 0 else None


def person_measures(person_week: pd.DataFrame, compliance: pd.DataFrame, person: str, week: date) -> list[Measure]:
    """Direct work, meetings, visit-ready hours and slot kept %: the week, and the mean of the four before."""
    before = [week - timedelta(weeks=i) for i in range(1, PREVIOUS_WEEKS + 1)]
    mine = person_week[person_week["person"] == person]
    this = mine[mine["week_start"] == week]
    prior = mine[mine["week_start"].isin(before) & (mine["working_hours"] > 0)]

    def hours(column: str) -> tuple[float | None, float | None]:
        value = float(this[column].iloc[0]) if len(this) else None
        return value, _mean(prior[column].tolist())

    out = [Measure(label, *hours(column)) for label, column in (
        ("Direct work", "direct_work_hours"), ("Meetings", "meeting_hours"),
        ("Visit-ready time (free blocks long enough for a visit)", "visit_ready_hours"))]
    kept_before = [_kept(compliance, [w], person) for w in before]
    out.append(Measure("Protected time kept", _kept(compliance, [week], person), _mean(
        [k for k in kept_before if k is not None]), "%"))
    return out


def enforcement_counts(entries: Sequence[JournalEntry]) -> dict[str, int]:
    """What enforcement did in the week: answers sent, notes made, and undone."""
    sent = [e for e in entries if e.outcome == "sent"]
    return {
        "declined": sum(e.action == "decline" for e in sent),
        "tentative": sum(e.action == "tentative" for e in sent),
        "noted": sum(e.action == "notify" and e.outcome == "noted" for e in entries),
        "undone": sum(e.action == "accept" for e in sent),
    }


def top_suggestions(found: pd.DataFrame, labels: dict[str, str], n: int) -> list[Suggestion]:
    """The first ``n`` suggestions (already ranked), as time, length and the main reason in plain words."""
    return [Suggestion(r.start, r.end, float(r.hours), labels.get(str(r.main_reason), str(r.main_reason)))
            for r in found.head(n).itertuples(index=False)]


def team_measures(person_week: pd.DataFrame, compliance: pd.DataFrame, week: date) -> list[Measure]:
    """The team's week against its previous four: shares of working hours and the kept %."""
    before = [week - timedelta(weeks=i) for i in range(1, PREVIOUS_WEEKS + 1)]

    def share(column: str, weeks: Sequence[date]) -> float | None:
        rows = person_week[person_week["week_start"].isin(list(weeks))]
        working = float(rows["working_hours"].sum())
        return 100.0 * float(rows[column].sum()) / working if working > 0 else None

    def per_person(column: str, weeks: Sequence[date]) -> float | None:
        rows = person_week[person_week["week_start"].isin(list(weeks)) & (person_week["working_hours"] > 0)]
        return float(rows[column].sum()) / len(rows) if len(rows) else None

    return [
        Measure("Direct work, share of working hours", share("direct_work_hours", [week]),
                share("direct_work_hours", before), "%"),
        Measure("Meetings, share of working hours", share("meeting_hours", [week]), share("meeting_hours", before),
                "%"),
        Measure("Visit-ready time per person", per_person("visit_ready_hours", [week]),
                per_person("visit_ready_hours", before)),
        Measure("Protected time kept", _kept(compliance, [week]), _kept(compliance, before), "%"),
    ]


def kept_by_week(compliance: pd.DataFrame, week: date) -> list[tuple[date, float | None]]:
    weeks = [week - timedelta(weeks=i) for i in range(PREVIOUS_WEEKS, -1, -1)]
    return [(w, _kept(compliance, [w])) for w in weeks]


def overrunning_organisers(violations: pd.DataFrame, team: Sequence[str], week: date, tz: str,
                           n: int) -> list[tuple[str, int, float]]:
    """Who booked others into protected slots most in the week: organisers outside the team by address, team
    members together as "team members" (a digest names no practitioner); self-booked time is left out."""
    if not len(violations):
        return []
    start = violations["start"].dt.tz_convert(tz).dt.date
    rows = violations[(start >= week) & (start < week + timedelta(days=7)) & ~violations["self_organised"]]
    members = {p.lower() for p in team}
    who = rows["organizer"].astype(str).str.lower().map(lambda o: "team members" if o in members or not o else o)
    grouped = rows.assign(who=who).groupby("who").agg(count=("event_id", "size"), minutes=("overlap_minutes", "sum"))
    grouped = grouped.sort_values(["minutes", "count"], ascending=False).head(n)
    return [(str(k), int(r["count"]), round(float(r["minutes"]) / 60.0, 2)) for k, r in grouped.iterrows()]

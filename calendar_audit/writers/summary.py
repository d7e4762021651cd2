"""Window totals every writer shows: the team's headline numbers and each person's totals and weekly means."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from ..metrics import AuditResult

TOTALLED = (
    "working_hours",
    "busy_hours",
    "direct_work_hours",
    "meeting_hours",
    "statutory_meeting_hours",
    "after_hours_hours",
    "double_booked_hours",
    "visit_ready_hours",
)


def fixed(value: float, decimals: int = 1) -> str:
    """A number as people round it, halves up (2.25 -> 2.3), with thousands separators; "—" when missing."""
    if value is None or math.isnan(value):
        return "—"
    exact = Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    return f"{exact:,.{decimals}f}"


def share(part: float, whole: float) -> float:
    """100 x part / whole, NaN when there is no whole (no working hours)."""
    return 100.0 * part / whole if whole else float("nan")


def category_columns(result: AuditResult, frame: pd.DataFrame) -> list[tuple[str, str]]:
    """(category, hours column) in precedence order, for the categories the frame carries."""
    return [(c, f"{c}_hours") for c in result.categories if f"{c}_hours" in frame.columns]


def headline(result: AuditResult) -> dict[str, Any]:
    """The team's numbers over the whole window; shares recomputed from the sums."""
    pw = result.person_week
    sums = {name: float(pw[name].sum()) if name in pw else 0.0 for name in TOTALLED}
    for _category, column in category_columns(result, pw):
        sums[column] = float(pw[column].sum())
    if getattr(result, "withheld_reason", ""):  # too few people: every writer shows "—" and the reason (a note)
        sums = dict.fromkeys(sums, float("nan"))
    return {
        "people": int(pw["person"].nunique()) if len(pw) else 0,
        "weeks": len(result.window.week_starts()),
        **sums,
        "direct_work_pct": share(sums["direct_work_hours"], sums["working_hours"]),
        "meeting_pct": share(sums["meeting_hours"], sums["working_hours"]),
    }


def person_totals(result: AuditResult) -> pd.DataFrame:
    """One row per person: window totals, means per week (over the weeks they have rows for) and shares."""
    pw = result.person_week
    columns = [c for c in TOTALLED if c in pw.columns]
    grouped = pw.groupby("person", sort=False)  # the people in the order the audit lists them
    table = grouped[columns].sum().astype(float)
    table.insert(0, "weeks", grouped.size())
    table["direct_work_per_week"] = table["direct_work_hours"] / table["weeks"]
    table["meeting_per_week"] = table["meeting_hours"] / table["weeks"]
    working = table["working_hours"].where(table["working_hours"] > 0)
    table["direct_work_pct"] = 100.0 * table["direct_work_hours"] / working
    table["meeting_pct"] = 100.0 * table["meeting_hours"] / working
    return table.reset_index()

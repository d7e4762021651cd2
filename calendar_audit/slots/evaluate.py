"""Before/after evidence: did the team's weeks change once a policy started? Pure: tables in, tables out.

Weeks wholly before the start date are "before", weeks starting on or after it "after"; a week the start falls
inside is neither. Each person is compared with themselves (paired), and the team's change is the mean of the
people's changes, with a 95% bootstrap interval over people (fixed seed, so a report is reproducible).
Person-weeks with no working hours (all leave) are left out of the means.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd

MEASURES = {
    "direct_work_hours": "direct work hours a week",
    "meeting_hours": "meeting hours a week",
    "direct_work_pct": "direct work % of working hours",
    "kept_pct": "protected slot time kept %",
}
MIN_WEEKS = 4
MIN_PEOPLE = 5
RESAMPLES = 2000
SEED = 20260105
TEAM_COLUMNS = ["measure", "before", "after", "difference", "ci_low", "ci_high", "people"]
PEOPLE_COLUMNS = ["person", "measure", "before", "after", "difference"]


@dataclass
class BeforeAfter:
    """Per-person and team comparison of the weeks before and after ``cutoff``."""

    cutoff: date
    team: pd.DataFrame  # TEAM_COLUMNS: measure (its label), before, after, difference, ci_low, ci_high, people
    people: pd.DataFrame  # PEOPLE_COLUMNS: person, measure, before, after, difference
    weeks_before: int
    weeks_after: int
    caveats: list[str] = field(default_factory=list)


def side_of(weeks: pd.Series, cutoff: date) -> pd.Series:
    """"before", "after" or "" (the week the start date falls inside) for each week start."""
    days = pd.Series([w for w in weeks], index=weeks.index)
    before = days.map(lambda w: w + timedelta(days=7) <= cutoff)
    after = days.map(lambda w: w >= cutoff)
    return pd.Series(np.select([before.to_numpy(bool), after.to_numpy(bool)], ["before", "after"], default=""),
                     index=weeks.index)


def per_person(person_week: pd.DataFrame, shadow: pd.DataFrame, cutoff: date) -> pd.DataFrame:
    """Per person and side: mean weekly hours, shares from summed hours, kept % from summed slot hours."""
    pw = person_week[person_week["working_hours"] > 0].copy()
    pw["side"] = side_of(pw["week_start"], cutoff)
    pw = pw[pw["side"] != ""]
    sums = pw.groupby(["person", "side"]).agg(
        weeks=("week_start", "nunique"), direct_work=("direct_work_hours", "sum"),
        meeting=("meeting_hours", "sum"), working=("working_hours", "sum")).reset_index()
    sums["direct_work_hours"] = sums["direct_work"] / sums["weeks"]
    sums["meeting_hours"] = sums["meeting"] / sums["weeks"]
    sums["direct_work_pct"] = 100 * sums["direct_work"] / sums["working"]
    sh = shadow.copy()
    sh["side"] = side_of(sh["week_start"], cutoff)
    kept = sh[sh["side"] != ""].groupby(["person", "side"])[["slot_hours", "slot_kept_hours"]].sum().reset_index()
    kept["kept_pct"] = 100 * kept["slot_kept_hours"] / kept["slot_hours"].where(kept["slot_hours"] > 0)
    out = sums.merge(kept[["person", "side", "kept_pct"]], on=["person", "side"], how="left")
    return out[["person", "side", "weeks", *MEASURES]]


def bootstrap_mean(values: np.ndarray, rng: np.random.Generator, resamples: int = RESAMPLES) -> tuple[float, float]:
    """95% percentile interval of the mean, resampling the values with replacement."""
    if len(values) < 2:
        return (float("nan"), float("nan"))
    picks = rng.integers(0, len(values), size=(resamples, len(values)))
    means = values[picks].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(low), float(high)


def before_after(person_week: pd.DataFrame, shadow: pd.DataFrame, cutoff: date, *, seed: int = SEED) -> BeforeAfter:
    """Compare each person's weeks before and after ``cutoff``; ``shadow`` is compliance with since ignored."""
    table = per_person(person_week, shadow, cutoff)
    wide = table.pivot(index="person", columns="side")
    weeks = person_week.drop_duplicates("week_start")["week_start"]
    sides = side_of(weeks.reset_index(drop=True), cutoff)
    weeks_before, weeks_after = int((sides == "before").sum()), int((sides == "after").sum())
    rng = np.random.default_rng(seed)
    team_rows, person_rows = [], []
    paired_people = 0
    for measure, label in MEASURES.items():
        if (measure, "before") not in wide or (measure, "after") not in wide:
            continue
        before, after = wide[(measure, "before")], wide[(measure, "after")]
        diff = (after - before).dropna()
        if not len(diff):
            continue  # e.g. no slots measured: no kept rate to compare
        paired_people = max(paired_people, len(diff))
        for person in wide.index:
            person_rows.append({"person": person, "measure": label, "before": before.get(person),
                                "after": after.get(person), "difference": diff.get(person, np.nan)})
        low, high = bootstrap_mean(diff.to_numpy(float), rng)
        pair = before.index.isin(diff.index)
        team_rows.append({"measure": label, "before": float(before[pair].mean()) if len(diff) else np.nan,
                          "after": float(after[pair].mean()) if len(diff) else np.nan,
                          "difference": float(diff.mean()) if len(diff) else np.nan,
                          "ci_low": low, "ci_high": high, "people": len(diff)})
    caveats = _caveats(person_week, cutoff, weeks_before, weeks_after, paired_people, len(wide.index))
    # the columns named even when no measure has both sides (a start in the window's last week): the sections read them
    return BeforeAfter(cutoff, pd.DataFrame(team_rows, columns=TEAM_COLUMNS),
                       pd.DataFrame(person_rows, columns=PEOPLE_COLUMNS), weeks_before, weeks_after, caveats)


def _caveats(person_week: pd.DataFrame, cutoff: date, weeks_before: int, weeks_after: int, paired: int,
             people: int) -> list[str]:
    out = []
    for n, side in ((weeks_before, "before"), (weeks_after, "after")):
        if n < MIN_WEEKS:
            out.append(f"Only {n} week{'s' if n != 1 else ''} {side} the policy started: a few unusual weeks "
                       "could explain the difference; compare again when there are more.")
    if cutoff.weekday() != 0:
        out.append(f"The policy started on a {cutoff:%A}, so the week it started is left out of both sides.")
    if paired < MIN_PEOPLE:
        out.append(f"Only {paired} {'person has' if paired == 1 else 'people have'} weeks on both sides: "
                   "the interval is wide or missing.")
    if paired < people:
        out.append(f"{people - paired} of {people} people have no weeks on one side and are left out of the change.")
    usual = person_week.groupby("person")["working_hours"].transform("max")
    leave = int(((person_week["working_hours"] < usual) & (usual > 0)).sum())
    absent = int((person_week["working_hours"] <= 0).sum())
    if leave:
        out.append(f"{leave} person-week{'s' if leave != 1 else ''} had leave or fewer working hours than usual "
                   f"({absent} with none at all, left out); holidays on one side can move the averages.")
    out.append("A before/after comparison shows change over time, not proof that the policy caused it: caseloads, "
               "holidays and inspections change too.")
    return out


def weekly_trend(team_week: pd.DataFrame, shadow: pd.DataFrame) -> pd.DataFrame:
    """Per week: team direct work %, meetings % and protected-slot time kept % (slot times, before and after)."""
    kept = shadow.groupby("week_start")[["slot_hours", "slot_kept_hours"]].sum()
    kept_pct = 100 * kept["slot_kept_hours"] / kept["slot_hours"].where(kept["slot_hours"] > 0)
    out = team_week[["week_start", "direct_work_pct", "meeting_pct"]].copy()
    out["kept_pct"] = out["week_start"].map(kept_pct).astype(float)
    return out.reset_index(drop=True)

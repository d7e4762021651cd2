"""Report sections for a protected-slot policy: compliance (kept rate, who is overrun, by whom, by what) and the
before/after comparison. Pure: an AuditResult and slots in, writers' Sections out.

When the result's ``withheld_reason`` is set (fewer people than privacy.min_group_size), the team figures (the
kept totals, the kept rate per week, the purposes summed over the team, the team's before/after change and its
chart) give way to that explanation; the per-person and per-organiser rows stay."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pandas as pd

from ..frame import WorkingHours
from ..metrics import AuditResult, Partition
from ..writers.section import Section
from .compliance import COMPLIANCE_COLUMNS, SlotResult, measure_slots, slot_compliance
from .evaluate import BeforeAfter, before_after, weekly_trend
from .policy import Slot

TOP = 10


def slot_result(result: AuditResult, slots: Sequence[Slot], *, ignore_since: bool = False) -> SlotResult:
    """Compliance and violations over the report's prepared events (working hours play no part in them)."""
    people = list(dict.fromkeys(result.person_week["person"]))
    return measure_slots(result.events, people, result.window, slots, result.categories, {}, WorkingHours(),
                         ignore_since=ignore_since, part=_audit_partition(result, slots, people))


def _audit_partition(result: AuditResult, slots: Sequence[Slot], people: list[str]) -> Partition | None:
    """The audit's partition when its layers hold these slots' occurrences for these people (else None)."""
    if result.slot_partition is None:
        return None
    policy, part = result.slot_partition
    return part if policy == tuple(slots) and part.people == people else None


def _shadow_compliance(result: AuditResult, slots: Sequence[Slot]) -> pd.DataFrame:
    """The slots' compliance as if they had run over the whole window (the before/after's shadow): no violations."""
    people = list(dict.fromkeys(result.person_week["person"]))
    return slot_compliance(result.events, people, result.window, slots, result.categories, {}, WorkingHours(),
                           ignore_since=True, part=_audit_partition(result, slots, people))[0]


def policy_sections(result: AuditResult, slots: Sequence[Slot], compare_at: date | None = None) -> list[Section]:
    """The compliance section, and the before/after section when the policy (or ``compare_at``) gives a date."""
    withheld = result.withheld_reason
    sections = [compliance_section(slot_result(result, slots), slots, withheld)] if slots else []
    cutoff = compare_at or min((s.since for s in slots if s.since), default=None)
    if cutoff is not None and result.window.first < cutoff <= result.window.last:
        shadow = (_shadow_compliance(result, slots) if slots else pd.DataFrame({c: [] for c in COMPLIANCE_COLUMNS}))
        evaluation = before_after(result.person_week, shadow, cutoff)
        sections.append(before_after_section(evaluation, weekly_trend(result.team_week, shadow), withheld))
    elif compare_at is not None:  # asked for, and impossible: say why rather than leave the section out silently
        sections.append(no_comparison_section(compare_at, result.window.first, result.window.last))
    return sections


def _day_text(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b %Y}"


def no_comparison_section(cutoff: date, first: date, last: date) -> Section:
    """Why there is no before/after comparison: the date given is outside the window, or leaves no week on one
    side of it."""
    if cutoff > last:
        why = f"it is after the window ({_day_text(first)} to {_day_text(last)}), so there are no weeks after it"
    else:
        why = (f"it is {'the window’s first day' if cutoff == first else 'before the window'} "
               f"({_day_text(first)} to {_day_text(last)}), so there are no weeks before it")
    return Section(
        title="Before and after the policy",
        intro=(f"No comparison: --compare-at {_day_text(cutoff)} leaves no week on one side: {why}. Choose a date "
               "inside the window, or widen the window with --from and --to."),
    )


CATEGORY_WORDS = {"direct_work": "direct work", "statutory": "statutory meetings"}


def _and(words: Sequence[str]) -> str:
    words = list(words)
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def policy_sentence(slot: Slot) -> str:
    """One slot as a sentence: 'Tuesday and Thursday 09:30-12:30 are kept for direct work and statutory meetings
    ("direct-work-mornings", since Mon 5 Jan 2026).'"""
    from .policy import FULL_DAY_NAMES

    days = _and([FULL_DAY_NAMES[d].capitalize() for d in slot.days])
    allowed = _and([CATEGORY_WORDS.get(a, a.replace("_", " ")) for a in slot.allow]) if slot.allow else "nothing"
    when = [f"since {_day_text(slot.since)}" if slot.since else "", f"until {_day_text(slot.until)}" if slot.until
            else ""]
    extra = ", ".join(w for w in when if w)
    return f"{days} {slot.times} {'is' if len(slot.days) == 1 else 'are'} kept for {allowed} " \
           f"(“{slot.name}”{', ' + extra if extra else ''})."


def kept_by_week(compliance: pd.DataFrame) -> pd.DataFrame:
    """Team slot hours, kept hours and kept % per week."""
    weeks = compliance.groupby("week_start")[["slot_hours", "slot_kept_hours", "slot_direct_work_hours"]].sum()
    weeks["kept_pct"] = 100 * weeks["slot_kept_hours"] / weeks["slot_hours"].where(weeks["slot_hours"] > 0)
    return weeks.reset_index()


def overrun_people(measured: SlotResult) -> pd.DataFrame:
    """People whose slots were broken most often: violations, hours lost to them, how many self-booked."""
    v = measured.violations
    per = v.groupby("person").agg(violations=("event_id", "size"), overlap_minutes=("overlap_minutes", "sum"),
                                  self_booked=("self_organised", "sum"))
    kept = measured.compliance.groupby("person")[["slot_hours", "slot_kept_hours"]].sum()
    per = per.join(kept, how="left")
    per["kept_pct"] = 100 * per["slot_kept_hours"] / per["slot_hours"].where(per["slot_hours"] > 0)
    per["overlap_hours"] = per["overlap_minutes"] / 60
    per = per.sort_values(["violations", "overlap_hours"], ascending=False).reset_index()
    return per[["person", "violations", "overlap_hours", "self_booked", "kept_pct"]]


def overrun_organisers(measured: SlotResult) -> pd.DataFrame:
    """Who books over other people's slots (self-booked overruns are the person's own, listed apart)."""
    v = measured.violations
    per = v.groupby("organizer").agg(violations=("event_id", "size"), people=("person", "nunique"),
                                     overlap_minutes=("overlap_minutes", "sum"), self_booked=("self_organised", "sum"))
    per["overlap_hours"] = per["overlap_minutes"] / 60
    per = per.sort_values(["violations", "overlap_hours"], ascending=False).reset_index()
    return per[["organizer", "violations", "people", "overlap_hours", "self_booked"]]


def overrun_purposes(measured: SlotResult) -> pd.DataFrame:
    """Which purposes (category and rule) take slot time most."""
    v = measured.violations
    per = v.groupby(["category", "rule"]).agg(violations=("event_id", "size"), people=("person", "nunique"),
                                              overlap_minutes=("overlap_minutes", "sum"))
    per["overlap_hours"] = per["overlap_minutes"] / 60
    per = per.sort_values(["violations", "overlap_hours"], ascending=False).reset_index()
    return per[["category", "rule", "violations", "people", "overlap_hours"]]


def compliance_section(measured: SlotResult, slots: Sequence[Slot], withheld: str = "") -> Section:
    """Kept rate per week, the people most often overrun, and the organisers and purposes that overrun most;
    with ``withheld`` (too few people) the explanation instead of the team's totals, weekly rate and purposes."""
    c = measured.compliance
    total, kept = float(c["slot_hours"].sum()), float(c["slot_kept_hours"].sum())
    rate = f"{100 * kept / total:.1f}%" if total else "none"
    policy = " ".join(policy_sentence(s) for s in slots)
    if withheld:
        return Section(
            title="Protected direct-work slots",
            intro=f"The policy: {policy} {withheld}",
            tables=[("People whose slots were overrun most often", overrun_people(measured)),
                    ("Organisers whose meetings overran slots most", overrun_organisers(measured))],
        )
    intro = (f"The policy: {policy} Of {total:,.1f} h of protected time scheduled (less leave days), "
             f"{kept:,.1f} h were kept ({rate}): free, or used for what the slot allows. "
             f"{len(measured.violations):,} counted events outside the slot's purpose overlapped it.")
    weeks = kept_by_week(c)
    return Section(
        title="Protected direct-work slots",
        intro=intro,
        tables=[("Kept rate per week", weeks),
                ("People whose slots were overrun most often", overrun_people(measured)),
                ("Organisers whose meetings overran slots most", overrun_organisers(measured)),
                ("Purposes that overran slots most", overrun_purposes(measured))],
        chart=weeks[["week_start", "kept_pct"]],
    )


def before_after_section(evaluation: BeforeAfter, trend: pd.DataFrame, withheld: str = "") -> Section:
    """The team's change with its interval, each person's change, caveats, and the weekly trend; with
    ``withheld`` (too few people) the explanation instead of the team's change and trend."""
    people = evaluation.people.pivot(index="person", columns="measure", values="difference").reset_index()
    people.columns.name = None
    people.attrs["changes"] = tuple(c for c in people.columns if c != "person")
    if withheld:
        return Section(
            title="Before and after the policy",
            intro=(f"Weeks before and after {evaluation.cutoff:%a} {evaluation.cutoff.day} "
                   f"{evaluation.cutoff:%b %Y} ({evaluation.weeks_before} before, {evaluation.weeks_after} after), "
                   f"each person compared with themselves. {withheld}"),
            tables=[("Change per person (after minus before)", people)],
        )
    points = []
    for row in evaluation.team.itertuples(index=False):
        if pd.notna(row.ci_low):
            share = "%" in row.measure
            unit = " percentage points" if share else " h"
            value = "{:.1f}%" if share else "{:.1f} h"
            points.append(f"{row.measure.capitalize()}: {value.format(row.before)} before, "
                          f"{value.format(row.after)} after, a change of {row.difference:+.1f}{unit} "
                          f"(95% interval {row.ci_low:+.1f} to {row.ci_high:+.1f}{unit}; {row.people} people).")
    if not points:
        points.append("Not enough weeks on both sides to compare.")
    lead = (f"Weeks before and after {evaluation.cutoff:%a} {evaluation.cutoff.day} {evaluation.cutoff:%b %Y} "
            f"({evaluation.weeks_before} before, {evaluation.weeks_after} after), each person compared with "
            "themselves. Slot time kept before the policy is measured over the same hours. Changes of a share "
            "are in percentage points.")
    points += evaluation.caveats
    team = evaluation.team.copy()
    team.attrs["changes"] = ("difference", "ci_low", "ci_high")
    return Section(
        title="Before and after the policy",
        intro=" ".join([lead, *points]),  # the whole text, for writers that show a paragraph (JSON)
        lead=lead,
        points=points,
        tables=[("Team: mean per person before and after, change and 95% interval", team),
                ("Change per person (after minus before)", people)],
        chart=trend,
        chart_marker=evaluation.cutoff,
    )

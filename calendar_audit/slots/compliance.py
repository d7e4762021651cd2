"""Slot compliance and violations, exactly as DESIGN.md defines them. Pure: frames in, frames out.

Kept time comes from the same precedence partition as the report's hours (one sweep with one layer per slot),
so "kept" and "direct work" agree with person_week to the second. Violations are events, not minutes: every
counted event outside ``allow`` that overlaps an occurrence, whatever wins the overlapping time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from ..frame import WorkingHours
from ..metrics import Partition, leave_days, partition
from ..window import Window
from ..writers.tables import HOURS_DECIMALS, PCT_DECIMALS, round_half_up
from .occurrences import SHADOW_PREFIX, occurrence_layers, planned_weeks, slot_occurrences
from .policy import STATUTORY, Slot

COMPLIANCE_COLUMNS = ["person", "week_start", "slot_hours", "slot_kept_hours", "slot_direct_work_hours", "kept_pct"]
VIOLATION_COLUMNS = ["person", "slot", "event_id", "start", "end", "overlap_minutes", "category", "rule",
                     "self_organised", "organizer"]
_STRIDE = 10**11  # epoch seconds per person on one sorted axis (larger than any timestamp we meet)


@dataclass
class SlotResult:
    """What a policy did over a window: per person-week compliance, every violation, and the occurrences."""

    compliance: pd.DataFrame  # COMPLIANCE_COLUMNS
    violations: pd.DataFrame  # VIOLATION_COLUMNS (start/end UTC) plus subject
    occurrences: pd.DataFrame


def measure_slots(events: pd.DataFrame, people: Sequence[str], window: Window, slots: Sequence[Slot],
                  categories: Sequence[str], hours: Mapping[str, WorkingHours], default_hours: WorkingHours,
                  *, ignore_since: bool = False, part: Partition | None = None) -> SlotResult:
    """Compliance and violations of ``slots`` over prepared events (classified, with ``counted``)."""
    table, occurrences = slot_compliance(events, people, window, slots, categories, hours, default_hours,
                                         ignore_since=ignore_since, part=part)
    return SlotResult(table, violations(events, occurrences, slots, people), occurrences)


def slot_compliance(events: pd.DataFrame, people: Sequence[str], window: Window, slots: Sequence[Slot],
                    categories: Sequence[str], hours: Mapping[str, WorkingHours], default_hours: WorkingHours,
                    *, ignore_since: bool = False, part: Partition | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The compliance table alone (no violations), and the occurrences it measured.

    ``part``: a partition of these events and ``people`` whose layers already hold the slots' occurrences (the
    audit's, see :func:`calendar_audit.audit.slot_layers`); without it the team is swept here.
    """
    leave = leave_days(events) if part is None else part.leave
    occurrences = slot_occurrences(slots, people, window, leave, ignore_since=ignore_since)
    prefix = "slot:"
    if part is None:
        part = partition(events, people, window, categories, hours, default_hours,
                         occurrence_layers(occurrences, slots, people))
    elif ignore_since and any(s.since for s in slots):
        prefix = SHADOW_PREFIX
    planned = planned_weeks(slots, people, window, ignore_since=ignore_since)
    return compliance_table(part, slots, planned, prefix), occurrences


def compliance_table(part: Partition, slots: Sequence[Slot], planned: set[tuple[str, date]],
                     prefix: str = "slot:") -> pd.DataFrame:
    """One row per person and week a slot was scheduled: slot, kept and direct-work hours, kept_pct."""
    seg = part.segments
    n_weeks = len(part.weeks)
    n = len(part.people) * n_weeks
    group = seg.person * n_weeks + part.week_of_segment
    rank = {c: i for i, c in enumerate(part.categories)}
    in_slot = np.zeros(len(seg.seconds), dtype=bool)
    kept = np.zeros(len(seg.seconds), dtype=bool)
    for slot in slots:
        layer = seg.layers[f"{prefix}{slot.name}"]
        allowed = np.array([rank[c] for c in slot.allow if c in rank], dtype=np.int64)
        ok = (seg.winner < 0) | np.isin(seg.winner, allowed)
        if STATUTORY in slot.allow:
            ok |= seg.statutory
        in_slot |= layer
        kept |= layer & ok
    direct = seg.winner == rank.get("direct_work", -2)
    table = pd.DataFrame({
        "person": np.repeat(part.people, n_weeks),
        "week_start": np.tile(np.array(part.weeks, dtype=object), len(part.people)),
        "slot_hours": seg.hours_by(group, n, in_slot),
        "slot_kept_hours": seg.hours_by(group, n, kept),
        "slot_direct_work_hours": seg.hours_by(group, n, in_slot & direct),
    })
    wanted = [(p, w) in planned for p, w in zip(table["person"], table["week_start"], strict=True)]
    table = table[np.array(wanted, dtype=bool)].reset_index(drop=True)
    table["kept_pct"] = 100 * table["slot_kept_hours"] / table["slot_hours"].where(table["slot_hours"] > 0)
    return table[COMPLIANCE_COLUMNS]


def violations(events: pd.DataFrame, occurrences: pd.DataFrame, slots: Sequence[Slot],
               people: Sequence[str] = ()) -> pd.DataFrame:
    """Every counted event outside its slot's ``allow`` overlapping an occurrence, with the overlap in minutes.

    Rows follow the team's order of ``people`` (anyone else after them, by address), then start and slot.
    """
    counted = events[events["counted"]].reset_index(drop=True)
    if not len(counted) or not len(occurrences):
        return _empty_violations()
    people = pd.Index(pd.unique(pd.concat([occurrences["person"], counted["person"]]).astype(str)))
    # One axis for the whole team: a person's occurrences never overlap (the policy forbids it), so their
    # starts and ends are both sorted and each event finds its occurrences by two binary searches.
    occ_base = people.get_indexer(occurrences["person"].astype(str)).astype(np.int64) * _STRIDE
    occ_s = occ_base + _seconds(occurrences["start"])
    occ_e = occ_base + _seconds(occurrences["end"])
    order = np.argsort(occ_s, kind="stable")
    occ_s, occ_e = occ_s[order], occ_e[order]
    occ_slot = occurrences["slot"].astype(str).to_numpy()[order]
    ev_base = people.get_indexer(counted["person"].astype(str)).astype(np.int64) * _STRIDE
    ev_s = ev_base + _seconds(counted["start"])
    ev_e = ev_base + _seconds(counted["end"])
    first = np.searchsorted(occ_e, ev_s, side="right")
    last = np.searchsorted(occ_s, ev_e, side="left")
    n_pairs = np.maximum(last - first, 0)
    ev_idx = np.repeat(np.arange(len(counted)), n_pairs)
    occ_idx = np.repeat(first, n_pairs) + (np.arange(n_pairs.sum()) - np.repeat(np.cumsum(n_pairs) - n_pairs,
                                                                                   n_pairs))
    overlap = np.minimum(ev_e[ev_idx], occ_e[occ_idx]) - np.maximum(ev_s[ev_idx], occ_s[occ_idx])
    by_name = {s.name: s for s in slots}
    pairs = counted.iloc[ev_idx].reset_index(drop=True)
    slot_names = occ_slot[occ_idx]
    # decided once per distinct (slot, category, statutory), not once per overlapping pair
    combos = pd.MultiIndex.from_arrays([pd.Index(slot_names, dtype=object), pairs["category"].astype(str),
                                        pairs["statutory"].astype(bool)])
    codes, distinct = combos.factorize()
    allowed = np.array([by_name[n].allows(str(c), bool(st)) for n, c, st in distinct], dtype=bool)[codes] \
        if len(distinct) else np.zeros(len(pairs), dtype=bool)
    keep = (overlap > 0) & ~allowed
    pairs = pairs[keep].reset_index(drop=True)
    self_organised = (pairs["response"] == "organizer").to_numpy(bool)
    organizer = pairs["organizer"].astype(str).where(pairs["organizer"].astype(str) != "", "")
    organizer = organizer.where(~(self_organised & (organizer == "")), pairs["person"].astype(str))
    out = pd.DataFrame({
        "person": pairs["person"].astype(str),
        "slot": slot_names[keep],
        "event_id": pairs["event_id"].astype(str),
        "start": pairs["start"],
        "end": pairs["end"],
        "overlap_minutes": overlap[keep] / 60.0,
        "category": pairs["category"].astype(str),
        "rule": pairs["rule"].astype(str),
        "self_organised": self_organised,
        "organizer": organizer.str.lower(),
        "subject": pairs["subject"].astype(str),
    })
    order = {p: i for i, p in enumerate(dict.fromkeys([*people, *sorted(out["person"].unique())]))}
    out["_order"] = out["person"].map(order)
    out = out.sort_values(["_order", "start", "slot"], kind="stable").drop(columns="_order")
    return out.reset_index(drop=True)


def _empty_violations() -> pd.DataFrame:
    out = pd.DataFrame({c: pd.Series(dtype=object) for c in [*VIOLATION_COLUMNS, "subject"]})
    for c in ("start", "end"):
        out[c] = pd.Series(dtype="datetime64[ns, UTC]")
    out["overlap_minutes"] = pd.Series(dtype=float)
    out["self_organised"] = pd.Series(dtype=bool)
    return out


def _seconds(values: pd.Series) -> np.ndarray:
    # never empty: violations returns first when there is no counted event or no occurrence
    return pd.DatetimeIndex(values).as_unit("s").asi8  # int64


def compliance_csv(table: pd.DataFrame) -> pd.DataFrame:
    """slot_compliance.csv: DESIGN.md's columns, hours to 4 decimals and kept_pct to 2."""
    out = table[COMPLIANCE_COLUMNS].copy()
    # halves away from zero, like person_week.csv (4.6875 -> 4.69, where numpy's round gives 4.68)
    for name in ("slot_hours", "slot_kept_hours", "slot_direct_work_hours"):
        out[name] = round_half_up(out[name].astype(float), HOURS_DECIMALS)
    out["kept_pct"] = round_half_up(out["kept_pct"].astype(float), PCT_DECIMALS)
    return out.reset_index(drop=True)


def violations_csv(table: pd.DataFrame, tz: str) -> pd.DataFrame:
    """slot_violations.csv: DESIGN.md's columns, start/end in the team's zone (like events.csv), no subject."""
    out = table[VIOLATION_COLUMNS].copy()
    for name in ("start", "end"):
        out[name] = pd.to_datetime(out[name], utc=True).dt.tz_convert(tz)
    out["overlap_minutes"] = round_half_up(out["overlap_minutes"].astype(float), 2)
    out["self_organised"] = out["self_organised"].astype(bool)
    return out.reset_index(drop=True)

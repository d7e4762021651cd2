"""Slot occurrences: each slot's local times on each listed day in the window, from since, except leave days."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from ..timeline import Intervals, local_instant
from ..window import Window
from .policy import Slot

OCCURRENCE_COLUMNS = ["person", "slot", "start", "end"]


def slot_occurrences(slots: Sequence[Slot], people: Sequence[str], window: Window,
                     leave: Mapping[str, set[date]], *, ignore_since: bool = False) -> pd.DataFrame:
    """One row per person and slot occurrence in the window: person, slot, start, end (UTC), by person and start.

    ``ignore_since`` schedules the slots before their ``since`` too (the "same hours" before a policy started,
    for before/after comparisons).
    """
    zone = ZoneInfo(window.tz)
    days = window.days()
    # each slot's days and instants are the same for everyone: worked out once, then filtered by each person's leave
    scheduled = [(slot, [(day, local_instant(day, slot.start, zone), local_instant(day, slot.end, zone))
                         for day in days if slot.active_on(day, ignore_since=ignore_since)]) for slot in slots]
    rows: list[tuple[str, str, int, int]] = []
    for person in people:
        off = leave.get(person, set())
        for slot, times in scheduled:
            if slot.applies_to(person):
                rows.extend((person, slot.name, start, end) for day, start, end in times if day not in off)
    order = {p: i for i, p in enumerate(people)}
    rows.sort(key=lambda r: (order[r[0]], r[2]))
    return pd.DataFrame({
        "person": pd.Series([r[0] for r in rows], dtype="string"),
        "slot": pd.Series([r[1] for r in rows], dtype="string"),
        "start": pd.to_datetime(pd.Series([r[2] for r in rows], dtype="int64"), unit="s", utc=True),
        "end": pd.to_datetime(pd.Series([r[3] for r in rows], dtype="int64"), unit="s", utc=True),
    }, columns=OCCURRENCE_COLUMNS)


def planned_weeks(slots: Sequence[Slot], people: Sequence[str], window: Window, *,
                  ignore_since: bool = False) -> set[tuple[str, date]]:
    """(person, week start) where some slot is scheduled, leave or not: the rows a compliance table has."""
    out: set[tuple[str, date]] = set()
    days = window.days()
    for slot in slots:
        active = [d for d in days if slot.active_on(d, ignore_since=ignore_since)]
        weeks = {date.fromordinal(d.toordinal() - d.weekday()) for d in active}
        for person in people:
            if slot.applies_to(person):
                out.update((person, w) for w in weeks)
    return out


def occurrence_layers(occurrences: pd.DataFrame, slots: Sequence[Slot], people: Sequence[str]) -> dict[str, Intervals]:
    """One sweep layer per slot (``slot:<name>``), in person codes, for :func:`calendar_audit.metrics.partition`."""
    code = {p: i for i, p in enumerate(people)}
    layers = {}
    for slot in slots:
        mine = occurrences[occurrences["slot"] == slot.name]
        layers[layer_name(slot)] = Intervals(
            mine["person"].map(code).to_numpy(np.int64),
            _seconds(mine["start"]), _seconds(mine["end"]),
        )
    return layers


SHADOW_PREFIX = "shadow:"  # a slot's occurrences over the whole window, ignoring its since (see audit.slot_layers)


def layer_name(slot: Slot) -> str:
    return f"slot:{slot.name}"


def _seconds(values: pd.Series) -> np.ndarray:
    if not len(values):
        return np.zeros(0, dtype=np.int64)
    return pd.DatetimeIndex(values).as_unit("s").asi8.astype(np.int64)

"""The pipeline from an events frame to an AuditResult: classify, decide what counts, partition, measure."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd

from .errors import ConfigError
from .frame import SourceData, WorkingHours
from .metrics import (
    AuditResult,
    event_hours,
    exclusion_reasons,
    meeting_costs,
    partition,
    person_week,
    team_week,
)
from .privacy import apply_privacy, group_withheld
from .rules import RuleSet, classify
from .settings import Settings
from .window import Window

if TYPE_CHECKING:
    from .slots import Slot


def in_window(events: pd.DataFrame, window: Window) -> pd.DataFrame:
    """Events that overlap the window (all-day events by their dates)."""
    timed = (events["end"] > window.start) & (events["start"] < window.end)
    first = pd.Timestamp(window.first, tz="UTC")
    after_last = pd.Timestamp(window.last, tz="UTC") + pd.Timedelta(days=1)
    all_day = events["is_all_day"] & (events["end"] > first) & (events["start"] < after_last)
    inside = ((timed & ~events["is_all_day"]) | all_day).to_numpy(bool)
    if inside.all():  # a whole source read for this window: no copy of every column
        return events.reset_index(drop=True)
    return events[inside].reset_index(drop=True)


def prepare_events(events: pd.DataFrame, rules: RuleSet, window: Window, settings: Settings) -> pd.DataFrame:
    """Classify the window's events and mark which count, why not, and their hours in the window."""
    classified = classify(in_window(events, window), rules)
    reasons = exclusion_reasons(classified, settings.counted_responses)
    classified["excluded_because"] = reasons
    classified["counted"] = (reasons == "").to_numpy(bool)
    classified["hours"] = event_hours(classified, window)
    return classified


def people_of(data: SourceData, events: pd.DataFrame) -> list[str]:
    """Everyone the source knows, in its order, then anyone else with events; failed mailboxes left out."""
    failed = {f.person for f in data.failures}
    seen = dict.fromkeys([*data.people, *sorted(events["person"].unique())])
    return [p for p in seen if p not in failed]


def working_hours_map(data: SourceData, settings: Settings) -> dict[str, WorkingHours]:
    """Per-person settings win over mailbox settings; everyone else gets the team default.

    Keys are matched without regard to case (``Sam.Jones@...`` in the settings is ``sam.jones@...`` in a mailbox),
    and the map answers for every spelling the source uses.
    """
    hours = {k.lower(): v for k, v in data.working_hours.items()}
    hours.update(settings.person_hours())
    names = {*data.people, *data.working_hours, *data.events["person"].unique()}
    return {name: hours[name.lower()] for name in names if name.lower() in hours}


def slot_layers(events: pd.DataFrame, people: list[str], window: Window, slots: Sequence[Slot]) -> dict:
    """The sweep layers of a policy's occurrences (none without a policy). When a slot has a ``since``, also its
    occurrences over the whole window (``shadow:<name>``, the before/after comparison's), so the slot sections
    read compliance from the audit's own partition instead of sweeping the team twice more. Extra layers only
    cut segments finer: every figure is a sum of whole seconds, so none changes."""
    if not slots:
        return {}
    from .metrics import leave_days
    from .slots.occurrences import SHADOW_PREFIX, occurrence_layers, slot_occurrences

    leave = leave_days(events)
    layers = occurrence_layers(slot_occurrences(slots, people, window, leave), slots, people)
    if any(s.since for s in slots):
        shadow = occurrence_layers(slot_occurrences(slots, people, window, leave, ignore_since=True), slots, people)
        layers.update({SHADOW_PREFIX + name.split(":", 1)[1]: iv for name, iv in shadow.items()})
    return layers


def audit(data: SourceData, rules: RuleSet, window: Window, settings: Settings, *,
          include_subjects: bool = False, source_label: str = "", allow_small_team: bool = False,
          slots: Sequence[Slot] = ()) -> AuditResult:
    """Measure a team's calendars over the window, as DESIGN.md defines every number.

    ``slots`` (a protected-slot policy) only adds ``visit_ready_slot_hours``; every other figure is the same.
    """
    if include_subjects and settings.privacy.pseudonymise:
        raise ConfigError("--include-subjects: not with privacy.pseudonymise on (subjects name people)")
    data = apply_privacy(data, settings)  # before anything else sees a name
    events = prepare_events(data.events, rules, window, settings)
    people = people_of(data, events)
    part = partition(events, people, window, rules.categories, working_hours_map(data, settings),
                     settings.team_hours(), slot_layers(events, people, window, slots))
    table = person_week(part, settings.visit_block_minutes)
    costs = meeting_costs(events, include_subjects, tz=window.tz)
    withheld = group_withheld(people, settings.privacy.min_group_size, allow_small_team)
    return AuditResult(
        window=window, categories=tuple(rules.categories), person_week=table,
        team_week=team_week(table.iloc[0:0] if withheld else table), withheld_reason=withheld,
        events=events, top_series=costs.top_series, unclassified=costs.unclassified,
        failures=list(data.failures), notes=[*([withheld] if withheld else []), *data.notes],
        include_subjects=include_subjects, source_label=source_label,
        slot_partition=(tuple(slots), part) if slots else None,
    )

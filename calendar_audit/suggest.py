"""Decline suggestions: which of a person's upcoming meetings they could decline, why, and how much time it frees.

Pure: a prepared events frame (classified, with ``counted`` and ``hours``; see ``audit.prepare_events``) in,
a ranked suggestions frame out. No clock, files or network.

Decisions the design left open
- Candidates are the person's counted *invitations* in the window: events starting in it, with at least one
  other attendee, that they do not organise. Direct work is never a candidate (it is what the tool protects).
  Exempt, and never suggested: statutory meetings, ``never_decline`` rules, meetings they organise (response
  ``organizer`` or they are the organizer), declined, cancelled or otherwise uncounted events.
- A candidate is suggested only when at least one reason holds; score = the sum of its reasons' weights.
- The default weights all lie in [1, 2), so any two reasons outscore any one: a meeting with several reasons
  ranks above a meeting with one. A weight of 0 switches a reason off.
- ``teammate_attending`` matches the same meeting by ``ical_uid`` *and* start time: ICS exports give every
  occurrence of a series the same UID, so the start tells occurrences apart. It does not fire on a team-wide
  meeting (more than half of the people in the frame, and more than two, are on it): there everyone is wanted,
  not a representative. A meeting only two people share is never team-wide: one can always represent the other
  (without this, a team of two or three could never see the reason).
- ``recurring_heavy`` scales the series' counted hours in the window to 30 days: hours x 30 / window days.
- ``after_hours``: any part of the meeting falls outside the person's working hours (a leave day has none).
- Ranking: score, then hours freed (both descending), then start and event id, so the order is stable.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

import numpy as np
import pandas as pd

from .errors import ConfigError
from .frame import WorkingHours
from .metrics import leave_days
from .replies import draft_reply
from .settings import SuggestSettings
from .timeline import to_seconds, working_intervals
from .window import Window

#: every reason, in the order of its default weight (highest first)
REASON_CODES: tuple[str, ...] = (
    "in_protected_slot", "double_booked", "no_clear_purpose", "optional", "teammate_attending",
    "recurring_heavy", "large", "after_hours",
)  # fmt: skip

DEFAULT_WEIGHTS: dict[str, float] = {
    "in_protected_slot": 1.8,
    "double_booked": 1.7,
    "no_clear_purpose": 1.6,
    "optional": 1.5,
    "teammate_attending": 1.4,
    "recurring_heavy": 1.3,
    "large": 1.2,
    "after_hours": 1.1,
}

#: the columns of suggestions.csv, as DESIGN.md names them
CSV_COLUMNS = ["person", "event_id", "start", "end", "score", "reasons", "reply"]
#: the suggestions frame: the CSV columns plus what the table and the JSON show
COLUMNS = [*CSV_COLUMNS, "hours", "category", "rule", "main_reason", "sentences", "subject", "series_id"]

ACCEPTED = ("accepted", "organizer")


class SlotPolicy(Protocol):
    """What the engine needs of a protected slot (``calendar_audit.slots.Slot``)."""

    name: str

    def allows(self, category: str, statutory: bool) -> bool: ...


@dataclass(frozen=True)
class Reason:
    """One reason to decline: its code, the plain sentence a supervisor reads, and its weight."""

    code: str
    sentence: str
    weight: float


def weights_of(config: SuggestSettings) -> dict[str, float]:
    """Default weights overridden by ``suggest.weights``; ConfigError naming an unknown reason or a bad weight."""
    weights = dict(DEFAULT_WEIGHTS)
    for code, value in config.weights.items():
        if code not in DEFAULT_WEIGHTS:
            raise ConfigError(f"suggest.weights.{code}: unknown reason (use {', '.join(REASON_CODES)})")
        if not value >= 0:
            raise ConfigError(f"suggest.weights.{code}: must be 0 or more, got {value}")
        weights[code] = float(value)
    return weights


#: a few words per reason, for a terminal read between visits; the sentences say it in full
LABELS = {
    "in_protected_slot": "in your protected time",
    "double_booked": "clashes with direct work",
    "no_clear_purpose": "no clear purpose",
    "optional": "you are optional",
    "teammate_attending": "a teammate is going",
    "recurring_heavy": "heavy recurring series",
    "large": "large meeting",
    "after_hours": "after your hours",
}


def sentence(code: str, config: SuggestSettings) -> str:
    """The plain-words sentence for a reason (no subject, no case detail)."""
    sentences = {
        "in_protected_slot": "It falls in your protected direct-work time, where this kind of meeting is not allowed.",
        "double_booked": "It clashes with direct work or a statutory meeting in your calendar.",
        "no_clear_purpose": "No clear purpose: no agenda or matching purpose, or a vague title.",
        "optional": "You were invited as optional.",
        "teammate_attending": "A teammate has already accepted: one person can represent the team.",
        "recurring_heavy": f"A recurring series costing you more than {config.recurring_heavy_hours_per_month:g} "
                           "hours a month.",
        "large": f"A large meeting (more than {config.large_attendees} others) that you do not organise.",
        "after_hours": "It is outside your working hours.",
    }
    return sentences[code]


def reasons_of(codes: Sequence[str], config: SuggestSettings) -> list[Reason]:
    """Reasons for the codes that hold, highest weight first (a weight of 0 drops the reason)."""
    weights = weights_of(config)
    found = [Reason(c, sentence(c, config), weights[c]) for c in codes if weights[c] > 0]
    return sorted(found, key=lambda r: (-r.weight, REASON_CODES.index(r.code)))


# --- exemptions --------------------------------------------------------------------------------------------
def exemptions(events: pd.DataFrame, person: str) -> pd.Series:
    """Why each event may not be suggested ("" when it may): the first exemption that applies."""
    who = person.lower()
    organizer = events["organizer"].astype(object).fillna("").astype(str).str.lower()
    conditions = [
        events["is_cancelled"].to_numpy(bool),
        (events["response"] == "declined").to_numpy(bool),
        events["statutory"].to_numpy(bool),
        events["never_decline"].to_numpy(bool),
        ((events["response"] == "organizer") | (organizer == who)).to_numpy(bool),
        ~events["counted"].to_numpy(bool),
        (events["category"] == "direct_work").to_numpy(bool),
        (events["attendee_count"] < 1).to_numpy(bool),
    ]
    labels = ["cancelled", "declined", "statutory", "never_decline", "self_organised", "not_counted",
              "direct_work", "no_other_attendees"]
    return pd.Series(np.select(conditions, labels, default=""), index=events.index, dtype=object)


EXEMPTION_WORDS = {
    "cancelled": "it is cancelled",
    "declined": "you have already declined it",
    "statutory": "it is a statutory meeting",
    "never_decline": "a purpose rule marks it never_decline",
    "self_organised": "you organise it",
    "not_counted": "it does not count as busy time (all-day, free or not counted)",
    "direct_work": "it is direct work",
    "no_other_attendees": "nobody else is invited",
    "before_window": "it starts before the suggestion window",
}


# --- the reasons, one function each ---------------------------------------------------------------------------
def _overlaps(s: np.ndarray, e: np.ndarray, os_: np.ndarray, oe: np.ndarray) -> np.ndarray:
    """Matrix [candidate, other]: do the intervals overlap (touching ends do not)?"""
    return (s[:, None] < oe[None, :]) & (os_[None, :] < e[:, None])


def _seconds(values: pd.Series) -> np.ndarray:
    return to_seconds(values) if len(values) else np.zeros(0, np.int64)


def vague(subjects: pd.Series, patterns: Sequence[str]) -> np.ndarray:
    """Does each subject match any vague-subject pattern (case-insensitive search)?"""
    import re

    compiled = []
    for i, p in enumerate(patterns):
        try:
            compiled.append(re.compile(p, re.IGNORECASE))
        except re.error as exc:
            raise ConfigError(f"suggest.vague_subjects[{i}]: not a regular expression: {exc}") from None
    text = subjects.astype(object).fillna("").astype(str)
    return np.array([any(c.search(t) for c in compiled) for t in text], dtype=bool)


def team_wide(on_it: int, team_size: int) -> bool:
    """Is a meeting with ``on_it`` of the team's ``team_size`` people on it one the whole team is wanted at?"""
    return on_it > 2 and on_it * 2 > team_size


def reason_flags(
    mine: pd.DataFrame,
    cand: pd.DataFrame,
    team: pd.DataFrame,
    window: Window,
    config: SuggestSettings,
    hours: WorkingHours,
    occurrences: pd.DataFrame | None,
    slots: Mapping[str, SlotPolicy],
) -> dict[str, np.ndarray]:
    """For each reason code, which candidates it holds for."""
    person = str(cand["person"].iloc[0]) if len(cand) else ""
    s, e = _seconds(cand["start"]), _seconds(cand["end"])
    flags: dict[str, np.ndarray] = {}

    # in_protected_slot: overlaps one of their slot occurrences whose slot does not allow it
    hit = np.zeros(len(cand), dtype=bool)
    if occurrences is not None and len(occurrences):
        occ = occurrences[occurrences["person"].astype(str).str.lower() == person.lower()]
        over = _overlaps(s, e, _seconds(occ["start"]), _seconds(occ["end"]))
        for j, name in enumerate(occ["slot"].tolist()):
            slot = name if hasattr(name, "allows") else slots.get(str(name))
            if slot is None:
                continue
            for i in np.flatnonzero(over[:, j]):
                row = cand.iloc[i]
                if not slot.allows(str(row["category"]), bool(row["statutory"])):
                    hit[i] = True
    flags["in_protected_slot"] = hit

    # double_booked: clashes with a counted direct_work or statutory event of theirs
    anchors = mine[mine["counted"] & ((mine["category"] == "direct_work") | mine["statutory"].astype(bool))]
    over = _overlaps(s, e, _seconds(anchors["start"]), _seconds(anchors["end"]))
    same = cand["event_id"].to_numpy(object)[:, None] == anchors["event_id"].to_numpy(object)[None, :]
    flags["double_booked"] = (over & ~same).any(axis=1) if len(anchors) else np.zeros(len(cand), dtype=bool)

    # no_clear_purpose: no rule matched and no stated agenda, or a vague subject
    no_agenda = ~cand["has_agenda"].fillna(False).to_numpy(bool)
    flags["no_clear_purpose"] = (~cand["matched"].to_numpy(bool) & no_agenda) | vague(cand["subject"],
                                                                                        config.vague_subjects)

    flags["optional"] = cand["is_optional"].to_numpy(bool)

    # teammate_attending: another team member has accepted (or organises) the same occurrence, and it is not a
    # team-wide meeting (more than half the team on it), where everyone is wanted rather than represented
    team_size = team["person"].str.lower().nunique()
    uids = cand["ical_uid"].astype(str).tolist()
    # only the candidates' meetings are looked up: the rest of the team's calendar is left out before grouping
    shared = team[~team["is_cancelled"] & (team["ical_uid"] != "") & team["ical_uid"].isin(uids)]
    keys = list(zip(shared["ical_uid"].astype(str), _seconds(shared["start"]).tolist(), strict=True))
    on_it = pd.Series(shared["person"].str.lower().to_numpy(object)).groupby(pd.Series(keys, dtype=object)).nunique()
    accepted = shared["response"].isin(ACCEPTED).to_numpy(bool) & (shared["person"].str.lower() != person.lower()
                                                                   ).to_numpy(bool)
    going = {k for k, a in zip(keys, accepted, strict=True) if a}
    flags["teammate_attending"] = np.array(
        [u != "" and (u, t) in going and not team_wide(on_it.get((u, t), 0), team_size)
         for u, t in zip(uids, s.tolist(), strict=True)], dtype=bool)

    # recurring_heavy: the series' counted hours in the window, scaled to 30 days, exceed the threshold
    days = (window.last - window.first).days + 1
    series = mine[mine["counted"] & (mine["series_id"] != "")].groupby("series_id")["hours"].sum()
    monthly = cand["series_id"].map(series * 30.0 / days).fillna(0.0).to_numpy(float)
    flags["recurring_heavy"] = (cand["series_id"] != "").to_numpy(bool) & (
        monthly > config.recurring_heavy_hours_per_month)

    flags["large"] = (cand["attendee_count"] > config.large_attendees).to_numpy(bool)

    # after_hours: not wholly inside one working interval (leave days have none)
    span = [window.first + timedelta(days=i) for i in range(-1, days + 1)]
    work = working_intervals(0, span, hours, window.tz, leave_days(mine).get(person, set()))
    inside = (work.start[None, :] <= s[:, None]) & (e[:, None] <= work.end[None, :])
    flags["after_hours"] = ~inside.any(axis=1) if len(work.start) else np.ones(len(cand), dtype=bool)
    return flags


# --- the engine ------------------------------------------------------------------------------------------------
def empty_suggestions() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})


def candidates(events: pd.DataFrame, person: str, window: Window) -> pd.DataFrame:
    """The person's events in the window with their exemption ("" for a candidate)."""
    mine = events[events["person"].str.lower() == person.lower()].copy()
    why = exemptions(mine, person)
    before = (mine["start"] < window.start).to_numpy(bool) & (why == "").to_numpy(bool)
    why[before] = "before_window"
    mine["exempt"] = why
    return mine


def suggestions_for(events: pd.DataFrame, people: Sequence[str], person: str, window: Window, settings: Any,
                    slots: Sequence[Any], hours: Mapping[str, WorkingHours]) -> pd.DataFrame:
    """``suggest --person``'s suggestions: the team's prepared events over ``window``, the policy's occurrences
    for ``people``, and the person's working hours (from ``hours``, else the team default in ``settings``)."""
    from .slots import slot_occurrences

    theirs = [p for p in people if p.lower() == person.lower()]  # only the person's occurrences are consulted
    mine = events[events["person"].str.lower() == person.lower()]
    occurrences = slot_occurrences(slots, theirs, window, leave_days(mine))
    return suggest(events, person, window, settings.suggest, hours=hours.get(person.lower(), settings.team_hours()),
                   occurrences=occurrences, slots=slots)


def suggest(
    events: pd.DataFrame,
    person: str,
    window: Window,
    config: SuggestSettings,
    *,
    hours: WorkingHours,
    occurrences: pd.DataFrame | None = None,
    slots: Sequence[SlotPolicy] = (),
) -> pd.DataFrame:
    """Rank one person's upcoming meetings they could decline, with reasons, score, hours freed and a reply draft.

    ``events`` is the prepared frame of the whole team over ``window`` (other members' rows feed
    ``teammate_attending``); ``occurrences`` holds protected-slot occurrences [person, slot, start, end].
    """
    weights_of(config)  # fail early on a bad setting, even with nothing to rank
    mine_all = candidates(events, person, window)
    mine = mine_all[mine_all["start"] < window.end]
    cand = mine[mine["exempt"] == ""].reset_index(drop=True)
    if cand.empty:
        return empty_suggestions()
    by_name = {s.name: s for s in slots}
    flags = reason_flags(mine_all, cand, events, window, config, hours, occurrences, by_name)
    rows: list[dict[str, Any]] = []
    for i, row in cand.iterrows():
        reasons = reasons_of([c for c in REASON_CODES if flags[c][i]], config)
        if not reasons:
            continue
        main = reasons[0].code
        rows.append({
            "person": row["person"], "event_id": row["event_id"], "start": row["start"], "end": row["end"],
            "score": round(sum(r.weight for r in reasons), 6), "reasons": ";".join(r.code for r in reasons),
            "reply": draft_reply(main, config.templates), "hours": float(row["hours"]),
            "category": row["category"], "rule": row["rule"], "main_reason": main,
            "sentences": [r.sentence for r in reasons], "subject": row["subject"], "series_id": row["series_id"],
        })
    if not rows:
        return empty_suggestions()
    out = pd.DataFrame(rows, columns=COLUMNS)
    out = out.sort_values(["score", "hours", "start", "event_id"], ascending=[False, False, True, True],
                          kind="mergesort")
    return out.reset_index(drop=True)


def team_view(
    events: pd.DataFrame,
    people: Sequence[str],
    window: Window,
    config: SuggestSettings,
    *,
    hours: Mapping[str, WorkingHours],
    default_hours: WorkingHours,
    occurrences: pd.DataFrame | None = None,
    slots: Sequence[SlotPolicy] = (),
) -> pd.DataFrame:
    """Per person: how many meetings could be declined and the hours that would free (no subjects, no events)."""
    rows = []
    for person in people:
        found = suggest(events, person, window, config, hours=hours.get(person.lower(), default_hours),
                        occurrences=occurrences, slots=slots)
        rows.append({"person": person, "suggestions": len(found),
                     "hours_freed": round(float(found["hours"].sum()) if len(found) else 0.0, 2)})
    return pd.DataFrame(rows, columns=["person", "suggestions", "hours_freed"])

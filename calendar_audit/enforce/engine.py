"""The enforcement engine: which invitations in protected slots get which answer. Pure: frames in, decisions out.

An invitation is *enforceable* when it is new or changed since the last run (its (person, event id, changeKey)
is not in the journal), overlaps one of the person's protected-slot occurrences, falls outside that slot's
``allow``, is not statutory, ``never_decline``, self-organised, cancelled or already answered (only
``notResponded``/``none`` invitations with someone else on them are), counts as busy time, and starts after ``now``.

Its action is the slot's ``enforce`` level lowered by the person's preference: ``off`` < ``notify`` <
``tentative`` < ``decline``; a person may choose less than the policy, never more. When an event overlaps
several slots the strictest slot's level is the policy. Two limits lower a write (tentative or decline) to
``notify``: a series already answered by enforcement in the last seven days (``series_this_week``, journalled
as a notification so the occurrence is not reconsidered), and the per-person daily cap (``daily_cap``: held,
not journalled, so the next day's run takes it up again). ``off`` leaves the invitation alone (not planned).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import pandas as pd

from ..slots.compliance import violations
from ..slots.policy import ENFORCE_LEVELS, Slot

WRITES = ("tentative", "decline")
OPEN_RESPONSES = ("notResponded", "none")
SERIES_DAYS = 7


@dataclass(frozen=True)
class Version:
    """What Graph says of an event's current version: its changeKey and whether it takes new-time proposals."""

    change_key: str = ""
    allow_new_time_proposals: bool = False


@dataclass(frozen=True)
class History:
    """What earlier runs did, as the journal records it."""

    decided: frozenset[tuple[str, str, str]] = frozenset()  # (person, event id, change key) answered or noted
    writes: tuple[tuple[str, str, pd.Timestamp], ...] = ()  # (person, series id, when) of each write sent


@dataclass(frozen=True)
class Decision:
    """One enforceable invitation and what enforcement will do (or did) about it."""

    person: str
    event_id: str
    change_key: str
    series_id: str
    slot: str
    start: pd.Timestamp
    end: pd.Timestamp
    organizer: str
    policy: str  # the slot's level
    preference: str  # the person's own level ("" = none set: the policy applies)
    action: str  # notify | tentative | decline
    why: str = ""  # why the action is below the policy: preference | series_this_week | daily_cap
    allow_new_time_proposals: bool = False
    proposed_start: pd.Timestamp | None = None
    proposed_end: pd.Timestamp | None = None
    proposal_sent: bool = False  # proposedNewTime is sent (else the time is named in the note)
    note: str = ""
    outcome: str = ""  # planned | would_send | sent | noted | held | failed: ...

    @property
    def writes(self) -> bool:
        return self.action in WRITES

    @property
    def journalled(self) -> bool:
        """A daily-cap hold is not journalled: the next day's run takes it up again."""
        return self.why != "daily_cap"


def lower(policy: str, preference: str | None) -> str:
    """The policy's level lowered to the person's preference (never raised above the policy)."""
    if not preference:
        return policy
    return ENFORCE_LEVELS[min(ENFORCE_LEVELS.index(policy), ENFORCE_LEVELS.index(preference))]


def enforceable(events: pd.DataFrame, occurrences: pd.DataFrame, slots: Sequence[Slot], now: pd.Timestamp,
                people: Sequence[str] = ()) -> pd.DataFrame:
    """The invitations in protected slots enforcement may answer, one row per event with its strictest slot.

    ``events`` is prepared (classified, with ``counted``); ``occurrences`` are the slot occurrences.
    """
    found = violations(events, occurrences, slots, people)
    if not len(found):
        return found.assign(level=pd.Series(dtype=object))
    keyed = events.set_index(["person", "event_id"])
    keyed = keyed[~keyed.index.duplicated()]
    rows = keyed.loc[list(zip(found["person"], found["event_id"], strict=True))].reset_index()
    organizer = rows["organizer"].astype(str).str.lower()
    ok = (
        rows["response"].isin(OPEN_RESPONSES).to_numpy(bool)
        & ~rows["is_cancelled"].to_numpy(bool)
        & ~rows["statutory"].astype(bool).to_numpy(bool)
        & ~rows["never_decline"].astype(bool).to_numpy(bool)
        & (organizer != rows["person"].str.lower()).to_numpy(bool)
        & ~found["self_organised"].to_numpy(bool)
        & (rows["attendee_count"] > 0).to_numpy(bool)
        & (rows["start"] > now).to_numpy(bool)
    )
    level = {s.name: ENFORCE_LEVELS.index(s.enforce) for s in slots}
    out = found[ok].assign(series_id=rows["series_id"].astype(str).to_numpy()[ok],
                           level=found["slot"][ok].map(level))
    # the strictest slot an event overlaps decides; ties go to the earliest occurrence (violations' order)
    out = out.sort_values(["level"], ascending=False, kind="stable").drop_duplicates(["person", "event_id"])
    return out.sort_values(["person", "start", "event_id"], kind="stable").reset_index(drop=True)


def plan(events: pd.DataFrame, occurrences: pd.DataFrame, slots: Sequence[Slot], now: pd.Timestamp, *,
         versions: Mapping[tuple[str, str], Version], preferences: Mapping[str, str], history: History,
         daily_cap: int, tz: str, people: Sequence[str] = ()) -> list[Decision]:
    """Decide each enforceable invitation that earlier runs have not decided in this version (module docstring)."""
    found = enforceable(events, occurrences, slots, now, people)
    today = now.tz_convert(tz).date()
    written_today: dict[str, int] = {}
    series_recent: set[tuple[str, str]] = set()
    for person, series, when in history.writes:
        if pd.Timestamp(when).tz_convert(tz).date() == today:
            written_today[person.lower()] = written_today.get(person.lower(), 0) + 1
        if series and now - pd.Timestamp(when) < timedelta(days=SERIES_DAYS):
            series_recent.add((person.lower(), series))
    out: list[Decision] = []
    for row in found.itertuples(index=False):
        person = str(row.person)
        version = versions.get((person.lower(), str(row.event_id)), Version())
        if (person.lower(), str(row.event_id), version.change_key) in history.decided:
            continue
        policy = ENFORCE_LEVELS[int(row.level)]
        preference = preferences.get(person.lower(), "")
        action = lower(policy, preference)
        if action == "off":
            continue
        why = "preference" if action != policy else ""
        key = (person.lower(), str(row.series_id))
        if action in WRITES and row.series_id and key in series_recent:
            action, why = "notify", "series_this_week"
        elif action in WRITES and written_today.get(person.lower(), 0) >= daily_cap:
            action, why = "notify", "daily_cap"
        if action in WRITES:
            written_today[person.lower()] = written_today.get(person.lower(), 0) + 1
            if row.series_id:
                series_recent.add(key)
        out.append(Decision(
            person=person, event_id=str(row.event_id), change_key=version.change_key, series_id=str(row.series_id),
            slot=str(row.slot), start=row.start, end=row.end, organizer=str(row.organizer), policy=policy,
            preference=preference, action=action, why=why,
            allow_new_time_proposals=version.allow_new_time_proposals, outcome="planned",
        ))
    return out


# --- a proposed better time ----------------------------------------------------------------------------------
Interval = tuple[pd.Timestamp, pd.Timestamp]
STEP = pd.Timedelta(minutes=15)


@dataclass
class Availability:
    """What a proposed time must avoid and fit in, for one person (and the organiser when known)."""

    working: list[Interval]  # the person's working hours, day by day, over the search days
    blocked: list[Interval] = field(default_factory=list)  # their counted events, every protected-slot occurrence
    organiser_busy: list[Interval] | None = None  # None: the organiser is outside the tenant (not checked)


def search_days(working: Sequence[Interval], first: date, days: int, tz: str) -> list[Interval]:
    """The working intervals on the first ``days`` working days from ``first`` (a day with working hours)."""
    chosen: list[date] = []
    for start, _ in sorted(working):
        day = start.tz_convert(tz).date()
        if day >= first and day not in chosen:
            chosen.append(day)
    keep = set(chosen[:days])
    return [(s, e) for s, e in sorted(working) if s.tz_convert(tz).date() in keep]


def propose(decision: Decision, availability: Availability, now: pd.Timestamp) -> Interval | None:
    """The free time of the meeting's length nearest its own start (ties: the earlier), starting after ``now``.

    Free means inside one working interval, clear of every blocker (the person's counted events but this one,
    every protected-slot occurrence) and of the organiser's busy time; starts fall on quarter hours.
    """
    length = decision.end - decision.start
    blockers = sorted([*availability.blocked, *(availability.organiser_busy or [])])
    best: tuple[pd.Timedelta, pd.Timestamp] | None = None
    for work_start, work_end in availability.working:
        for gap_start, gap_end in _gaps(work_start, work_end, blockers):
            t = max(gap_start, now).ceil("15min")
            while t + length <= gap_end:
                if not (t < decision.end and decision.start < t + length):  # never the meeting's own time
                    distance = abs(t - decision.start)
                    if best is None or (distance, t) < best:
                        best = (distance, t)
                t += STEP
    return None if best is None else (best[1], best[1] + length)


def _gaps(start: pd.Timestamp, end: pd.Timestamp, blockers: Sequence[Interval]) -> list[Interval]:
    """[start, end) less every blocker (sorted by start)."""
    out, at = [], start
    for b_start, b_end in blockers:
        if b_end <= at or b_start >= end:
            continue
        if b_start > at:
            out.append((at, b_start))
        at = max(at, b_end)
    if at < end:
        out.append((at, end))
    return out


def with_proposal(decision: Decision, slot_window: Interval | None, send: bool) -> Decision:
    """The decision with its proposed time; ``send`` when Graph will carry it as proposedNewTime."""
    if slot_window is None:
        return replace(decision, proposed_start=None, proposed_end=None, proposal_sent=False)
    return replace(decision, proposed_start=slot_window[0], proposed_end=slot_window[1], proposal_sent=send)

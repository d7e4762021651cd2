"""The demo source: a deterministic synthetic children's social care team, the default when nothing is configured.

The story it tells: meetings crowd out direct work with families (worst in an inspection-prep fortnight), and a
protected-slot policy (Tue and Thu 09:30-12:30 kept for direct work, from the Monday of week 5) visibly changes
behaviour: practitioners keep those mornings for visits and direct-work hours rise, while one head of service
and a couple of teammates still book over them. The last week holds meetings built to trigger every decline
reason of ``suggest``.

Everything comes from ``numpy.random.default_rng(seed)``: the same arguments give an identical frame.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from ..frame import SourceData, WorkingHours, from_columns
from ..window import Window
from . import demo_data as D

DEMO_START = date(2026, 9, 7)  # a Monday; 8 weeks from here cross the 25 Oct 2026 UK clock change
POLICY_DAY = 28  # the protected-slot policy starts on the Monday of week 5 (start + 28 days)
TEAM_SIZE = 12
SLOT_NAME = "direct-work-mornings"
SLOT_DAYS = (1, 3)  # Tue, Thu
SLOT_START, SLOT_END = 9 * 60 + 30, 12 * 60 + 30  # minutes after local midnight
PART_TIME_HOURS = WorkingHours(days=(0, 1, 2, 3), start=time(8), end=time(16))

_DAY_NS = 86_400 * 10**9
_MINUTE_NS = 60 * 10**9

# Statutory meetings a practitioner is invited to: subject, mean per week, durations (minutes), organiser
# (None: the practitioner chairs it), partner attendees (min, max), chance it is online.
_STATUTORY: tuple[tuple[str, float, tuple[int, ...], str | None, tuple[int, int], float], ...] = (
    ("ICPC - {f} family", 0.12, (90, 120), D.CP_CHAIR, (3, 6), 0.5),
    ("RCPC - {c}", 0.18, (90,), D.CP_CHAIR, (3, 5), 0.5),
    ("Core group - {f} family", 0.3, (60, 90), None, (2, 4), 0.4),
    ("CLA review - {c}", 0.25, (60, 90), D.IRO, (1, 3), 0.4),
    ("LAC review - {c}", 0.07, (60,), D.IRO, (1, 3), 0.4),
    ("Strategy discussion - {c}", 0.3, (45, 60), D.MASH_MANAGER, (2, 4), 0.8),
    ("PEP meeting - {c}", 0.15, (60,), D.VIRTUAL_SCHOOL, (1, 2), 0.3),
    ("FGC - {f} family", 0.05, (120,), D.FGC_COORDINATOR, (1, 2), 0.0),
    ("Court - {h} ({f} family)", 0.04, (180, 240), D.LEGAL, (0, 1), 0.0),
)


def generate(
    people: int = 12, weeks: int = 8, seed: int = 7, start: date = DEMO_START, tz: str = "Europe/London"
) -> SourceData:
    """Build the demo team's calendars for ``weeks`` weeks from ``start`` (local times in ``tz``)."""
    if people < 1:
        raise InputError(f"--people {people}: the demo team needs at least one person")
    if weeks < 1:
        raise InputError(f"--weeks {weeks}: the demo needs at least one week")
    window = Window(start, start + timedelta(days=7 * weeks - 1), tz)
    dice = _Dice(seed)
    team = _make_people(people, dice)
    cal = _Calendar(team, start, dice)
    for week in range(weeks):
        cal.new_week(week, last=week == weeks - 1)
        _schedule_week(cal)
    events = cal.frame(start, tz)
    hours = {p.address: PART_TIME_HOURS for p in team if p.role == "part_time"}
    return SourceData(events=events, people=[p.address for p in team], working_hours=hours, window=window)


def demo_slots_toml(start: date = DEMO_START) -> str:
    """The demo team's protected-slot policy, in the ``[[slot]]`` file format."""
    since = start + timedelta(days=POLICY_DAY)
    return (
        "# The demo team's protected-slot policy: Tuesday and Thursday mornings are kept for direct work.\n"
        "[[slot]]\n"
        f'name = "{SLOT_NAME}"\n'
        'days = ["tue", "thu"]\n'
        f'start = "{SLOT_START // 60:02d}:{SLOT_START % 60:02d}"\n'
        f'end = "{SLOT_END // 60:02d}:{SLOT_END % 60:02d}"\n'
        'allow = ["direct_work", "statutory"]\n'
        f'since = "{since.isoformat()}"\n'
    )


# --- randomness ---------------------------------------------------------------------------------------------


class _Dice:
    """Draws from one numpy generator, buffered so that a million small draws stay cheap."""

    def __init__(self, seed: int) -> None:
        self._rng = np.random.default_rng(seed)
        self._buf: list[float] = []
        self._i = 0

    def random(self) -> float:
        if self._i >= len(self._buf):
            self._buf = self._rng.random(16_384).tolist()
            self._i = 0
        x = self._buf[self._i]
        self._i += 1
        return x

    def chance(self, p: float) -> bool:
        return self.random() < p

    def pick(self, seq: Any) -> Any:
        return seq[int(self.random() * len(seq))]

    def between(self, lo: int, hi: int) -> int:
        """An integer in [lo, hi]."""
        return lo + int(self.random() * (hi - lo + 1))

    def poisson(self, lam: float) -> int:
        # Knuth's method: the rates here are small.
        limit, k, p = math.exp(-lam), 0, self.random()
        while p > limit:
            k += 1
            p *= self.random()
        return k

    def sample(self, seq: Any, k: int) -> list[Any]:
        items = list(seq)
        k = min(k, len(items))
        for i in range(k):
            j = i + int(self.random() * (len(items) - i))
            items[i], items[j] = items[j], items[i]
        return items[:k]

    def weighted(self, pairs: Any) -> Any:
        total = sum(w for _, w in pairs)
        x = self.random() * total
        for value, w in pairs:
            x -= w
            if x < 0:
                return value
        return pairs[-1][0]


# --- the team -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Person:
    idx: int
    address: str
    team: int
    pos: int  # position within the team
    role: str  # manager | practitioner | part_time
    workdays: tuple[int, ...]
    day_start: int  # minutes after local midnight
    day_end: int
    compliance: float  # chance of keeping a protected morning for direct work once the policy starts
    children: tuple[str, ...]  # initials of the children on the caseload
    families: tuple[str, ...]  # family initials ("T" for the T family)


def _make_people(n: int, dice: _Dice) -> list[_Person]:
    names = list(D.TEAM[:n])
    used = {f"{a}.{b}".lower() for a, b in names}
    if n > len(names):
        combos = [(f, last) for f in D.FIRST_NAMES for last in D.LAST_NAMES]
        order = dice.sample(range(len(combos)), len(combos))
        for i in order:
            if len(names) == n:
                break
            key = f"{combos[i][0]}.{combos[i][1]}".lower()
            if key not in used:
                used.add(key)
                names.append(combos[i])
        k = 2
        while len(names) < n:  # more people than name pairs: number them
            f, last = combos[order[len(names) % len(order)]]
            key = f"{f}.{last}{k}".lower()
            if key not in used:
                used.add(key)
                names.append((f, f"{last}{k}"))
            else:
                k += 1
    n_teams = -(-n // TEAM_SIZE)  # teams of at most TEAM_SIZE, as even as possible, in contiguous blocks
    team_of = [i * n_teams // n for i in range(n)]
    first_of: dict[int, int] = {}
    for i, t in enumerate(team_of):
        first_of.setdefault(t, i)
    sizes = Counter(team_of)
    out = []
    for i, (first, last) in enumerate(names):
        team = team_of[i]
        pos = i - first_of[team]
        size = sizes[team]
        role = "practitioner"
        if pos == D.MANAGER_POS and size >= 3:
            role = "manager"
        elif pos == D.PART_TIME_POS:
            role = "part_time"
        local = f"{first}.{last}".lower().replace("'", "")
        compliance = 0.45 if pos in D.SLOT_BREAKER_POS else 0.8 + 0.15 * dice.random()
        children = tuple(f"{dice.pick(D.CHILD_INITIALS)}.{dice.pick(D.CHILD_INITIALS)}." for _ in range(10))
        families = tuple(dice.sample(D.CHILD_INITIALS, 5))
        if role == "part_time":
            workdays, day_start, day_end = PART_TIME_HOURS.days, 8 * 60, 16 * 60
        else:
            workdays, day_start, day_end = (0, 1, 2, 3, 4), 9 * 60, 17 * 60
        out.append(_Person(i, f"{local}@{D.DOMAIN}", team, pos, role, workdays, day_start, day_end,
                           compliance, children, families))
    return out


def _teams(people: list[_Person]) -> list[list[_Person]]:
    teams: dict[int, list[_Person]] = {}
    for p in people:
        teams.setdefault(p.team, []).append(p)
    return [teams[t] for t in sorted(teams)]


# --- the calendar being built -------------------------------------------------------------------------------

_SHOW_AS_FOR = {"organizer": "busy", "accepted": "busy", "tentativelyAccepted": "tentative",
                "notResponded": "tentative", "declined": "free", "none": "busy"}


class _Calendar:
    """Collects event rows (local times) and tracks each person's booked time in the current week."""

    def __init__(self, people: list[_Person], start: date, dice: _Dice) -> None:
        self.people = people
        self.teams = _teams(people)
        self.dice = dice
        self.start_wd = start.weekday()
        self.rows: list[tuple[Any, ...]] = []
        self.busy: dict[tuple[int, int], list[tuple[int, int]]] = {}
        self.leave: dict[int, set[int]] = {}
        self.week = 0
        self.last = False
        self._uid = 0
        staff = {p.address for p in people}
        pool = [f"{f}.{last}@{D.DOMAIN}".lower().replace("'", "")
                for f, last in zip(D.FIRST_NAMES, reversed(D.LAST_NAMES), strict=True)]
        self.council_staff = tuple(a for a in pool if a not in staff)

    # time and state
    def new_week(self, week: int, last: bool) -> None:
        self.week, self.last = week, last
        self.busy = {}
        self.leave = {}

    def day(self, wd: int) -> int:
        """Day offset from the start of the weekday ``wd`` (Monday 0) in the current week."""
        return self.week * 7 + (wd - self.start_wd) % 7

    def policy(self, wd: int) -> bool:
        return self.day(wd) >= POLICY_DAY

    def in_slot(self, wd: int, s: int, e: int) -> bool:
        return wd in SLOT_DAYS and s < SLOT_END and e > SLOT_START and self.policy(wd)

    def is_free(self, p: _Person, wd: int, s: int, e: int) -> bool:
        return all(not (a < e and s < b) for a, b in self.busy.get((p.idx, wd), ()))

    def book(self, p: _Person, wd: int, s: int, e: int) -> None:
        self.busy.setdefault((p.idx, wd), []).append((s, e))

    def on_leave(self, p: _Person, wd: int) -> bool:
        return wd in self.leave.get(p.idx, ())

    def uid(self) -> str:
        self._uid += 1
        return f"demo-{self._uid:07d}@{D.DOMAIN}"

    def find(self, ps: list[_Person], dur: int, *, days: tuple[int, ...] | None = None, lo: int | None = None,
             hi: int | None = None, avoid_slot: bool = False, prefer_slot: bool = False,
             tries: int = 12) -> tuple[int, int] | None:
        """A (weekday, start) when every one of ``ps`` is free for ``dur`` minutes, or None."""
        first = ps[0]
        days = days or tuple(d for d in first.workdays if all(d in p.workdays for p in ps))
        lo = max(p.day_start for p in ps) if lo is None else lo
        hi = min(p.day_end for p in ps) if hi is None else hi
        if not days or hi - lo < dur:
            return None
        for t in range(tries):
            if prefer_slot and t < 4 and dur <= SLOT_END - SLOT_START:
                wd = self.dice.pick(tuple(d for d in SLOT_DAYS if d in days) or days)
                s = SLOT_START + 30 * self.dice.between(0, (SLOT_END - SLOT_START - dur) // 30)
            else:
                wd = self.dice.pick(days)
                s = lo + 30 * self.dice.between(0, (hi - dur - lo) // 30)
            if avoid_slot and self.in_slot(wd, s, s + dur):
                continue
            if all(self.is_free(p, wd, s, s + dur) for p in ps):
                return wd, s
        return None

    # rows
    def add(self, p: _Person, wd: int, s: int, e: int, subject: str, *, organizer: str | None = None,
            others: tuple[str, ...] = (), response: str = "organizer", show_as: str | None = None,
            series: str = "", uid: str = "", cancelled: bool = False, optional: bool = False,
            categories: tuple[str, ...] = (), online: bool = False, location: str = "",
            sensitivity: str = "normal", agenda: bool = True, book: bool = True) -> None:
        """One row for ``p``: a timed event from ``s`` to ``e`` minutes after local midnight of weekday ``wd``."""
        if show_as is None:
            show_as = "free" if cancelled else _SHOW_AS_FOR[response]
        self.rows.append((p.idx, self.day(wd), s, e, False, subject, series, uid or self.uid(), show_as, response,
                          cancelled, optional, others, organizer or p.address, categories, online, location,
                          sensitivity, agenda))
        if book and response != "declined" and not cancelled and show_as != "free":
            self.book(p, wd, s, e)

    def all_day(self, p: _Person, wd: int, days: int, subject: str, show_as: str) -> None:
        self.rows.append((p.idx, self.day(wd), 0, days, True, subject, "", self.uid(), show_as, "organizer",
                          False, False, (), p.address, (), False, "", "normal", True))

    def meeting(self, parts: list[tuple[_Person, str]], wd: int, s: int, e: int, subject: str, organizer: str,
                externals: tuple[str, ...] = (), *, uid: str = "", optional: bool = False,
                **kw: Any) -> None:
        """One meeting seen from each participant's calendar: shared ical_uid, each with their own response."""
        uid = uid or self.uid()
        everyone = list(dict.fromkeys([organizer, *(p.address for p, _ in parts), *externals]))
        for p, response in parts:
            if response not in ("organizer", "declined") and self.on_leave(p, wd):
                response = "declined" if self.dice.chance(0.7) else "notResponded"
            others = tuple(a for a in everyone if a != p.address)
            self.add(p, wd, s, e, subject, organizer=organizer, others=others, response=response, uid=uid,
                     optional=optional and response != "organizer", **kw)

    def invite_response(self, p: _Person, wd: int, accept: float = 0.82, tentative: float = 0.1) -> str:
        x = self.dice.random()
        if x < accept:
            return "accepted"
        if x < accept + tentative:
            return "tentativelyAccepted"
        return "notResponded"

    # the frame
    def frame(self, start: date, tz: str) -> pd.DataFrame:
        cols = list(zip(*self.rows, strict=True)) if self.rows else [()] * 19
        n = len(self.rows)
        pidx = np.asarray(cols[0], dtype=np.int64)
        day = np.asarray(cols[1], dtype=np.int64)
        s = np.asarray(cols[2], dtype=np.int64)
        e = np.asarray(cols[3], dtype=np.int64)
        all_day = np.asarray(cols[4], dtype=bool)
        base = np.datetime64(start, "ns").astype(np.int64)
        local_start = base + day * _DAY_NS + np.where(all_day, 0, s * _MINUTE_NS)
        local_end = base + np.where(all_day, (day + e) * _DAY_NS, day * _DAY_NS + e * _MINUTE_NS)
        start_ns = local_start.copy()  # all-day events keep their dates at 00:00 UTC (frame.py convention)
        end_ns = local_end.copy()
        timed = ~all_day
        start_ns[timed] = _to_utc(local_start[timed], tz)
        end_ns[timed] = _to_utc(local_end[timed], tz)
        order = np.lexsort((end_ns, start_ns, pidx))

        def take(i: int) -> np.ndarray:
            # fromiter keeps tuples as single objects (np.array would build a 2-D array from them)
            return np.fromiter(cols[i], dtype=object, count=n)[order]

        addresses = np.array([p.address for p in self.people], dtype=object)
        attendees = take(12)
        data = {
            "person": addresses[pidx[order]],
            "event_id": [f"demo-{k:06d}" for k in range(n)],
            "series_id": take(6),
            "ical_uid": take(7),
            "subject": take(5),
            "start": pd.to_datetime(start_ns[order], unit="ns", utc=True),
            "end": pd.to_datetime(end_ns[order], unit="ns", utc=True),
            "is_all_day": all_day[order],
            "show_as": take(8),
            "response": take(9),
            "is_cancelled": take(10).astype(bool),
            "is_optional": take(11).astype(bool),
            "attendee_count": np.fromiter((len(a) for a in attendees), dtype=np.int64, count=n),
            "organizer": take(13),
            "outlook_categories": take(14),
            "is_online": take(15).astype(bool),
            "location": take(16),
            "sensitivity": take(17),
            "has_agenda": take(18).astype(bool),
            "attendees": attendees,
        }
        return from_columns(data)


def _to_utc(local_ns: np.ndarray, tz: str) -> np.ndarray:
    """Wall-clock times in ``tz`` (as naive nanoseconds) to UTC nanoseconds."""
    if not len(local_ns):
        return local_ns
    idx = pd.DatetimeIndex(local_ns.view("datetime64[ns]"))
    # No demo event starts in a clock change's missing or repeated hour; these only keep odd zones working.
    aware = idx.tz_localize(tz, ambiguous=np.ones(len(idx), dtype=bool), nonexistent="shift_forward")
    return aware.tz_convert("UTC").tz_localize(None).asi8


# --- one week -----------------------------------------------------------------------------------------------


def _schedule_week(cal: _Calendar) -> None:
    for p in cal.people:
        _leave(cal, p)
    if cal.week % 4 == 1:
        _briefing(cal)
    for team in cal.teams:
        _team_events(cal, team)
    for p in cal.people:
        if p.role == "manager":
            _manager_week(cal, p)
        else:
            _practitioner_week(cal, p)


def _leave(cal: _Calendar, p: _Person) -> None:
    if cal.last and p.pos == D.DEMO_PRACTITIONER_POS:
        return  # the practitioner the suggest demo is about is at work in the last week
    x = cal.dice.random()
    if x < 0.035:
        first, length = p.workdays[0], len(p.workdays)  # a whole week off
    elif x < 0.17:
        first = cal.dice.pick(p.workdays)
        length = min(cal.dice.pick((1, 1, 2, 2, 3, 4)), p.workdays[-1] - first + 1)
    else:
        if cal.dice.chance(0.08):  # working from home / out of the office, not leave
            cal.all_day(p, cal.dice.pick(p.workdays), 1, "Working from home", "workingElsewhere")
        return
    cal.leave[p.idx] = set(range(first, first + length))
    for wd in range(first, first + length):
        cal.book(p, wd, 0, 24 * 60)
    cal.all_day(p, first, length, "Annual leave", "oof")


def _briefing(cal: _Calendar) -> None:
    """The monthly all-staff briefing: optional, hundreds invited, organised outside the team."""
    wd, s = 4, 12 * 60 + 30
    uid = cal.uid()
    everyone = (D.DIRECTOR, *(p.address for p in cal.people), *cal.council_staff)
    for p in cal.people:
        x = cal.dice.random()
        if wd not in p.workdays or cal.on_leave(p, wd) or x < 0.1:
            response = "declined"
        else:
            response = "accepted" if x < 0.4 else "tentativelyAccepted" if x < 0.7 else "notResponded"
        others = tuple(a for a in everyone if a != p.address)
        cal.add(p, wd, s, s + 60, "All staff briefing: Director's update", organizer=D.DIRECTOR, others=others,
                response=response, uid=uid, optional=True, online=True, location=D.TEAMS_ONLINE, book=False)


def _team_events(cal: _Calendar, team: list[_Person]) -> None:
    manager = next((p for p in team if p.role == "manager"), None)
    staff = [p for p in team if p is not manager]
    w, t = cal.week, team[0].team
    # Weekly team meeting: Wednesday 10:00-11:30; one occurrence in 8 moved to Thursday, one cancelled.
    organiser = manager or team[0]
    wd, s, subject, cancelled = 2, 10 * 60, "Team meeting", False
    if w % 8 == 2:
        wd, s = 3, 14 * 60
    elif w % 8 == 5:
        subject, cancelled = "Canceled: Team meeting", True
    parts = [(p, "organizer" if p is organiser else cal.invite_response(p, wd, 0.92, 0.05)) for p in team]
    cal.meeting(parts, wd, s, s + 90, subject, organiser.address, series=f"demo-series-team-meeting-{t}",
                cancelled=cancelled, online=True, location=D.OFFICE_ROOMS[1], categories=("Team",))
    # Weekly performance clinic run by the performance lead: a recurring series costing 6 h a month.
    parts = [(p, cal.invite_response(p, 0, 0.8, 0.1)) for p in team]
    cal.meeting(parts, 0, 14 * 60 + 30, 16 * 60, "Performance clinic", D.PERFORMANCE_LEAD, (D.PRINCIPAL_SW,),
                series=f"demo-series-performance-clinic-{t}", online=True, location=D.TEAMS_ONLINE)
    # Monthly supervision, 1:1 with the manager.
    if manager is not None:
        for k, p in enumerate(staff):
            if w % 4 != k % 4:
                continue
            wd = (0, 2, 4)[(k // 4) % 3]  # at most three supervisions a week, on different days
            if wd not in p.workdays:
                wd = 0
            s = {0: 11 * 60, 2: 14 * 60, 4: 10 * 60}[wd]
            cal.meeting([(manager, "organizer"), (p, "accepted")], wd, s, s + 90, f"Supervision - {_name(p)}",
                        manager.address, location=D.OFFICE_ROOMS[0], sensitivity="private",
                        categories=("Supervision",))
    # Project Phoenix steering, a fortnightly one-off from the head of service that ignores the policy.
    if w % 2 == 0 or cal.last:
        invited = ([manager] if manager else []) + cal.dice.sample(staff, 3)
        if cal.last:
            invited += [p for p in staff if p.pos == D.DEMO_PRACTITIONER_POS and p not in invited]
        post = cal.policy(3)
        if post:
            wd, s = cal.dice.pick(SLOT_DAYS), cal.dice.pick((10 * 60, 11 * 60))
            if cal.last:
                wd, s = 3, 10 * 60
        else:
            wd, s = cal.dice.pick((1, 2, 3, 4)), cal.dice.pick((10 * 60, 11 * 60, 14 * 60))
        parts = [(p, "declined" if post and cal.dice.chance(0.3) else cal.invite_response(p, wd)) for p in invited]
        if cal.last:
            parts = [(p, "accepted" if p.pos == D.DEMO_PRACTITIONER_POS else r) for p, r in parts]
        cal.meeting(parts, wd, s, s + 60, "Project Phoenix steering", D.HEAD_OF_SERVICE, (D.QA_LEAD, D.PRINCIPAL_SW),
                    online=True, location=D.OFFICE_ROOMS[2], categories=("Projects",))
    if w % 26 in (2, 3):
        _inspection_prep(cal, team, manager)
    # A core group co-worked by two teammates: same meeting in both calendars.
    for a, b in zip(staff[0::2], staff[1::2], strict=False):
        if cal.dice.chance(0.25):
            found = cal.find([a, b], 90)
            if found:
                wd, s = found
                f = cal.dice.pick(a.families)
                cal.meeting([(a, "organizer"), (b, cal.invite_response(b, wd, 0.9, 0.1))], wd, s, s + 90,
                            f"Core group - {f} family", a.address, tuple(cal.dice.sample(D.PARTNERS, 3)),
                            online=cal.dice.chance(0.4), location=D.OFFICE_ROOMS[0], sensitivity="private",
                            categories=("Statutory",))
    if cal.last:
        _decline_bait_shared(cal, team, staff)


def _inspection_prep(cal: _Calendar, team: list[_Person], manager: _Person | None) -> None:
    """The inspection-prep fortnight: extra meetings that crowd out visits (and the Tue/Thu mornings)."""
    first = cal.week % 26 == 2
    wd, s = (1, 9 * 60 + 30) if first else (3, 10 * 60)
    cal.meeting([(p, cal.invite_response(p, wd, 0.9, 0.05)) for p in team], wd, s, s + 120,
                "Inspection prep - case file audit", D.QA_LEAD, (D.PRINCIPAL_SW,), location=D.OFFICE_ROOMS[2])
    wd, s = (3, 11 * 60) if first else (1, 10 * 60)
    cal.meeting([(p, cal.invite_response(p, wd, 0.85, 0.1)) for p in team], wd, s, s + 90,
                "Ofsted readiness workshop", D.QA_LEAD, (D.PRINCIPAL_SW, D.HEAD_OF_SERVICE), online=True,
                location=D.TEAMS_ONLINE)
    if manager is not None:
        for wd, s in ((0, 9 * 60 + 30), (4, 11 * 60)):
            parts = [(p, "organizer" if p is manager else cal.invite_response(p, wd)) for p in team]
            cal.meeting(parts, wd, s, s + 60, "Inspection prep: practice evidence", manager.address,
                        location=D.OFFICE_ROOMS[1])


def _decline_bait_shared(cal: _Calendar, team: list[_Person], staff: list[_Person]) -> None:
    """Last-week meetings shared by teammates, built to trigger suggest's decline reasons."""
    demo = [p for p in staff if p.pos == D.DEMO_PRACTITIONER_POS]
    others = [p for p in staff if p.pos != D.DEMO_PRACTITIONER_POS]
    # Large: a partnership forum with more than 8 attendees, organised outside the team.
    invited = demo + cal.dice.sample(others, 4)
    externals = (D.HEAD_OF_SERVICE, *D.HEALTH[:3], *D.POLICE[:2], *D.SCHOOLS[:3])
    cal.meeting([(p, cal.invite_response(p, 0, 0.9, 0.1)) for p in invited], 0, 13 * 60, 14 * 60 + 30,
                "Partnership forum: neglect strategy", D.PRINCIPAL_SW, externals, location=D.OFFICE_ROOMS[2])
    # Optional: a lunch-and-learn for the whole team.
    cal.meeting([(p, cal.invite_response(p, 2, 0.5, 0.3)) for p in team], 2, 12 * 60 + 30, 13 * 60 + 30,
                "Lunch and learn: new case recording form", D.BUSINESS_SUPPORT, (D.PRINCIPAL_SW,), optional=True,
                online=True, location=D.TEAMS_ONLINE)
    # A teammate already accepted: a professionals meeting two colleagues were both invited to.
    if demo and others:
        mate = cal.dice.pick(others)
        f = cal.dice.pick(demo[0].families)
        cal.meeting([(demo[0], "notResponded"), (mate, "accepted")], 4, 10 * 60, 11 * 60,
                    f"Professionals meeting - {f} family", D.SCHOOLS[0], (D.HEALTH[0],), location="School")
    # After hours: an evening locality event.
    invited = demo + cal.dice.sample(others, 3)
    cal.meeting([(p, cal.invite_response(p, 2, 0.8, 0.2)) for p in invited], 2, 18 * 60, 19 * 60 + 30,
                "Locality network evening", D.HEAD_OF_SERVICE, (D.PRINCIPAL_SW, *D.SCHOOLS[1:3]),
                location="Demo Community Hub")


def _name(p: _Person) -> str:
    first, last = p.address.split("@")[0].split(".", 1)
    return f"{first.capitalize()} {last.capitalize()}"


# --- one person's week --------------------------------------------------------------------------------------


def _practitioner_week(cal: _Calendar, p: _Person) -> None:
    dice = cal.dice
    scale = len(p.workdays) / 5
    inspection = cal.week % 26 in (2, 3)
    if cal.last and (p.pos == D.DEMO_PRACTITIONER_POS or dice.chance(0.5)):
        _decline_bait_personal(cal, p)
    if dice.chance(0.1 * scale):
        _training(cal, p)
    # Protected mornings: once the policy starts, most practitioners keep Tue/Thu mornings for visits.
    for wd in SLOT_DAYS:
        if wd in p.workdays and cal.policy(wd) and not cal.on_leave(p, wd) and dice.chance(p.compliance):
            _protected_morning(cal, p, wd)
    # Statutory meetings land wherever the chair can get everyone; they are allowed in protected slots.
    for subject, rate, durations, organiser, (lo, hi), online in _STATUTORY:
        for _ in range(dice.poisson(rate * scale)):
            _statutory(cal, p, subject, durations, organiser, lo, hi, online)
    # Other meetings: before the policy they often land on Tue/Thu mornings; after it, most organisers avoid them.
    for _ in range(dice.poisson((2.2 if inspection else 1.6) * scale)):
        _other_meeting(cal, p)
    # Home visits and direct work: fewer in busy weeks, squeezed in around the meetings.
    n_visits = dice.poisson((4.0 if inspection else 7.0) * scale)
    for _ in range(n_visits):
        _visit(cal, p, dice.pick(p.workdays), None)
    for _ in range(dice.between(2, 3)):
        _recording(cal, p)
    _extras(cal, p)


def _manager_week(cal: _Calendar, p: _Person) -> None:
    dice = cal.dice
    cal.add(p, 0, 10 * 60, 11 * 60, "Allocation meeting", others=(D.MASH_MANAGER, D.PRINCIPAL_SW),
            location=D.OFFICE_ROOMS[0], online=True, agenda=True)
    cal.meeting([(p, "accepted")], 1, 14 * 60, 16 * 60, "Service managers meeting", D.HEAD_OF_SERVICE,
                (D.PRINCIPAL_SW, D.QA_LEAD, D.PERFORMANCE_LEAD), location=D.OFFICE_ROOMS[2])
    if cal.week % 2 == 1:
        cal.meeting([(p, "accepted")], 3, 14 * 60, 15 * 60 + 30, "Legal gateway panel", D.LEGAL,
                    (D.HEAD_OF_SERVICE,), online=True, location=D.TEAMS_ONLINE)
    for subject, rate, durations, organiser, (lo, hi), online in _STATUTORY[:6]:
        for _ in range(dice.poisson(rate * 0.6)):
            _statutory(cal, p, subject, durations, organiser, lo, hi, online)
    for _ in range(dice.poisson(2.5)):
        _other_meeting(cal, p)
    for _ in range(dice.poisson(1.0)):
        _visit(cal, p, dice.pick(p.workdays), None)
    for _ in range(2):
        found = cal.find([p], 90, avoid_slot=True)
        if found:
            wd, s = found
            cal.add(p, wd, s, s + 90, "Recording - management oversight", categories=("Admin",))
    _extras(cal, p)


def _protected_morning(cal: _Calendar, p: _Person, wd: int) -> None:
    dice = cal.dice
    dur = dice.pick((75, 90, 90, 120))
    found = cal.find([p], dur, days=(wd,), lo=SLOT_START, hi=SLOT_END, tries=6)
    if not found:
        return
    _visit(cal, p, wd, found[1], dur)
    if dice.chance(0.85):
        dur = dice.pick((60, 75, 90))
        second = cal.find([p], dur, days=(wd,), lo=SLOT_START, hi=SLOT_END, tries=6)
        if second:
            _visit(cal, p, wd, second[1], dur, travel=False)


def _visit(cal: _Calendar, p: _Person, wd: int, s: int | None, dur: int | None = None,
           travel: bool = True) -> None:
    """A home visit or direct-work session, with travel either side when there is room."""
    dice = cal.dice
    dur = dur or dice.pick((60, 75, 90, 90, 120))
    if s is None:
        if cal.on_leave(p, wd):
            return
        # Families are seen after school too: a few visits end after working hours.
        hi = p.day_end + (90 if dice.chance(0.08) else 0)
        found = cal.find([p], dur, days=(wd,), hi=hi, tries=8) or cal.find([p], dur, hi=hi, tries=12)
        if not found:
            return
        wd, s = found
    template = dice.weighted(D.VISITS)
    subject = template.format(c=dice.pick(p.children), f=dice.pick(p.families))
    cancelled = dice.chance(0.03)
    if cancelled:
        subject = f"Canceled: {subject}"
    cal.add(p, wd, s, s + dur, subject, categories=("Direct work",) if dice.chance(0.6) else (),
            location=dice.pick(D.VISIT_PLACES), sensitivity="private" if dice.chance(0.4) else "normal",
            cancelled=cancelled)
    if not travel or cancelled:
        return
    for before in (True, False):
        if dice.chance(0.55 if before else 0.4):
            t = dice.pick((20, 30, 30, 45))
            a, b = (s - t, s) if before else (s + dur, s + dur + t)
            if cal.is_free(p, wd, a, b) and not cal.in_slot(wd, a, b):
                cal.add(p, wd, a, b, "Travel to visit" if before else "Travel back to office",
                        categories=("Travel",) if dice.chance(0.3) else ())


def _statutory(cal: _Calendar, p: _Person, subject: str, durations: tuple[int, ...], organiser: str | None,
               lo: int, hi: int, online: float) -> None:
    dice = cal.dice
    dur = dice.pick(durations)
    found = cal.find([p], dur)
    if not found:
        return
    wd, s = found
    text = subject.format(c=dice.pick(p.children), f=dice.pick(p.families), h=dice.pick(D.COURT_HEARINGS))
    externals = tuple(dice.sample(D.PARTNERS, dice.between(lo, hi)))
    is_online = dice.chance(online)
    where = D.TEAMS_ONLINE if is_online else D.COURT if text.startswith("Court") else dice.pick(D.OFFICE_ROOMS)
    sensitivity = "private" if dice.chance(0.5) else "normal"
    categories = ("Statutory",) if dice.chance(0.4) else ()
    if organiser is None:
        cal.add(p, wd, s, s + dur, text, others=externals, online=is_online, location=where,
                sensitivity=sensitivity, categories=categories)
    else:
        cal.meeting([(p, cal.invite_response(p, wd, 0.85, 0.1))], wd, s, s + dur, text, organiser, externals,
                    online=is_online, location=where, sensitivity=sensitivity, categories=categories)


def _other_meeting(cal: _Calendar, p: _Person) -> None:
    """A non-statutory meeting: vague catch-ups, case discussions, project work."""
    dice = cal.dice
    team = cal.teams[p.team]
    mates = [q for q in team if q is not p]
    policy_on = cal.policy(1)
    breaker = p.pos in D.SLOT_BREAKER_POS and policy_on and dice.chance(0.5)
    vague = dice.chance(0.55)
    dur = dice.pick((30, 30, 60)) if vague else dice.pick((60, 60, 90))
    if breaker:  # a colleague who still books catch-ups over the protected mornings
        found = cal.find([p], dur, days=SLOT_DAYS, lo=SLOT_START, hi=SLOT_END, tries=6)
    else:
        found = cal.find([p], dur, avoid_slot=True, prefer_slot=not policy_on and dice.chance(0.5))
    if not found:
        return
    wd, s = found
    if vague:
        subject = dice.pick(D.VAGUE) if dice.chance(0.85) else "FYI: new form"
    else:
        subject = dice.pick(("Case discussion - {c}", "Peer reflective session", "Practice standards working group",
                             "Duty rota planning")).format(c=dice.pick(p.children))
    organised = breaker or (mates and not subject.startswith("FYI") and dice.chance(0.35))
    if organised and mates:
        guest = dice.pick(mates)
        if cal.is_free(guest, wd, s, s + dur):
            cal.meeting([(p, "organizer"), (guest, cal.invite_response(guest, wd))], wd, s, s + dur, subject,
                        p.address, agenda=not vague, online=dice.chance(0.6), location=D.TEAMS_ONLINE)
            return
    organiser = dice.pick(cal.council_staff)
    cancelled = dice.chance(0.08)
    declined = not cancelled and dice.chance(0.15)
    response = "declined" if declined else cal.invite_response(p, wd)
    show_as = "free" if subject.startswith("FYI") else None
    cal.meeting([(p, response)], wd, s, s + dur, f"Canceled: {subject}" if cancelled else subject, organiser,
                tuple(dice.sample(cal.council_staff, dice.between(0, 3))), cancelled=cancelled, show_as=show_as,
                agenda=not vague, online=dice.chance(0.7), location=D.TEAMS_ONLINE)


def _recording(cal: _Calendar, p: _Person) -> None:
    dice = cal.dice
    dur = dice.pick((60, 90, 120))
    found = cal.find([p], dur, avoid_slot=True)
    if found:
        wd, s = found
        subject = dice.pick(D.RECORDING).format(c=dice.pick(p.children))
        cal.add(p, wd, s, s + dur, subject, categories=("Admin",) if dice.chance(0.3) else ())


def _training(cal: _Calendar, p: _Person) -> None:
    dice = cal.dice
    full = dice.chance(0.4)
    dur = 390 if full else 180
    found = cal.find([p], dur, lo=9 * 60 + 30, hi=16 * 60 + 30 if full else 13 * 60, avoid_slot=True)
    if found:
        wd, s = found
        cal.meeting([(p, "accepted")], wd, s, s + dur, dice.pick(D.TRAINING), D.LEARNING,
                    tuple(dice.sample(cal.council_staff, dice.between(6, 14))), location=D.OFFICE_ROOMS[2],
                    categories=("Training",))


def _extras(cal: _Calendar, p: _Person) -> None:
    """After-hours recording, a double booking, a free hold: the texture of a real calendar."""
    dice = cal.dice
    days = [d for d in p.workdays if not cal.on_leave(p, d)]
    if not days:
        return
    if dice.chance(0.3):
        wd, s = dice.pick(days), p.day_end + 60 * dice.between(1, 3)
        cal.add(p, wd, s, s + dice.pick((60, 90)), "Recording - case notes", categories=("Admin",))
    if dice.chance(0.3):  # a call booked on top of something already in the diary
        wd = dice.pick(days)
        booked = cal.busy.get((p.idx, wd), [])
        booked = [iv for iv in booked if iv[1] - iv[0] < 24 * 60]
        if booked:
            a, _ = dice.pick(booked)
            cal.meeting([(p, cal.invite_response(p, wd, 0.5, 0.5))], wd, a + 30, a + 60, "Quick sync",
                        dice.pick(cal.council_staff), agenda=False, online=True, location=D.TEAMS_ONLINE,
                        book=False)
    if dice.chance(0.2):
        found = cal.find([p], 60, lo=12 * 60, hi=14 * 60)
        if found:
            wd, s = found
            cal.add(p, wd, s, s + 60, "Hold - reflective practice", show_as="free")


def _decline_bait_personal(cal: _Calendar, p: _Person) -> None:
    """Last-week meetings in one calendar: no clear purpose, double-booked with a home visit."""
    if cal.on_leave(p, 1) or cal.on_leave(p, 0):
        return
    c = cal.dice.pick(p.children)
    cal.add(p, 1, 14 * 60, 15 * 60 + 30, f"HV - {c}", location="Family home", sensitivity="private",
            categories=("Direct work",))
    cal.meeting([(p, "accepted")], 1, 14 * 60 + 30, 15 * 60, "Quick sync", D.PRINCIPAL_SW, agenda=False,
                online=True, location=D.TEAMS_ONLINE, book=False)
    cal.meeting([(p, "tentativelyAccepted")], 0, 11 * 60 + 30, 12 * 60, "Catch up", D.BUSINESS_SUPPORT,
                agenda=False, online=True, location=D.TEAMS_ONLINE)

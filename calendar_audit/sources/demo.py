"""The demo source: a deterministic synthetic children's social care team, the default when nothing is configured.

The story it tells: meetings crowd out direct work with families (worst in an inspection-prep fortnight), and a
protected-slot policy (Tue and Thu 09:30-12:30 kept for direct work, from the Monday of week 5) visibly changes
behaviour: practitioners keep those mornings for visits and direct-work hours rise, while the head of service
and a couple of teammates still book over them. The last week holds meetings built to trigger every decline
reason of ``suggest``.

Everything comes from ``numpy.random.default_rng(seed)``: the same arguments give an identical frame. The
calendars are planned on a grid of 15-minute cells for every person and week at once, so 500 people over a year
take seconds, not minutes.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, time, timedelta
from string import Formatter
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

CELL = 15  # minutes per planning cell
_FIRST_CELL = 28  # 07:00: the occupancy bitmask covers 07:00-23:00, where every timed demo event falls
_S0, _S1 = SLOT_START // CELL, SLOT_END // CELL
_DAY_NS = 86_400 * 10**9
_MINUTE_NS = 60 * 10**9
RESPONSES = np.array(["organizer", "accepted", "tentativelyAccepted", "notResponded", "declined"], dtype=object)
ORG, ACC, TENT, NORESP, DECL = range(5)
_SHOW_FOR = np.array(["busy", "busy", "tentative", "tentative", "free"], dtype=object)

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
_OTHER_SUBJECTS = ("Case discussion - {c}", "Peer reflective session", "Practice standards working group",
                   "Duty rota planning")


def generate(
    people: int = 12, weeks: int = 8, seed: int = 7, start: date = DEMO_START, tz: str = "Europe/London"
) -> SourceData:
    """Build the demo team's calendars for ``weeks`` weeks from ``start`` (local times in ``tz``)."""
    if people < 1:
        raise InputError(f"--people {people}: the demo team needs at least one person")
    if weeks < 1:
        raise InputError(f"--weeks {weeks}: the demo needs at least one week")
    window = Window(start, start + timedelta(days=7 * weeks - 1), tz)
    rng = np.random.default_rng(seed)
    team = _make_people(people, rng)
    plan = _Plan(team, weeks, start, rng)
    plan.build()
    events = plan.frame(start, tz)
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


# --- the team -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Person:
    idx: int
    address: str
    name: str
    team: int
    pos: int  # position within the team
    role: str  # manager | practitioner | part_time
    compliance: float  # chance of keeping a protected morning for direct work once the policy starts
    children: tuple[str, ...]  # initials of the children on the caseload
    families: tuple[str, ...]  # family initials ("T" for the T family)


def _make_people(n: int, rng: np.random.Generator) -> list[_Person]:
    names = list(D.TEAM[:n])
    used = {f"{a}.{b}".lower() for a, b in names}
    if n > len(names):
        combos = [(f, last) for f in D.FIRST_NAMES for last in D.LAST_NAMES]
        order = rng.permutation(len(combos)).tolist()
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
            if key in used:
                k += 1
                continue
            used.add(key)
            names.append((f, f"{last}{k}"))
    n_teams = -(-n // TEAM_SIZE)  # teams of at most TEAM_SIZE, as even as possible, in contiguous blocks
    team_of = [i * n_teams // n for i in range(n)]
    first_of: dict[int, int] = {}
    for i, t in enumerate(team_of):
        first_of.setdefault(t, i)
    sizes = Counter(team_of)
    compliance = 0.8 + 0.15 * rng.random(n)
    letters = np.array(list(D.CHILD_INITIALS))
    initials = rng.choice(letters, size=(n, 10, 2))
    families = rng.random((n, len(letters))).argsort(axis=1)[:, :5]
    pairs = initials.tolist()  # str, not numpy scalars: formatting them is many times faster
    out = []
    for i, (first, last) in enumerate(names):
        team = team_of[i]
        pos = i - first_of[team]
        role = "practitioner"
        if pos == D.MANAGER_POS and sizes[team] >= 3:
            role = "manager"
        elif pos == D.PART_TIME_POS:
            role = "part_time"
        local = f"{first}.{last}".lower().replace("'", "")
        out.append(_Person(
            i, f"{local}@{D.DOMAIN}", f"{first} {last}", team, pos, role,
            0.45 if pos in D.SLOT_BREAKER_POS else float(compliance[i]),
            tuple(f"{a}.{b}." for a, b in pairs[i]), tuple(letters[families[i]]),
        ))
    return out


# --- the plan -----------------------------------------------------------------------------------------------


def _col(value: Any, n: int) -> np.ndarray:
    """A column of ``n`` values from an array, a list or one value (a tuple is one value)."""
    if isinstance(value, np.ndarray):
        return value
    if isinstance(value, list):
        return np.fromiter(value, dtype=object, count=n)
    out = np.empty(n, dtype=object)
    out.fill(value)  # the one object in every row, as fromiter(repeat(value, n)) gave, a quarter of the time
    return out


def _either(x: np.ndarray, yes: Any, no: Any) -> np.ndarray:
    """An object column: ``yes`` where x holds, else ``no`` (a tuple is one value)."""
    pair = np.empty(2, dtype=object)
    pair[0], pair[1] = no, yes
    return pair[x.astype(np.intp)]


def _mask(s: np.ndarray, dur: np.ndarray) -> np.ndarray:
    """The occupancy bits of dur cells from cell s."""
    ones = (np.uint64(1) << dur.astype(np.uint64)) - np.uint64(1)
    return ones << (s - _FIRST_CELL).clip(0, 63).astype(np.uint64)


_MASKS = _mask(np.arange(128)[:, None], np.arange(65)[None, :])  # [start cell, cells]: every mask the demo books


class _Plan:
    """Plans every person's calendar on a grid of 15-minute cells, all weeks at once."""

    def __init__(self, people: list[_Person], weeks: int, start: date, rng: np.random.Generator) -> None:
        self.people, self.weeks, self.rng = people, weeks, rng
        n = len(people)
        self.P = np.arange(n)
        self.addr = np.array([p.address for p in people], dtype=object)
        self.team = np.array([p.team for p in people])
        self.pos = np.array([p.pos for p in people])
        self.manager = np.array([p.role == "manager" for p in people])
        self.part = np.array([p.role == "part_time" for p in people])
        self.nd = np.where(self.part, 4, 5)  # working days are Mon..Thu or Mon..Fri
        self.lo = np.where(self.part, 32, 36)  # first and last working cell (08:00-16:00 or 09:00-17:00)
        self.hi = np.where(self.part, 64, 68)
        self.compliance = np.array([p.compliance for p in people])
        self.demo_person = (self.pos == D.DEMO_PRACTITIONER_POS) & ~self.manager
        self.breaker = np.isin(self.pos, D.SLOT_BREAKER_POS) & ~self.manager
        members: dict[int, list[int]] = {}
        for p in people:
            members.setdefault(p.team, []).append(p.idx)
        self.members = [np.array(members[t]) for t in sorted(members)]
        self.team_sizes = np.array([len(m) for m in self.members])
        self.roster = np.full((len(self.members), int(self.team_sizes.max())), -1)  # [team, i]: members[team][i]
        for t, m in enumerate(self.members):
            self.roster[t, :len(m)] = m
        self.team_manager = np.array([m[0] if self.manager[m[0]] else -1 for m in self.members])
        start_wd = start.weekday()
        offsets = np.arange(weeks)[:, None] * 7 + (np.arange(7)[None, :] - start_wd) % 7
        self.policy = offsets >= POLICY_DAY  # [week, weekday]
        # Booked cells of each person, week and weekday as bits: bit i is cell _FIRST_CELL + i.
        self.occ = np.zeros((n, weeks, 7), dtype=np.uint64)
        self.leave = np.zeros((n, weeks, 7), dtype=bool)
        self.blocks: list[dict[str, Any]] = []
        staff = set(self.addr.tolist())
        pool = [f"{f}.{last}@{D.DOMAIN}".lower().replace("'", "")
                for f, last in zip(D.FIRST_NAMES, reversed(D.LAST_NAMES), strict=True)]
        self.council = tuple(a for a in pool if a not in staff)
        self._tables()

    def _tables(self) -> None:
        """Subjects and attendee lists drawn from per-person tables, so rows are picked, not formatted."""
        people = self.people
        self.alone = _col([(a,) for a in self.addr], len(people))  # each person as the only other attendee
        self.team_others = _col([tuple(self.addr[m][self.addr[m] != p.address]) for p, m in
                                 ((p, self.members[p.team]) for p in people)], len(people))
        self.clinic_others = _col([(D.PERFORMANCE_LEAD, *t, D.PRINCIPAL_SW) for t in self.team_others],
                                  len(people))
        every = (D.DIRECTOR, *self.addr.tolist(), *self.council)
        places: dict[str, list[int]] = {}
        for i, a in enumerate(every):
            places.setdefault(a, []).append(i)

        def without(a: str) -> tuple[str, ...]:  # every address but a: two slices when a is there once
            if len(places.get(a, ())) == 1:
                return every[:places[a][0]] + every[places[a][0] + 1:]
            return tuple(x for x in every if x != a)

        self.briefing_others = _col([without(p.address) for p in people], len(people))
        n = len(people)
        # What a subject template can use, for every [person, case]: child, family and hearing, each also as a
        # code for its distinct values, so each distinct subject is formatted once and the cells take it.
        fields = {
            "c": np.array([p.children for p in people], dtype=object).reshape(n, 10),
            "f": np.array([[p.families[i % 5] for i in range(10)] for p in people], dtype=object).reshape(n, 10),
            "h": np.array([[D.COURT_HEARINGS[i % 3] for i in range(10)]] * n, dtype=object).reshape(n, 10),
        }
        codes = {k: np.unique(v.ravel(), return_inverse=True)[1].ravel() for k, v in fields.items()}

        def table(template: str) -> np.ndarray:
            used = {re.match(r"\w*", name).group() for _, name, _, _ in Formatter().parse(template) if name}
            key = np.zeros(n * 10, dtype=np.int64)
            for k in sorted(used & fields.keys()):
                key = key * (int(codes[k].max()) + 1) + codes[k]
            _, first, which = np.unique(key, return_index=True, return_inverse=True)
            c, f, h = (fields[k].ravel()[first] for k in "cfh")
            texts = [template.format(c=a, f=b, h=x) for a, b, x in zip(c, f, h, strict=True)]
            return np.array(texts, dtype=object)[which.ravel()].reshape(n, 10)

        self.visit_tables = np.stack([table(t) for t, _ in D.VISITS])  # [kind, person, case]
        w = np.array([w for _, w in D.VISITS], dtype=float)
        self.visit_weights = np.cumsum(w / w.sum())
        self.statutory_tables = [table(s[0]) for s in _STATUTORY]
        self.recording_tables = np.stack([table(t) for t in D.RECORDING])
        self.other_tables = np.stack([table(t) for t in _OTHER_SUBJECTS])
        self.hv_table = table("HV - {c}")
        # Partner attendee lists for each statutory kind: [size, variant] -> (organiser?, partners...)
        self.partner_sets = []
        for _, _, _, organiser, (_, hi), _ in _STATUTORY:
            sets = np.empty((hi + 1, 16), dtype=object)
            for size in range(hi + 1):
                for v in range(16):
                    chosen = self.rng.permutation(len(D.PARTNERS))[:size]
                    head = (organiser,) if organiser else ()
                    sets[size, v] = head + tuple(D.PARTNERS[i] for i in chosen)
            self.partner_sets.append(sets)
        council = self.council
        self.council_sets = np.empty((len(council), 4), dtype=object)
        for o in range(len(council)):
            for size in range(4):
                rest = [council[(o + 1 + 7 * j) % len(council)] for j in range(size)]
                self.council_sets[o, size] = (council[o], *rest)

    # --- primitives --------------------------------------------------------------------------------------
    def draw(self, *shape: int) -> np.ndarray:
        return self.rng.random(shape)

    def respond(self, n: int, accept: float = 0.82, tentative: float = 0.1) -> np.ndarray:
        x = self.draw(n)
        return np.where(x < accept, ACC, np.where(x < accept + tentative, TENT, NORESP))

    def in_slot(self, w: np.ndarray, d: np.ndarray, s: np.ndarray, e: np.ndarray) -> np.ndarray:
        return ((d == 1) | (d == 3)) & (s < _S1) & (e > _S0) & self.policy[w, d]

    @staticmethod
    def mask(s: np.ndarray, dur: np.ndarray) -> np.ndarray:
        """The occupancy bits of dur cells from cell s (looked up when in the table: one pass instead of seven)."""
        if s.size and s.min() >= 0 and s.max() < _MASKS.shape[0] and dur.min() >= 0 and dur.max() < _MASKS.shape[1]:
            return _MASKS[s, dur]
        return _mask(s, dur)

    def is_free(self, p: np.ndarray, w: np.ndarray, d: np.ndarray, s: np.ndarray, dur: np.ndarray) -> np.ndarray:
        """Whether p is free for dur cells from s (arrays of one shape)."""
        return (self.occ[p, w, d] & self.mask(s, dur)) == 0

    def book(self, p: np.ndarray, w: np.ndarray, d: np.ndarray, s: np.ndarray, dur: np.ndarray) -> None:
        np.bitwise_or.at(self.occ.reshape(-1), (p * self.weeks + w) * 7 + d, self.mask(s, dur))  # a flat view

    def place(self, p: np.ndarray, w: np.ndarray, dur: np.ndarray, *, day: np.ndarray | None = None,
              lo: np.ndarray | None = None, hi: np.ndarray | None = None, avoid_slot: Any = False,
              prefer_slot: Any = False, also: np.ndarray | None = None,
              tries: int = 10) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For each candidate, a (weekday, start cell) where p (and ``also``) are free for dur cells: ok, d, s.

        Each candidate takes the first of its ``tries`` proposals that fits (when none fits: not ok, and the first
        proposal). All proposals are drawn up front, so the generator's sequence does not depend on the diaries;
        they are checked a few columns at a time, and only for the candidates still looking: most find room in
        the first or second, and checking every proposal cost most of the build.
        """
        n = len(p)
        lo = self.lo[p] if lo is None else np.broadcast_to(lo, n)
        hi = self.hi[p] if hi is None else np.broadcast_to(hi, n)
        u = self.draw(n, tries, 2)
        span = (hi - dur - lo) // 2 + 1  # starts on the half hour
        steps = np.maximum(span, 1)
        prefer = np.broadcast_to(prefer_slot, n) & (dur <= _S1 - _S0)
        avoid = np.broadcast_to(avoid_slot, n)
        days = self.nd[p] if day is None else day
        occ = self.occ.reshape(-1)  # a view: occ[p, w, d] is occ[monday + d]
        monday = (p * self.weeks + w) * 7
        also_monday = None if also is None else (also * self.weeks + w) * 7
        ok = np.zeros(n, dtype=bool)
        out_d = out_s = np.zeros(n, dtype=int)
        rows = np.arange(n)
        at: slice | np.ndarray = slice(None)  # the candidates still looking (the first columns: all, no copies)
        j0 = 0
        for j1 in sorted({min(j, tries) for j in (1, 2, 4, 8, *range(16, tries + 16, 16))}):
            # Proposals j0..j1 of the candidates still looking: d[i, j] and s[i, j] depend only on u[i, j] and
            # candidate i, so they are the values that checking every proposal at once gives.
            uu, du = u[at, j0:j1], dur[at, None]
            d = (uu[..., 0] * days[at, None]).astype(int) if day is None else np.repeat(days[at, None], j1 - j0, 1)
            s = lo[at, None] + 2 * (uu[..., 1] * steps[at, None]).astype(int)
            if j0 < 4 and prefer[at].any():  # the first four proposals are Tue/Thu mornings
                first = prefer[at, None] & (np.arange(j0, j1) < 4)[None, :]
                slot_d = np.where(uu[..., 0] < 0.5, 1, 3)
                slot_s = _S0 + 2 * (uu[..., 1] * ((_S1 - _S0 - du) // 2 + 1)).astype(int)
                d, s = np.where(first, slot_d, d), np.where(first, slot_s, s)
            if j0 == 0:
                out_d, out_s = d[:, 0].copy(), s[:, 0].copy()
            bits = self.mask(s, du)
            valid = (occ[monday[at, None] + d] & bits) == 0
            valid &= (span[at] > 0)[:, None]
            if avoid[at].any():
                valid &= ~(avoid[at, None] & self.in_slot(w[at, None], d, s, s + du))
            if also_monday is not None:
                valid &= (occ[also_monday[at, None] + d] & bits) == 0
            found = valid.any(1)
            pick = valid[found].argmax(1)
            hit = rows[found]
            ok[hit] = True
            out_d[hit] = d[found, pick]
            out_s[hit] = s[found, pick]
            rows = rows[~found & (span[at] > 0)]
            at, j0 = rows, j1
            if not len(rows):
                break
        return ok, out_d, out_s

    def emit(self, p: np.ndarray, w: np.ndarray, d: np.ndarray, s: np.ndarray, e: np.ndarray, subject: Any,
             *, response: Any = ORG, organizer: Any = None, others: Any = (), uid: Any = None, series: Any = "",
             show_as: Any = None, cancelled: Any = False, optional: Any = False, categories: Any = (),
             online: Any = False, location: Any = "", sensitivity: Any = "normal", agenda: Any = True,
             book: bool = True, all_day: bool = False) -> None:
        """Rows for people p in weeks w on weekdays d, from cell s to e (all-day: e is the number of days)."""
        n = len(p)
        if not n:
            return
        response = np.broadcast_to(np.asarray(response), n).copy()
        if not all_day:  # an invitation on a leave day is declined or left unanswered; on a day off, declined
            invited = (response != ORG) & (response != DECL)
            away = self.leave[p, w, d] & invited
            if away.any():
                response[away] = np.where(self.draw(int(away.sum())) < 0.7, DECL, NORESP)
            response[invited & (d >= self.nd[p])] = DECL
        cancelled = np.broadcast_to(np.asarray(cancelled, dtype=bool), n)
        optional = np.broadcast_to(np.asarray(optional, dtype=bool), n) & (response != ORG)
        shown = _SHOW_FOR[response] if show_as is None else _col(show_as, n).copy()
        shown[cancelled] = "free"
        if book and not all_day:
            keep = (response != DECL) & ~cancelled  # shown from the response is free only when declined
            if show_as is not None:
                keep &= shown != "free"
            self.book(p[keep], w[keep], d[keep], s[keep], (e - s)[keep])
        row = {
            "p": p, "w": w, "d": d, "s": s, "e": e, "all_day": np.full(n, all_day),
            "subject": _col(subject, n), "series": _col(series, n),
            "uid": _col(uid, n), "show_as": shown, "response": RESPONSES[response],
            "cancelled": cancelled, "optional": optional, "others": _col(others, n),
            "count": np.full(n, len(others)) if isinstance(others, tuple) else None,
            "organizer": self.addr[p] if organizer is None else _col(organizer, n),
            "categories": _col(categories, n), "online": np.broadcast_to(np.asarray(online, dtype=bool), n),
            "location": _col(location, n), "sensitivity": _col(sensitivity, n),
            "agenda": np.broadcast_to(np.asarray(agenda, dtype=bool), n),
        }
        if row["count"] is None:  # attendees that differ by row: counted here, where the block is still small
            row["count"] = np.fromiter(map(len, row["others"]), dtype=np.int64, count=n)
        self.blocks.append(row)

    def shared_uid(self, kind: str, *keys: np.ndarray) -> np.ndarray:
        """One iCalUId per meeting, the same in every attendee's copy: demo-kind-key-key...@domain.

        Each distinct meeting's id is written once and its attendees' rows take it (a team meeting has a dozen).
        """
        cols = [np.asarray(k) for k in keys]
        if not len(cols[0]):
            return np.empty(0, dtype=object)
        meeting = np.zeros(len(cols[0]), dtype=np.int64)  # the keys as one number (each has a small range)
        for col in cols:
            low = int(col.min())
            meeting = meeting * (int(col.max()) - low + 1) + (col.astype(np.int64) - low)
        _, first, which = np.unique(meeting, return_index=True, return_inverse=True)
        template = f"demo-{kind}-" + "-".join(["{}"] * len(cols)) + f"@{D.DOMAIN}"
        ids = list(map(template.format, *(col[first].tolist() for col in cols)))
        return np.array(ids, dtype=object)[which.ravel()]

    # --- the story -----------------------------------------------------------------------------------------
    def build(self) -> None:
        n, weeks = len(self.people), self.weeks
        pw_p, pw_w = (a.ravel() for a in np.meshgrid(self.P, np.arange(weeks), indexing="ij"))
        self.pw_p, self.pw_w = pw_p, pw_w
        self.is_last = pw_w == weeks - 1
        self.inspection = np.isin(pw_w % 26, (2, 3))
        self._leave(n, weeks)
        self._briefings()
        self._team_meetings()
        self._supervision()
        self._phoenix()
        self._inspection_prep()
        self._coworked_core_groups()
        self._last_week_shared()
        self._last_week_personal()
        self._manager_fixed()
        practitioner = ~self.manager[pw_p]
        self._training(practitioner)
        self._protected_mornings(practitioner)
        self._statutory()
        self._other_meetings()
        self._visits()
        self._recording()
        self._extras()

    def _leave(self, n: int, weeks: int) -> None:
        x, y, z = self.draw(n, weeks), self.draw(n, weeks), self.draw(n, weeks)
        nd = self.nd[:, None]
        whole = x < 0.035
        part = (x >= 0.035) & (x < 0.17)
        first = np.where(whole, 0, (y * nd).astype(int))
        length = np.where(whole, nd, np.minimum(np.array([1, 1, 2, 2, 3, 4])[(z * 6).astype(int)], nd - first))
        away = (whole | part) & ~(self.demo_person[:, None] & (np.arange(weeks) == weeks - 1)[None, :])
        for d in range(5):
            self.leave[:, :, d] = away & (d >= first) & (d < first + length)
        self.occ[self.leave] = ~np.uint64(0)
        p, w = np.nonzero(away)
        self.emit(p, w, first[p, w], np.zeros(len(p), int), length[p, w], "Annual leave", show_as="oof",
                  all_day=True, book=False)
        home = ~away & (self.draw(n, weeks) < 0.08)  # working from home: not leave
        p, w = np.nonzero(home)
        d = (self.draw(len(p)) * self.nd[p]).astype(int)
        self.emit(p, w, d, np.zeros(len(p), int), np.ones(len(p), int), "Working from home",
                  show_as="workingElsewhere", all_day=True, book=False)

    def _briefings(self) -> None:
        """The monthly all-staff briefing: optional, everyone invited, organised outside the team."""
        m = self.pw_w % 4 == 1
        p, w = self.pw_p[m], self.pw_w[m]
        d = np.full(len(p), 4)
        x = self.draw(len(p))
        response = np.where(x < 0.4, ACC, np.where(x < 0.7, TENT, NORESP))
        response = np.where((x < 0.1) | self.part[p] | self.leave[p, w, 4], DECL, response)
        self.emit(p, w, d, np.full(len(p), 50), np.full(len(p), 54), "All staff briefing: Director's update",
                  response=response, organizer=D.DIRECTOR, others=self.briefing_others[p],
                  uid=self.shared_uid("briefing", w), optional=True, online=True, location=D.TEAMS_ONLINE,
                  book=False)

    def _team_meetings(self) -> None:
        """Weekly team meeting (one in 8 moved to Thursday, one cancelled) and the weekly performance clinic."""
        p, w = self.pw_p, self.pw_w
        n = len(p)
        t = self.team[p]
        leads = np.array([m[0] for m in self.members])
        moved, cancelled = w % 8 == 2, w % 8 == 5
        d = np.where(moved, 3, 2)
        s = np.where(moved, 56, 40)
        response = np.where(p == leads[t], ORG, self.respond(n, 0.92, 0.05))
        subject = np.where(cancelled, "Canceled: Team meeting", "Team meeting").astype(object)
        self.emit(p, w, d, s, s + 6, subject, response=response, organizer=self.addr[leads[t]],
                  others=self.team_others[p], uid=self.shared_uid("team-meeting", t, w),
                  series=self.shared_uid("team-meeting", t), cancelled=cancelled, online=True,
                  location=D.OFFICE_ROOMS[1], categories=("Team",))
        # 1.5 h every Monday: a recurring series costing about 6 h a month.
        self.emit(p, w, np.zeros(n, int), np.full(n, 58), np.full(n, 64), "Performance clinic",
                  response=self.respond(n, 0.8, 0.1), organizer=D.PERFORMANCE_LEAD, others=self.clinic_others[p],
                  uid=self.shared_uid("clinic", t, w), series=self.shared_uid("clinic", t), online=True,
                  location=D.TEAMS_ONLINE)

    def _supervision(self) -> None:
        """Monthly 1:1 supervision with the team manager, at most three a week on different days."""
        rows = []
        for t, m in enumerate(self.members):
            boss = self.team_manager[t]
            if boss < 0:
                continue
            for k, q in enumerate(m[1:]):
                d = (0, 2, 4)[(k // 4) % 3]
                d = 0 if d >= self.nd[q] else d
                s = {0: 44, 2: 56, 4: 40}[d]
                for w in range(k % 4, self.weeks, 4):
                    rows.append((boss, q, w, d, s))
        if not rows:
            return
        boss, q, w, d, s = (np.array(c) for c in zip(*rows, strict=True))
        uid = self.shared_uid("supervision", q, w)
        names = np.array([f"Supervision - {p.name}" for p in self.people], dtype=object)[q]
        common = dict(uid=uid, location=D.OFFICE_ROOMS[0], sensitivity="private", categories=("Supervision",))
        self.emit(boss, w, d, s, s + 6, names, others=self.alone[q], **common)
        self.emit(q, w, d, s, s + 6, names, response=ACC, organizer=self.addr[boss],
                  others=self.alone[boss], **common)

    def _phoenix(self) -> None:
        """Project Phoenix steering: fortnightly one-offs from the head of service, who ignores the policy."""
        rows: list[tuple[int, int, int, int]] = []  # person, week, weekday, start cell
        last = self.weeks - 1
        for t, m in enumerate(self.members):
            staff = m[1:] if self.team_manager[t] >= 0 else m
            for w in sorted({*range(0, self.weeks, 2), last}):
                u = self.draw(4)
                invited = list(self.rng.permutation(staff)[:3])
                if self.team_manager[t] >= 0:
                    invited.insert(0, self.team_manager[t])
                if w == last:
                    invited += [q for q in staff if self.demo_person[q] and q not in invited]
                if self.policy[w, 3]:
                    d, s = (3, 40) if w == last else (SLOT_DAYS[int(u[0] * 2)], (40, 44)[int(u[1] * 2)])
                else:
                    d, s = (1, 2, 3, 4)[int(u[0] * 4)], (40, 44, 56)[int(u[1] * 3)]
                rows += [(q, w, d, s) for q in invited]
        p, w, d, s = (np.array(c) for c in zip(*rows, strict=True))
        t = self.team[p]
        response = self.respond(len(p))
        response = np.where(self.policy[w, d] & (self.draw(len(p)) < 0.3), DECL, response)
        response = np.where((w == last) & self.demo_person[p], ACC, response)
        uid = self.shared_uid("phoenix", t, w)
        invited: dict[str, list[str]] = {}
        for q, u in zip(self.addr[p].tolist(), uid.tolist(), strict=True):
            invited.setdefault(u, []).append(q)
        others = _col([tuple(a for a in (D.HEAD_OF_SERVICE, *invited[u], D.QA_LEAD, D.PRINCIPAL_SW) if a != q)
                       for q, u in zip(self.addr[p].tolist(), uid.tolist(), strict=True)], len(p))
        self.emit(p, w, d, s, s + 4, "Project Phoenix steering", response=response, organizer=D.HEAD_OF_SERVICE,
                  others=others, uid=uid, online=True, location=D.OFFICE_ROOMS[2], categories=("Projects",))

    def _inspection_prep(self) -> None:
        """The inspection-prep fortnight: extra whole-team meetings, several on Tue/Thu mornings."""
        m = self.inspection
        p, w = self.pw_p[m], self.pw_w[m]
        n, t = len(p), self.team[p]
        first = w % 26 == 2
        for key, subject, d, s, dur, org in (
            ("audit", "Inspection prep - case file audit", np.where(first, 1, 3), np.where(first, 38, 40), 8,
             D.QA_LEAD),
            ("ofsted", "Ofsted readiness workshop", np.where(first, 3, 1), np.where(first, 44, 40), 6, D.QA_LEAD),
        ):
            others = _col([(org, *o, D.PRINCIPAL_SW) for o in self.team_others[p]], n)
            self.emit(p, w, d, s, s + dur, subject, response=self.respond(n, 0.88, 0.07), organizer=org,
                      others=others, uid=self.shared_uid(key, t, w), location=D.OFFICE_ROOMS[2])
        boss = self.team_manager[t]
        has = boss >= 0
        for key, d, s in (("evidence-mon", 0, 38), ("evidence-fri", 4, 44)):
            response = np.where(p == boss, ORG, self.respond(n))
            self.emit(p[has], w[has], np.full(int(has.sum()), d), np.full(int(has.sum()), s),
                      np.full(int(has.sum()), s + 4), "Inspection prep: practice evidence",
                      response=response[has], organizer=self.addr[boss[has]], others=self.team_others[p[has]],
                      uid=self.shared_uid(key, t[has], w[has]), location=D.OFFICE_ROOMS[1])

    def _coworked_core_groups(self) -> None:
        """A core group co-worked by two teammates: the same meeting in both calendars."""
        pairs = [(a, b) for m in self.members for a, b in zip(m[1::2], m[2::2], strict=False)]
        if not pairs:
            return
        a0, b0 = (np.array(c) for c in zip(*pairs, strict=True))
        a, w = np.repeat(a0, self.weeks), np.tile(np.arange(self.weeks), len(a0))
        b = np.repeat(b0, self.weeks)
        m = self.draw(len(a)) < 0.25
        a, b, w = a[m], b[m], w[m]
        ok, d, s = self.place(a, w, np.full(len(a), 6), also=b)
        a, b, w, d, s = a[ok], b[ok], w[ok], d[ok], s[ok]
        idx = (self.draw(len(a)) * 10).astype(int)
        subject = self.statutory_tables[2][a, idx]
        partners = self.partner_sets[2][3, (self.draw(len(a)) * 16).astype(int)]
        uid = self.shared_uid("core-group", a, w, d, s)
        online = self.draw(len(a)) < 0.4
        common = dict(uid=uid, online=online, location=D.OFFICE_ROOMS[0], sensitivity="private",
                      categories=("Statutory",))
        self.emit(a, w, d, s, s + 6, subject, others=_col([(q, *x) for q, x in zip(self.addr[b], partners,
                                                                                     strict=True)], len(a)),
                  **common)
        self.emit(b, w, d, s, s + 6, subject, response=self.respond(len(b), 0.9, 0.1), organizer=self.addr[a],
                  others=_col([(q, *x) for q, x in zip(self.addr[a], partners, strict=True)], len(a)), **common)

    def _last_week_shared(self) -> None:
        """Last-week meetings built to trigger suggest's decline reasons: large, optional, teammate attending,
        after hours."""
        last = self.weeks - 1
        forum, lunch, prof, evening = [], [], [], []
        for m in self.members:
            staff = [q for q in m if not self.manager[q]]
            demo = [q for q in staff if self.demo_person[q]]
            rest = [q for q in staff if not self.demo_person[q]]
            forum += demo + list(self.rng.permutation(rest)[:4]) if rest else demo
            lunch += list(m)
            evening += demo + list(self.rng.permutation(rest)[:3]) if rest else demo
            if demo and rest:
                prof.append((demo[0], rest[int(self.draw(1)[0] * len(rest))]))

        def meet(ps: list[int], key: str, d: int, s: int, e: int, subject: str, organizer: str,
                 externals: tuple[str, ...], **kw: Any) -> None:
            p = np.array(ps, dtype=int)
            if not len(p):
                return
            t = self.team[p]
            w = np.full(len(p), last)
            by_team: dict[int, list[str]] = {}
            for q, tq in zip(self.addr[p].tolist(), t.tolist(), strict=True):
                by_team.setdefault(tq, []).append(q)
            others = _col([tuple(a for a in dict.fromkeys((organizer, *by_team[tq], *externals)) if a != q)
                           for q, tq in zip(self.addr[p].tolist(), t.tolist(), strict=True)], len(p))
            self.emit(p, w, np.full(len(p), d), np.full(len(p), s), np.full(len(p), e), subject,
                      organizer=organizer, others=others, uid=self.shared_uid(key, t), **kw)

        meet(forum, "forum", 0, 52, 58, "Partnership forum: neglect strategy", D.PRINCIPAL_SW,
             (D.HEAD_OF_SERVICE, *D.HEALTH[:3], *D.POLICE[:2], *D.SCHOOLS[:3]),
             response=self.respond(len(forum), 0.9, 0.1), location=D.OFFICE_ROOMS[2])
        meet(lunch, "lunch-and-learn", 2, 50, 54, "Lunch and learn: new case recording form", D.BUSINESS_SUPPORT,
             (D.PRINCIPAL_SW,), response=self.respond(len(lunch), 0.5, 0.3), optional=True, online=True,
             location=D.TEAMS_ONLINE)
        meet(evening, "locality-evening", 2, 72, 78, "Locality network evening", D.HEAD_OF_SERVICE,
             (D.PRINCIPAL_SW, *D.SCHOOLS[1:3]), response=self.respond(len(evening), 0.8, 0.2),
             location="Demo Community Hub")
        # A teammate already accepted: a professionals meeting two colleagues were both invited to.
        for demo, mate in prof:
            f = self.people[demo].families[0]
            meet([demo, mate], "professionals", 4, 40, 44, f"Professionals meeting - {f} family", D.SCHOOLS[0],
                 (D.HEALTH[0],), response=np.array([NORESP, ACC]), location="School")

    def _last_week_personal(self) -> None:
        """Last week: a vague catch-up, a quick sync double-booked over a home visit, and (for the demo
        practitioner) a declined check-in that would otherwise have several decline reasons."""
        last = self.weeks - 1
        p = self.P[~self.manager & (self.demo_person | (self.draw(len(self.P)) < 0.5))]
        p = p[~self.leave[p, last, 0] & ~self.leave[p, last, 1]]
        n = len(p)
        w = np.full(n, last)
        self.emit(p, w, np.ones(n, int), np.full(n, 56), np.full(n, 62), self.hv_table[p, 0],
                  location="Family home", sensitivity="private", categories=("Direct work",))
        self.emit(p, w, np.ones(n, int), np.full(n, 58), np.full(n, 60), "Quick sync", response=ACC,
                  organizer=D.PRINCIPAL_SW, others=(D.PRINCIPAL_SW,), agenda=False, online=True,
                  location=D.TEAMS_ONLINE, book=False)
        self.emit(p, w, np.zeros(n, int), np.full(n, 46), np.full(n, 48), "Catch up", response=TENT,
                  organizer=D.BUSINESS_SUPPORT, others=(D.BUSINESS_SUPPORT,), agenda=False, online=True,
                  location=D.TEAMS_ONLINE)
        # declined, so never booked and no random draw: nothing else in the demo moves
        demo = self.P[self.demo_person]
        self.emit(demo, np.full(len(demo), last), np.full(len(demo), 3), np.full(len(demo), 44),
                  np.full(len(demo), 48), "Weekly check-in", response=DECL, organizer=D.HEAD_OF_SERVICE,
                  others=(D.HEAD_OF_SERVICE, D.PRINCIPAL_SW, *D.HEALTH[:3], *D.POLICE[:2], *D.SCHOOLS[:3]),
                  optional=True, agenda=False, online=True, location=D.TEAMS_ONLINE)

    def _manager_fixed(self) -> None:
        m = self.manager[self.pw_p]
        p, w = self.pw_p[m], self.pw_w[m]
        n = len(p)
        self.emit(p, w, np.zeros(n, int), np.full(n, 40), np.full(n, 44), "Allocation meeting",
                  others=(D.MASH_MANAGER, D.PRINCIPAL_SW), online=True, location=D.OFFICE_ROOMS[0])
        self.emit(p, w, np.ones(n, int), np.full(n, 56), np.full(n, 64), "Service managers meeting", response=ACC,
                  organizer=D.HEAD_OF_SERVICE, others=(D.HEAD_OF_SERVICE, D.PRINCIPAL_SW, D.QA_LEAD,
                                                       D.PERFORMANCE_LEAD),
                  uid=self.shared_uid("service-managers", w), location=D.OFFICE_ROOMS[2])
        odd = w % 2 == 1
        k = int(odd.sum())
        self.emit(p[odd], w[odd], np.full(k, 3), np.full(k, 56), np.full(k, 62), "Legal gateway panel",
                  response=ACC, organizer=D.LEGAL, others=(D.LEGAL, D.HEAD_OF_SERVICE), online=True,
                  location=D.TEAMS_ONLINE)
        for _ in range(2):
            ok, d, s = self.place(p, w, np.full(n, 6), avoid_slot=True)
            self.emit(p[ok], w[ok], d[ok], s[ok], s[ok] + 6, "Recording - management oversight",
                      categories=("Admin",))

    # --- each practitioner's own week ----------------------------------------------------------------------
    def _training(self, practitioner: np.ndarray) -> None:
        m = practitioner & (self.draw(len(self.pw_p)) < 0.1 * self.nd[self.pw_p] / 5)
        p, w = self.pw_p[m], self.pw_w[m]
        n = len(p)
        full = self.draw(n) < 0.4
        dur = np.where(full, 26, 12)
        ok, d, s = self.place(p, w, dur, lo=np.full(n, 38), hi=np.where(full, 66, 52), avoid_slot=True)
        subject = np.array(D.TRAINING, dtype=object)[(self.draw(n) * len(D.TRAINING)).astype(int)]
        sets = self.council_sets[(self.draw(n) * len(self.council)).astype(int), 3]
        self.emit(p[ok], w[ok], d[ok], s[ok], (s + dur)[ok], subject[ok], response=ACC, organizer=D.LEARNING,
                  others=_col([(D.LEARNING, *x) for x in sets[ok]], int(ok.sum())), location=D.OFFICE_ROOMS[2],
                  categories=("Training",))

    def _protected_mornings(self, practitioner: np.ndarray) -> None:
        """Once the policy starts, most practitioners keep Tue/Thu mornings for visits."""
        for day in SLOT_DAYS:
            p, w = self.pw_p, self.pw_w
            m = (practitioner & (day < self.nd[p]) & self.policy[w, day] & ~self.leave[p, w, day]
                 & (self.draw(len(p)) < self.compliance[p]))
            p, w = p[m], w[m]
            n = len(p)
            dd = np.full(n, day)
            dur = np.array([6, 6, 8, 8])[(self.draw(n) * 4).astype(int)]
            ok, d, s = self.place(p, w, dur, day=dd, lo=np.full(n, _S0), hi=np.full(n, _S1), tries=6)
            self._visit_rows(p[ok], w[ok], d[ok], s[ok], dur[ok], travel=True)
            m = self.draw(n) < 0.9
            dur = np.array([4, 5, 6])[(self.draw(n) * 3).astype(int)]
            ok, d, s = self.place(p[m], w[m], dur[m], day=dd[m], lo=np.full(int(m.sum()), _S0),
                                  hi=np.full(int(m.sum()), _S1), tries=6)
            self._visit_rows(p[m][ok], w[m][ok], d[ok], s[ok], dur[m][ok], travel=False)

    def _rounds(self, rate: np.ndarray) -> list[np.ndarray]:
        """Poisson counts per person-week, as index arrays: round r holds the person-weeks with more than r."""
        counts = self.rng.poisson(rate)
        return [np.nonzero(counts > r)[0] for r in range(int(counts.max()) if len(counts) else 0)]

    def _statutory(self) -> None:
        """Statutory meetings land wherever the chair can get everyone; they are allowed in protected slots."""
        scale = np.where(self.manager, 0.6, 1.0)[self.pw_p] * self.nd[self.pw_p] / 5
        for k, (_, rate, durations, organiser, (lo, hi), online) in enumerate(_STATUTORY):
            if self.manager.any() and k >= 6:
                scale = np.where(self.manager[self.pw_p], 0.0, scale)
            for idx in self._rounds(rate * scale):
                p, w = self.pw_p[idx], self.pw_w[idx]
                n = len(p)
                dur = np.array(durations)[(self.draw(n) * len(durations)).astype(int)] // CELL
                ok, d, s = self.place(p, w, dur)
                p, w, d, s, dur, n = p[ok], w[ok], d[ok], s[ok], dur[ok], int(ok.sum())
                subject = self.statutory_tables[k][p, (self.draw(n) * 10).astype(int)]
                size = lo + (self.draw(n) * (hi - lo + 1)).astype(int)
                others = self.partner_sets[k][size, (self.draw(n) * 16).astype(int)]
                is_online = self.draw(n) < online
                where = np.where(is_online, D.TEAMS_ONLINE, D.COURT if k == 8 else D.OFFICE_ROOMS[0]).astype(object)
                common = dict(others=others, online=is_online, location=where,
                              sensitivity=_either(self.draw(n) < 0.5, "private", "normal"),
                              categories=_either(self.draw(n) < 0.4, ("Statutory",), ()))
                if organiser is None:
                    self.emit(p, w, d, s, s + dur, subject, **common)
                else:
                    self.emit(p, w, d, s, s + dur, subject, response=self.respond(n, 0.85, 0.1),
                              organizer=organiser, **common)

    def _other_meetings(self) -> None:
        """Non-statutory meetings: before the policy they often land on Tue/Thu mornings; after it most
        organisers avoid them, except two teammates who still book catch-ups there."""
        pp = self.pw_p
        rate = np.where(self.manager[pp], 2.5, np.where(self.inspection, 2.2, 1.6) * self.nd[pp] / 5)
        for idx in self._rounds(rate):
            p, w = self.pw_p[idx], self.pw_w[idx]
            n = len(p)
            post = self.policy[w, 1]
            breaker = self.breaker[p] & post & (self.draw(n) < 0.5)
            vague = self.draw(n) < 0.55
            dur = np.where(vague, np.array([2, 2, 4])[(self.draw(n) * 3).astype(int)],
                           np.array([4, 4, 6])[(self.draw(n) * 3).astype(int)])
            ok, d, s = self.place(p, w, dur, avoid_slot=~breaker, prefer_slot=~post & (self.draw(n) < 0.5))
            ok2, d2, s2 = self.place(p, w, dur, day=np.where(self.draw(n) < 0.5, 1, 3), lo=np.full(n, _S0),
                                     hi=np.full(n, _S1), tries=6)
            d, s = np.where(breaker, d2, d), np.where(breaker, s2, s)
            ok = np.where(breaker, ok2, ok)
            p, w, d, s, dur, vague, breaker, n = (p[ok], w[ok], d[ok], s[ok], dur[ok], vague[ok], breaker[ok],
                                                  int(ok.sum()))
            fyi = vague & (self.draw(n) < 0.15)
            subject = np.array(D.VAGUE, dtype=object)[(self.draw(n) * len(D.VAGUE)).astype(int)]
            subject = np.where(fyi, "FYI: new form", subject)
            kind = (self.draw(n) * len(_OTHER_SUBJECTS)).astype(int)
            case = (self.draw(n) * 10).astype(int)
            subject = np.where(vague, subject, self.other_tables[kind, p, case])
            # Organised by the practitioner with a teammate, or an invitation from elsewhere in the council.
            team_sizes = self.team_sizes[self.team[p]]
            mate = self.roster[self.team[p], (self.draw(n) * team_sizes).astype(int)]
            own = (breaker | (self.draw(n) < 0.35)) & ~fyi & (mate != p)
            own &= self.is_free(mate, w, d, s, dur)
            e = s + dur
            online = self.draw(n) < 0.6
            uid = self.shared_uid("meeting", p, w, d, s)
            o = own
            self.emit(p[o], w[o], d[o], s[o], e[o], subject[o], others=self.alone[mate[o]],
                      uid=uid[o], agenda=~vague[o], online=online[o], location=D.TEAMS_ONLINE)
            self.emit(mate[o], w[o], d[o], s[o], e[o], subject[o], response=self.respond(int(o.sum())),
                      organizer=self.addr[p[o]], others=self.alone[p[o]],
                      uid=uid[o], agenda=~vague[o], online=online[o], location=D.TEAMS_ONLINE)
            o = ~own
            k = int(o.sum())
            sets = self.council_sets[(self.draw(k) * len(self.council)).astype(int), (self.draw(k) * 4).astype(int)]
            cancelled = self.draw(k) < 0.08
            response = np.where(~cancelled & (self.draw(k) < 0.15), DECL, self.respond(k))
            shown = np.where(fyi[o], "free", _SHOW_FOR[response]).astype(object)
            told = subject[o]
            told[cancelled] = "Canceled: " + told[cancelled]
            self.emit(p[o], w[o], d[o], s[o], e[o], told,
                      response=response, organizer=_col([x[0] for x in sets], k), others=sets, show_as=shown,
                      cancelled=cancelled, agenda=~vague[o], online=self.draw(k) < 0.7, location=D.TEAMS_ONLINE)

    def _visit_rows(self, p: np.ndarray, w: np.ndarray, d: np.ndarray, s: np.ndarray, dur: np.ndarray,
                    travel: bool) -> None:
        """Home visits and direct work, with travel either side when there is room."""
        n = len(p)
        if not n:
            return
        kind = np.searchsorted(self.visit_weights, self.draw(n), side="right").clip(0, len(D.VISITS) - 1)
        case = (self.draw(n) * 10).astype(int)
        subject = self.visit_tables[kind, p, case]
        cancelled = self.draw(n) < 0.03
        subject[cancelled] = "Canceled: " + subject[cancelled]
        places = np.array(D.VISIT_PLACES, dtype=object)[(self.draw(n) * len(D.VISIT_PLACES)).astype(int)]
        self.emit(p, w, d, s, s + dur, subject, cancelled=cancelled, location=places,
                  categories=_either(self.draw(n) < 0.6, ("Direct work",), ()),
                  sensitivity=_either(self.draw(n) < 0.4, "private", "normal"))
        if not travel:
            return
        for before, chance, subject_ in ((True, 0.55, "Travel to visit"), (False, 0.4, "Travel back to office")):
            t = np.array([1, 2, 2, 3])[(self.draw(n) * 4).astype(int)]
            a = s - t if before else s + dur
            m = (self.draw(n) < chance) & ~cancelled
            m &= self.is_free(p, w, d, a, t) & ~self.in_slot(w, d, a, a + t)
            cats = _either(self.draw(int(m.sum())) < 0.3, ("Travel",), ())
            self.emit(p[m], w[m], d[m], a[m], a[m] + t[m], subject_, categories=cats)

    def _visits(self) -> None:
        pp = self.pw_p
        # With mornings no longer lost to meetings, visits that used to slip get booked: a few more a week.
        usual = np.where(self.policy[self.pw_w, 1], 8.0, 7.0)
        rate = np.where(self.manager[pp], 1.0, np.where(self.inspection, 4.0, usual) * self.nd[pp] / 5)
        for idx in self._rounds(rate):
            p, w = self.pw_p[idx], self.pw_w[idx]
            n = len(p)
            dur = np.array([4, 5, 6, 6, 8])[(self.draw(n) * 5).astype(int)]
            # Families are seen after school too: a few visits end after working hours.
            hi = self.hi[p] + np.where(self.draw(n) < 0.08, 6, 0)
            ok, d, s = self.place(p, w, dur, hi=hi, tries=16)
            self._visit_rows(p[ok], w[ok], d[ok], s[ok], dur[ok], travel=True)

    def _recording(self) -> None:
        for idx in self._rounds(np.where(self.manager[self.pw_p], 0.0, 2.5)):
            p, w = self.pw_p[idx], self.pw_w[idx]
            n = len(p)
            dur = np.array([4, 6, 8])[(self.draw(n) * 3).astype(int)]
            ok, d, s = self.place(p, w, dur, avoid_slot=True)
            p, w, d, s, dur, n = p[ok], w[ok], d[ok], s[ok], dur[ok], int(ok.sum())
            kind = (self.draw(n) * len(D.RECORDING)).astype(int)
            case = (self.draw(n) * 10).astype(int)
            self.emit(p, w, d, s, s + dur, self.recording_tables[kind, p, case],
                      categories=_either(self.draw(n) < 0.3, ("Admin",), ()))

    def _extras(self) -> None:
        """After-hours recording, a call booked over a visit, a free hold: the texture of a real calendar."""
        p, w = self.pw_p, self.pw_w
        n = len(p)
        d = (self.draw(n) * self.nd[p]).astype(int)
        at_work = ~self.leave[p, w, d]
        m = at_work & (self.draw(n) < 0.3)
        s = self.hi[p] + 4 * (1 + (self.draw(n) * 3).astype(int))
        dur = np.where(self.draw(n) < 0.5, 4, 6)
        self.emit(p[m], w[m], d[m], s[m], (s + dur)[m], "Recording - case notes", categories=("Admin",))
        # A call on top of something already in the diary: the first busy cell of a random working day.
        m = at_work & (self.draw(n) < 0.3)
        bits = self.occ[p[m], w[m], d[m]]
        has = bits != 0
        lowest = bits & (~bits + np.uint64(1))
        first = np.log2(np.where(has, lowest, 1).astype(np.float64)).astype(int) + _FIRST_CELL
        q, ww, dd, ss = p[m][has], w[m][has], d[m][has], first[has] + 2
        k = len(q)
        o = (self.draw(k) * len(self.council)).astype(int)
        self.emit(q, ww, dd, ss, ss + 2, "Quick sync", response=np.where(self.draw(k) < 0.5, ACC, TENT),
                  organizer=np.array(self.council, dtype=object)[o], others=self.council_sets[o, 0], agenda=False,
                  online=True,
                  location=D.TEAMS_ONLINE, book=False)
        m = at_work & (self.draw(n) < 0.2)
        ok, d2, s2 = self.place(p[m], w[m], np.full(int(m.sum()), 4), lo=np.full(int(m.sum()), 48),
                                hi=np.full(int(m.sum()), 56))
        self.emit(p[m][ok], w[m][ok], d2[ok], s2[ok], s2[ok] + 4, "Hold - reflective practice", show_as="free")

    # --- the frame -----------------------------------------------------------------------------------------
    def frame(self, start: date, tz: str) -> pd.DataFrame:
        """The events frame, sorted by person and start, event ids numbered in that order."""
        cols = {k: np.concatenate([b[k] for b in self.blocks]) for k in self.blocks[0]}
        start_ns, end_ns = _times(cols["w"], cols["d"], cols["s"], cols["e"], cols["all_day"], start, tz)
        order = _order(cols["p"], start_ns, end_ns)
        all_day = cols["all_day"]
        n = len(order)
        event_id = _event_ids(n)
        uid = cols["uid"][order]
        missing = np.equal(uid, None)
        uid[missing] = event_id[missing] + f"@{D.DOMAIN}"
        return from_columns({
            "person": _text(self.addr[cols["p"][order]]),
            "event_id": _text(event_id),
            "series_id": _text(cols["series"][order]),
            "ical_uid": _text(uid),
            "subject": _text(cols["subject"][order]),
            "start": pd.to_datetime(start_ns[order], unit="ns", utc=True),
            "end": pd.to_datetime(end_ns[order], unit="ns", utc=True),
            "is_all_day": all_day[order],
            "show_as": _text(cols["show_as"][order]),
            "response": _text(cols["response"][order]),
            "is_cancelled": cols["cancelled"][order],
            "is_optional": cols["optional"][order],
            "attendee_count": cols["count"][order],
            "organizer": _text(cols["organizer"][order]),
            "outlook_categories": cols["categories"][order],
            "is_online": cols["online"][order],
            "location": _text(cols["location"][order]),
            "sensitivity": _text(cols["sensitivity"][order]),
            "has_agenda": cols["agenda"][order],
            "attendees": cols["others"][order],
        })


def _times(w: np.ndarray, d: np.ndarray, s: np.ndarray, e: np.ndarray, all_day: np.ndarray, start: date,
           tz: str) -> tuple[np.ndarray, np.ndarray]:
    """Each row's start and end as UTC nanoseconds.

    All-day rows keep their dates at 00:00 UTC (frame.py convention). Timed rows are wall-clock cells in ``tz``;
    each (day, cell) is converted once, on a grid, and the rows read theirs from it: the conversion is value by
    value, so this is what converting every row gives, for a few tens of thousands of values instead of a million.
    """
    day = w * 7 + (d - start.weekday()) % 7
    base = np.datetime64(start, "ns").astype(np.int64)
    lo = int(min(s.min(), e.min()))
    width = int(max(s.max(), e.max())) - lo + 1
    cells = np.arange(lo, lo + width) * CELL * _MINUTE_NS
    grid = base + np.arange(int(day.max()) + 1)[:, None] * _DAY_NS + cells[None, :]
    utc = _to_utc(grid.ravel(), tz)
    row = day * width - lo  # all-day rows read the grid too (their cells are in it), then take their dates
    start_ns = np.where(all_day, base + day * _DAY_NS, utc[row + s])
    end_ns = np.where(all_day, base + (day + e) * _DAY_NS, utc[row + e])
    return start_ns, end_ns


def _order(p: np.ndarray, start_ns: np.ndarray, end_ns: np.ndarray) -> np.ndarray:
    """The stable order by person, start and end, as np.lexsort gives it.

    With times on whole minutes (always, unless the zone had a seconds offset), person, start, length and row
    number fold into one int64 key, distinct for every row, and a plain sort of that (vectorised in numpy) is
    several times faster than lexsort or a stable argsort; the row number keeps ties in their first order.
    """
    n = len(p)
    if not n:
        return np.arange(0)
    since, length = start_ns - start_ns.min(), end_ns - start_ns
    if not (since % _MINUTE_NS).any() and not (length % _MINUTE_NS).any() and length.min() >= 0:
        since, length = since // _MINUTE_NS, length // _MINUTE_NS
        starts, lengths = int(since.max()) + 1, int(length.max()) + 1
        if (int(p.max()) + 1) * starts * lengths * n < 2**63:
            return np.sort(((p * starts + since) * lengths + length) * n + np.arange(n)) % n
    return np.lexsort((end_ns, start_ns, p))


def _text(values: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """A text column in the frame's ``string`` dtype, made here so from_columns takes it as it is.

    Every demo text is a str (no missing value for from_columns to turn into ""), so there is nothing to scan for.
    """
    return pd.array(values, dtype="string", copy=False)


def _event_ids(n: int) -> np.ndarray:
    """demo-000000, demo-000001, ...: numbers of fewer than six digits padded to six, longer ones as they are."""
    parts, first, width = [np.empty(0, dtype=object)], 0, 6
    while first < n:
        last = min(n, 10**width)
        parts.append(_numbered(np.arange(first, last), width, "demo-"))
        first, width = last, width + 1
    return np.concatenate(parts)


def _numbered(numbers: np.ndarray, width: int, prefix: str) -> np.ndarray:
    """``prefix`` and each number zero-padded to ``width`` digits: an object array of str.

    The digits are written into a fixed-width text buffer a column at a time; formatting half a million ids one
    by one took longer than sorting the events.
    """
    size = len(prefix) + width
    buf = np.empty((len(numbers), size), dtype=np.uint32)
    buf[:, :len(prefix)] = [ord(c) for c in prefix]
    rest = numbers.astype(np.uint64)
    for k in range(size - 1, len(prefix) - 1, -1):
        rest, digit = np.divmod(rest, np.uint64(10))
        buf[:, k] = digit + ord("0")
    return buf.view(f"U{size}").ravel().astype(object)


def _to_utc(local_ns: np.ndarray, tz: str) -> np.ndarray:
    """Wall-clock times in ``tz`` (as naive nanoseconds) to UTC nanoseconds."""
    if not len(local_ns):
        return local_ns
    idx = pd.DatetimeIndex(local_ns.view("datetime64[ns]"))
    # No demo event starts in a clock change's missing or repeated hour; these only keep odd zones working.
    aware = idx.tz_localize(tz, ambiguous=np.ones(len(idx), dtype=bool), nonexistent="shift_forward")
    return aware.tz_convert("UTC").tz_localize(None).asi8

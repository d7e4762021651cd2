"""Protected-slot policy: ``[[slot]]`` tables (a slot file or a team's ``protected_slots``) -> validated Slots.

Validation is as strict as the rule files': every problem in a policy is collected and reported in one
SlotError, each naming the file (or settings place), the slot and the field.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, time
from pathlib import Path
from typing import Any

from ..errors import SlotError
from ..rules import CATEGORIES
from ..settings import TeamSettings
from ..tomlcheck import quote, type_name, unknown_key

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
FULL_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
STATUTORY = "statutory"
SLOT_KEYS = ("name", "days", "start", "end", "allow", "since", "until", "people", "enforce")
#: what enforcement may do to an invitation in the slot, weakest first (calendar_audit.enforce)
ENFORCE_LEVELS = ("off", "notify", "tentative", "decline")
DEFAULT_ENFORCE = "notify"
REQUIRED_KEYS = ("name", "days", "start", "end", "allow")
TOP_KEYS = ("slot",)


@dataclass(frozen=True)
class Slot:
    """One protected slot: local times on some weekdays, which categories may use it, from when, for whom."""

    name: str
    days: tuple[int, ...]  # Monday = 0
    start: time
    end: time  # time.max: midnight at the end of the day
    allow: tuple[str, ...]  # categories, and/or "statutory"
    since: date | None = None
    until: date | None = None
    people: tuple[str, ...] | None = None  # lower-case addresses; None: everyone in the team
    source: str = ""
    enforce: str = DEFAULT_ENFORCE  # one of ENFORCE_LEVELS

    def allows(self, category: str, statutory: bool) -> bool:
        """Whether an event of this category (statutory or not) may use the slot."""
        return category in self.allow or (bool(statutory) and STATUTORY in self.allow)

    def applies_to(self, person: str) -> bool:
        return self.people is None or person.lower() in self.people

    def active_on(self, day: date, *, ignore_since: bool = False) -> bool:
        """Whether the slot is scheduled on ``day`` (its weekday, within since..until)."""
        if day.weekday() not in self.days:
            return False
        if not ignore_since and self.since is not None and day < self.since:
            return False
        return self.until is None or day <= self.until

    @property
    def times(self) -> str:
        return f"{clock_text(self.start)}-{clock_text(self.end)}"

    def describe(self) -> str:
        """One line for people: name, days, times, since."""
        days = ", ".join(DAY_NAMES[d] for d in self.days)
        since = f" since {self.since}" if self.since else ""
        until = f" until {self.until}" if self.until else ""
        return f"{self.name}: {days} {self.times}{since}{until} (allows {', '.join(self.allow) or 'nothing'})"


@dataclass(frozen=True)
class FieldProblem:
    """One validation problem placed on a form: the slot's position (1-based), the field, the message."""

    slot: int
    field: str  # "name", "days", "days[1]", "start", ... (an unknown key is named as itself)
    message: str


def clock_text(value: time) -> str:
    return "24:00" if value == time.max else value.strftime("%H:%M")


# --- loading ----------------------------------------------------------------------------------------------------
def load_slots(path: Path | str, categories: Sequence[str] = CATEGORIES) -> list[Slot]:
    """Read and validate a slot file of ``[[slot]]`` tables."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SlotError(f"{path}: slot file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SlotError(f"{path}: cannot read the slot file ({exc.__class__.__name__})") from None
    return parse_slots(text, str(path), categories)


def parse_slots(text: str, source: str = "<slots>", categories: Sequence[str] = CATEGORIES) -> list[Slot]:
    """Parse and validate the text of a slot file; ``source`` names it in messages."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SlotError(f"{source}: TOML syntax error: {exc}") from None
    problems = [f"{source}: {unknown_key(key, TOP_KEYS)}" for key in doc if key not in TOP_KEYS]
    raw = doc.get("slot", [])
    if not isinstance(raw, list) or not all(isinstance(r, dict) for r in raw):
        problems.append(f"{source}: slot: expected [[slot]] tables")
        raw = []
    elif not raw and not problems:
        problems.append(f"{source}: no [[slot]] tables (a slot file holds one [[slot]] table per protected slot)")
    return validate_slots(raw, source, categories, problems)


def slots_from_team(team: TeamSettings, source: str, categories: Sequence[str] = CATEGORIES) -> list[Slot]:
    """The validated ``protected_slots`` of a team from the settings; ``source`` names the settings file."""
    return validate_slots(team.protected_slots, f"{source}: teams {team.name!r} protected_slots", categories)


def validate_slots(raw: Sequence[Mapping[str, Any]], source: str, categories: Sequence[str] = CATEGORIES,
                   problems: list[str] | None = None, fields: list[FieldProblem] | None = None) -> list[Slot]:
    """Slots from raw tables, or a SlotError listing every problem (fields, duplicates, overlaps).

    ``fields``, when given, also receives each problem placed on its slot and field (the service's policy form
    shows them next to the fields).
    """
    problems = list(problems or [])
    found = fields if fields is not None else []
    slots: list[Slot] = []
    first_use: dict[str, int] = {}
    number_of: dict[str, int] = {}
    for number, table in enumerate(raw, start=1):
        slot = _slot(table, number, source, tuple(categories), problems, found)
        if slot is None:
            continue
        if slot.name in first_use:
            message = f"duplicate slot name: slot #{first_use[slot.name]} already uses it"
            problems.append(f"{source}: slot {quote(slot.name)}: name: {message}")
            found.append(FieldProblem(number, "name", message))
            continue
        first_use[slot.name] = number
        number_of[slot.name] = number
        slots.append(slot)
    for name, message in overlaps(slots, placed=True):
        problems.append(f"{source}: {message}")
        # the message less its "slot NAME: start/end: " (a split at ": start/end: " would cut a name holding it)
        found.append(FieldProblem(number_of[name], "start", message.removeprefix(_overlap_prefix(name))))
    if problems:
        raise SlotError("\n".join(problems))
    return slots


def _slot(raw: Mapping[str, Any], number: int, source: str, categories: tuple[str, ...],
          problems: list[str], fields: list[FieldProblem]) -> Slot | None:
    name = raw.get("name")
    label = f"{source}: slot {quote(name)}" if isinstance(name, str) and name.strip() else f"{source}: slot #{number}"
    mine: list[str] = []

    def bad(fld: str, message: str) -> None:
        mine.append(f"{label}: {fld}: {message}")
        fields.append(FieldProblem(number, fld, message))

    for key in raw:
        if key not in SLOT_KEYS:
            mine.append(f"{label}: {unknown_key(key, SLOT_KEYS)}")
            fields.append(FieldProblem(number, str(key), unknown_key(key, SLOT_KEYS)))
    for key in REQUIRED_KEYS:
        if key not in raw:
            bad(key, "missing")
    if "name" in raw and (not isinstance(name, str) or not name.strip()):
        bad("name", f"expected a non-empty string, got {type_name(name)}")

    days: list[int] = []
    if "days" in raw:
        value = raw["days"]
        if not isinstance(value, list) or not value:
            bad("days", f"expected a non-empty list of days ({', '.join(DAY_NAMES)}), got {type_name(value)}")
        else:
            for i, d in enumerate(value):
                text = d.strip().lower() if isinstance(d, str) else None
                if text in DAY_NAMES:
                    days.append(DAY_NAMES.index(text))
                elif text in FULL_DAY_NAMES:
                    days.append(FULL_DAY_NAMES.index(text))
                else:
                    bad(f"days[{i}]", f"unknown day {quote(d)} (use {', '.join(DAY_NAMES)})")

    clocks: dict[str, time] = _parse_each(raw, ("start", "end"), _clock, "a time of day (use HH:MM)", bad)
    if len(clocks) == 2 and clocks["end"] <= clocks["start"]:
        bad("end", f"{clock_text(clocks['end'])} is not after start {clock_text(clocks['start'])}")

    allow: list[str] = []
    if "allow" in raw:
        value = raw["allow"]
        if not isinstance(value, list):
            bad("allow", f"expected a list of categories, got {type_name(value)}")
        else:
            for i, a in enumerate(value):
                if isinstance(a, str) and (a in categories or a == STATUTORY):
                    allow.append(a)
                else:
                    bad(f"allow[{i}]", f"unknown category {quote(a)} (use {', '.join(categories)} or {STATUTORY})")

    dates: dict[str, date] = _parse_each(raw, ("since", "until"), _date, "a date (use YYYY-MM-DD)", bad)
    if "since" in dates and "until" in dates and dates["until"] < dates["since"]:
        bad("until", f"{dates['until']} is before since {dates['since']}")

    people: tuple[str, ...] | None = None
    if "people" in raw:
        value = raw["people"]
        if not isinstance(value, list) or not value or not all(isinstance(p, str) and p.strip() for p in value):
            bad("people", f"expected a non-empty list of mailbox addresses, got {type_name(value)}")
        else:
            people = tuple(dict.fromkeys(p.strip().lower() for p in value))

    enforce = raw.get("enforce", DEFAULT_ENFORCE)
    if enforce not in ENFORCE_LEVELS:
        bad("enforce", f"unknown level {quote(enforce)} (use {', '.join(ENFORCE_LEVELS)})")

    problems.extend(mine)
    if mine:
        return None
    return Slot(name=str(name), days=tuple(sorted(set(days))), start=clocks["start"], end=clocks["end"],
                allow=tuple(dict.fromkeys(allow)), since=dates.get("since"), until=dates.get("until"),
                people=people, source=source, enforce=str(enforce))


def overlaps(slots: Sequence[Slot], placed: bool = False) -> list[Any]:
    """A message for each pair of slots that could cover the same person at the same moment (with ``placed``:
    (the later slot's name, message) pairs)."""
    out: list[Any] = []
    for i, a in enumerate(slots):
        for b in slots[:i]:
            shared_days = sorted(set(a.days) & set(b.days))
            if not shared_days or not (a.start < b.end and b.start < a.end):
                continue
            if not _dates_meet(a, b):
                continue
            if a.people is not None and b.people is not None and not set(a.people) & set(b.people):
                continue
            start, end = max(a.start, b.start), min(a.end, b.end)
            days = ", ".join(DAY_NAMES[d] for d in shared_days)
            message = (f"{_overlap_prefix(a.name)}overlaps slot {quote(b.name)} on {days} "
                       f"{clock_text(start)}-{clock_text(end)} (one person's slots must not overlap)")
            out.append((a.name, message) if placed else message)
    return out


def _overlap_prefix(name: str) -> str:
    """How an overlap message names its slot and field (the form shows the rest beside the field)."""
    return f"slot {quote(name)}: start/end: "


def _dates_meet(a: Slot, b: Slot) -> bool:
    lo = max(a.since or date.min, b.since or date.min)
    hi = min(a.until or date.max, b.until or date.max)
    return lo <= hi


def _parse_each(raw: dict[str, Any], keys: tuple[str, ...], parse: Callable[[Any], Any], usage: str,
                bad: Callable[[str, str], None]) -> dict[str, Any]:
    """The given keys parsed (None from ``parse`` means unreadable: reported with ``usage``, left out)."""
    parsed: dict[str, Any] = {}
    for key in keys:
        if key in raw:
            value = parse(raw[key])
            if value is None:
                bad(key, f"{quote(raw[key])} is not {usage}")
            else:
                parsed[key] = value
    return parsed


def _clock(value: Any) -> time | None:
    if isinstance(value, time):
        return value.replace(tzinfo=None)
    if not isinstance(value, str) or not re.fullmatch(r"\d{1,2}:\d{2}", value.strip()):
        return None
    hours, minutes = (int(p) for p in value.strip().split(":"))
    if hours == 24 and minutes == 0:
        return time.max
    if hours > 23 or minutes > 59:
        return None
    return time(hours, minutes)


def _date(value: Any) -> date | None:
    if isinstance(value, date) and not hasattr(value, "hour"):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None






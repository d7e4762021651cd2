"""The ICS source: Outlook / Exchange .ics exports, one file per person (the file stem names the person)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events

from ..errors import IcsError, InputError
from ..frame import MailboxFailure, SourceData, from_records
from ..window import Window
from . import ics_bounds
from .ics_event import EventMapper, Identity, likely_owner
from .ics_text import prepare
from .windows_zones import iana_zone

OPEN_ENDED_HORIZON = timedelta(days=28)
MAX_WEEKS = 52
MAX_AHEAD = timedelta(days=366)  # a natural window ends at most this far after today: one typo'd year moves no one


@dataclass
class IcsFile:
    """One person's parsed export: its calendars with unreadable VEVENTs already removed."""

    path: Path
    person: str
    calendars: list[icalendar.Calendar] = field(default_factory=list)


def person_of(path: Path) -> str:
    """The person a file belongs to: its stem, lower-cased when it is an email address."""
    stem = path.stem
    return stem.lower() if "@" in stem else stem


def expand_folders(paths: Sequence[Path]) -> list[Path]:
    """A folder given as a file stands for the .ics files directly in it (in name order); one with none is refused."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix.lower() == ".ics" and p.is_file())
            if not found:
                raise InputError(f"{path}: a folder with no .ics files in it (give the export files, or a folder "
                                 "that holds them)")
            out.extend(found)
        else:
            out.append(path)
    return out


def read_ics(paths: Sequence[Path], window: Window | None, tz: str = "Europe/London",
             today: date | None = None) -> SourceData:
    """Read one .ics export per person into the events frame, expanding recurrences over ``window``."""
    paths = expand_folders([Path(p) for p in paths])
    seen: dict[str, Path] = {}
    for path in paths:
        person = person_of(path)
        if person in seen:
            raise InputError(f"{seen[person]} and {path} are both for {person!r}: give one file per person")
        seen[person] = path
    notes: list[str] = []
    files: list[IcsFile] = []
    failures: list[MailboxFailure] = []
    for path in paths:  # a file that cannot be read is named; everyone else is still reported
        try:
            files.append(load(path, tz, notes))
        except IcsError as exc:
            failures.append(MailboxFailure(person_of(path), str(exc), bad_input=True))
    if not files and failures:
        raise IcsError("\n".join(f.reason for f in failures))
    if window is None:
        window = natural_window(files, tz, today or date.today(), notes)
    records: list[dict[str, Any]] = []
    outside: list[tuple[date, date]] = []
    for f in files:
        found = occurrences(f, window, tz, notes)
        if not found:
            first, last = extent([f], tz, today or date.today())
            if first is not None and last is not None:
                outside.append((first, last))
        records.extend(found)
    if outside:
        notes.append(outside_note(outside, window))
    return SourceData(events=from_records(records), people=[f.person for f in files], notes=notes, window=window,
                      failures=failures)


def outside_note(spans: Sequence[tuple[date, date]], window: Window) -> str:
    """'4 files have no events in this window; their events run 2015–2021' (the years, or the days when few)."""
    first, last = min(s[0] for s in spans), max(s[1] for s in spans)
    n = len(spans)
    run = f"{first.year}–{last.year}" if first.year != last.year else f"{first} to {last}"
    whose = "its" if n == 1 else "their"
    return (f"{n} file{'s' if n != 1 else ''} {'has' if n == 1 else 'have'} no events in this window "
            f"({window.first} to {window.last}); {whose} events run {run}. Give --from and --to to read them.")


def load(path: Path, tz: str, notes: list[str]) -> IcsFile:
    """Read and parse one file; a VEVENT that cannot be read is dropped with a note."""
    try:
        size = path.stat().st_size
        if size > ics_bounds.MAX_FILE_BYTES:
            raise IcsError(f"{path}: the file is {size / 2**20:,.0f} MB; calendar-audit reads .ics files up to "
                           f"{ics_bounds.MAX_FILE_BYTES / 2**20:,.0f} MB (export a shorter period)")
        data = path.read_bytes()
    except FileNotFoundError:
        raise IcsError(f"{path}: file not found") from None
    except OSError as exc:
        raise IcsError(f"{path}: cannot read the file ({exc.strerror})") from None
    prepared = prepare(data, str(path), tz)
    notes.extend(prepared.notes)
    try:
        calendars = icalendar.Calendar.from_ical(prepared.text, multiple=True)
    except Exception as exc:  # icalendar raises bare ValueErrors and more for broken input
        raise IcsError(f"{path}: not a readable iCalendar file ({exc})") from None
    result = IcsFile(path, person_of(path), list(calendars))
    # the zone the export was written in: where Exchange's UTC UNTIL on an all-day series is local midnight
    local_zones = [z for z in prepared.zones.values() if z not in ("UTC", "Etc/UTC") and iana_zone(z)]
    file_zone = local_zones[0] if local_zones else tz
    if not any(cal.walk("VEVENT") for cal in result.calendars):
        notes.append(f"{path}: the file holds a calendar header but no events (an empty calendar, or an export "
                     "of a period with nothing in it)")
    for cal in result.calendars:
        for event in list(cal.walk("VEVENT")):
            if not _uid(event):
                event["UID"] = _made_up_uid(event)
            problem = _unreadable(event)
            if problem:
                notes.append(f"{path}: skipped VEVENT {_uid(event) or '(no UID)'}: {problem}")
                _remove(cal, event)
        _local_series_until(cal, file_zone, tz)
    return result


def _local_series_until(cal: icalendar.Calendar, file_zone: str, tz: str) -> None:
    """Make a UTC UNTIL local where the series' start is: a DATE on an all-day series, a floating time on a
    floating one, so the last instance is kept.

    Exchange writes UNTIL as the UTC start of the last instance: UNTIL=20200916T230000Z for an all-day series
    whose last day is 2020-09-17 (00:00 BST), UNTIL=20261019T090000Z for a floating 10:00 series whose last
    instance is on 19 Oct 2026 (10:00 BST). Compared as written, either would drop that instance. Floating times
    are the team's zone's (``tz``), so their UNTIL is read there.
    """
    zones: dict[str, Any] = {}
    for event in cal.walk("VEVENT"):
        rid = event["RECURRENCE-ID"].dt if "RECURRENCE-ID" in event else None
        if isinstance(rid, datetime) and rid.tzinfo is not None:
            zones.setdefault(_uid(event), rid.tzinfo)
    for event in cal.walk("VEVENT"):
        rule = event.get("RRULE")
        start = event["DTSTART"].dt
        floating = isinstance(start, datetime) and start.tzinfo is None
        if (isinstance(start, datetime) and not floating) or rule is None or isinstance(rule, list):
            continue
        untils = rule.get("UNTIL") or []
        if not untils or not isinstance(untils[0], datetime):
            continue
        until = untils[0]
        if floating:
            if until.tzinfo is not None:
                rule["UNTIL"] = [until.astimezone(ZoneInfo(tz)).replace(tzinfo=None)]
            continue
        if until.tzinfo is not None:
            until = until.astimezone(zones.get(_uid(event)) or ZoneInfo(file_zone))
        rule["UNTIL"] = [until.date()]


def _made_up_uid(event: icalendar.Event) -> str:
    """A stable stand-in for a missing UID, so the event's ids do not change between runs."""
    seed = "|".join(event.get(name).to_ical().decode(errors="replace") if name in event else ""
                    for name in ("DTSTART", "SUMMARY", "RECURRENCE-ID"))
    return "no-uid-" + hashlib.sha1(seed.encode()).hexdigest()[:16]


def _uid(event: icalendar.Event) -> str:
    return str(event.get("UID", "")).strip()


def _remove(parent: icalendar.Component, target: icalendar.Component) -> None:
    """Remove a component wherever it sits under ``parent``."""
    for sub in parent.subcomponents:
        if sub is target:
            parent.subcomponents.remove(sub)
            return
        _remove(sub, target)


def _unreadable(event: icalendar.Event) -> str:
    """Why a VEVENT cannot be used ("" when it can)."""
    try:
        start = event["DTSTART"].dt
    except KeyError:
        return "no DTSTART"
    except Exception:
        return "DTSTART is not a date or time"
    if not isinstance(start, date):
        return "DTSTART is not a date or time"
    try:
        end = _end(event, start)
        for name in ("RECURRENCE-ID",):
            if name in event:
                _ = event[name].dt
    except Exception:
        return "DTEND, DURATION or RECURRENCE-ID is not readable"
    if _as_utc(end) < _as_utc(start):
        return "ends before it starts"
    return ""


def _end(event: icalendar.Component, start: date) -> date:
    """DTEND, else DTSTART + DURATION, else RFC 5545's default (a day for a date, zero for a time)."""
    if "DTEND" in event:
        end = event["DTEND"].dt
    elif "DURATION" in event:
        end = start + event["DURATION"].dt
    else:
        end = start if isinstance(start, datetime) else start + timedelta(days=1)
    if not isinstance(start, datetime) and isinstance(end, datetime):
        end = end.date()
    return end


def _as_utc(value: date, tz: str = "UTC") -> datetime:
    """A date (00:00 UTC), floating time (in ``tz``) or zoned time, as UTC."""
    if not isinstance(value, datetime):
        return datetime.combine(value, time(0), tzinfo=UTC)
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(tz))
    return value.astimezone(UTC)


def _local_date(value: date, tz: str) -> date:
    return value.astimezone(ZoneInfo(tz)).date() if isinstance(value, datetime) and value.tzinfo else (
        value.date() if isinstance(value, datetime) else value)


def natural_window(files: Sequence[IcsFile], tz: str, today: date, notes: list[str] | None = None) -> Window:
    """Monday of the earliest start to Sunday of the latest end (open series: today + 28 days), at most 52 weeks
    (the latest ones, said in a note), ending at most a year after today."""
    first, last = extent(files, tz, today, notes)
    if first is None or last is None:
        return Window.weeks_from(today, 1, tz)
    monday = first - timedelta(days=first.weekday())
    sunday = last + timedelta(days=6 - last.weekday())
    capped = max(monday, sunday - timedelta(days=7 * MAX_WEEKS - 1))
    if capped > monday and notes is not None:
        notes.append(f"The files' events run from {first} to {last}; the report covers the last {MAX_WEEKS} weeks "
                     f"of them ({capped} to {sunday}). Give --from and --to for another period.")
    return Window(capped, sunday, tz)


def extent(files: Sequence[IcsFile], tz: str, today: date,
           notes: list[str] | None = None) -> tuple[date | None, date | None]:
    """The first and last local day the files' events cover (open series: today + 28 days; nothing later than
    a year after today, said in a note)."""
    first: date | None = None
    last: date | None = None
    horizon = today + OPEN_ENDED_HORIZON
    cap = today + MAX_AHEAD
    beyond: list[date] = []
    for f in files:
        for cal in f.calendars:
            for event in cal.walk("VEVENT"):
                start = event["DTSTART"].dt
                end = _end(event, start)
                begin_day = _local_date(start, tz)
                # an exclusive end: the last day covered is the day of the instant just before it
                end_day = (end - timedelta(days=1) if not isinstance(end, datetime)
                           else _local_date(_as_utc(end, tz) - timedelta(microseconds=1), tz))
                end_day = max(end_day, begin_day)
                rule = event.get("RRULE")
                if rule is not None:
                    rules = rule if isinstance(rule, list) else [rule]
                    if any("UNTIL" not in r and "COUNT" not in r for r in rules):
                        end_day = max(end_day, horizon)
                    else:
                        end_day = max(end_day, _series_last_day(cal, event, tz))
                if begin_day > cap:  # a typo'd year (2206, 9999) must not carry everyone's window away
                    beyond.append(begin_day)
                    continue
                end_day = min(end_day, cap)
                first = begin_day if first is None else min(first, begin_day)
                last = end_day if last is None else max(last, end_day)
    if beyond and notes is not None:
        notes.append(f"{len(beyond)} event(s) starting after {cap} (the latest on {max(beyond)}) are outside the "
                     "window chosen; give --from and --to to read them")
    return first, last


def _series_last_day(cal: icalendar.Calendar, master: icalendar.Event, tz: str) -> date:
    """The last local day a bounded series (UNTIL or COUNT) covers, overrides included."""
    mini = icalendar.Calendar()
    uid = _uid(master)
    for event in cal.walk("VEVENT"):
        if _uid(event) == uid:
            mini.add_component(event)
    last = _local_date(master["DTSTART"].dt, tz)
    if ics_bounds.too_big(master, datetime.min.replace(tzinfo=UTC), datetime(9999, 1, 1, tzinfo=UTC), tz):
        return last  # measured, not expanded: it is skipped with a note if the window reaches it
    try:
        for occ in recurring_ical_events.of(mini).all():
            start = occ["DTSTART"].dt
            end = _end(occ, start)
            day = (end - timedelta(days=1) if not isinstance(end, datetime)
                   else _local_date(_as_utc(end, tz) - timedelta(microseconds=1), tz))
            last = max(last, day)
    except Exception:  # a broken series is reported when it is expanded; here it only bounds the window
        return last
    return last


def occurrences(f: IcsFile, window: Window, tz: str, notes: list[str]) -> list[dict[str, Any]]:
    """Every occurrence in ``f`` overlapping ``window``, as events-frame records."""
    # query a day wider than the window, then keep exact overlaps: all-day and floating items need the slack
    lo = window.start.to_pydatetime() - timedelta(days=1)
    hi = window.end.to_pydatetime() + timedelta(days=1)
    identity = Identity.of(f.person)
    if identity.address is None:  # a plain file name: find the owner's address among the meetings
        owner, on, meetings = likely_owner(e for cal in f.calendars for e in cal.walk("VEVENT"))
        if owner and owner.split("@", 1)[0] != identity.stem:
            identity = replace(identity, likely=owner)
            notes.append(f"{f.path}: took {owner} to be {f.person} (on {on} of {meetings} meetings), for the "
                         "responses; name the file after the address to say so")
    records = []
    for cal in f.calendars:
        method_cancel = str(cal.get("METHOD", "")).strip().upper() == "CANCEL"
        series_uids = {_uid(e) for e in cal.walk("VEVENT")
                       if any(name in e for name in ("RRULE", "RDATE", "RECURRENCE-ID"))}
        mapper = EventMapper(f.person, identity, tz, method_cancel, series_uids)
        for occ in _expand(cal, lo, hi, f.path, notes):
            record = mapper.record(occ)
            if _overlaps(record, window):
                records.append(record)
    return records


def _expand(cal: icalendar.Calendar, lo: datetime, hi: datetime, path: Path,
            notes: list[str]) -> list[icalendar.Event]:
    """Occurrences between lo and hi; a series that cannot be expanded, or is too big to, is skipped with a note."""
    for event in list(cal.walk("VEVENT")):
        problem = ics_bounds.too_big(event, lo, hi, "UTC") if "RRULE" in event else ""
        if problem:
            notes.append(f"{path}: skipped VEVENT {_uid(event) or '(no UID)'}: {problem}")
            for other in [e for e in cal.walk("VEVENT") if _uid(e) == _uid(event)]:
                _remove(cal, other)
    try:
        return list(recurring_ical_events.of(cal).between(lo, hi))
    except Exception:  # find the culprit series: expand each UID on its own
        pass
    groups: dict[str, list[icalendar.Event]] = {}
    for event in cal.walk("VEVENT"):
        groups.setdefault(_uid(event), []).append(event)
    out: list[icalendar.Event] = []
    for uid, events in groups.items():
        mini = icalendar.Calendar()
        for event in events:
            mini.add_component(event)
        try:
            out.extend(recurring_ical_events.of(mini).between(lo, hi))
        except Exception as exc:
            notes.append(f"{path}: skipped VEVENT {uid or '(no UID)'}: its recurrence cannot be read ({exc})")
    return out


def _overlaps(record: dict[str, Any], window: Window) -> bool:
    """Whether an occurrence overlaps the window: all-day items by date, timed ones by instant."""
    start: datetime = record["start"]
    end: datetime = record["end"]
    if record["is_all_day"]:
        return start.date() <= window.last and end.date() > window.first
    lo, hi = window.start.to_pydatetime(), window.end.to_pydatetime()
    if end == start:
        return lo <= start < hi
    return start < hi and end > lo

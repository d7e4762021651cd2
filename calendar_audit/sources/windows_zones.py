"""Resolve the TZIDs Outlook and Exchange write (Windows IDs, display names, custom zones) to IANA zones."""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta, tzinfo
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from dateutil.rrule import rrulestr
from icalendar import Timezone
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

#: Windows display names (the text after "(UTC+hh:mm) ") -> Windows zone ID; OWA exports use these as TZIDs.
DISPLAY_NAMES: dict[str, str] = {
    "coordinated universal time": "UTC",
    "dublin, edinburgh, lisbon, london": "GMT Standard Time",
    "greenwich mean time : dublin, edinburgh, lisbon, london": "GMT Standard Time",
    "greenwich mean time: dublin, edinburgh, lisbon, london": "GMT Standard Time",
    "monrovia, reykjavik": "Greenwich Standard Time",
    "amsterdam, berlin, bern, rome, stockholm, vienna": "W. Europe Standard Time",
    "belgrade, bratislava, budapest, ljubljana, prague": "Central Europe Standard Time",
    "brussels, copenhagen, madrid, paris": "Romance Standard Time",
    "sarajevo, skopje, warsaw, zagreb": "Central European Standard Time",
    "west central africa": "W. Central Africa Standard Time",
    "athens, bucharest": "GTB Standard Time",
    "helsinki, kyiv, riga, sofia, tallinn, vilnius": "FLE Standard Time",
    "helsinki, kiev, riga, sofia, tallinn, vilnius": "FLE Standard Time",
    "jerusalem": "Israel Standard Time",
    "cairo": "Egypt Standard Time",
    "harare, pretoria": "South Africa Standard Time",
    "istanbul": "Turkey Standard Time",
    "moscow, st. petersburg": "Russian Standard Time",
    "moscow, st. petersburg, volgograd": "Russian Standard Time",
    "nairobi": "E. Africa Standard Time",
    "abu dhabi, muscat": "Arabian Standard Time",
    "islamabad, karachi": "Pakistan Standard Time",
    "chennai, kolkata, mumbai, new delhi": "India Standard Time",
    "bangkok, hanoi, jakarta": "SE Asia Standard Time",
    "beijing, chongqing, hong kong, urumqi": "China Standard Time",
    "kuala lumpur, singapore": "Singapore Standard Time",
    "perth": "W. Australia Standard Time",
    "osaka, sapporo, tokyo": "Tokyo Standard Time",
    "seoul": "Korea Standard Time",
    "adelaide": "Cen. Australia Standard Time",
    "darwin": "AUS Central Standard Time",
    "brisbane": "E. Australia Standard Time",
    "canberra, melbourne, sydney": "AUS Eastern Standard Time",
    "hobart": "Tasmania Standard Time",
    "auckland, wellington": "New Zealand Standard Time",
    "atlantic time (canada)": "Atlantic Standard Time",
    "newfoundland": "Newfoundland Standard Time",
    "eastern time (us & canada)": "Eastern Standard Time",
    "central time (us & canada)": "Central Standard Time",
    "mountain time (us & canada)": "Mountain Standard Time",
    "arizona": "US Mountain Standard Time",
    "pacific time (us & canada)": "Pacific Standard Time",
    "alaska": "Alaskan Standard Time",
    "hawaii": "Hawaiian Standard Time",
    "brasilia": "E. South America Standard Time",
}

_PREFIX = re.compile(r"^\(\s*(?:UTC|GMT)\s*(?:([+-])\s*(\d{1,2})(?::?(\d{2}))?)?\s*\)\s*(.*)$", re.IGNORECASE)
_SKIP_ZONES = {"Factory", "localtime", "posixrules", "leapseconds"}


def clean_tzid(tzid: str) -> str:
    """A TZID as a lookup key: quotes, surrounding slashes and text escapes removed."""
    value = tzid.strip().strip('"').strip()
    value = value.replace("\\,", ",").replace("\\;", ";").replace("\\\\", "\\")
    return re.sub(r"\s+", " ", value)


def iana_zone(name: str) -> str | None:
    """``name`` when it is an IANA zone known to zoneinfo, else None."""
    if not name or name in _SKIP_ZONES or name.startswith(("/", ".")) or ".." in name:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None
    return name


def zone_from_name(tzid: str) -> str | None:
    """The IANA zone a TZID names outright: an IANA name, a Windows ID, or a known Windows display name."""
    name = clean_tzid(tzid)
    for candidate in (name, name.strip("/")):
        if iana_zone(candidate):
            return candidate
        if candidate in WINDOWS_TO_OLSON:
            return WINDOWS_TO_OLSON[candidate]
    match = _PREFIX.match(name)
    if match:
        text = match.group(4).strip().lower()
        if not text and not match.group(1):
            return "UTC"
        windows_id = DISPLAY_NAMES.get(text)
        if windows_id:
            return "UTC" if windows_id == "UTC" else WINDOWS_TO_OLSON.get(windows_id)
    return None


def display_offset(tzid: str) -> timedelta | None:
    """The base UTC offset a display name states, e.g. "(UTC-05:00) ..." -> -5 h."""
    match = _PREFIX.match(clean_tzid(tzid))
    if not match:
        return None
    if not match.group(1):
        return timedelta(0)
    minutes = int(match.group(2)) * 60 + int(match.group(3) or 0)
    return timedelta(minutes=minutes if match.group(1) == "+" else -minutes)


def zone_from_cities(tzid: str) -> str | None:
    """Guess from the city names in a display name ("(UTC+07:00) Bangkok, Hanoi") with a matching offset."""
    offset = display_offset(tzid)
    if offset is None:
        return None
    words = clean_tzid(tzid).lower()
    best: tuple[int, str] | None = None
    for zone in _candidate_zones():
        city = zone.rsplit("/", 1)[-1].replace("_", " ").lower()
        position = words.find(city)
        if position < 0 or len(city) < 4:
            continue
        if offset not in _standard_offsets(zone):
            continue
        if best is None or position < best[0]:
            best = (position, zone)
    return best[1] if best else None


@cache
def _candidate_zones() -> tuple[str, ...]:
    """IANA zones to match a custom VTIMEZONE against: CLDR's zone for each Windows ID first, then the rest."""
    golden = list(dict.fromkeys(v for _, v in sorted(WINDOWS_TO_OLSON.items()) if iana_zone(v)))
    rest = sorted(z for z in available_timezones() if z not in golden and z not in _SKIP_ZONES)
    return (*golden, "UTC", *rest)


@cache
def _standard_offsets(zone: str) -> frozenset[timedelta]:
    """The zone's offsets in mid-January and mid-July of recent years (its plausible base offsets)."""
    tz = ZoneInfo(zone)
    out = set()
    for year in (2019, 2024):
        for month in (1, 7):
            offset = datetime(year, month, 15, 12, tzinfo=UTC).astimezone(tz).utcoffset()
            if offset is not None:
                out.add(offset)
    return frozenset(out)


def _samples(years: Iterable[int]) -> list[datetime]:
    """UTC instants every 6 hours through each year: fine enough to tell DST rules apart."""
    out = []
    for year in sorted(set(years)):
        t = datetime(year, 1, 1, tzinfo=UTC)
        end = datetime(year + 1, 1, 1, tzinfo=UTC)
        while t < end:
            out.append(t)
            t += timedelta(hours=6)
    return out


def _offsets(tz: tzinfo, instants: list[datetime]) -> list[timedelta | None]:
    return [t.astimezone(tz).utcoffset() for t in instants]


def match_rules(offset_at: Callable[[datetime], timedelta | None], years: Iterable[int], hint: str = "") -> (
        str | None):
    """The IANA zone whose offsets equal ``offset_at`` at every sample in ``years``; ties go to a city in ``hint``."""
    instants = _samples(years)
    if not instants:
        return None
    wanted = [offset_at(t) for t in instants]
    coarse = [instants[i] for i in range(0, len(instants), 120)]  # ~monthly, to discard most zones cheaply
    coarse_wanted = [wanted[i] for i in range(0, len(instants), 120)]
    matches = []
    for zone in _candidate_zones():
        tz = ZoneInfo(zone)
        if _offsets(tz, coarse) != coarse_wanted:
            continue
        if _offsets(tz, instants) == wanted:
            matches.append(zone)
    if not matches:
        return None
    words = clean_tzid(hint).lower()
    for zone in matches:
        city = zone.rsplit("/", 1)[-1].replace("_", " ").lower()
        if len(city) >= 4 and city in words:
            return zone
    return matches[0]


def vtimezone_offsets(component: Timezone, years: Iterable[int]) -> Callable[[datetime], timedelta | None]:
    """The UTC offset a VTIMEZONE gives at each instant of ``years``.

    Computed from its STANDARD/DAYLIGHT rules year by year: dateutil's VTIMEZONE reader replays Exchange's
    rules from their 1601 DTSTART on every lookup, which is far too slow to compare against every IANA zone.
    """
    span = sorted(set(years))
    first, last = span[0] - 1, span[-1] + 1
    transitions: list[tuple[datetime, timedelta, timedelta]] = []  # (UTC instant, offset after, offset before)
    for sub in component.subcomponents:
        if sub.name not in ("STANDARD", "DAYLIGHT") or "DTSTART" not in sub or "TZOFFSETTO" not in sub:
            continue
        start = sub["DTSTART"].dt.replace(tzinfo=None)
        to = sub["TZOFFSETTO"].td
        before = sub["TZOFFSETFROM"].td if "TZOFFSETFROM" in sub else to
        local = [start]
        rdates = sub.get("RDATE")
        for rdate in rdates if isinstance(rdates, list) else [rdates] if rdates is not None else []:
            for value in (d.dt for d in rdate.dts):
                local.append(value[0] if isinstance(value, tuple) else value)
        if "RRULE" in sub:
            # replay a yearly rule from just before the years asked about, not from 1601
            base = start if start.year >= first else start.replace(year=first, day=min(start.day, 28))
            rule = rrulestr(sub["RRULE"].to_ical().decode(), dtstart=base, ignoretz=True)
            local.extend(rule.between(base, datetime(last + 1, 1, 1), inc=True))
        transitions.extend((t.replace(tzinfo=None) - before, to, before) for t in local)
    transitions.sort(key=lambda item: item[0])
    instants = [t for t, _, _ in transitions]

    def offset_at(moment: datetime) -> timedelta | None:
        i = bisect.bisect_right(instants, moment.astimezone(UTC).replace(tzinfo=None))
        if i:
            return transitions[i - 1][1]
        return transitions[0][2] if transitions else None

    return offset_at

"""The text layer of an .ics file: decode, unfold, check the structure, repair Outlook quirks, rewrite TZIDs.

icalendar parses what comes out. Every TZID is rewritten here to an IANA zone (or to a unique name for a custom
VTIMEZONE that matches no real zone), so icalendar's process-wide timezone cache never mixes up two files'
"Customized Time Zone"s, and Windows names never reach it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from functools import lru_cache

from icalendar import Timezone

from ..errors import IcsError
from .windows_zones import clean_tzid, match_rules, vtimezone_offsets, zone_from_cities, zone_from_name

# properties never read, dropped before parsing: attachments and HTML bodies make exports tens of MB, and are
# personal data calendar-audit has no use for
DROPPED = frozenset({"ATTACH", "X-ALT-DESC"})
MAX_DESCRIPTION_CHARS = 65536  # plenty to tell whether a body states a purpose


@dataclass(frozen=True)
class Line:
    """One logical (unfolded) content line and the physical line it starts on."""

    number: int
    text: str


@dataclass
class Prepared:
    """A cleaned iCalendar text ready for icalendar, with what was repaired or guessed."""

    text: str
    zones: dict[str, str] = field(default_factory=dict)  # cleaned TZID -> IANA zone (or custom name)
    notes: list[str] = field(default_factory=list)


def decode(data: bytes, name: str) -> str:
    """Bytes -> text: UTF-16 with a BOM, UTF-8 (with or without BOM), else Windows-1252; binary is refused."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):  # Windows tools save "Unicode" text as UTF-16 with a BOM
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise IcsError(f"{name}: cannot decode the file as UTF-16 (byte {exc.start})") from None
    if b"\x00" in data[:65536]:
        # Exchange's published calendars pad TZIDs with NUL bytes: text that starts as iCalendar loses its NULs;
        # anything else with NULs in it (a zip, a spreadsheet, a picture) is binary
        if not data.removeprefix(b"\xef\xbb\xbf").lstrip().upper().startswith(b"BEGIN:VCALENDAR"):
            raise IcsError(f"{name}: not an iCalendar file (binary data)")
        data = data.replace(b"\x00", b"")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise IcsError(f"{name}: cannot decode the file as UTF-8 or Windows-1252 (byte {exc.start})") from None


def logical_lines(text: str) -> list[Line]:
    """Unfold continuation lines (RFC 5545 3.1); blank lines are dropped."""
    # pieces are joined once per line: adding to a growing string is quadratic on a folded 50 MB attachment
    starts: list[int] = []
    pieces: list[list[str]] = []
    for number, raw in enumerate(re.split(r"\r\n|\n|\r", text), start=1):
        if raw[:1] in (" ", "\t") and pieces:
            pieces[-1].append(raw[1:])
        elif raw.strip():
            starts.append(number)
            pieces.append([raw])
    # some exporters pad every line with spaces: a value never ends in white space that matters here
    return [Line(number, "".join(parts).rstrip(" \t")) for number, parts in zip(starts, pieces, strict=True)]


def split_property(text: str) -> tuple[str, list[tuple[str, str]], str] | None:
    """NAME;P=V;...:VALUE -> (name, [(param, raw value)], value); None when there is no ':' outside quotes."""
    quoted = False
    cuts: list[int] = []
    colon = -1
    for i, ch in enumerate(text):
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch == ";":
            cuts.append(i)
        elif not quoted and ch == ":":
            colon = i
            break
    if colon < 0:
        return None
    value = text[colon + 1 :]
    bounds = [-1, *[c for c in cuts if c < colon], colon]
    parts = [text[bounds[i] + 1 : bounds[i + 1]] for i in range(len(bounds) - 1)]
    params = []
    for part in parts[1:]:
        key, _, raw = part.partition("=")
        params.append((key.strip(), raw))
    return parts[0], params, value


def _repair_quote(text: str) -> str | None:
    """Outlook's ``;TZID="Zone:20200609T090000"`` (closing quote after the value) -> ``;TZID="Zone":2020...``."""
    if not text.endswith('"'):
        return None
    opening = text.rfind('"', 0, len(text) - 1)
    inner = text[opening + 1 : -1]
    if opening < 0 or ":" not in inner:
        return None
    cut = inner.rfind(":")
    return f'{text[:opening + 1]}{inner[:cut]}":{inner[cut + 1:]}'


def _join(name: str, params: list[tuple[str, str]], value: str) -> str:
    return "".join([name, *[f";{k}={v}" for k, v in params], ":", value])


def _structure(lines: list[Line], name: str,
               notes: list[str]) -> list[tuple[Line, tuple[str, list[tuple[str, str]], str]]]:
    """Parse every line and check BEGIN/END nesting; refuse a file that is not iCalendar or is truncated inside a
    component (a file cut just after a component is read, with a note)."""
    if not lines or lines[0].text.strip().upper() != "BEGIN:VCALENDAR":
        raise IcsError(f"{name}: not an iCalendar file (line 1 is not BEGIN:VCALENDAR)")
    stack: list[tuple[str, int]] = []
    out = []
    for line in lines:
        parsed = split_property(line.text)
        if parsed is None:
            repaired = _repair_quote(line.text)
            parsed = split_property(repaired) if repaired else None
        if parsed is None:
            raise IcsError(f"{name}: line {line.number}: not an iCalendar content line (no ':')")
        prop, params, value = parsed
        upper = prop.upper()
        if upper == "BEGIN":
            # several VCALENDARs in one file are allowed; anything else outside one is not
            if not stack and out and value.strip().upper() != "VCALENDAR":
                raise IcsError(f"{name}: line {line.number}: BEGIN:{value.strip()} outside VCALENDAR")
            stack.append((value.strip().upper(), line.number))
        elif upper == "END":
            closing = value.strip().upper()
            if not stack:
                raise IcsError(f"{name}: line {line.number}: END:{value.strip()} without BEGIN")
            top, began = stack[-1]
            # upstream Exchange files end with the typo END:VCALENDARD: accept a near-miss on the outermost END
            if closing != top and not (top == "VCALENDAR" and len(stack) == 1 and closing.startswith(top)):
                raise IcsError(
                    f"{name}: line {line.number}: END:{value.strip()} does not close BEGIN:{top} (line {began})")
            stack.pop()
            parsed = (prop, params, top)
        elif not stack:
            raise IcsError(f"{name}: line {line.number}: content outside BEGIN:VCALENDAR ... END:VCALENDAR")
        out.append((line, parsed))
    if len(stack) > 1:
        top, began = stack[-1]
        raise IcsError(f"{name}: line {began}: BEGIN:{top} is never closed (is the file truncated?)")
    if stack:  # only END:VCALENDAR is missing: every component is complete, so read it, and say so
        notes.append(f"{name}: the file ends at line {lines[-1].number} without END:VCALENDAR: it looks truncated "
                     "(cut short in a copy or a download); the events before that line are read")
        out.append((Line(lines[-1].number + 1, "END:VCALENDAR"), ("END", [], "VCALENDAR")))
    return out


def _years(parsed: list[tuple[Line, tuple[str, list[tuple[str, str]], str]]]) -> list[int]:
    """The years the file's events start in (at most the latest six): what a custom zone must match."""
    years = set()
    for _, (prop, _, value) in parsed:
        if prop.upper() == "DTSTART" and re.match(r"\s*\d{8}", value):
            year = int(value.strip()[:4])
            if 1900 < year < 2200:
                years.add(year)
    return sorted(years)[-6:]


@lru_cache(maxsize=256)
def _match_block(block: str, years: tuple[int, ...], key: str) -> str | None:
    """The IANA zone a VTIMEZONE's rules match (cached: a team's exports repeat the same custom zones)."""
    return match_rules(vtimezone_offsets(Timezone.from_ical(block), years), years, key)


def _resolve(key: str, vtimezone: list[Line] | None, years: list[int], name: str, tz: str,
             notes: list[str]) -> tuple[str, bool]:
    """(IANA zone or custom name, keep the VTIMEZONE block) for one cleaned TZID."""
    zone = zone_from_name(key)
    if zone:
        return zone, False
    if vtimezone is not None:
        zone = _match_block("\r\n".join(line.text for line in vtimezone), tuple(years or [2024]), key)
        if zone:
            return zone, False
        zone = zone_from_cities(key)
        if zone:
            return zone, False
        digest = hashlib.sha1("\n".join(line.text for line in vtimezone).encode()).hexdigest()[:12]
        notes.append(f"{name}: time zone {key!r} matches no IANA zone; its VTIMEZONE rules are used as written")
        return f"X-CALENDAR-AUDIT-{digest}", True
    zone = zone_from_cities(key)
    if zone:
        return zone, False
    notes.append(f"{name}: unknown time zone {key!r} (no VTIMEZONE); its times are read as {tz}")
    return tz, False


def prepare(data: bytes, name: str, tz: str) -> Prepared:
    """Decode, check and repair one file's bytes; every TZID becomes an IANA zone where one fits."""
    lines = logical_lines(decode(data, name))
    result = Prepared("")
    parsed = _structure(lines, name, result.notes)
    blocks: dict[str, list[Line]] = {}
    used: set[str] = set()
    current: list[Line] | None = None
    for line, (prop, params, value) in parsed:
        upper = prop.upper()
        if upper == "BEGIN" and value.strip().upper() == "VTIMEZONE":
            current = [line]
        elif current is not None:
            current.append(line)
            if upper == "END" and value == "VTIMEZONE":
                tzid = next((split_property(x.text) for x in current if x.text.upper().startswith("TZID")), None)
                if tzid:
                    blocks.setdefault(clean_tzid(tzid[2]), current)
                current = None
        for key, raw in params:
            if key.upper() == "TZID":
                used.add(clean_tzid(raw))
    years = _years(parsed)
    keep: set[str] = set()
    for key in sorted(used):
        zone, keep_block = _resolve(key, blocks.get(key), years, name, tz, result.notes)
        result.zones[key] = zone
        if keep_block:
            keep.add(key)
    out: list[str] = []
    in_vtimezone: str | None = None
    for _line, (prop, params, value) in parsed:
        upper = prop.upper()
        if upper == "BEGIN" and value.strip().upper() == "VTIMEZONE":
            in_vtimezone = ""
            buffer: list[str] = []
        if in_vtimezone is not None:
            if upper == "TZID":
                in_vtimezone = clean_tzid(value)
                value = result.zones.get(in_vtimezone, value)
            buffer.append(_join(prop, params, value))
            if upper == "END" and value == "VTIMEZONE":
                if in_vtimezone in keep:
                    out.extend(buffer)
                in_vtimezone = None
            continue
        if upper in DROPPED:
            continue
        if upper == "DESCRIPTION":
            value = value[:MAX_DESCRIPTION_CHARS]
        params = [(k, result.zones[clean_tzid(v)]) if k.upper() == "TZID" else (k, v) for k, v in params]
        if upper in ("RRULE", "EXRULE", "EXDATE", "RDATE"):
            value = re.sub(r"\s+", "", value)  # Exchange CDO writes "BYDAY=MO, TU, WE"
        out.append(_join(prop, params, value))
    result.text = "\r\n".join(out) + "\r\n"
    return result

"""Graph JSON -> the events frame and working hours. The only place Graph's event and mailbox shapes are read.

Events arrive with ``Prefer: outlook.timezone="UTC"`` as ``{"dateTime": "...", "timeZone": "UTC"}``; a server that
ignored the preference is handled by converting the named zone. All-day events become their calendar dates at
00:00 UTC (the frame's convention). Nulls, missing fields and unknown enum values never fail a page: they take the
frame's defaults or ``unknown`` / ``none``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
import pandas as pd

from .. import frame
from ..frame import WorkingHours
from .windows_zones import match_rules, zone_from_name

#: the event fields the frame needs: $select on calendarView (delta returns whole events regardless).
SELECT = (
    "id", "type", "seriesMasterId", "iCalUId", "subject", "start", "end", "isAllDay", "showAs", "responseStatus",
    "isCancelled", "attendees", "organizer", "categories", "isOnlineMeeting", "location", "sensitivity",
)

_ROW_ORDER = (
    "person", "event_id", "series_id", "ical_uid", "subject", "start", "end", "is_all_day", "show_as", "response",
    "is_cancelled", "is_optional", "attendee_count", "organizer", "outlook_categories", "is_online", "location",
    "sensitivity", "has_agenda", "attendees",
)
_SHOW_AS = {s.lower(): s for s in frame.SHOW_AS}
_RESPONSES = {r.lower(): r for r in frame.RESPONSES}
_SENSITIVITY = {"normal", "personal", "private", "confidential"}
_DAYS = {"monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6}
# Online-meeting boilerplate that says nothing about a meeting's purpose.
_BOILERPLATE = re.compile(
    r"microsoft teams( meeting)?|join (on your computer|the meeting|with a video|conference)[^\n]*|meeting id:?[^\n]*"
    r"|passcode:?[^\n]*|dial[- ]in[^\n]*|learn more[^\n]*|meeting options[^\n]*|https?://\S+|zoom meeting|_{3,}",
    re.IGNORECASE,
)


def select_fields(read_agenda: bool) -> str:
    """The $select value: the frame's fields, plus bodyPreview when agenda detection is on."""
    return ",".join((*SELECT, "bodyPreview") if read_agenda else SELECT)


def states_purpose(preview: str) -> bool:
    """Whether a body preview says what a meeting is for (a few words beyond online-meeting boilerplate)."""
    text = _BOILERPLATE.sub(" ", preview or "")
    return len(re.findall(r"[^\W\d_]{2,}", text)) >= 3


# --- decoding: typed structs of the frame's fields, with a tolerant fallback ---------------------------------
# Delta pages cannot use $select, so they carry bodies and fields we drop; msgspec skips those in C, and gc=False
# structs stay out of the cyclic collector's reach (a page is ~50,000 containers as dicts). Every field is optional
# and nullable; a value of an unexpected type fails the whole page's typed decode, and that page is then read with
# json.loads and normalised field by field by ``event_from_dict`` into the same structs. The frame columns are
# built from the structs only (``events_to_columns``): one mapping, whichever way a page was decoded.
class Email(msgspec.Struct, gc=False):
    address: str | None = None


class Holder(msgspec.Struct, gc=False):
    """An ``{"emailAddress": {...}}`` holder (the organizer)."""

    emailAddress: Email | None = None


class Attendee(msgspec.Struct, gc=False):
    type: str | None = None
    emailAddress: Email | None = None


class When(msgspec.Struct, gc=False):
    """Graph's dateTimeTimeZone."""

    dateTime: str | None = None
    timeZone: str | None = None


class Response(msgspec.Struct, gc=False):
    response: str | None = None


class Location(msgspec.Struct, gc=False):
    displayName: str | None = None


class GraphEvent(msgspec.Struct, gc=False):
    """The fields of a Graph event the frame needs; ``removed`` is UNSET unless the item is an ``@removed``."""

    id: str | None = None
    type: str | None = None
    seriesMasterId: str | None = None
    iCalUId: str | None = None
    subject: str | None = None
    start: When | None = None
    end: When | None = None
    isAllDay: bool | None = None
    showAs: str | None = None
    responseStatus: Response | None = None
    isCancelled: bool | None = None
    attendees: tuple[Attendee, ...] | None = None
    organizer: Holder | None = None
    categories: tuple[str, ...] | None = None
    isOnlineMeeting: bool | None = None
    location: Location | None = None
    sensitivity: str | None = None
    bodyPreview: str | None = None
    changeKey: str | None = None  # the event's version (enforcement answers each version once)
    allowNewTimeProposals: bool | None = None
    removed: Any = msgspec.field(default=msgspec.UNSET, name="@removed")


class GraphPage(msgspec.Struct, gc=False):
    """One page of an events collection (calendarView or its delta)."""

    value: tuple[GraphEvent, ...] | None = None
    next_link: str | None = msgspec.field(default=None, name="@odata.nextLink")
    delta_link: str | None = msgspec.field(default=None, name="@odata.deltaLink")


_PAGE = msgspec.json.Decoder(GraphPage)


def decode_page(content: bytes) -> GraphPage:
    """A page of Graph events from its JSON bytes: typed decode, else (odd types, odd JSON) the tolerant path.

    JSON that ``json.loads`` rejects too raises its ``ValueError``.
    """
    if not content:  # 204 or an empty body: no events, no links
        return GraphPage()
    try:
        return _PAGE.decode(content)
    except msgspec.DecodeError:  # includes ValidationError: a number where text belongs, a null item, NaN ...
        return page_from_dict(json.loads(content))


def page_from_dict(body: Any) -> GraphPage:
    """A page from ``json.loads`` output, tolerant of any shape (a non-object page has no events and no links)."""
    if type(body) is not dict:
        return GraphPage()
    items = body.get("value")
    events = tuple(e for e in map(event_from_dict, items) if e is not None) if type(items) is list else ()
    next_link, delta_link = body.get("@odata.nextLink"), body.get("@odata.deltaLink")
    return GraphPage(events, str(next_link) if next_link else None, str(delta_link) if delta_link else None)


def _text(value: Any) -> str:
    """Graph text read tolerantly: null, false, 0 and empty shapes are ''; anything else its str()."""
    return str(value) if value else ""


def _email(holder: Any) -> Email | None:
    email = holder.get("emailAddress")
    return Email(_text(email.get("address"))) if type(email) is dict else None


def _when(value: Any) -> When | None:
    if type(value) is not dict or not value.get("dateTime"):
        return None
    return When(str(value["dateTime"]), _text(value.get("timeZone")) or "UTC")


def event_from_dict(ev: Any) -> GraphEvent | None:
    """A GraphEvent from one ``json.loads``-ed item of any shape: wrong types become the defaults; None if no
    object. ``type(x) is dict`` rather than an ABC check: json.loads only makes dicts, and it is ~5x cheaper."""
    if type(ev) is not dict:
        return None
    status, location, organizer = ev.get("responseStatus"), ev.get("location"), ev.get("organizer")
    attendees = ev.get("attendees")
    categories = ev.get("categories")
    return GraphEvent(
        id=_text(ev.get("id")) or None,
        type=_text(ev.get("type")),
        seriesMasterId=_text(ev.get("seriesMasterId")),
        iCalUId=_text(ev.get("iCalUId")),
        subject=_text(ev.get("subject")),
        start=_when(ev.get("start")),
        end=_when(ev.get("end")),
        isAllDay=ev.get("isAllDay") is True,
        showAs=_text(ev.get("showAs")),
        responseStatus=Response(_text(status.get("response"))) if type(status) is dict else None,
        isCancelled=ev.get("isCancelled") is True,
        attendees=tuple(Attendee(_text(a.get("type")), _email(a)) for a in attendees if type(a) is dict)
        if type(attendees) is list else (),
        organizer=Holder(_email(organizer)) if type(organizer) is dict else None,
        categories=tuple(str(c) for c in categories if c) if type(categories) is list else (),
        isOnlineMeeting=ev.get("isOnlineMeeting") is True,
        location=Location(_text(location.get("displayName"))) if type(location) is dict else None,
        sensitivity=_text(ev.get("sensitivity")),
        bodyPreview=_text(ev.get("bodyPreview")),
        changeKey=_text(ev.get("changeKey")),
        allowNewTimeProposals=ev.get("allowNewTimeProposals") is True,
        removed=ev.get("@removed", msgspec.UNSET),
    )


def versions_of(events: Iterable[GraphEvent]) -> list[tuple[str, str, bool]]:
    """(event id, changeKey, allowNewTimeProposals) of each event with an id (for the store's event_versions)."""
    return [(ev.id, ev.changeKey or "", ev.allowNewTimeProposals is True) for ev in events if ev.id]


def _utc_text(value: When | None, all_day: bool) -> str | None:
    """A naive UTC ISO timestamp from Graph's dateTimeTimeZone (all-day: the date at 00:00)."""
    if value is None or not value.dateTime:
        return None
    text = value.dateTime
    if all_day:
        return _checked(text[:10] + "T00:00:00")
    zone = value.timeZone or "UTC"
    text = text[:19]  # Graph writes 7 fractional digits; one uniform format keeps parsing vectorised
    if zone in _UTC_NAMES:
        return _checked(text)
    iana = zone_name(zone) or "UTC"
    try:
        local = datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(iana))
    except ValueError:
        return None
    return _checked(local.astimezone(UTC).replace(tzinfo=None, microsecond=0).isoformat())


_UTC_NAMES = frozenset({"UTC", "Etc/UTC", "tzone://Microsoft/Utc"})


def _checked(text: str) -> str | None:
    """``text`` as a uniform YYYY-MM-DDTHH:MM:SS, or None when it is no time the frame can hold (1900-2199)."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    if not 1900 <= value.year <= 2199:  # pandas' nanosecond timestamps end in 2262; Graph's null is 0001-01-01
        return None
    if len(text) == 19 and value.tzinfo is None:  # already uniform (the usual case): skip rebuilding it
        return text
    return value.replace(tzinfo=None, microsecond=0).isoformat()


def _address(holder: Holder | Attendee | None, seen: dict[str, str]) -> str:
    """The lower-cased address of an organizer or attendee, '' when absent (``seen`` memoises the normalising)."""
    email = holder.emailAddress if holder is not None else None
    raw = email.address if email is not None else None
    if not raw:
        return ""
    address = seen.get(raw)
    if address is None:
        address = seen[raw] = raw.strip().lower()
    return address


def events_to_columns(
    person: str, events: Iterable[GraphEvent | Mapping[str, Any]], *, read_agenda: bool = False,
    skipped: list[str] | None = None,
) -> dict[str, list]:
    """Map Graph events (typed, or ``json.loads``-ed dicts) to frame columns for ``person``; removed items, series
    masters and rows without an id or times are skipped (the unreadable ones' ids added to ``skipped``)."""
    person = person.lower()
    rows: list[tuple[Any, ...]] = []  # one tuple per event, transposed once: cheaper than 20 appends per event
    unset = msgspec.UNSET
    seen: dict[str, str] = {}  # raw address -> normalised: a team's addresses repeat on every event
    for ev in events:
        if type(ev) is not GraphEvent:
            ev = event_from_dict(ev)
            if ev is None:
                if skipped is not None:
                    skipped.append("(not an event)")
                continue
        if ev.removed is not unset or ev.type == "seriesMaster":
            continue
        all_day = ev.isAllDay is True
        start, end = _utc_text(ev.start, all_day), _utc_text(ev.end, all_day)
        if not ev.id or start is None or end is None or end < start:  # uniform ISO text sorts as time
            if skipped is not None:
                skipped.append(ev.id or "(no id)")
            continue
        organizer = _address(ev.organizer, seen)
        others: set[str] = set()
        optional = False
        for attendee in ev.attendees or ():
            address = _address(attendee, seen)
            if not address:
                continue
            kind = attendee.type
            if address == person:
                optional = (kind or "").lower() == "optional"
            elif kind == "required" or (kind or "").lower() != "resource":  # rooms and equipment are not people
                others.add(address)
        if organizer and organizer != person:
            others.add(organizer)
        status, location = ev.responseStatus, ev.location
        sensitivity = (ev.sensitivity or "normal").lower()
        rows.append((  # in frame.COLUMNS order
            person,
            ev.id,
            ev.seriesMasterId or "",
            ev.iCalUId or "",
            ev.subject or "",
            start,
            end,
            all_day,
            _SHOW_AS.get((ev.showAs or "").lower(), "unknown"),
            _RESPONSES.get((status.response or "").lower() if status is not None else "", "none"),
            ev.isCancelled is True,
            optional,
            len(others),
            organizer,
            tuple(c for c in ev.categories if c) if ev.categories else (),
            ev.isOnlineMeeting is True,
            (location.displayName or "") if location is not None else "",
            sensitivity if sensitivity in _SENSITIVITY else "unknown",
            states_purpose(ev.bodyPreview or "") if read_agenda else None,
            tuple(sorted(others)),
        ))
    if not rows:
        return {name: [] for name in frame.COLUMNS}
    return dict(zip(_ROW_ORDER, map(list, zip(*rows, strict=True)), strict=True))


def events_to_frame(person: str, events: Iterable[Mapping[str, Any]], *, read_agenda: bool = False) -> pd.DataFrame:
    """The events frame for one mailbox's Graph events."""
    cols = events_to_columns(person, events, read_agenda=read_agenda)
    if not cols["person"]:
        return frame.empty_frame()
    return frame.from_columns(cols)


# --- working hours and time zones ---------------------------------------------------------------------------
def zone_name(name: str) -> str | None:
    """An IANA zone for a Windows or IANA time-zone name, None when unknown."""
    return zone_from_name(name) if name else None


def _clock(value: Any) -> time | None:
    match = re.match(r"(\d{1,2}):(\d{2})", str(value or ""))
    if not match:
        return None
    hours, minutes = int(match.group(1)), int(match.group(2))
    return time(hours, minutes) if hours < 24 else None


def _nth_weekday(year: int, month: int, weekday: int, occurrence: int) -> datetime:
    """The ``occurrence``-th ``weekday`` of a month (5 = the last), at 00:00."""
    first = datetime(year, month, 1)
    day = first + timedelta(days=(weekday - first.weekday()) % 7)
    day += timedelta(weeks=max(occurrence, 1) - 1)
    while day.month != month:
        day -= timedelta(weeks=1)
    return day


def custom_zone(tz: Mapping[str, Any], year: int) -> str | None:
    """The IANA zone (or fixed Etc/GMT zone) behaving like a Graph ``customTimeZone`` in ``year``."""
    return _custom_zone(json.dumps(tz, sort_keys=True, default=str), year)


@lru_cache(maxsize=64)
def _custom_zone(key: str, year: int) -> str | None:
    tz = json.loads(key)
    bias = int(tz.get("bias") or 0)
    std, dst = tz.get("standardOffset") or {}, tz.get("daylightOffset") or {}
    std_offset = timedelta(minutes=-(bias + int(std.get("bias") or 0)))
    dst_offset = timedelta(minutes=-(bias + int(dst.get("daylightBias") or 0)))
    has_dst = bool(std.get("month")) and bool(dst.get("month")) and dst_offset != std_offset

    def transition(rule: Mapping[str, Any], y: int, offset_before: timedelta) -> datetime:
        local = _nth_weekday(y, int(rule["month"]), _DAYS.get(str(rule.get("dayOfWeek")).lower(), 6),
                             int(rule.get("dayOccurrence") or 1))
        clock = _clock(rule.get("time")) or time(0)
        return (datetime.combine(local.date(), clock) - offset_before).replace(tzinfo=UTC)

    def offset_at(instant: datetime) -> timedelta:
        if not has_dst:
            return std_offset
        to_dst = transition(dst, instant.year, std_offset)
        to_std = transition(std, instant.year, dst_offset)
        if to_dst < to_std:  # northern hemisphere
            return dst_offset if to_dst <= instant < to_std else std_offset
        return std_offset if to_std <= instant < to_dst else dst_offset

    found = match_rules(offset_at, [year], str(tz.get("name") or ""))
    if found:
        return found
    minutes = int(std_offset.total_seconds() // 60)
    if not has_dst and minutes % 60 == 0 and abs(minutes) <= 14 * 60:
        hours = -minutes // 60  # Etc/GMT signs are inverted: Etc/GMT-3 is UTC+3
        return "UTC" if hours == 0 else f"Etc/GMT{hours:+d}"
    return None


def mailbox_zone(tz: Any, year: int) -> str | None:
    """The IANA zone of a mailbox or working-hours ``timeZone`` value (a name, or a custom zone object)."""
    if isinstance(tz, str):
        return zone_name(tz)
    if not isinstance(tz, Mapping):
        return None
    if "customTimeZone" in str(tz.get("@odata.type") or "") or "bias" in tz:
        return custom_zone(tz, year)
    return zone_name(str(tz.get("name") or ""))


def working_hours_from(settings: Mapping[str, Any] | None, year: int) -> tuple[WorkingHours | None, str | None]:
    """Working hours and the mailbox time zone from a ``mailboxSettings`` body; (None, None) when absent.

    ``year`` picks the DST rules a custom zone is matched against (the window's first year).
    """
    if not isinstance(settings, Mapping):
        return None, None
    mailbox_tz = mailbox_zone(settings.get("timeZone"), year)
    wh = settings.get("workingHours")
    if not isinstance(wh, Mapping):
        return None, mailbox_tz
    days = tuple(sorted({_DAYS[d.lower()] for d in wh.get("daysOfWeek") or () if str(d).lower() in _DAYS}))
    start, end = _clock(wh.get("startTime")), _clock(wh.get("endTime"))
    zone = mailbox_zone(wh.get("timeZone"), year) or mailbox_tz
    if start is None or end is None or not days:
        return None, mailbox_tz
    if end <= start:
        end = time.max  # ends at midnight
    return WorkingHours(days, start, end, zone), mailbox_tz

"""Map one expanded VEVENT occurrence to an events-frame record (the person's view of it)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar

SHOW_AS = {
    "FREE": "free",
    "TENTATIVE": "tentative",
    "BUSY": "busy",
    "OOF": "oof",
    "WORKINGELSEWHERE": "workingElsewhere",
}
PARTSTAT = {
    "ACCEPTED": "accepted",
    "TENTATIVE": "tentativelyAccepted",
    "DECLINED": "declined",
    "NEEDS-ACTION": "notResponded",
}
SENSITIVITY = {"PUBLIC": "normal", "PRIVATE": "private", "CONFIDENTIAL": "confidential"}
ONLINE_PROPERTIES = ("X-MICROSOFT-SKYPETEAMSMEETINGURL", "X-MICROSOFT-ONLINEMEETINGCONFLINK")
ONLINE_LINK = re.compile(r"teams\.microsoft\.com|teams\.live\.com|(?:^|[/.])zoom\.us\b", re.IGNORECASE)
NOT_PEOPLE = {"RESOURCE", "ROOM"}  # meeting rooms and equipment are invited as attendees but are not people
AGENDA_MIN_CHARS = 20

# lines of the text Teams and Zoom paste into an invitation: they say nothing about the meeting's purpose
_BOILERPLATE = re.compile(
    r"microsoft teams(?: meeting| need help\?)?|join (?:on|from|with) |click here to join|meeting id:|passcode:"
    r"|download teams|join on the web|learn more|meeting options|video conferenc|or call in|phone conference id"
    r"|find a local number|reset pin|dial-in|join zoom meeting|one tap mobile|dial by your location"
    r"|for organisers:|for organizers:|privacy and security",
    re.IGNORECASE,
)
_URL = re.compile(r"<?\b(?:https?://|mailto:|tel:)\S*>?|\bwww\.\S+", re.IGNORECASE)


def address(value: Any) -> str:
    """A calendar address as a lower-case email address ("mailto:" dropped)."""
    text = str(value).strip()
    if text.lower().startswith("mailto:"):
        text = text[7:]
    return text.strip().lower()


def has_agenda(description: str) -> bool:
    """Whether a body states a purpose: ~20 characters of real text once joining boilerplate is removed."""
    kept = []
    for line in description.splitlines():
        if _BOILERPLATE.search(line) or re.fullmatch(r"[\s_\-=*.]*", line):
            continue
        kept.append(_URL.sub("", line))
    return len(re.sub(r"\s+", "", "".join(kept))) >= AGENDA_MIN_CHARS


@dataclass(frozen=True)
class Identity:
    """How to recognise the person among an event's addresses: the full address, or a stem to match a local part."""

    address: str | None
    stem: str
    likely: str | None = None  # the file's owner as inferred from its meetings (see ``likely_owner``)

    @classmethod
    def of(cls, person: str) -> Identity:
        return cls(person.lower() if "@" in person else None, person.lower())

    def find(self, addresses: Iterable[str]) -> str | None:
        """The person's address on this event, or None when it cannot be told."""
        if self.address:
            return self.address
        addresses = list(addresses)
        # a plain stem ("jo.smith.ics") is the person when exactly one address has it as its local part
        found = {a for a in addresses if a.split("@", 1)[0] == self.stem}
        if len(found) == 1:
            return found.pop()
        return self.likely if self.likely in addresses else None


def likely_owner(events: Iterable[icalendar.Component]) -> tuple[str | None, int, int]:
    """The address on most of a file's meetings (an export holds its owner's invitations, so the owner is on
    nearly all of them): (address, meetings it is on, meetings with people), address None when none stands out."""
    counts: dict[str, int] = {}
    meetings = 0
    for event in events:
        found = {address(a) for a in _listed(event, "ATTENDEE")} | (
            {address(event["ORGANIZER"])} if "ORGANIZER" in event else set())
        found.discard("")
        if found:
            meetings += 1
            for a in found:
                counts[a] = counts.get(a, 0) + 1
    ranked = sorted(counts.items(), key=lambda kv: -kv[1])
    if not ranked:
        return None, 0, 0
    best, on = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0
    if on >= 2 and on >= 0.6 * meetings and on > runner_up:
        return best, on, meetings
    return None, on, meetings


def _listed(component: icalendar.Component, name: str) -> list[Any]:
    value = component.get(name)
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _text(component: icalendar.Component, name: str) -> str:
    value = component.get(name)
    if isinstance(value, list):
        value = value[0] if value else None
    return "" if value is None else str(value).strip()


def _categories(event: icalendar.Component) -> tuple[str, ...]:
    out: list[str] = []
    for value in _listed(event, "CATEGORIES"):
        items = getattr(value, "cats", None)
        texts = [str(c) for c in items] if items is not None else str(value).split(",")
        for text in texts:
            for part in text.split(","):
                if part.strip() and part.strip() not in out:
                    out.append(part.strip())
    return tuple(out)


def _show_as(event: icalendar.Component) -> str:
    for name in ("X-MICROSOFT-CDO-BUSYSTATUS", "X-MICROSOFT-CDO-INTENDEDSTATUS"):
        status = SHOW_AS.get(_text(event, name).upper())
        if status:
            return status
    return "free" if _text(event, "TRANSP").upper() == "TRANSPARENT" else "busy"


class EventMapper:
    """Turns occurrences from one calendar into records for one person."""

    def __init__(self, person: str, identity: Identity, tz: str, method_cancel: bool,
                 series_uids: set[str]) -> None:
        self.person = person
        self.identity = identity
        self.zone = ZoneInfo(tz)
        self.method_cancel = method_cancel
        self.series_uids = series_uids

    def record(self, occ: icalendar.Component) -> dict[str, Any]:
        """The events-frame record for one occurrence."""
        uid = _text(occ, "UID")
        start_value = occ["DTSTART"].dt
        end_value = self._end(occ, start_value)
        all_day = self._all_day(occ, start_value, end_value)
        if all_day:
            first, after = self._day(start_value), self._day(end_value)
            if after <= first:
                after = first + timedelta(days=1)
            start = datetime.combine(first, time(0), tzinfo=UTC)
            end = datetime.combine(after, time(0), tzinfo=UTC)
        else:
            start, end = self._utc(start_value), self._utc(end_value)
        rid = occ["RECURRENCE-ID"].dt if "RECURRENCE-ID" in occ else start_value
        key = self._day(rid).isoformat() if all_day else self._utc(rid).strftime("%Y-%m-%dT%H:%M:%SZ")
        record: dict[str, Any] = {
            "person": self.person,
            "event_id": f"{uid}/{key}",
            "series_id": uid if uid in self.series_uids else "",
            "ical_uid": uid,
            "subject": _text(occ, "SUMMARY"),
            "start": start,
            "end": end,
            "is_all_day": all_day,
            "show_as": _show_as(occ),
            "is_cancelled": self.method_cancel or _text(occ, "STATUS").upper() == "CANCELLED",
            "outlook_categories": _categories(occ),
            "location": _text(occ, "LOCATION"),
            "sensitivity": SENSITIVITY.get(_text(occ, "CLASS").upper(), "normal"),
        }
        description = _text(occ, "DESCRIPTION")
        record["has_agenda"] = has_agenda(description)
        record["is_online"] = any(name in occ for name in ONLINE_PROPERTIES) or bool(
            ONLINE_LINK.search(record["location"]) or ONLINE_LINK.search(description))
        record.update(self._people(occ))
        return record

    def _people(self, occ: icalendar.Component) -> dict[str, Any]:
        """response, is_optional, organizer, attendee_count and attendees from the person's point of view."""
        organizer = address(occ["ORGANIZER"]) if "ORGANIZER" in occ else ""
        attendees = []
        for attendee in _listed(occ, "ATTENDEE"):
            params = getattr(attendee, "params", {})
            if str(params.get("CUTYPE", "")).upper() in NOT_PEOPLE or not address(attendee):
                continue
            attendees.append((address(attendee), params))
        everyone = list(dict.fromkeys([*([organizer] if organizer else []), *(a for a, _ in attendees)]))
        me = self.identity.find(everyone)
        mine = next((params for a, params in attendees if a == me), None)
        if me and organizer == me:
            response = "organizer"
        elif mine is not None:
            response = PARTSTAT.get(str(mine.get("PARTSTAT", "NEEDS-ACTION")).upper(), "none")
        elif not attendees:
            response = "organizer"  # an appointment in one's own calendar
        else:
            response = "none"
        if me:
            others = [a for a in everyone if a != me]
            count = len(others)
        else:
            others = everyone
            count = max(len(everyone) - 1, 0)
        optional = mine is not None and str(mine.get("ROLE", "")).upper() == "OPT-PARTICIPANT"
        return {
            "response": response,
            "is_optional": optional,
            "organizer": organizer,
            "attendee_count": count,
            "attendees": tuple(others),
        }

    def _all_day(self, occ: icalendar.Component, start: date, end: date) -> bool:
        if not isinstance(start, datetime):
            return True
        # Outlook marks some all-day items only with this flag and local-midnight times
        flagged = _text(occ, "X-MICROSOFT-CDO-ALLDAYEVENT").upper() == "TRUE"
        return flagged and start.time() == time(0) and isinstance(end, datetime) and end.time() == time(0)

    def _end(self, occ: icalendar.Component, start: date) -> date:
        if "DTEND" in occ:
            end = occ["DTEND"].dt
        elif "DURATION" in occ:
            end = start + occ["DURATION"].dt
        else:
            end = start if isinstance(start, datetime) else start + timedelta(days=1)
        return end

    def _utc(self, value: date) -> datetime:
        if not isinstance(value, datetime):
            return datetime.combine(value, time(0), tzinfo=self.zone).astimezone(UTC)
        if value.tzinfo is None:  # floating time: the team's zone
            value = value.replace(tzinfo=self.zone)
        return value.astimezone(UTC)

    def _day(self, value: date) -> date:
        """The calendar date a DATE or (local-midnight) DATE-TIME names, in its own zone."""
        return value.date() if isinstance(value, datetime) else value

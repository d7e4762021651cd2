"""Property-based tests: the ICS reader, the rule loader and the Graph adapter never fail on odd input."""

from __future__ import annotations

import json
import tomllib
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calendar_audit.errors import IcsError, RuleError
from calendar_audit.rules import RuleSet, load_rules
from calendar_audit.sources.graph_adapter import events_to_frame
from calendar_audit.sources.ics import read_ics
from calendar_audit.sources.ics_bounds import MAX_SERIES_OCCURRENCES
from calendar_audit.window import Window

MAX_EXAMPLES = 60
# derandomize: the same examples every run, so the acceptance counts asserted below are stable
FAST = settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much,
                                       HealthCheck.too_slow])
WINDOW = Window(date(2026, 10, 5), date(2026, 11, 1), "Europe/London")

# --- the ICS reader --------------------------------------------------------------------------------------------

zones = st.sampled_from(["", "Europe/London", "GMT Standard Time", "America/New_York", "Mars/Olympus_Mons", "UTC"])
freqs = st.sampled_from(["SECONDLY", "MINUTELY", "HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY"])


@st.composite
def vevents(draw: st.DrawFn, i: int) -> str:
    start = datetime(2026, 10, 1) + timedelta(minutes=draw(st.integers(-60 * 24 * 400, 60 * 24 * 60)))
    length = timedelta(minutes=draw(st.integers(0, 60 * 24 * 3)))
    all_day = draw(st.booleans())
    zone = draw(zones)
    if all_day:
        when = [f"DTSTART;VALUE=DATE:{start:%Y%m%d}", f"DTEND;VALUE=DATE:{start + max(length, timedelta(1)):%Y%m%d}"]
    else:
        tz = f";TZID={zone}" if zone else ""
        suffix = "Z" if zone == "" else ""
        when = [f"DTSTART{tz}:{start:%Y%m%dT%H%M%S}{suffix}", f"DTEND{tz}:{start + length:%Y%m%dT%H%M%S}{suffix}"]
    lines = ["BEGIN:VEVENT", f"UID:u{i}", f"SUMMARY:{draw(st.text(max_size=30)).replace(chr(13), ' ')}", *when]
    if draw(st.booleans()):
        rule = f"RRULE:FREQ={draw(freqs)};INTERVAL={draw(st.integers(1, 5))}"
        end = draw(st.sampled_from(["", f";COUNT={draw(st.integers(1, 500))}", ";UNTIL=20261231T000000Z"]))
        lines.append(rule + end)
    if draw(st.booleans()):
        lines.append(f"STATUS:{draw(st.sampled_from(['CANCELLED', 'CONFIRMED', 'TENTATIVE']))}")
    lines.append("END:VEVENT")
    return "\r\n".join(line.replace("\n", " ") for line in lines)


@st.composite
def calendars(draw: st.DrawFn) -> str:
    n = draw(st.integers(1, 6))
    events = [draw(vevents(i)) for i in range(n)]
    return "\r\n".join(["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:prop", *events, "END:VCALENDAR"]) + "\r\n"


def test_ics_reader_never_crashes_and_every_occurrence_ends_after_it_starts(tmp_path_factory) -> None:
    outcomes: Counter[str] = Counter()

    @FAST
    @given(text=calendars())
    def read(text: str) -> None:
        path = tmp_path_factory.mktemp("ics") / "sam@council.gov.uk.ics"
        path.write_text(text, encoding="utf-8")
        try:
            data = read_ics([path], WINDOW)
        except IcsError as exc:
            assert str(path) in str(exc)  # refused with a message naming the file: allowed
            outcomes["refused"] += 1
            return
        outcomes["read"] += 1
        outcomes["events"] += len(data.events)
        events = data.events
        assert (events["end"] >= events["start"]).all()
        assert all(n <= MAX_SERIES_OCCURRENCES for n in events.groupby("ical_uid").size())
        assert set(events["person"]) <= {"sam@council.gov.uk"}

    read()
    # the properties above say nothing if every calendar is refused or empty: most must be read, with events
    assert outcomes["read"] >= 0.5 * MAX_EXAMPLES, outcomes
    assert outcomes["events"] >= MAX_EXAMPLES, outcomes


# --- the rule loader -----------------------------------------------------------------------------------------------

printable = st.characters(blacklist_categories=("Cs", "Cc"))
scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 500), st.text(printable, max_size=12),
                    st.sampled_from(["direct_work", "meeting", "admin", "home visit", "(a+)+", "[", "\\bHV\\b"]))
values = st.one_of(scalars, st.lists(scalars, max_size=3))
keys = st.sampled_from(["name", "category", "subject", "statutory", "min_attendees", "max_minutes", "show_as",
                        "online", "location", "organizer_domain", "recurring", "outlook_categories", "bogus"])
# well-formed rules, so that accepted files hold rules too (random dictionaries are nearly always refused)
good_rule = st.fixed_dictionaries(
    {"name": st.from_regex(r"[a-z]{4,10}", fullmatch=True),
     "category": st.sampled_from(["direct_work", "meeting", "training", "travel", "admin", "other"]),
     "subject": st.lists(st.sampled_from(["home visit", "\\bHV\\b", "core group", "(icpc|rcpc)", "^team"]),
                         min_size=1, max_size=2)},
    optional={"statutory": st.booleans(), "min_attendees": st.integers(0, 10), "max_minutes": st.integers(1, 600),
              "show_as": st.lists(st.sampled_from(["busy", "oof", "tentative"]), min_size=1, max_size=2),
              "online": st.booleans(), "recurring": st.booleans(), "organizer_domain": st.just(["council.gov.uk"])})
rules_st = st.one_of(st.lists(good_rule, max_size=4),
                     st.lists(st.one_of(good_rule, st.dictionaries(keys, values, max_size=6)), max_size=4))
CATEGORY_NAMES = ["direct_work", "meeting", "training", "travel", "admin", "other"]
orders = st.one_of(st.none(), st.permutations(CATEGORY_NAMES), st.lists(st.sampled_from([*CATEGORY_NAMES, "x"]),
                                                                        max_size=7))


def toml_value(value: object) -> str:
    """A TOML value for the scalars and lists drawn here (JSON strings are TOML basic strings)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value if v is not None) + "]"
    return json.dumps(value, ensure_ascii=False) if isinstance(value, str) else str(value)


def toml_dump(rules: list[dict], order: list[str] | None) -> str:
    """The rule file: TOML has no null, so keys drawn as None are left out."""
    lines = [] if order is None else ["[categories]", f"order = {toml_value(order)}"]
    for rule in rules:
        lines.append("[[rule]]")
        lines += [f"{key} = {toml_value(value)}" for key, value in rule.items() if value is not None]
    return "\n".join(lines) + "\n"


def test_rule_loader_gives_a_ruleset_or_a_rule_error(tmp_path_factory) -> None:
    outcomes: Counter[str] = Counter()

    @FAST
    @given(rules=rules_st, order=orders)
    def load(rules: list, order: list | None) -> None:
        path: Path = tmp_path_factory.mktemp("rules") / "r.toml"
        path.write_text(toml_dump(rules, order), encoding="utf-8")
        tomllib.loads(path.read_text(encoding="utf-8"))  # the generator writes valid TOML: the loader is tested
        try:
            result = load_rules([path])
        except RuleError as exc:
            assert str(path) in str(exc)
            outcomes["refused"] += 1
            return
        assert isinstance(result, RuleSet)
        outcomes["accepted"] += 1
        outcomes["rules"] += len(result.rules)

    load()
    # both branches must be exercised: a loader that refused everything (or nothing) would fail here
    assert outcomes["accepted"] >= 0.05 * MAX_EXAMPLES and outcomes["refused"] >= 0.05 * MAX_EXAMPLES, outcomes
    assert outcomes["rules"] >= 0.1 * MAX_EXAMPLES, outcomes


# --- the Graph adapter ---------------------------------------------------------------------------------------------

json_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=20))
times = st.one_of(json_scalars, st.fixed_dictionaries({}, optional={
    "dateTime": st.one_of(json_scalars, st.datetimes(min_value=datetime(1, 1, 1)).map(lambda d: d.isoformat())),
    "timeZone": st.one_of(json_scalars, st.sampled_from(["UTC", "Pacific Standard Time", "Europe/London"]))}))
people = st.one_of(json_scalars, st.fixed_dictionaries({}, optional={
    "emailAddress": st.one_of(json_scalars, st.fixed_dictionaries({}, optional={"address": json_scalars})),
    "type": json_scalars}))
graph_events = st.fixed_dictionaries({}, optional={
    "id": json_scalars, "type": st.one_of(json_scalars, st.just("seriesMaster")), "start": times, "end": times,
    "isAllDay": json_scalars, "showAs": json_scalars, "responseStatus": st.one_of(json_scalars, st.fixed_dictionaries(
        {}, optional={"response": json_scalars})), "isCancelled": json_scalars, "sensitivity": json_scalars,
    "attendees": st.one_of(json_scalars, st.lists(people, max_size=3)), "organizer": people,
    "categories": st.one_of(json_scalars, st.lists(json_scalars, max_size=3)), "subject": json_scalars,
    "location": st.one_of(json_scalars, st.fixed_dictionaries({}, optional={"displayName": json_scalars})),
    "seriesMasterId": json_scalars, "iCalUId": json_scalars, "bodyPreview": json_scalars,
})


@FAST
@given(events=st.lists(graph_events, max_size=8), read_agenda=st.booleans())
def test_graph_adapter_maps_rows_or_skips_them_never_fails(events: list, read_agenda: bool) -> None:
    good = {"id": "good", "start": {"dateTime": "2026-10-19T09:00:00.0000000", "timeZone": "UTC"},
            "end": {"dateTime": "2026-10-19T10:00:00.0000000", "timeZone": "UTC"}}
    frame = events_to_frame("amy@x.uk", [*events, good], read_agenda=read_agenda)
    assert "good" in set(frame["event_id"])
    assert (frame["end"] >= frame["start"]).all()
    assert frame["show_as"].isin(["free", "tentative", "busy", "oof", "workingElsewhere", "unknown"]).all()

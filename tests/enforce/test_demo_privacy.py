"""Over the whole demo team: no suggestion reply and no enforcement note quotes a subject or names an attendee."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import timedelta
from typing import Any

import pandas as pd
import respx
from httpx import Response
from test_enforce_cli import graph_fake

from calendar_audit.audit import prepare_events, working_hours_map
from calendar_audit.enforce import enforce_async
from calendar_audit.metrics import leave_days
from calendar_audit.rules import load_rules
from calendar_audit.settings import load_settings
from calendar_audit.slots import parse_slots, slot_occurrences
from calendar_audit.sources import demo_data
from calendar_audit.sources.demo import demo_slots_toml, generate
from calendar_audit.suggest import suggest
from calendar_audit.window import Window


def names_and_subjects(events: pd.DataFrame) -> tuple[set[str], re.Pattern[str]]:
    """Every subject in the demo (lower case) and one pattern for every person's name, address and local part."""
    subjects = {s.strip().lower() for s in events["subject"].astype(str) if s.strip()}
    people = {p for pair in demo_data.TEAM for p in pair} | set(demo_data.FIRST_NAMES) | set(demo_data.LAST_NAMES)
    addresses = set(events["organizer"].astype(str)) | set(events["person"].astype(str))
    addresses |= {a for many in events["attendees"] for a in many}
    words = {w for w in people if w} | {a.lower() for a in addresses if a} | {a.split("@")[0] for a in addresses if a}
    pattern = re.compile(r"\b(" + "|".join(sorted(map(re.escape, words), key=len, reverse=True)) + r")\b", re.I)
    return subjects, pattern


def clean(text: str, subjects: set[str], names: re.Pattern[str]) -> bool:
    lowered = text.lower()
    return not any(s in lowered for s in subjects if len(s) > 3) and names.search(text) is None


def test_no_suggestion_reply_quotes_a_subject_or_names_anyone():
    data = generate()
    settings = load_settings(None)
    rules = load_rules(settings.rule_paths())
    window = Window(data.window.last - timedelta(days=13), data.window.last, settings.timezone)
    events = prepare_events(data.events, rules, window, settings)
    slots = parse_slots(demo_slots_toml())
    occ = slot_occurrences(slots, data.people, window, leave_days(events))
    hours = working_hours_map(data, settings)
    subjects, names = names_and_subjects(data.events)
    replies = []
    for person in data.people:
        found = suggest(events, person, window, settings.suggest, hours=hours.get(person, settings.team_hours()),
                        occurrences=occ, slots=slots)
        replies += found["reply"].tolist()
    assert len(replies) > 20
    assert [r for r in replies if not clean(r, subjects, names)] == []


def test_no_enforcement_note_quotes_a_subject_or_names_anyone(tmp_path):
    from dataclasses import replace

    data = generate()
    # every invitation the demo's people answered arrives afresh: enforcement sees the whole demo's invitations
    invited = data.events["response"].isin(["accepted", "tentativelyAccepted"])
    data = replace(data, events=data.events.assign(response=data.events["response"].where(~invited, "notResponded")))
    policy = demo_slots_toml().replace("[[slot]]", "[[teams.protected_slots]]") + 'enforce = "decline"\n'
    config = tmp_path / "c.toml"
    config.write_text(
        f'[graph]\ntenant_id = "contoso-tenant"\nclient_id = "app-id"\nclient_secret = "s3cr3t"\n'
        f'[store]\npath = "{(tmp_path / "s.sqlite3").as_posix()}"\n[enforce]\ndaily_cap = 100\n'
        f'[[teams]]\nname = "demo"\nmembers = {json.dumps(data.people)}\n{policy}', encoding="utf-8")
    settings = load_settings(config)
    fake = graph_fake.FakeGraph()

    def free(request: Any) -> Response:  # every organiser free: a time is proposed wherever one fits
        body = json.loads(request.content)
        return Response(200, json={"value": [{"scheduleId": s, "scheduleItems": []} for s in body["schedules"]]})

    with respx.mock(assert_all_called=False) as router:
        router.post(url__regex=r".*/calendar/getSchedule$").mock(side_effect=free)
        router.route().mock(side_effect=fake.respond)
        now = pd.Timestamp("2026-10-05T06:00Z")  # the policy's first day; the demo's last four weeks
        run = asyncio.run(enforce_async(settings, now=now, data=data))
    notes = [d.note for d in run.decisions]
    assert len(notes) > 20 and any(d.proposed_start is not None for d in run.decisions)
    subjects, names = names_and_subjects(data.events)
    assert [n for n in notes if not clean(n, subjects, names)] == []


def test_a_dry_run_without_sign_in_settings_plans_but_proposes_no_time_it_cannot_check(tmp_path):
    """Every demo organiser is in the team's domain: with no way to read their calendars, no time is proposed."""
    from dataclasses import replace

    data = generate()
    invited = data.events["response"] == "accepted"
    data = replace(data, events=data.events.assign(response=data.events["response"].where(~invited, "notResponded")))
    policy = demo_slots_toml().replace("[[slot]]", "[[teams.protected_slots]]") + 'enforce = "decline"\n'
    config = tmp_path / "c.toml"
    config.write_text(f'[store]\npath = "{(tmp_path / "s.sqlite3").as_posix()}"\n'
                      f'[[teams]]\nname = "demo"\nmembers = {json.dumps(data.people)}\n{policy}', encoding="utf-8")
    run = asyncio.run(enforce_async(load_settings(config), now=pd.Timestamp("2026-10-05T06:00Z"), data=data))
    assert run.decisions and {d.outcome for d in run.decisions} <= {"would_send", "held"}
    assert all(d.proposed_start is None and "another time, or to send my input" in d.note for d in run.decisions)

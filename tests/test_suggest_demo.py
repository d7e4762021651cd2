"""Suggestions on the demo team: its last week holds meetings built for each reason; the CLI around them."""

from __future__ import annotations

import csv
import json
from datetime import date, timedelta

import pandas as pd
import pytest
from rich.console import Console

from calendar_audit.audit import prepare_events, working_hours_map
from calendar_audit.cli import main
from calendar_audit.commands.options import Context
from calendar_audit.metrics import leave_days
from calendar_audit.rules import load_rules
from calendar_audit.settings import Settings
from calendar_audit.slots import parse_slots, slot_occurrences
from calendar_audit.sources import demo_data
from calendar_audit.sources.demo import demo_slots_toml, generate
from calendar_audit.suggest import candidates, suggest
from calendar_audit.window import Window

#: per reason, the demo practitioner's last-week meetings it fires on (subjects before " - ")
EXPECTED = {
    "in_protected_slot": {"Project Phoenix steering"},  # a head of service books over a Thursday morning
    "double_booked": {"Quick sync"},  # on top of a home visit
    "no_clear_purpose": {"Quick sync", "Catch up"},  # vague titles, no agenda
    "optional": {"Lunch and learn: new case recording form"},
    # the professionals meeting is built for it; the forum, steering group and evening also have a teammate who
    # accepted and are not team-wide
    "teammate_attending": {"Professionals meeting", "Partnership forum: neglect strategy",
                           "Project Phoenix steering", "Locality network evening"},
    # weekly 90-minute series: 1.5 h x 30 / 7 days = 6.4 h a month, over the 4-hour threshold
    "recurring_heavy": {"Performance clinic", "Team meeting"},
    # more than 8 others: the forum is built for it; whole-team meetings have 11 to 13
    "large": {"Lunch and learn: new case recording form", "Partnership forum: neglect strategy",
              "Performance clinic", "Team meeting"},
    "after_hours": {"Locality network evening"},
}


@pytest.fixture(scope="module")
def demo() -> tuple[pd.DataFrame, pd.DataFrame, Window, str]:
    settings = Settings()
    data = generate()
    last = data.window.last
    window = Window(last - timedelta(days=last.weekday()), last, settings.timezone)
    events = prepare_events(data.events, load_rules(settings.rule_paths()), window, settings)
    person = data.people[demo_data.DEMO_PRACTITIONER_POS]
    slots = parse_slots(demo_slots_toml())
    occ = slot_occurrences(slots, data.people, window, leave_days(events))
    hours = working_hours_map(data, settings).get(person, settings.team_hours())
    found = suggest(events, person, window, settings.suggest, hours=hours, occurrences=occ, slots=slots)
    return found, events, window, person


def short(subject: str) -> str:
    return subject.split(" - ")[0]


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_each_reason_fires_on_the_demo_meetings_built_for_it_and_nothing_else(demo, code):
    found = demo[0]
    hits = {short(s) for s, r in zip(found["subject"], found["reasons"], strict=True) if code in r.split(";")}
    assert hits == EXPECTED[code]


def test_demo_statutory_self_organised_and_declined_meetings_are_never_suggested(demo):
    found, events, window, person = demo
    why = candidates(events, person, window).set_index("event_id")["exempt"]
    exempt = set(why[why != ""].index)
    assert {"statutory", "self_organised", "declined"} <= set(why)
    assert not exempt & set(found["event_id"])
    # the same, written out: the week's statutory meetings (the shipped rules mark these) and the declined check-in
    mine = events[events["person"] == person].set_index("event_id")
    by_reason = {r: {short(s) for s in mine.loc[why[why == r].index, "subject"]} for r in ("statutory", "declined")}
    assert by_reason == {"statutory": {"ICPC", "LAC review", "PEP meeting", "Strategy discussion"},
                         "declined": {"Weekly check-in"}}
    assert not {short(s) for s in found["subject"]} & {"ICPC", "LAC review", "PEP meeting", "Strategy discussion"}
    picked = mine.loc[found["event_id"]]
    assert not picked["statutory"].any()
    assert not picked["response"].isin(["organizer", "declined"]).any()


def test_demo_meetings_with_several_reasons_rank_above_those_with_one(demo):
    found = demo[0]
    n = found["reasons"].str.count(";") + 1
    assert n.iloc[0] >= 2
    assert found["score"][n >= 2].min() > found["score"][n == 1].max()


# --- the command line ----------------------------------------------------------------------------------------
PRIYA = "priya.shah@demo-council.gov.uk"


def cli(*argv: str) -> tuple[int, str]:
    console = Console(record=True, width=250)
    code = main(list(argv), Context(today=date(2027, 1, 4), console=console, err=console))
    return code, console.export_text()


def test_cli_ranks_the_demo_practitioners_week_without_subjects_and_writes_csv_and_json(in_tmp):
    code, text = cli("suggest", "--person", PRIYA, "--out", "out")
    assert code == 0, text
    assert "2026-10-26 to 2026-11-01" in text  # the Monday of the demo's last week, not today
    assert "Quick sync" not in text and "Phoenix" not in text  # purposes, not subjects
    assert "meeting (no rule matched)" in text and "you are optional" in text
    with open("out/suggestions.csv", newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["person", "event_id", "start", "end", "score", "reasons", "reply", "start_local",
                             "end_local"]
    assert rows[0]["reasons"] == "double_booked;no_clear_purpose"
    doc = json.loads((in_tmp / "out" / "suggestions.json").read_text(encoding="utf-8"))
    assert [s["event_id"] for s in doc["suggestions"]] == [r["event_id"] for r in rows]
    assert "subject" not in doc["suggestions"][0]


def test_cli_show_subjects_adds_them(in_tmp):
    code, text = cli("suggest", "--person", PRIYA, "--out", "out", "--show-subjects")
    assert code == 0 and "Quick sync" in text


def test_cli_unknown_person_exits_2_naming_them(in_tmp):
    code, text = cli("suggest", "--person", "nobody@demo-council.gov.uk", "--out", "out")
    assert code == 2
    assert "--person 'nobody@demo-council.gov.uk': no such person" in text


def test_cli_team_view_shows_hours_per_person_and_no_event_detail(in_tmp):
    code, text = cli("suggest", "--out", "out")
    assert code == 0, text
    with open("out/suggestions_team.csv", newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["person", "suggestions", "hours_freed"]
    assert len(rows) == 12
    assert {r["person"]: r["suggestions"] for r in rows}[PRIYA] == "9"
    assert "Quick sync" not in text and "10:00" not in text
    assert not (in_tmp / "out" / "suggestions.csv").exists()


def test_cli_dry_run_on_the_demo_prints_what_would_be_sent(in_tmp):
    code, text = cli("suggest", "--person", PRIYA, "--out", "out", "--respond", "decline", "--min-score", "3")
    assert code == 0
    assert text.count("would send POST /users/priya.shah@demo-council.gov.uk/events/") == 2
    assert "dry run: nothing was sent" in text


def test_cli_dry_run_prints_a_readable_plan_not_json(in_tmp):
    code, text = cli("suggest", "--person", PRIYA, "--out", "out", "--respond", "decline", "--min-score", "3")
    assert code == 0
    lines = text.splitlines()
    start = lines.index("Plan: 2 replies")
    assert lines[start + 1] == (f"would decline for {PRIYA}: Tue 27 Oct 14:30-15:00, organised by "
                                "rachel.doyle@demo-council.gov.uk")
    assert lines[start + 2].startswith("  reply: Thank you for the invitation. I already have a commitment")
    assert lines[start + 3].startswith(f"  (would send POST /users/{PRIYA}/events/")
    assert '"comment"' not in text and "sendResponse" not in text


def test_the_demo_practitioners_declined_check_in_is_never_suggested(demo):
    found, events, window, person = demo
    mine = events[(events["person"] == person) & (events["subject"] == "Weekly check-in")]
    assert len(mine) == 1 and mine["response"].iloc[0] == "declined"
    # it would have reasons: in the Thursday protected morning, a vague title, optional, ten others
    assert bool(mine["is_optional"].iloc[0]) and mine["attendee_count"].iloc[0] == 10
    why = candidates(events, person, window).set_index("event_id")["exempt"]
    assert why[mine["event_id"].iloc[0]] == "declined"
    assert mine["event_id"].iloc[0] not in set(found["event_id"])

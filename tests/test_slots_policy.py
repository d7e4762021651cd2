"""Protected-slot policy files: loading, Slot.allows, and strict validation with exact messages."""

from __future__ import annotations

from datetime import date, time
from pathlib import Path

import pytest

from calendar_audit.errors import SlotError
from calendar_audit.settings import TeamSettings
from calendar_audit.slots import load_slots, parse_slots, slots_from_team

DATA = Path(__file__).parent / "data" / "slots"


def test_mornings_file_loads_as_design_md_shows() -> None:
    [slot] = load_slots(DATA / "mornings.toml")
    assert slot.name == "direct-work-mornings"
    assert slot.days == (1, 3)
    assert (slot.start, slot.end) == (time(9, 30), time(12, 30))
    assert slot.allow == ("direct_work", "statutory")
    assert slot.since == date(2026, 1, 5)
    assert slot.until is None and slot.people is None


def test_allows_statutory_meetings_of_any_category_only_when_allow_says_statutory() -> None:
    [slot] = load_slots(DATA / "mornings.toml")
    assert slot.allows("direct_work", False)
    assert slot.allows("meeting", True)
    assert not slot.allows("meeting", False)
    [strict] = parse_slots('[[slot]]\nname="s"\ndays=["mon"]\nstart="09:00"\nend="10:00"\nallow=["direct_work"]\n')
    assert not strict.allows("meeting", True)


def test_native_toml_dates_and_times_are_accepted() -> None:
    [slot] = parse_slots('[[slot]]\nname="s"\ndays=["Monday"]\nstart=09:00:00\nend="24:00"\nallow=[]\n'
                         'since=2026-01-05\npeople=["Sam@Council.gov.uk"]\n')
    assert slot.days == (0,) and slot.start == time(9) and slot.end == time.max
    assert slot.since == date(2026, 1, 5) and slot.people == ("sam@council.gov.uk",)


def test_slots_for_different_people_or_dates_may_share_times() -> None:
    names = [s.name for s in load_slots(DATA / "overlapping-but-apart.toml")]
    assert names == ["mornings-a", "mornings-b", "mornings-a-later"]


def test_team_protected_slots_are_validated_naming_the_settings_file() -> None:
    team = TeamSettings(name="evolve", protected_slots=[
        {"name": "am", "days": ["tue"], "start": "09:30", "end": "12:30", "allow": ["direct_work"]},
        {"name": "pm", "days": ["tue"], "start": "12:00", "end": "13:00", "allow": ["meetings"]},
    ])
    with pytest.raises(SlotError) as err:
        slots_from_team(team, "cal.toml")
    assert str(err.value) == (
        "cal.toml: teams 'evolve' protected_slots: slot \"pm\": allow[0]: unknown category \"meetings\" "
        "(use direct_work, meeting, training, travel, admin, other or statutory)"
    )
    assert [s.name for s in slots_from_team(TeamSettings(name="evolve", protected_slots=team.protected_slots[:1]),
                                            "cal.toml")] == ["am"]


def test_categories_come_from_the_rule_set_order() -> None:
    text = '[[slot]]\nname="s"\ndays=["mon"]\nstart="09:00"\nend="10:00"\nallow=["training"]\n'
    with pytest.raises(SlotError, match=r'allow\[0\]: unknown category "training" \(use direct_work, meeting or '):
        parse_slots(text, "x.toml", categories=("direct_work", "meeting"))


@pytest.mark.parametrize(("name", "message"), [
    ("unknown-key", 'slot "mornings": unknown key "sinse" (did you mean "since"?)'),
    ("unknown-day", 'slot "mornings": days[1]: unknown day "thurs" (use mon, tue, wed, thu, fri, sat, sun)'),
    ("unknown-category", 'slot "mornings": allow[1]: unknown category "visits" '
                         "(use direct_work, meeting, training, travel, admin, other or statutory)"),
    ("end-before-start", 'slot "mornings": end: 09:30 is not after start 12:30'),
    ("bad-date", 'slot "mornings": since: "2026-13-05" is not a date (use YYYY-MM-DD)'),
    ("since-after-until", 'slot "mornings": until: 2026-02-01 is before since 2026-03-01'),
    ("duplicate-name", 'slot "mornings": name: duplicate slot name: slot #1 already uses it'),
    ("overlapping", 'slot "late-mornings": start/end: overlaps slot "mornings" on thu 11:00-12:30 '
                    "(one person's slots must not overlap)"),
    ("empty", "no [[slot]] tables (a slot file holds one [[slot]] table per protected slot)"),
])
def test_bad_slot_files_are_refused_naming_file_slot_and_field(name: str, message: str) -> None:
    path = DATA / f"{name}.toml"
    with pytest.raises(SlotError) as err:
        load_slots(path)
    assert str(err.value) == f"{path}: {message}"


def test_every_problem_in_a_slot_is_reported_at_once() -> None:
    path = DATA / "several-problems.toml"
    with pytest.raises(SlotError) as err:
        load_slots(path)
    assert str(err.value).splitlines() == [
        f'{path}: slot #1: unknown key "colour" (expected one of name, days, start, end, allow, since, until, people, '
        f'enforce)',
        f"{path}: slot #1: name: missing",
        f'{path}: slot #1: days: expected a non-empty list of days (mon, tue, wed, thu, fri, sat, sun), '
        f'got a string "tue"',
        f'{path}: slot #1: start: "9.30" is not a time of day (use HH:MM)',
        f'{path}: slot #1: allow: expected a list of categories, got a string "direct_work"',
    ]


def test_missing_file_and_syntax_error_are_slot_errors_with_exit_code_2(tmp_path: Path) -> None:
    with pytest.raises(SlotError, match=r"nope\.toml: slot file not found") as err:
        load_slots(tmp_path / "nope.toml")
    assert err.value.exit_code == 2
    with pytest.raises(SlotError, match=r"x.toml: TOML syntax error"):
        parse_slots("[[slot]\n", "x.toml")


def test_enforce_level_is_one_of_the_four_and_defaults_to_notify() -> None:
    base = '[[slot]]\nname = "m"\ndays = ["tue"]\nstart = "09:30"\nend = "12:30"\nallow = ["direct_work"]\n'
    assert parse_slots(base)[0].enforce == "notify"
    assert parse_slots(base + 'enforce = "decline"\n')[0].enforce == "decline"
    with pytest.raises(SlotError) as err:
        parse_slots(base + 'enforce = "delete"\n', "slots.toml")
    assert str(err.value) == ('slots.toml: slot "m": enforce: unknown level "delete" '
                              '(use off, notify, tentative, decline)')

"""Protected-slot policy files: loading, Slot.allows, and strict validation with exact messages."""

from __future__ import annotations

from datetime import date, time
from pathlib import Path

import pytest

from calendar_audit.errors import SlotError
from calendar_audit.settings import TeamSettings
from calendar_audit.slots import FieldProblem, Slot, load_slots, parse_slots, slots_from_team, validate_slots
from calendar_audit.slots.policy import DAY_NAMES, overlaps

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


# --- cases each worked out by hand (tests/README.md "Mutation testing") ----------------------------------------
def table(**fields: object) -> dict[str, object]:
    """A valid [[slot]] table (Monday 09:00-10:00, direct work), with ``fields`` changed."""
    return {"name": "s", "days": ["mon"], "start": "09:00", "end": "10:00", "allow": ["direct_work"], **fields}


def refusal(*tables: dict[str, object]) -> tuple[list[str], list[FieldProblem]]:
    """The SlotError's lines (source "p") and the problems placed on fields."""
    placed: list[FieldProblem] = []
    with pytest.raises(SlotError) as err:
        validate_slots(list(tables), "p", fields=placed)
    return str(err.value).splitlines(), placed


def test_describe_gives_name_days_times_since_until_and_allow() -> None:
    [slot] = parse_slots('[[slot]]\nname="visits"\ndays=["thu","tue"]\nstart="09:30"\nend="24:00"\n'
                         'allow=["direct_work","statutory"]\nsince="2026-01-05"\nuntil="2026-03-27"\n')
    assert slot.describe() == "visits: tue, thu 09:30-24:00 since 2026-01-05 until 2026-03-27 (allows direct_work, " \
                              "statutory)"
    [bare] = parse_slots('[[slot]]\nname="quiet"\ndays=["mon"]\nstart="00:00"\nend="01:00"\nallow=[]\n')
    assert bare.describe() == "quiet: mon 00:00-01:00 (allows nothing)"


def test_clock_times_from_00_00_to_23_59_and_24_00_only() -> None:
    [slot] = validate_slots([table(start="23:00", end="23:59")], "p")
    assert (slot.start, slot.end, slot.times) == (time(23, 0), time(23, 59), "23:00-23:59")
    assert validate_slots([table(start="9:59", end="24:00")], "p")[0].times == "09:59-24:00"
    lines, _ = refusal(table(start="09:60", end="24:30"))
    assert lines == ['p: slot "s": start: "09:60" is not a time of day (use HH:MM)',
                     'p: slot "s": end: "24:30" is not a time of day (use HH:MM)']


def test_a_date_with_a_time_of_day_is_not_a_date() -> None:
    with pytest.raises(SlotError, match=r'^x\.toml: slot "s": since: .*2026.* is not a date \(use YYYY-MM-DD\)$'):
        parse_slots('[[slot]]\nname="s"\ndays=["mon"]\nstart="09:00"\nend="10:00"\nallow=[]\n'
                    "since=2026-01-05T09:00:00\n", "x.toml")


def test_a_slot_may_run_a_single_day_and_slots_meeting_on_one_day_overlap() -> None:
    [one_day] = validate_slots([table(since="2026-03-02", until="2026-03-02")], "p")
    assert one_day.since == one_day.until == date(2026, 3, 2)
    lines, _ = refusal(table(name="a", until="2026-03-02"), table(name="b", since="2026-03-02"))
    assert lines == ['p: slot "b": start/end: overlaps slot "a" on mon 09:00-10:00 (one person\'s slots must not '
                     "overlap)"]


def test_every_problem_is_placed_on_its_slot_and_field() -> None:
    lines, placed = refusal(table(name="a"), table(name="a"), table(name="c", days=["tue"], colour="red"))
    assert placed == [
        FieldProblem(2, "name", "duplicate slot name: slot #1 already uses it"),
        FieldProblem(3, "colour", 'unknown key "colour" (expected one of name, days, start, end, allow, since, until, '
                                  "people, enforce)"),
    ]
    assert len(lines) == 2
    lines, placed = refusal(table(name="a"), table(name="b"), table(name="c", days=["tue"], people="x@y"))
    assert placed == [
        FieldProblem(3, "people", 'expected a non-empty list of mailbox addresses, got a string "x@y"'),
        FieldProblem(2, "start", 'overlaps slot "a" on mon 09:00-10:00 (one person\'s slots must not overlap)'),
    ]
    assert lines == [
        'p: slot "c": people: expected a non-empty list of mailbox addresses, got a string "x@y"',
        'p: slot "b": start/end: overlaps slot "a" on mon 09:00-10:00 (one person\'s slots must not overlap)',
    ]


def test_an_overlap_is_placed_whole_even_when_a_name_holds_the_separator() -> None:
    _, placed = refusal(table(name="x: start/end: y"), table(name="b: start/end: c"))
    assert placed == [FieldProblem(2, "start", 'overlaps slot "x: start/end: y" on mon 09:00-10:00 (one person\'s '
                                               "slots must not overlap)")]


def test_names_and_people_must_be_non_empty_strings() -> None:
    lines, placed = refusal(table(name=3), table(name="  ", days=["tue"]), table(name="c", days=["wed"],
                                                                                  people=["x@y", " "]),
                            table(name="d", days=["thu"], people=[]), table(name="e", days=["fri"], people=[7]))
    assert lines == [
        "p: slot #1: name: expected a non-empty string, got an integer 3",
        'p: slot #2: name: expected a non-empty string, got a string "  "',
        "p: slot \"c\": people: expected a non-empty list of mailbox addresses, got a list ['x@y', ' ']",
        'p: slot "d": people: expected a non-empty list of mailbox addresses, got a list []',
        'p: slot "e": people: expected a non-empty list of mailbox addresses, got a list [7]',
    ]
    assert [(p.slot, p.field) for p in placed] == [(1, "name"), (2, "name"), (3, "people"), (4, "people"),
                                                    (5, "people")]


def test_a_day_that_is_not_text_is_an_unknown_day() -> None:
    lines, _ = refusal(table(days=["tue", 3]))
    assert lines == ['p: slot "s": days[1]: unknown day 3 (use mon, tue, wed, thu, fri, sat, sun)']


def test_every_slot_is_checked_after_a_bad_one_and_after_a_duplicate() -> None:
    lines, _ = refusal(table(name="a", days="mon"), table(name="b"), table(name="b", days=["tue"]),
                       table(name="d", days=["wed"], allow="x"))
    assert lines == [
        'p: slot "a": days: expected a non-empty list of days (mon, tue, wed, thu, fri, sat, sun), got a string "mon"',
        'p: slot "b": name: duplicate slot name: slot #2 already uses it',
        'p: slot "d": allow: expected a list of categories, got a string "x"',
    ]


def overlap(a: str, b: str, days: str) -> str:
    return f'slot "{a}": start/end: overlaps slot "{b}" on {days} 09:00-10:00 (one person\'s slots must not overlap)'


@pytest.mark.parametrize(("tables", "found"), [
    # adjacent, the later one listed first: no overlap
    ([table(name="late", start="10:00", end="11:00"), table(name="early")], []),
    # the first slot shares no day with the third; the second does
    ([table(name="w", days=["wed"]), table(name="m"), table(name="m2", days=["mon", "tue"])],
     [overlap("m2", "m", "mon")]),
    # the first slot's dates do not meet the third's; the second's do
    ([table(name="old", until="2026-01-01"), table(name="new", since="2026-02-01"),
      table(name="newer", since="2026-03-01")], [overlap("newer", "new", "mon")]),
    # the first slot is for someone else; the second for the same person
    ([table(name="kim", people=["kim@x"]), table(name="sam", people=["sam@x"]), table(name="sam2", people=["sam@x"])],
     [overlap("sam2", "sam", "mon")]),
    # a slot for one person overlaps a slot for everyone, on both days they share
    ([table(name="all", days=["mon", "tue"]), table(name="one", days=["tue", "mon"], people=["sam@x"])],
     [overlap("one", "all", "mon, tue")]),
])
def test_overlaps_are_every_pair_that_could_cover_one_person_at_one_moment(tables, found) -> None:
    slots = [Slot(name=t["name"], days=tuple(sorted(DAY_NAMES.index(d) for d in t["days"])),
                  start=time.fromisoformat(t["start"]), end=time.fromisoformat(t["end"]), allow=tuple(t["allow"]),
                  since=date.fromisoformat(t["since"]) if "since" in t else None,
                  until=date.fromisoformat(t["until"]) if "until" in t else None,
                  people=tuple(t["people"]) if "people" in t else None) for t in tables]
    assert overlaps(slots) == found
    assert overlaps(slots, placed=True) == [(m.split('"')[1], m) for m in found]
    if found:
        with pytest.raises(SlotError, match="overlaps slot"):
            validate_slots(tables, "p")
    else:
        assert [s.name for s in validate_slots(tables, "p")] == ["late", "early"]


def test_parse_slots_names_the_text_and_refuses_what_is_not_slot_tables() -> None:
    with pytest.raises(SlotError) as err:
        parse_slots('slots = []\nslot = "mornings"\n')
    assert str(err.value).splitlines() == ['<slots>: unknown key "slots" (did you mean "slot"?)',
                                           "<slots>: slot: expected [[slot]] tables"]
    with pytest.raises(SlotError) as err:
        parse_slots("slot = [1, 2]\n", "x.toml")
    assert str(err.value) == "x.toml: slot: expected [[slot]] tables"


def test_each_slot_remembers_where_it_was_read() -> None:
    text = '[[slot]]\nname="s"\ndays=["mon"]\nstart="09:00"\nend="10:00"\nallow=[]\n'
    assert parse_slots(text, "x.toml")[0].source == "x.toml"
    assert validate_slots([table()], "team policy")[0].source == "team policy"


def test_loading_and_team_slots_check_categories_against_the_rule_set(tmp_path: Path) -> None:
    path = tmp_path / "slots.toml"
    path.write_text('[[slot]]\nname="s"\ndays=["mon"]\nstart="09:00"\nend="10:00"\nallow=["training"]\n',
                    encoding="utf-8")
    assert load_slots(path)[0].allow == ("training",)
    with pytest.raises(SlotError, match=r'allow\[0\]: unknown category "training" \(use direct_work or statutory\)'):
        load_slots(path, ("direct_work",))
    team = TeamSettings(name="evolve", protected_slots=[table(allow=["training"])])
    with pytest.raises(SlotError, match=r'allow\[0\]: unknown category "training" \(use direct_work or statutory\)'):
        slots_from_team(team, "cal.toml", ("direct_work",))


def test_a_slot_file_that_cannot_be_read_says_why(tmp_path: Path) -> None:
    with pytest.raises(SlotError) as err:
        load_slots(tmp_path)
    assert str(err.value) == f"{tmp_path}: cannot read the slot file (IsADirectoryError)"


def test_a_slot_runs_on_its_days_from_since_to_until_inclusive() -> None:
    [slot] = validate_slots([table(days=["tue"], since="2026-10-20", until="2026-10-27")], "p")
    days = [date(2026, 10, 13), date(2026, 10, 20), date(2026, 10, 21), date(2026, 10, 27), date(2026, 11, 3)]
    assert [slot.active_on(d) for d in days] == [False, True, False, True, False]
    assert [slot.active_on(d, ignore_since=True) for d in days] == [True, True, False, True, False]


def test_a_slot_ending_when_it_starts_is_refused() -> None:
    lines, placed = refusal(table(start="09:00", end="09:00"))
    assert lines == ['p: slot "s": end: 09:00 is not after start 09:00']
    assert placed == [FieldProblem(1, "end", "09:00 is not after start 09:00")]


def test_a_slot_file_is_read_as_utf8_whatever_the_locale(tmp_path: Path) -> None:
    """A C/POSIX locale (a cron job, a bare container) reads text as ASCII unless told UTF-8."""
    import locale

    path = tmp_path / "slots.toml"
    path.write_text('[[slot]]\nname="Amser uniongyrchol – bore"\ndays=["mon"]\nstart="09:00"\nend="10:00"\n'
                    "allow=[]\n", encoding="utf-8")
    before = locale.setlocale(locale.LC_CTYPE)
    try:
        locale.setlocale(locale.LC_CTYPE, "C")
        assert load_slots(path)[0].name == "Amser uniongyrchol – bore"
    finally:
        locale.setlocale(locale.LC_CTYPE, before)

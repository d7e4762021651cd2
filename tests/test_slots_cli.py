"""`slots check` and the report's policy sections, through the CLI on the demo team and on hand-made input."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest
from rich.console import Console

from calendar_audit.cli import main
from calendar_audit.commands.options import Context
from calendar_audit.slots.compliance import COMPLIANCE_COLUMNS, VIOLATION_COLUMNS

DATA = Path(__file__).parent / "data" / "slots"


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    ctx = Context(today=date(2026, 11, 2), console=Console(file=out, width=200), err=Console(file=err, width=200))
    return main(list(args), ctx), out.getvalue(), err.getvalue()


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


def test_check_on_the_demo_writes_both_files_with_design_md_columns(in_tmp: Path) -> None:
    code, out, _ = run("slots", "check", "--out", "out")
    assert code == 0
    assert "direct-work-mornings: tue, thu 09:30-12:30" in out
    with (in_tmp / "out" / "slot_compliance.csv").open(encoding="utf-8-sig") as fh:
        assert next(csv.reader(fh)) == COMPLIANCE_COLUMNS
    with (in_tmp / "out" / "slot_violations.csv").open(encoding="utf-8-sig") as fh:
        assert next(csv.reader(fh)) == [*VIOLATION_COLUMNS, "start_local", "end_local"]
    compliance = rows(in_tmp / "out" / "slot_compliance.csv")
    # the policy starts mid-window: no compliance rows before its first week
    since = min(r["week_start"] for r in compliance)
    assert since in out
    violations = rows(in_tmp / "out" / "slot_violations.csv")
    assert violations and all(r["start"] >= since for r in violations)
    assert {r["self_organised"] for r in violations} <= {"true", "false"}


def test_check_with_a_bad_slot_file_exits_2_naming_the_field(in_tmp: Path) -> None:
    code, _, err = run("slots", "check", "--slots", str(DATA / "unknown-day.toml"))
    assert code == 2
    assert 'slot "mornings": days[1]: unknown day "thurs"' in err


def test_check_with_no_policy_exits_2_saying_how_to_give_one(in_tmp: Path) -> None:
    ics = in_tmp / "sam.ics"
    ics.write_text("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n", encoding="utf-8")
    code, _, err = run("slots", "check", "--ics", str(ics), "--from", "2026-10-19", "--to", "2026-10-25")
    assert code == 2
    assert "no protected-slot policy: give --slots FILE" in err


def test_demo_report_shows_compliance_and_the_before_after_effect(in_tmp: Path) -> None:
    code, _, _ = run("demo", "--out", "demo")
    assert code == 0
    html = (in_tmp / "demo" / "report.html").read_text(encoding="utf-8")
    assert "Protected direct-work slots" in html and "Before and after the policy" in html
    assert "People whose slots were overrun most often" in html


def test_the_demo_policy_moves_direct_work_and_kept_time_beyond_their_intervals() -> None:
    from calendar_audit.audit import audit
    from calendar_audit.rules import load_rules
    from calendar_audit.settings import load_settings
    from calendar_audit.slots import parse_slots
    from calendar_audit.slots.sections import policy_sections
    from calendar_audit.sources import SourceRequest, load_source
    from calendar_audit.sources.demo import demo_slots_toml

    settings = load_settings(None)
    loaded = load_source(SourceRequest(source="demo"), settings, date(2026, 11, 2))
    rules = load_rules(settings.rule_paths())
    result = audit(loaded.data, rules, loaded.window, settings)
    sections = policy_sections(result, parse_slots(demo_slots_toml(), "demo", rules.categories))
    team = dict(sections[1].tables[0][1].set_index("measure").iterrows())
    for measure in ("direct work hours a week", "protected slot time kept %"):
        assert team[measure]["ci_low"] > 0, measure  # the interval excludes no change
    assert sections[1].chart_marker is not None
    # the page shows a short lead and a list; a paragraph writer (JSON) gets the whole text
    before_after = sections[1]
    assert before_after.points[0].startswith("Direct work hours a week: ") and " h before, " in before_after.points[0]
    share = next(p for p in before_after.points if p.startswith("Direct work % of working hours: "))
    assert "percentage points (95% interval" in share and share.endswith("people).")
    assert before_after.points[-1].startswith("A before/after comparison shows change over time")
    assert before_after.intro == " ".join([before_after.lead, *before_after.points])
    policy = sections[0].intro
    assert policy.startswith("The policy: Tuesday and Thursday 09:30-12:30 are kept for direct work and statutory "
                             "meetings (“"), policy


# --- a bad policy is refused before any calendar is read -----------------------------------------------------
BAD_DAY = 'unknown-day.toml: slot "mornings": days[1]: unknown day "thurs"'


@pytest.mark.parametrize("command", [
    ["report"], ["slots", "check"], ["suggest", "--person", "sam@council.gov.uk"],
], ids=["report", "slots-check", "suggest"])
def test_a_bad_slot_file_is_refused_before_the_calendars_are_read(in_tmp: Path, command: list[str]) -> None:
    # the .ics file does not exist: had it been read first, the error would name it instead
    code, _, err = run(*command, "--ics", "missing.ics", "--slots", str(DATA / "unknown-day.toml"), "--out", "o")
    assert code == 2
    assert BAD_DAY in err and "missing.ics" not in err


def test_demo_refuses_a_bad_slot_file_before_building_the_team(in_tmp: Path, monkeypatch) -> None:
    import calendar_audit.sources.demo as demo

    def never(*args, **kwargs):
        raise AssertionError("the demo team was built before the policy was checked")

    monkeypatch.setattr(demo, "generate", never)
    code, _, err = run("demo", "--slots", str(DATA / "unknown-day.toml"), "--out", "o")
    assert code == 2 and BAD_DAY in err


def test_a_bad_compare_at_is_refused_before_the_calendars_are_read(in_tmp: Path) -> None:
    code, _, err = run("report", "--ics", "missing.ics", "--compare-at", "2026-13-01", "--out", "o")
    assert code == 2 and "--compare-at" in err and "missing.ics" not in err


NO_TRAINING = 'training-afternoons.toml: slot "learning-afternoons": allow[1]: unknown category "training"'


@pytest.mark.parametrize("command", [["report"], ["slots", "check"]], ids=["report", "slots-check"])
def test_slot_categories_are_checked_against_the_rule_files(in_tmp: Path, command: list[str]) -> None:
    argv = [*command, "--ics", "missing.ics", "--slots", str(DATA / "training-afternoons.toml"), "--out", "o"]
    code, _, err = run(*argv)  # the default rules have a training category: the policy passes, reading fails
    assert code == 2 and "missing.ics: file not found" in err
    code, _, err = run(*argv, "--rules", str(DATA / "rules-no-training.toml"))
    assert code == 2
    assert NO_TRAINING in err and "missing.ics" not in err

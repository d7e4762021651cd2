"""`calendar-audit report` end to end on Outlook-style exports: the numbers in person_week.csv, to the minute."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest
from rich.console import Console

from calendar_audit.cli import main
from calendar_audit.commands.options import Context

E2E = Path(__file__).resolve().parent / "data" / "e2e"
SAM = E2E / "sam.jones@council.gov.uk.ics"
TOM = E2E / "tom.hill@council.gov.uk.ics"


def run_cli(*argv: str, today: date = date(2026, 11, 25)) -> tuple[int, str, str]:
    out, err = Console(record=True, width=200), Console(record=True, width=200, stderr=True)
    code = main(list(argv), Context(today=today, console=out, err=err))
    return code, out.export_text(), err.export_text()


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture
def report(tmp_path):
    code, out, err = run_cli("report", "--ics", str(SAM), str(TOM), "--from", "2026-10-12", "--to", "2026-11-08",
                             "--rules", str(E2E / "rules.toml"), "--out", str(tmp_path), "--format", "html,csv")
    assert (code, err) == (0, "")
    return tmp_path, out


def row(rows: list[dict[str, str]], person: str, week: str) -> dict[str, str]:
    [found] = [r for r in rows if r["person"] == person and r["week_start"] == week]
    return found


def test_person_week_follows_the_definitions_on_outlook_exports(report):
    out_dir, _ = report
    rows = read_csv(out_dir / "person_week.csv")
    assert list(rows[0]) == ["person", "week_start", "working_hours", "busy_hours", "direct_work_hours",
                             "meeting_hours", "statutory_meeting_hours", "training_hours", "travel_hours",
                             "admin_hours", "other_hours", "double_booked_hours", "after_hours_hours",
                             "direct_work_pct", "meeting_pct", "visit_ready_hours", "visit_ready_blocks",
                             "visit_ready_slot_hours"]
    assert len(rows) == 8  # two people x four weeks
    sam = "sam.jones@council.gov.uk"

    def numbers(r: dict[str, str]) -> dict[str, float | None]:
        return {k: (round(float(v), 2) if v != "" else None) for k, v in r.items() if k not in ("person", "week_start")}

    # the DESIGN.md worked example, as an Outlook export with Windows time zones and the October clock change
    assert numbers(row(rows, sam, "2026-10-19")) == {
        "working_hours": 32.0, "busy_hours": 9.0, "direct_work_hours": 1.5, "meeting_hours": 3.5,
        "statutory_meeting_hours": 3.0, "training_hours": 0.0, "travel_hours": 0.0, "admin_hours": 0.0,
        "other_hours": 4.0, "double_booked_hours": 0.5, "after_hours_hours": 6.0, "direct_work_pct": 4.69,
        "meeting_pct": 10.94, "visit_ready_hours": 28.0, "visit_ready_blocks": 4.0, "visit_ready_slot_hours": 0.0,
    }
    # the weekly team meeting keeps 10:00 local across the clock change; the last occurrence moved to Tue 14:00-15:30
    assert numbers(row(rows, sam, "2026-10-12"))["meeting_hours"] == 1.0
    week_26 = numbers(row(rows, sam, "2026-10-26"))
    assert (week_26["meeting_hours"], week_26["direct_work_hours"], week_26["after_hours_hours"]) == (1.0, 2.0, 0.0)
    assert numbers(row(rows, sam, "2026-11-02"))["meeting_hours"] == 1.5
    tom = "tom.hill@council.gov.uk"
    assert [numbers(row(rows, tom, w))["meeting_hours"] for w in ("2026-10-12", "2026-10-19", "2026-10-26",
                                                                   "2026-11-02")] == [1.0, 0.0, 0.0, 1.5]
    assert numbers(row(rows, tom, "2026-10-19"))["working_hours"] == 40.0


def test_events_csv_has_no_subjects_and_explains_exclusions(report):
    out_dir, _ = report
    rows = read_csv(out_dir / "events.csv")
    assert list(rows[0]) == ["person", "event_id", "series_id", "start", "end", "category", "rule", "statutory",
                             "counted", "excluded_because", "start_local", "end_local", "hours"]
    text = (out_dir / "events.csv").read_text()
    assert "Home visit" not in text and "J.S." not in text
    reasons = {r["excluded_because"] for r in rows if r["counted"] == "false"}
    assert reasons == {"declined", "free", "all_day", "cancelled"}
    [visit] = [r for r in rows if r["start"].startswith("2026-10-19T10:30")]
    assert (visit["category"], visit["rule"], visit["start"]) == ("direct_work", "home-visit",
                                                                  "2026-10-19T10:30:00+01:00")


def test_report_html_is_written_without_subjects(report):
    out_dir, _ = report
    html = (out_dir / "report.html").read_text()
    assert "Home visit" not in html and "baby M" not in html
    assert 'sam.jones<span class="domain">@council.gov.uk</span>' in html  # the domain everyone shares, apart


def test_include_subjects_adds_the_column(tmp_path):
    code, _, _ = run_cli("report", "--ics", str(SAM), "--from", "2026-10-19", "--to", "2026-10-25", "--rules",
                         str(E2E / "rules.toml"), "--out", str(tmp_path), "--include-subjects", "--format", "csv")
    assert code == 0
    rows = read_csv(tmp_path / "events.csv")
    assert list(rows[0])[-1] == "subject"
    assert "Home visit - J.S." in {r["subject"] for r in rows}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--from", "2026-11-08", "--to", "2026-10-12"], "--from 2026-11-08 is after --to 2026-10-12"),
        (["--from", "12/10/2026"], "--from: '12/10/2026' is not a date (use YYYY-MM-DD)"),
        (["--format", "pdf"], "--format 'pdf': use one or more of html, csv, xlsx, json"),
        (["--rules", "no-such-rules.toml"], "no-such-rules.toml: rule file not found"),
    ],
)
def test_bad_input_exits_2_with_one_clear_line(tmp_path, argv, message):
    code, out, err = run_cli("report", "--ics", str(SAM), "--out", str(tmp_path), *argv)
    assert code == 2
    assert err.strip() == f"calendar-audit: error: {message}"
    assert "Traceback" not in out + err


def test_missing_ics_file_exits_2(tmp_path):
    code, _, err = run_cli("report", "--ics", str(tmp_path / "nobody.ics"), "--out", str(tmp_path))
    assert code == 2
    assert err.strip() == f"calendar-audit: error: {tmp_path / 'nobody.ics'}: file not found"


def test_one_missing_file_among_several_is_named_and_the_rest_are_reported(tmp_path):
    missing = tmp_path / "nobody@council.gov.uk.ics"
    code, out, err = run_cli("report", "--ics", str(SAM), str(missing), str(TOM), "--from", "2026-10-12", "--to",
                             "2026-11-08", "--rules", str(E2E / "rules.toml"), "--out", str(tmp_path / "out"))
    assert code == 2
    assert err.strip() == f"calendar-audit: error: {missing}: file not found"
    rows = read_csv(tmp_path / "out" / "person_week.csv")
    assert sorted({r["person"] for r in rows}) == ["sam.jones@council.gov.uk", "tom.hill@council.gov.uk"]
    assert "Traceback" not in out + err


def test_ics_folder_is_read_as_its_ics_files(tmp_path):
    code, _, err = run_cli("report", "--ics", str(E2E), "--from", "2026-10-12", "--to", "2026-11-08",
                             "--rules", str(E2E / "rules.toml"), "--out", str(tmp_path / "out"))
    assert (code, err) == (0, "")
    people = {r["person"] for r in read_csv(tmp_path / "out" / "person_week.csv")}
    assert people == {p.stem.lower() for p in E2E.glob("*.ics")}


def test_malformed_ics_names_the_file(tmp_path):
    bad = tmp_path / "broken@council.gov.uk.ics"
    bad.write_text("this is not a calendar\n")
    code, _, err = run_cli("report", "--ics", str(bad), "--out", str(tmp_path / "out"))
    assert code == 2
    assert err.startswith(f"calendar-audit: error: {bad}")


def test_rules_check_lists_each_file(tmp_path):
    code, out, _ = run_cli("rules", "check", str(E2E / "rules.toml"))
    assert code == 0
    assert out.startswith(f"{E2E / 'rules.toml'}: 4 rules")


def test_bad_rule_file_exits_2_naming_rule_and_field(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[[rule]]\nname = "x"\ncategory = "meeting"\nsubject = ["("]\n')
    code, _, err = run_cli("rules", "check", str(bad))
    assert code == 2
    assert str(bad) in err and 'rule "x"' in err and "subject[0]" in err


def test_explain_names_the_rule_and_the_reason(tmp_path):
    code, out, _ = run_cli("explain", "--ics", str(SAM), "--from", "2026-10-19", "--to", "2026-10-25", "--rules",
                           str(E2E / "rules.toml"), "--person", "sam.jones@council.gov.uk")
    assert code == 0
    lines = [line for line in out.splitlines() if "Mon 19 Oct 10:30" in line]
    assert len(lines) == 1 and "home-visit" in lines[0] and "1.50 h" in lines[0]
    assert any("Wed 21 Oct 09:00" in line and "no: declined" in line for line in out.splitlines())
    assert any("Sun 25 Oct 00:30" in line and "no rule: default for time alone" in line for line in out.splitlines())
    assert any("Tue 20 Oct 14:00" in line and "core-group, statutory" in line for line in out.splitlines())


def test_every_command_has_help():
    from calendar_audit.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name, command in sub.choices.items():
        assert command.description, name
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    for name in sub.choices:
        assert f"calendar-audit {name}" in readme, f"{name} is not in the README"


def test_per_person_hours_match_a_file_stem_whatever_its_case(tmp_path):
    """A settings key "Part.Timer" still applies to the file part.timer.ics (and the reverse)."""
    export = tmp_path / "Part.Timer.ics"
    export.write_bytes(SAM.read_bytes())
    config = tmp_path / "settings.toml"
    config.write_text('[people."part.timer"]\nworking_hours = { days = ["mon", "tue", "wed", "thu"], '
                      'start = "08:00", end = "16:00" }\n')
    code, _, err = run_cli("report", "--ics", str(export), "--config", str(config), "--from", "2026-10-12",
                           "--to", "2026-10-18", "--rules", str(E2E / "rules.toml"), "--out", str(tmp_path / "out"),
                           "--format", "csv")
    assert (code, err) == (0, "")
    [row] = read_csv(tmp_path / "out" / "person_week.csv")
    assert (row["person"], row["working_hours"]) == ("Part.Timer", "32")


def test_explain_with_pseudonyms_names_no_one(tmp_path, monkeypatch):
    monkeypatch.setenv("CALENDAR_AUDIT_PRIVACY__PSEUDONYMISE", "true")
    monkeypatch.setenv("CALENDAR_AUDIT_PRIVACY__PSEUDONYM_SALT", "a-long-random-salt-for-the-test")
    code, out, err = run_cli("explain", "--ics", str(SAM), str(TOM), "--from", "2026-10-19", "--to", "2026-10-25",
                             "--rules", str(E2E / "rules.toml"))
    assert code == 0, err
    assert "sam.jones" not in out and "tom.hill" not in out and "person-" in out
    code, out, _ = run_cli("explain", "--ics", str(SAM), "--from", "2026-10-19", "--to", "2026-10-25",
                           "--rules", str(E2E / "rules.toml"), "--person", "sam.jones@council.gov.uk")
    assert code == 0 and "home-visit" in out and "sam.jones" not in out
    assert "J.S." not in out  # subjects name people: never shown with pseudonyms on


def test_a_plain_file_name_still_finds_the_persons_own_responses(tmp_path):
    """An export named "A.ics": the address on nearly every meeting is the owner's, so the declined catch-up
    and the tentative strategy discussion are read as the person's own answers (the worked example holds)."""
    export = tmp_path / "A.ics"
    export.write_bytes(SAM.read_bytes())
    code, _, err = run_cli("report", "--ics", str(export), "--from", "2026-10-19", "--to", "2026-10-25",
                           "--rules", str(E2E / "rules.toml"), "--out", str(tmp_path / "out"), "--format", "csv,json")
    assert (code, err) == (0, "")
    [row] = read_csv(tmp_path / "out" / "person_week.csv")
    assert (row["person"], float(row["busy_hours"]), float(row["meeting_hours"])) == ("A", 9.0, 3.5)
    import json

    notes = json.loads((tmp_path / "out" / "report.json").read_text())["notes"]
    assert any("took sam.jones@council.gov.uk to be A" in n for n in notes)

"""The command line as a new user meets it: --verbose anywhere, --person as the table shows it, explain prints
only, word-wrapped tables, notes that always reach the user, a quiet broken pipe, an honest install."""

from __future__ import annotations

import logging
import subprocess
import sys
import tomllib
from datetime import date
from pathlib import Path

import pytest
from rich.console import Console

from calendar_audit.cli import main
from calendar_audit.commands.options import Context

ROOT = Path(__file__).resolve().parents[1]
E2E = ROOT / "tests" / "data" / "e2e"
SAM = E2E / "sam.jones@council.gov.uk.ics"
TOM = E2E / "tom.hill@council.gov.uk.ics"
REAL = ROOT / "tests" / "data" / "ics" / "real_exports"
WINDOW = ("--from", "2026-10-19", "--to", "2026-10-25", "--rules", str(E2E / "rules.toml"))


def run_cli(*argv: str, width: int = 200) -> tuple[int, str, str]:
    out, err = Console(record=True, width=width), Console(record=True, width=width, stderr=True)
    code = main(list(argv), Context(today=date(2026, 11, 25), console=out, err=err))
    return code, out.export_text(), err.export_text()


@pytest.mark.parametrize("where", ["before", "after"])
def test_verbose_before_or_after_the_command_logs_what_was_read(tmp_path: Path, where: str,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    argv = ["report", "--ics", str(SAM), str(TOM), *WINDOW, "--out", str(tmp_path)]
    argv = ["--verbose", *argv] if where == "before" else [*argv, "--verbose"]
    with caplog.at_level(logging.DEBUG, logger="calendar_audit"):
        code, _, _ = run_cli(*argv)
    assert code == 0
    messages = [r.getMessage() for r in caplog.records if r.name == "calendar_audit"]
    assert "read 2 .ics files: 2 people, 9 events over 2026-10-19 to 2026-10-25 (Europe/London)" in messages
    assert f"rules: 4 from {E2E / 'rules.toml'}" in messages
    assert any(m.startswith(f"wrote {tmp_path / 'report.html'} (") for m in messages)


def test_without_verbose_nothing_is_logged(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    code, _, _ = run_cli("report", "--ics", str(SAM), *WINDOW, "--out", str(tmp_path))
    assert code == 0
    assert not logging.getLogger("calendar_audit").isEnabledFor(logging.INFO)


def test_person_accepts_the_part_before_the_at_as_the_table_shows_it() -> None:
    code, out, err = run_cli("explain", "--ics", str(SAM), str(TOM), *WINDOW, "--person", "sam.jones")
    assert (code, err) == (0, "")
    assert "Mon 19 Oct 10:30" in out and "tom.hill" not in out


def test_person_that_is_not_there_offers_a_did_you_mean() -> None:
    code, _, err = run_cli("explain", "--ics", str(SAM), str(TOM), *WINDOW, "--person", "sam.jone")
    assert code == 2
    assert err.strip() == ("calendar-audit: error: --person 'sam.jone': no such person in 2 .ics files; did you mean "
                           "sam.jones@council.gov.uk?")


def test_explain_prints_and_takes_no_out() -> None:
    code, _, _ = run_cli("explain", "--ics", str(SAM), *WINDOW, "--out", "somewhere")
    assert code == 2  # argparse: unrecognised --out; explain writes no file


def test_explain_wraps_between_words_in_80_columns() -> None:
    code, out, _ = run_cli("explain", "--ics", str(SAM), str(TOM), *WINDOW, width=80)
    assert code == 0
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= 80
    cells = [part.strip() for line in lines for part in line.split("│")]
    # the longest words are whole, on one line each
    for word in ("core-group,", "team-meeting", "declined", "sam.jones", "Mon 19 Oct 10:30", "all day"):
        assert word in cells, word
    assert "everyone @council.gov.uk" in out


def test_terminal_says_team_of_one_person(tmp_path: Path) -> None:
    code, out, _ = run_cli("report", "--ics", str(SAM), *WINDOW, "--out", str(tmp_path), "--allow-small-team")
    assert code == 0
    assert "Team (1 person)" in out and "1 people" not in out


def test_notes_reach_the_terminal_and_notes_txt_with_csv_only(tmp_path: Path) -> None:
    files = [REAL / "ends_without_end_vcalendar.ics", REAL / "header_only.ics"]
    code, out, _ = run_cli("report", "--ics", *map(str, files), "--from", "2026-10-19", "--to", "2026-10-25",
                           "--format", "csv", "--out", str(tmp_path), "--allow-small-team")
    assert code == 0
    notes = (tmp_path / "notes.txt").read_text(encoding="utf-8").splitlines()
    assert notes == [
        f"{files[0]}: the file ends at line 33 without END:VCALENDAR: it looks truncated (cut short in a copy or a "
        "download); the events before that line are read",
        f"{files[1]}: the file holds a calendar header but no events (an empty calendar, or an export of a period "
        "with nothing in it)",
    ]
    assert "2 notes on what was read:" in out
    flowing = " ".join(out.split())  # a long note wraps at the terminal's width
    assert f"- {notes[0]}" in flowing and f"- {notes[1]}" in flowing
    assert f"Wrote {tmp_path / 'notes.txt'}" in out
    assert not (tmp_path / "report.html").exists()


def test_compare_at_outside_the_window_says_why_there_is_no_before_and_after(tmp_path: Path) -> None:
    code, _, _ = run_cli("report", "--ics", str(SAM), *WINDOW, "--out", str(tmp_path), "--compare-at", "2027-01-04",
                         "--format", "html")
    assert code == 0
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert ("No comparison: --compare-at Mon 4 Jan 2027 leaves no week on one side: it is after the window "
            "(Mon 19 Oct 2026 to Sun 25 Oct 2026), so there are no weeks after it.") in html
    code, _, _ = run_cli("report", "--ics", str(SAM), *WINDOW, "--out", str(tmp_path), "--compare-at", "2026-10-19",
                         "--format", "html")
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "it is the window’s first day (Mon 19 Oct 2026 to Sun 25 Oct 2026), so there are no weeks before it" in html


def test_a_broken_pipe_exits_quietly() -> None:
    # the demo team's explain is ~800 kB: far more than a pipe holds, so the reader closing early breaks the pipe
    proc = subprocess.Popen([sys.executable, "-c", "from calendar_audit.cli import run; run()", "explain"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()
    proc.stdout.close()  # as `| head -1` does
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 1  # cut short, quietly: no traceback, no "Exception ignored"
    assert err == ""


def test_install_says_what_it_does_and_the_licence_is_an_spdx_string() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["license"] == "MIT"  # PEP 639: a table is deprecated (setuptools warns)
    assert "setuptools>=77" in project["build-system"]["requires"]  # the first to read an SPDX string
    assert not any(c.startswith("License ::") for c in project["project"].get("classifiers", []))
    dry = subprocess.run(["make", "-n", "-B", ".venv/.installed"], cwd=ROOT, capture_output=True, text=True)
    assert "Installing calendar-audit and its dependencies into .venv (the first run takes about two minutes)" in (
        dry.stdout)
    assert "pip install --quiet -e" not in dry.stdout  # pip shows each package as it comes


def test_a_command_imports_only_what_it_runs_and_a_typo_still_lists_every_command() -> None:
    """`demo` and `report` do not pay for msal, msgraph, the store or starlette (0.7 s of imports); an unknown
    command word still gets argparse's list of every command."""
    heavy = "('msal', 'msgraph', 'starlette', 'calendar_audit.sources.store')"
    code = ("import sys; from calendar_audit.cli import build_parser; build_parser(['demo']); "
            f"print(sorted(m for m in {heavy} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    from calendar_audit.cli import build_parser

    commands = next(a for a in build_parser(["demoo"])._actions if a.dest == "command").choices
    assert list(commands) == ["demo", "report", "explain", "rules", "sync", "slots", "suggest", "purge", "enforce",
                              "digest", "serve"]
    assert list(next(a for a in build_parser(["sync"])._actions if a.dest == "command").choices) == [
        "demo", "report", "explain", "rules", "sync"]

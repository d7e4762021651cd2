"""The terminal summary: one line per person with their numbers, a team line, files written, failures in red."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.console import Console

from calendar_audit.frame import MailboxFailure
from calendar_audit.metrics import AuditResult
from calendar_audit.writers import print_summary, terminal
from tests.writers.sample import ALEX, SAM

MakeResult = Callable[..., AuditResult]


def summary_text(result: AuditResult, files: tuple[Path, ...] = ()) -> tuple[str, Console]:
    console = Console(record=True, width=120, color_system="truecolor", file=io.StringIO())
    print_summary(result, console, files)
    return console.export_text(clear=False), console


def line_of(text: str, start: str) -> list[str]:
    line = next(row for row in text.splitlines() if start in row)
    return [cell for cell in re.split(r"\s{2,}", line.strip()) if cell]  # columns are 2+ spaces apart


def test_one_row_per_person_with_their_window_totals(make_result: MakeResult) -> None:
    text, _ = summary_text(make_result())
    # direct work h, meetings h, direct %, meeting %, after hours h
    sam, alex = SAM.split("@")[0], ALEX.split("@")[0]  # everyone shares one domain, named once in the title
    assert line_of(text, sam) == [sam, "1.5", "4.5", "4.7%", "14.1%", "7.0"]
    assert line_of(text, alex) == [alex, "20.3", "10.3", "25.3%", "12.9%", "2.0"]
    assert "everyone @council.gov.uk" in " ".join(text.split())  # the title may wrap


def test_team_line_adds_up_the_people(make_result: MakeResult) -> None:
    text, _ = summary_text(make_result())
    assert line_of(text, "Team (") == ["Team (2 people)", "21.8", "14.8", "19.4%", "13.2%", "9.0"]


def test_files_and_window_are_named(make_result: MakeResult, tmp_path: Path) -> None:
    text, _ = summary_text(make_result(), (tmp_path / "report.html",))
    assert f"Wrote {tmp_path / 'report.html'}" in text
    assert "Mon 19 Oct 2026 to Sun 01 Nov 2026 (Europe/London)" in text and "2 .ics files" in text


def test_failures_are_counted_in_red(make_result: MakeResult) -> None:
    """The summary counts them; the report command names each on stderr (tests/test_cli_report.py)."""
    text, console = summary_text(make_result(failures=[MailboxFailure("kim@council.gov.uk", "[b]403[/b]")]))
    assert "1 mailbox(es) could not be read" in text
    html = console.export_html(inline_styles=True)
    assert re.search(r'<span style="color: #800000[^"]*">1 mailbox\(es\) could not be read', html)


def test_subjects_warning_only_when_included(make_result: MakeResult) -> None:
    assert "includes meeting subjects" in summary_text(make_result(include_subjects=True))[0]
    assert "includes meeting subjects" not in summary_text(make_result())[0]


def test_narrow_terminal_keeps_every_number_whole(make_result: MakeResult) -> None:
    console = Console(record=True, width=80, file=io.StringIO())
    print_summary(make_result(), console)
    text = console.export_text()
    assert all(len(line) <= 80 for line in text.splitlines())
    assert line_of(text, "Team (")[1:] == ["21.8", "14.8", "19.4%", "13.2%", "9.0"]


def test_a_big_team_shows_its_first_people_and_counts_everyone_in_the_team_line(
    make_result: MakeResult, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A 500-person team would scroll 500 rows past unread: the first PEOPLE_SHOWN are listed, the rest counted
    (here one person shown of two), and the team line still adds up everyone."""
    monkeypatch.setattr(terminal, "PEOPLE_SHOWN", 1)
    text, _ = summary_text(make_result(), (tmp_path / "report.html", tmp_path / "person_week.csv"))
    sam, alex = SAM.split("@")[0], ALEX.split("@")[0]
    assert line_of(text, sam) == [sam, "1.5", "4.5", "4.7%", "14.1%", "7.0"]
    assert alex not in text
    assert line_of(text, "... and") == ["... and 1 more"]
    assert line_of(text, "Team (") == ["Team (2 people)", "21.8", "14.8", "19.4%", "13.2%", "9.0"]
    assert ("The first 1 of 2 people are shown; the team line counts everyone, and report.html and "
            "person_week.csv list every person.") in " ".join(text.split())


def test_a_team_within_the_limit_is_listed_whole(make_result: MakeResult) -> None:
    text, _ = summary_text(make_result())
    assert "more" not in text and "are shown" not in text

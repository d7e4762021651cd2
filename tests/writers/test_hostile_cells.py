"""Every CSV and XLSX file the product writes is inert in a spreadsheet, whatever the calendars hold.

Hostile values (a leading ``=``, ``+``, ``-``, ``@``, tab or carriage return: OWASP's formula triggers) are put in
every text column a user's data can reach: the person (an export's file stem), the invitation UID (event_id and
series_id), the organiser, the subject, a rule's name and a slot's name. Each command that writes files runs through
the CLI, and every cell of every file is checked: a cell that starts with a trigger must be a number, never text.
Negative numbers stay numbers. A second set of tests puts every trigger into every text column of each file's table
as its writer receives it, which reaches the columns (category, reasons, reply) that calendars cannot steer.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from rich.console import Console

from calendar_audit.cli import main
from calendar_audit.commands.options import Context
from calendar_audit.writers import write_table_csv, write_table_xlsx
from calendar_audit.writers.columns import FORMULA_TRIGGERS

UID = '=HYPERLINK("http://evil.example/x","click")'
ALI, BO = "=ali", "+bo"  # file stems name the people
ORGANIZER = "-boss@example.org"
RULE_VISIT, RULE_MEETING = "@visit", "-team-meeting"
SLOT = "+mornings"
SUBJECT = "@SUM(1+1)*cmd|' /C calc'!A0"


def ics(events: list[str]) -> str:
    head = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//hostile//EN\r\n"
    return head + "".join(events) + "END:VCALENDAR\r\n"


def vevent(uid: str, summary: str, start: str, end: str, attendees: list[str], organizer: str = "",
           rrule: str = "") -> str:
    lines = ["BEGIN:VEVENT", f"UID:{uid}", f"SUMMARY:{summary}", f"DTSTART;TZID=Europe/London:{start}",
             f"DTEND;TZID=Europe/London:{end}", "DTSTAMP:20261001T000000Z", *([f"RRULE:{rrule}"] if rrule else [])]
    if organizer:
        lines.append(f"ORGANIZER:mailto:{organizer}")
    lines += [f"ATTENDEE;PARTSTAT=ACCEPTED:mailto:{a}" for a in attendees]
    return "\r\n".join([*lines, "END:VEVENT"]) + "\r\n"


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    """Two people's exports, a rules file and a slot file, each carrying formula triggers."""
    folder = tmp_path / "in"
    folder.mkdir()
    others = ["a@example.org", "b@example.org", "c@example.org"]
    # Tuesday 20 Oct 2026: a team meeting inside the protected morning (a violation and a suggestion), a visit
    meeting = vevent(UID, "Team meeting", "20261020T100000", "20261020T110000", others, ORGANIZER,
                     rrule="FREQ=WEEKLY;COUNT=2")
    visit = vevent("+visit-1", "Home visit", "20261020T140000", "20261020T153000", [])
    tabbed = vevent("@tab-1", SUBJECT, "20261021T090000", "20261021T093000", others, ORGANIZER)
    (folder / f"{ALI}.ics").write_text(ics([meeting, visit, tabbed]), encoding="utf-8")
    (folder / f"{BO}.ics").write_text(ics([meeting.replace(UID, "-uid-2"), visit]), encoding="utf-8")
    (tmp_path / "rules.toml").write_text(
        '[categories]\norder = ["direct_work", "meeting", "training", "travel", "admin", "other"]\n\n'
        f'[[rule]]\nname = "{RULE_VISIT}"\ncategory = "direct_work"\nsubject = ["visit"]\n\n'
        f'[[rule]]\nname = "{RULE_MEETING}"\ncategory = "meeting"\nsubject = ["meeting"]\n',
        encoding="utf-8",
    )
    (tmp_path / "slots.toml").write_text(
        f'[[slot]]\nname = "{SLOT}"\ndays = ["tue", "thu"]\nstart = "09:30"\nend = "12:30"\n'
        'allow = ["direct_work", "statutory"]\n',
        encoding="utf-8",
    )
    return tmp_path


def cli(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    ctx = Context(today=date(2026, 10, 19), console=Console(file=out, width=200), err=Console(file=out, width=200))
    return main(list(args), ctx), out.getvalue()


def source(root: Path, window: tuple[str, ...] = ("--to", "2026-10-25")) -> list[str]:
    return ["--ics", *sorted(str(p) for p in (root / "in").glob("*.ics")), "--rules", str(root / "rules.toml"),
            "--from", "2026-10-19", *window, "--allow-small-team"]


def live_csv_cells(path: Path) -> list[str]:
    """Cells a spreadsheet would run: text (not a number) starting with a formula trigger."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        cells = [cell for row in csv.reader(fh) for cell in row]
    return [c for c in cells if c.startswith(FORMULA_TRIGGERS) and not is_number(c)]


def is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def live_xlsx_cells(path: Path) -> list[str]:
    """Formula cells, or text cells starting with a trigger, in any sheet."""
    book = openpyxl.load_workbook(path)
    found = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f" or (isinstance(cell.value, str) and cell.value.startswith(FORMULA_TRIGGERS)):
                    found.append(f"{sheet.title}!{cell.coordinate}: {cell.value!r}")
    return found


def csv_columns(path: Path) -> dict[str, list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return {name: [r[name] for r in rows] for name in (rows[0] if rows else {})}


def test_report_csv_and_xlsx_hold_no_live_formula(hostile: Path) -> None:
    out = hostile / "report"
    code, text = cli("report", *source(hostile), "--slots", str(hostile / "slots.toml"), "--include-subjects",
                     "--format", "csv,xlsx", "--out", str(out))
    assert code == 0, text
    events = csv_columns(out / "events.csv")
    # the values reached the file, each made inert
    assert any(e.startswith("'" + UID) for e in events["event_id"])
    assert "'" + UID in events["series_id"]
    assert {"'" + ALI, "'" + BO} <= set(events["person"])
    assert {"'" + RULE_VISIT, "'" + RULE_MEETING} <= set(events["rule"])
    assert "'" + SUBJECT in events["subject"]
    assert {"'" + ALI, "'" + BO} <= set(csv_columns(out / "person_week.csv")["person"])
    for name in ("events.csv", "person_week.csv"):
        assert live_csv_cells(out / name) == [], name
    assert live_xlsx_cells(out / "report.xlsx") == []
    sheets = openpyxl.load_workbook(out / "report.xlsx")
    values = {c.value for s in sheets.worksheets for row in s.iter_rows() for c in row}
    assert {"'" + UID, "'" + ALI, "'" + RULE_MEETING, "'" + ORGANIZER} <= values


def test_slots_check_files_hold_no_live_formula(hostile: Path) -> None:
    out = hostile / "slots"
    code, text = cli("slots", "check", *source(hostile), "--slots", str(hostile / "slots.toml"), "--out", str(out))
    assert code == 0, text
    violations = csv_columns(out / "slot_violations.csv")
    assert set(violations["slot"]) == {"'" + SLOT}
    assert set(violations["organizer"]) == {"'" + ORGANIZER}
    assert set(violations["rule"]) == {"'" + RULE_MEETING}
    assert {"'" + ALI, "'" + BO} == set(violations["person"])
    assert any(e.startswith("'" + UID) for e in violations["event_id"])
    assert violations["overlap_minutes"] == ["60", "60"]  # numbers stay numbers
    assert {"'" + ALI, "'" + BO} <= set(csv_columns(out / "slot_compliance.csv")["person"])
    for name in ("slot_violations.csv", "slot_compliance.csv"):
        assert live_csv_cells(out / name) == [], name


def test_suggest_files_hold_no_live_formula(hostile: Path) -> None:
    out = hostile / "suggest"
    week = [*source(hostile, ("--days", "7")), "--slots", str(hostile / "slots.toml")]
    code, text = cli("suggest", *week, "--person", ALI, "--out", str(out / "one"))
    assert code == 0, text
    rows = csv_columns(out / "one" / "suggestions.csv")
    assert any(e.startswith("'" + UID) for e in rows["event_id"]), rows
    assert set(rows["person"]) == {"'" + ALI}
    code, text = cli("suggest", *week, "--out", str(out / "team"))
    assert code == 0, text
    assert {"'" + ALI, "'" + BO} <= set(csv_columns(out / "team" / "suggestions_team.csv")["person"])
    for path in sorted(out.rglob("*.csv")):
        assert live_csv_cells(path) == [], path.name


# --- every trigger in every text column, as each writer receives its table ----------------------------------------
@pytest.mark.parametrize("trigger", FORMULA_TRIGGERS)
def test_every_text_column_is_neutralised_and_negative_numbers_stay_numbers(trigger: str, tmp_path: Path) -> None:
    table = pd.DataFrame({
        "person": [trigger + "ali", "bo"], "category": [trigger + "meeting", "meeting"],
        "reasons": [trigger + "large;optional", "large"], "reply": [trigger + "Thank you, no", "Thanks"],
        "overlap_minutes": [-30.0, 45.0], "violations": [-2, 3], "kept": [True, False],
        "start": pd.to_datetime(["2026-10-20 09:00", "2026-10-20 10:00"]).tz_localize("Europe/London"),
    })  # fmt: skip
    with (write_table_csv(table, tmp_path / "t.csv")).open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [rows[0][c] for c in ("person", "category", "reasons", "reply")] == [
        "'" + trigger + "ali", "'" + trigger + "meeting", "'" + trigger + "large;optional",
        "'" + trigger + "Thank you, no"]  # fmt: skip
    assert (rows[0]["overlap_minutes"], rows[0]["violations"], rows[0]["kept"]) == ("-30", "-2", "true")
    sheet = openpyxl.load_workbook(write_table_xlsx(table, tmp_path / "t.xlsx")).active
    first = [c for c in sheet[2]]
    # an XML parser reads a carriage return in a cell as a line feed: still after the "'"
    assert [c.value for c in first[:4]] == [rows[0][c].replace("\r", "\n") for c in ("person", "category", "reasons",
                                                                                     "reply")]
    assert all(c.data_type == "s" for c in first[:4])
    assert (first[4].value, first[4].data_type, first[5].value, first[5].data_type) == (-30, "n", -2, "n")

"""CSV, XLSX and JSON outputs: exact columns and rows, empty cells for NaN, formula injection neutralised."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from calendar_audit.errors import InputError
from calendar_audit.metrics import PERSON_WEEK_COLUMNS, AuditResult
from calendar_audit.writers import Section, write_report, write_table_csv, write_table_xlsx
from calendar_audit.writers.tables import PERSON_WEEK_CSV_COLUMNS, neutralise, sheet_title
from tests.writers.sample import ALEX, FORMULA, SAM

MakeResult = Callable[..., AuditResult]


def read_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8-sig").splitlines()


def test_person_week_csv_columns_are_designs_in_order(make_result: MakeResult, tmp_path: Path) -> None:
    write_report(make_result(), tmp_path, ["csv"])
    assert read_lines(tmp_path / "person_week.csv")[0] == ",".join(PERSON_WEEK_COLUMNS)
    assert PERSON_WEEK_CSV_COLUMNS == PERSON_WEEK_COLUMNS


def test_person_week_csv_rows_round_hours_to_4_and_pct_to_2(make_result: MakeResult, tmp_path: Path) -> None:
    write_report(make_result(), tmp_path, ["csv"])
    assert read_lines(tmp_path / "person_week.csv")[1:] == [
        f"{SAM},2026-10-19,32,9,1.5,3.5,3,0,0,0,4,0.5,6,4.69,10.94",
        f"{SAM},2026-10-26,0,1,0,1,0,0,0,0,0,0,1,,",
        f"{ALEX},2026-10-19,40,30,12.25,10,2,3,2,2.75,0,1,0,30.63,25",
        f"{ALEX},2026-10-26,40,20,8,0.3333,0,0,1,10.6667,0,0,2,20,0.83",
    ]


def test_pct_is_empty_cell_when_no_working_hours(make_result: MakeResult, tmp_path: Path) -> None:
    write_report(make_result(), tmp_path, ["csv"])
    with (tmp_path / "person_week.csv").open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows[1]["working_hours"] == "0"
    assert rows[1]["direct_work_pct"] == "" and rows[1]["meeting_pct"] == ""


def test_events_csv_header_and_rows_in_team_zone(make_result: MakeResult, tmp_path: Path) -> None:
    write_report(make_result(), tmp_path, ["csv"])
    lines = read_lines(tmp_path / "events.csv")
    assert lines[0] == ("person,event_id,series_id,start,end,category,rule,statutory,counted,excluded_because,"
                        "start_local,end_local,hours")
    assert lines[1] == (f"{SAM},e1,s1,2026-10-19T10:00:00+01:00,2026-10-19T11:00:00+01:00,meeting,team-meeting,"
                        "false,true,,2026-10-19 10:00,2026-10-19 11:00,1")
    # the clocks went back on 25 Oct: GMT, offset +00:00
    assert lines[2] == (f"{SAM},e2,,2026-10-26T09:00:00+00:00,2026-10-26T10:00:00+00:00,meeting,,false,true,,"
                        "2026-10-26 09:00,2026-10-26 10:00,1")


def test_events_csv_all_day_event_shows_local_midnights(make_result: MakeResult, tmp_path: Path) -> None:
    write_report(make_result(), tmp_path, ["csv"])
    last = read_lines(tmp_path / "events.csv")[4]
    assert last == (f"{SAM},e4,,2026-10-20T00:00:00+01:00,2026-10-21T00:00:00+01:00,other,,false,false,all_day,"
                    "2026-10-20 00:00,2026-10-21 00:00,0")


def test_events_csv_has_no_subject_unless_included(make_result: MakeResult, tmp_path: Path) -> None:
    write_report(make_result(), tmp_path / "plain", ["csv"])
    plain = (tmp_path / "plain" / "events.csv").read_text(encoding="utf-8-sig")
    assert "subject" not in plain and "Team meeting" not in plain and "script" not in plain

    write_report(make_result(include_subjects=True), tmp_path / "subjects", ["csv"])
    with (tmp_path / "subjects" / "events.csv").open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0][-1] == "subject" and len(rows[0]) == 14
    assert rows[1][-1] == "Team meeting"


def test_csv_neutralises_formula_strings(make_result: MakeResult, tmp_path: Path) -> None:
    write_report(make_result(include_subjects=True), tmp_path, ["csv"])
    with (tmp_path / "events.csv").open(encoding="utf-8-sig", newline="") as f:
        declined = list(csv.DictReader(f))[2]
    assert declined["event_id"] == "'-e3"
    assert declined["series_id"] == "'@s3"
    assert declined["rule"] == "'+catch-up"
    assert declined["subject"] == "'" + FORMULA
    assert declined["statutory"] == "true"


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_neutralise_prefixes_every_formula_trigger(text: str) -> None:
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("text", ["Team meeting", "1-1 supervision", "", "'quoted"])
def test_neutralise_leaves_ordinary_text(text: str) -> None:
    assert neutralise(text) == text


def test_write_table_csv_keeps_numbers_and_neutralises_text(tmp_path: Path) -> None:
    table = pd.DataFrame({"name": ["=cmd", "ok"], "minutes": [-30, 45], "share": [-1.5, float("nan")]})
    path = write_table_csv(table, tmp_path / "t.csv")
    assert read_lines(path) == ["name,minutes,share", "'=cmd,-30,-1.5", "ok,45,"]


def test_xlsx_neutralises_formulas_and_keeps_numbers(tmp_path: Path) -> None:
    table = pd.DataFrame({"subject": ["=1+2", "-x", "plain"], "hours": [-1.5, 2.0, 3.25], "n": [1, 2, 3]})
    path = write_table_xlsx(table, tmp_path / "t.xlsx", sheet="Slots")
    sheet = openpyxl.load_workbook(path)["Slots"]
    assert [c.value for c in sheet[1]] == ["subject", "hours", "n"]
    assert [c.value for c in sheet[2]] == ["'=1+2", -1.5, 1]
    assert sheet["A2"].data_type == "s"  # text, not a formula
    assert sheet["B2"].data_type == "n" and sheet["C4"].value == 3
    assert sheet["A3"].value == "'-x"


def test_report_xlsx_has_every_sheet_and_neutralised_events(make_result: MakeResult, tmp_path: Path) -> None:
    section = Section("Protected slots", "How well the slots were kept.",
                      [("Slot compliance", pd.DataFrame({"person": [SAM], "kept_pct": [75.0]}))])  # fmt: skip
    result = make_result(include_subjects=True, extra_sections=[section])
    (path,) = write_report(result, tmp_path, ["xlsx"])
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Summary", "Person week", "Events", "Top series", "Unclassified", "Slot compliance"]
    events = list(book["Events"].values)
    assert events[0][-1] == "subject"
    assert events[3][1] == "'-e3" and events[3][-1] == "'" + FORMULA
    person_week = list(book["Person week"].values)
    assert person_week[1][2] == 32 and person_week[1][13] == 4.69
    assert person_week[2][13] is None  # NaN pct -> empty cell
    assert list(book["Slot compliance"].values)[1] == (SAM, 75.0)


def test_report_json_loads_with_window_and_tables(make_result: MakeResult, tmp_path: Path) -> None:
    (path,) = write_report(make_result(), tmp_path, ["json"])
    doc = json.loads(path.read_text(encoding="utf-8-sig"))
    assert doc["window"] == {"first": "2026-10-19", "last": "2026-11-01", "tz": "Europe/London"}
    assert doc["person_week"][0]["direct_work_pct"] == 4.69
    assert doc["person_week"][1]["direct_work_pct"] is None
    assert [w["week_start"] for w in doc["team_week"]] == ["2026-10-19", "2026-10-26"]
    assert doc["summary"]["direct_work_hours"] == 21.75
    assert "subject" not in doc["events"][0] and "subject" not in doc["top_series"][0]
    assert doc["events"][0]["start"] == "2026-10-19T10:00:00+01:00"


def test_write_report_returns_files_in_order(make_result: MakeResult, tmp_path: Path) -> None:
    written = write_report(make_result(), tmp_path / "new", "json,html,csv,xlsx")
    assert [p.name for p in written] == ["report.html", "person_week.csv", "events.csv", "report.xlsx", "report.json"]
    assert all(p.exists() for p in written)
    assert not list((tmp_path / "new").glob(".*.tmp"))


def test_unknown_format_is_refused_naming_it(make_result: MakeResult, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="'pdf'"):
        write_report(make_result(), tmp_path, ["html", "pdf"])
    assert not list(tmp_path.iterdir())


# --- Excel: encoding, local times, number formats, sheet names ----------------------------------------------------
def test_csv_has_a_bom_and_round_trips_an_accented_name(tmp_path: Path) -> None:
    name = "siân.öğretmen@council.gov.uk"
    path = write_table_csv(pd.DataFrame({"person": [name], "hours": [1.5]}), tmp_path / "t.csv")
    assert path.read_bytes().startswith(b"\xef\xbb\xbfperson,hours\n")  # the BOM Excel looks for
    with path.open(encoding="utf-8-sig", newline="") as fh:
        assert list(csv.DictReader(fh)) == [{"person": name, "hours": "1.5"}]


def test_csv_quotes_commas_quotes_and_line_breaks_like_the_csv_module(tmp_path: Path) -> None:
    texts = ['a,b', 'say "no"', "two\nlines", "plain", "", "=1,2"]
    path = write_table_csv(pd.DataFrame({"text": texts, "n": range(6)}), tmp_path / "t.csv")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        assert [r["text"] for r in csv.DictReader(fh)] == [*texts[:5], "'=1,2"]
    assert '"say ""no"""' in path.read_text(encoding="utf-8-sig")


def test_local_time_columns_are_wall_clock_minutes_excel_reads(tmp_path: Path) -> None:
    from calendar_audit.writers.tables import with_local_times

    utc = pd.to_datetime(["2026-10-23 08:30", "2026-10-26 09:00"]).tz_localize("UTC")  # BST, then GMT
    table = with_local_times(pd.DataFrame({"start": utc, "end": utc + pd.Timedelta(minutes=45)}), "Europe/London")
    assert read_lines(write_table_csv(table, tmp_path / "t.csv")) == [
        "start,end,start_local,end_local",
        "2026-10-23T08:30:00+00:00,2026-10-23T09:15:00+00:00,2026-10-23 09:30,2026-10-23 10:15",
        "2026-10-26T09:00:00+00:00,2026-10-26T09:45:00+00:00,2026-10-26 09:00,2026-10-26 09:45",
    ]


def test_csv_times_keep_seconds_and_fractions_as_isoformat_writes_them(tmp_path: Path) -> None:
    times = pd.to_datetime(["2026-10-19 10:00:07", "2026-10-19 10:00:00.25", None], format="ISO8601")
    times = times.tz_localize("Europe/London")
    table = pd.DataFrame({"at": times, "at_local": times.tz_localize(None)})
    assert read_lines(write_table_csv(table, tmp_path / "t.csv"))[1:] == [
        "2026-10-19T10:00:07+01:00,2026-10-19 10:00:07",
        "2026-10-19T10:00:00.250000+01:00,2026-10-19 10:00:00",
        ",",
    ]


def test_xlsx_numbers_carry_number_formats_and_stay_numbers(make_result: MakeResult, tmp_path: Path) -> None:
    (path,) = write_report(make_result(), tmp_path, ["xlsx"])
    book = openpyxl.load_workbook(path)
    header, first = list(book["Person week"].iter_rows(max_row=2))
    cells = {h.value: c for h, c in zip(header, first, strict=True)}
    assert (cells["meeting_hours"].value, cells["meeting_hours"].number_format) == (3.5, "#,##0.00")
    assert (cells["direct_work_pct"].value, cells["direct_work_pct"].number_format) == (4.69, "0.0")
    assert cells["week_start"].number_format == "yyyy-mm-dd"
    events = list(book["Events"].iter_rows(max_row=2))
    ev = {h.value: c for h, c in zip(events[0], events[1], strict=True)}
    assert ev["start_local"].number_format == "yyyy-mm-dd hh:mm" and ev["start_local"].is_date
    assert (ev["hours"].value, ev["hours"].data_type, ev["hours"].number_format) == (1, "n", "#,##0.00")


def test_xlsx_and_csv_name_the_same_columns(make_result: MakeResult, tmp_path: Path) -> None:
    write_report(make_result(include_subjects=True), tmp_path, ["csv", "xlsx"])
    book = openpyxl.load_workbook(tmp_path / "report.xlsx")
    for sheet, name in (("Events", "events.csv"), ("Person week", "person_week.csv")):
        with (tmp_path / name).open(encoding="utf-8-sig", newline="") as fh:
            assert [c.value for c in book[sheet][1]] == next(csv.reader(fh))


@pytest.mark.parametrize(("caption", "title"), [
    ("People whose slots were overrun most often", "People whose slots were overrun"),
    ("Organisers whose meetings overran slots most", "Organisers whose meetings"),
    ("Purposes that overran slots most", "Purposes that overran slots"),
    ("Team: mean per person before and after, change and 95% interval", "Team mean per person before"),
    ("Change per person (after minus before)", "Change per person"),
    ("Kept rate per week", "Kept rate per week"),
    ("Supercalifragilisticexpialidociousnessness", "Supercalifragilisticexpialidoci"),
])  # fmt: skip
def test_sheet_titles_are_whole_words_within_31_characters(caption: str, title: str) -> None:
    assert sheet_title(caption, set()) == title


def test_repeated_sheet_titles_stay_whole_words() -> None:
    taken: set[str] = set()
    caption = "People whose slots were overrun most often"
    assert [sheet_title(caption, taken) for _ in range(3)] == [
        "People whose slots were overrun", "People whose slots (2)", "People whose slots (3)"]  # fmt: skip

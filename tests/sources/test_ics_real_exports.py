"""Real Outlook / Exchange exports that were refused or cut short: one small file per case, read with the right
occurrences (tests/data/ics/real_exports/, each file named after its case)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from calendar_audit.errors import IcsError, InputError
from calendar_audit.sources.ics import read_ics
from calendar_audit.window import Window

CASES = Path(__file__).resolve().parents[1] / "data" / "ics" / "real_exports"
OCTOBER = Window(date(2026, 10, 5), date(2026, 11, 1), "Europe/London")


def read(name: str, window: Window | None = OCTOBER):
    return read_ics([CASES / name], window, "Europe/London", today=date(2026, 11, 2))


def occurrences(frame: pd.DataFrame) -> list[tuple[str, str, float]]:
    return sorted((row.subject, row.start.strftime("%Y-%m-%dT%H:%MZ"), (row.end - row.start).total_seconds() / 3600)
                  for row in frame.itertuples())


def test_nul_padded_tzids_are_read_not_refused_as_binary() -> None:
    data = read("nul_padded_tzid.ics")
    assert occurrences(data.events) == [
        ("Home visit", "2026-10-20T09:00Z", 1.5),  # 10:00 BST
        ("Supervision", "2026-10-22T13:00Z", 1.0),  # 14:00 BST
        ("Supervision", "2026-10-29T14:00Z", 1.0),  # 14:00 GMT: the zone is London's, NULs and all
    ]
    assert data.notes == [] and data.failures == []


def test_nul_bytes_in_a_file_that_is_not_icalendar_are_still_binary(tmp_path: Path) -> None:
    path = tmp_path / "sam.ics"
    path.write_bytes(b"PK\x03\x04\x00\x00BEGIN:VCALENDAR")
    with pytest.raises(IcsError, match="binary data"):
        read_ics([path], OCTOBER)


def test_a_file_ending_after_end_vevent_is_read_with_a_truncated_note() -> None:
    data = read("ends_without_end_vcalendar.ics")
    assert occurrences(data.events) == [("Core group", "2026-10-21T09:00Z", 2.0),
                                        ("Home visit", "2026-10-20T09:00Z", 1.0)]
    assert len(data.notes) == 1
    assert "ends_without_end_vcalendar.ics: the file ends at line 33 without END:VCALENDAR: it looks truncated" in (
        data.notes[0])


def test_a_header_only_file_gets_a_note() -> None:
    data = read("header_only.ics")
    assert data.events.empty and data.people == ["header_only"]
    assert data.notes == [f"{CASES / 'header_only.ics'}: the file holds a calendar header but no events (an empty "
                          "calendar, or an export of a period with nothing in it)"]


def test_trailing_spaces_on_every_line_are_tolerated() -> None:
    data = read("trailing_spaces_on_every_line.ics")
    assert occurrences(data.events) == [
        ("Home visit", "2026-10-20T09:00Z", 1.0),
        ("Team meeting", "2026-10-21T09:00Z", 1.5),
        ("Team meeting", "2026-10-22T09:00Z", 1.5),
    ]
    assert data.notes == []
    assert set(data.events["show_as"]) == {"busy"}


def test_floating_dtstart_with_utc_until_keeps_the_last_occurrence() -> None:
    # Exchange writes UNTIL as the UTC start of the last instance: 19 Oct 10:00 BST is 09:00Z, before a floating
    # 10:00 compared as written; read in the team's zone it is the last Monday
    data = read("floating_start_utc_until.ics")
    assert occurrences(data.events) == [
        ("Team meeting", "2026-10-05T09:00Z", 1.0),
        ("Team meeting", "2026-10-12T09:00Z", 1.0),
        ("Team meeting", "2026-10-19T09:00Z", 1.0),
    ]


def test_ics_folder_reads_the_ics_files_in_it() -> None:
    data = read_ics([CASES], OCTOBER, "Europe/London", today=date(2026, 11, 2))
    assert data.people == sorted(p.stem for p in CASES.glob("*.ics"))


def test_ics_folder_without_ics_files_says_it_is_a_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=f"{tmp_path}: a folder with no .ics files in it"):
        read_ics([tmp_path], OCTOBER)


def test_files_with_no_events_in_the_window_get_a_note_with_the_years_they_run() -> None:
    window = Window(date(2015, 1, 5), date(2015, 1, 11), "Europe/London")
    data = read_ics([CASES / "nul_padded_tzid.ics", CASES / "floating_start_utc_until.ics"], window,
                    "Europe/London", today=date(2026, 11, 2))
    assert data.events.empty
    assert data.notes == ["2 files have no events in this window (2015-01-05 to 2015-01-11); their events run "
                          "2026-10-05 to 2026-10-29. Give --from and --to to read them."]


def test_natural_window_is_capped_at_52_weeks_and_says_so(tmp_path: Path) -> None:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0"]
    for uid, day in (("old", "20150105"), ("new", "20161017")):
        lines += ["BEGIN:VEVENT", f"UID:{uid}", f"DTSTART:{day}T090000Z", f"DTEND:{day}T100000Z", "SUMMARY:x",
                  "END:VEVENT"]
    path = tmp_path / "sam.ics"
    path.write_text("\r\n".join([*lines, "END:VCALENDAR"]) + "\r\n")
    data = read_ics([path], None, "Europe/London", today=date(2026, 11, 2))
    assert (data.window.first, data.window.last) == (date(2015, 10, 26), date(2016, 10, 23))
    assert data.notes == ["The files' events run from 2015-01-05 to 2016-10-17; the report covers the last 52 weeks "
                          "of them (2015-10-26 to 2016-10-23). Give --from and --to for another period."]

"""Writers: the only code that writes report files (html, csv, xlsx, json) or prints the terminal summary."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import CalendarAuditError
from ..private import private_dir
from .html import render_html, write_html
from .section import Section
from .tables import (
    check_formats,
    events_table,
    neutralise,
    person_week_table,
    workbook_sheets,
    write_json,
    write_table_csv,
    write_table_xlsx,
    write_workbook,
)
from .terminal import print_summary

if TYPE_CHECKING:
    from ..metrics import AuditResult

FORMATS = ("html", "csv", "xlsx", "json")

__all__ = [
    "FORMATS",
    "Section",
    "neutralise",
    "print_summary",
    "render_html",
    "write_report",
    "write_table_csv",
    "write_table_xlsx",
    "write_workbook",
]


def write_report(result: AuditResult, out_dir: Path, formats: Sequence[str] = ("html", "csv")) -> list[Path]:
    """Write the report in the formats asked for (html, csv, xlsx, json) into ``out_dir``; returns the files."""
    wanted = check_formats(formats, FORMATS)
    out_dir = Path(out_dir)
    try:
        private_dir(out_dir)  # 0700: the files hold calendar data
    except OSError as exc:
        raise CalendarAuditError(f"cannot create {out_dir}: {exc.strerror or exc}") from None
    written: list[Path] = []
    if "html" in wanted:
        written.append(write_html(result, out_dir / "report.html"))
    if "csv" in wanted:
        written.append(write_table_csv(person_week_table(result.person_week), out_dir / "person_week.csv"))
        events = events_table(result.events, result.window.tz, result.include_subjects)
        written.append(write_table_csv(events, out_dir / "events.csv"))
    if "xlsx" in wanted:
        written.append(write_workbook(workbook_sheets(result), out_dir / "report.xlsx"))
    if "json" in wanted:
        written.append(write_json(result, out_dir / "report.json"))
    return written

"""Tables out: CSV, XLSX and JSON, with spreadsheet formula injection neutralised (the OWASP way).

Calendar text is untrusted: a subject such as ``=HYPERLINK(...)`` must show as text in Excel, never run. Every
string cell starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return is prefixed with ``'``; numbers,
booleans and dates are written as such and never touched. Every CSV and XLSX file the product writes goes through
:func:`write_table_csv` or :func:`write_workbook`; cells are formatted a whole column at a time (``columns.py``).

CSV files are UTF-8 with a byte-order mark, so Excel opened by a double-click reads ``siân.öğretmen`` as written.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..errors import CalendarAuditError, InputError
from .columns import FORMULA_TRIGGERS as FORMULA_TRIGGERS  # re-exported: where callers have always found it
from .columns import csv_column, csv_header, is_missing, neutralise, neutralise_texts
from .summary import headline

if TYPE_CHECKING:
    from openpyxl import Workbook

    from ..metrics import AuditResult

#: person_week.csv, as DESIGN.md fixes it (calendar_audit.metrics.PERSON_WEEK_COLUMNS is the same list).
PERSON_WEEK_CSV_COLUMNS = [
    "person", "week_start", "working_hours", "busy_hours", "direct_work_hours", "meeting_hours",
    "statutory_meeting_hours", "training_hours", "travel_hours", "admin_hours", "other_hours",
    "double_booked_hours", "after_hours_hours", "direct_work_pct", "meeting_pct",
]  # fmt: skip
EVENTS_CSV_COLUMNS = [
    "person", "event_id", "series_id", "start", "end", "category", "rule", "statutory", "counted",
    "excluded_because",
]  # fmt: skip
#: added after DESIGN.md's columns (so scripts reading them by position keep working): Excel-readable local times
#: and the event's hours inside the window
EVENTS_EXTRA_COLUMNS = ["start_local", "end_local", "hours"]
EVENT_FLAGS = ("statutory", "counted")
COUNT_COLUMNS = ("visit_ready_blocks",)  # whole numbers in person_week
HOURS_DECIMALS = 4
PCT_DECIMALS = 2
CSV_ENCODING = "utf-8-sig"  # UTF-8 with a BOM: Excel otherwise reads UTF-8 as the local code page
_CSV_CHUNK_ROWS = 200_000  # rows joined into text at a time: bounded memory for a 5 M-event report

# characters XML 1.0 cannot hold; openpyxl refuses a cell containing one
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")
SHEET_TITLE_MAX = 31


def to_text_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Every cell as the text a CSV holds: ISO dates, true/false, empty for missing, formulas neutralised, fields
    quoted where CSV needs it."""
    columns = {i: csv_column(df.iloc[:, i]) for i in range(df.shape[1])}
    return pd.DataFrame(columns, index=df.index).set_axis(list(df.columns), axis=1)


@contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """Write to a temporary file beside ``path`` and move it into place, so no half-written report is left."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        yield tmp
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise CalendarAuditError(f"cannot write {path}: {exc.strerror or exc}") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def csv_lines(df: pd.DataFrame) -> Iterator[str]:
    """A table as CSV text in chunks (a header row, no index, formulas neutralised, whole columns at a time)."""
    yield csv_header([str(c) for c in df.columns]) + "\n"
    for first in range(0, len(df), _CSV_CHUNK_ROWS):
        chunk = df.iloc[first : first + _CSV_CHUNK_ROWS]
        columns = [csv_column(chunk.iloc[:, i]) for i in range(chunk.shape[1])]
        yield "\n".join(map(",".join, zip(*columns, strict=True))) + "\n" if columns else "\n" * len(chunk)


def table_csv_bytes(df: pd.DataFrame) -> bytes:
    """The bytes ``write_table_csv`` writes (UTF-8 with a BOM), for a download that equals the file."""
    return "".join(csv_lines(df)).encode(CSV_ENCODING)


def write_table_csv(df: pd.DataFrame, path: Path) -> Path:
    """Write a table as CSV (UTF-8 with a BOM, a header row, no index, formulas neutralised); returns the path."""
    path = Path(path)
    with replacing(path) as tmp, tmp.open("w", encoding=CSV_ENCODING, newline="") as fh:
        fh.writelines(csv_lines(df))
    return path


# ---------------------------------------------------------------------------------------------------------
# the report's own tables


def person_week_table(person_week: pd.DataFrame) -> pd.DataFrame:
    """person_week as the CSV shows it: DESIGN.md's columns first, hours to 4 and percentages to 2 decimals."""
    missing = [c for c in PERSON_WEEK_CSV_COLUMNS if c not in person_week.columns]
    if missing:
        raise ValueError(f"person_week lacks columns {missing}")
    # a rule file may add categories: their hour columns follow the fixed ones rather than being dropped
    # (and the visit-ready columns follow them, a count among hours)
    extra = [c for c in person_week.columns if c not in PERSON_WEEK_CSV_COLUMNS
             and (c.endswith("_hours") or c in COUNT_COLUMNS)]
    table = person_week[PERSON_WEEK_CSV_COLUMNS + extra].copy()
    table["week_start"] = [_as_date(v) for v in table["week_start"]]
    for name in table.columns[2:]:
        if name in COUNT_COLUMNS:
            table[name] = table[name].astype("int64")
            continue
        decimals = PCT_DECIMALS if name.endswith("_pct") else HOURS_DECIMALS
        table[name] = round_half_up(pd.to_numeric(table[name], errors="coerce").astype(float), decimals)
    return table.reset_index(drop=True)


def round_half_up(values: pd.Series, decimals: int) -> pd.Series:
    """Round halves away from zero, as people do (4.6875 -> 4.69; ``round`` would give the even 4.68)."""
    scale = 10.0**decimals
    return np.sign(values) * np.floor(values.abs() * scale + 0.5) / scale + 0.0  # + 0.0: no "-0"


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return pd.Timestamp(value).date()


def local_times(times: pd.Series, all_day: pd.Series, tz: str) -> pd.Series:
    """UTC instants in the team's zone; all-day events (dates at 00:00 UTC) become local midnights."""
    local = times.dt.tz_convert(tz)
    if not bool(all_day.any()):
        return local
    midnights = times.dt.tz_localize(None).dt.tz_localize(
        tz, nonexistent="shift_forward", ambiguous=np.zeros(len(times), dtype=bool)
    )
    return local.where(~all_day.astype(bool), midnights)


def with_local_times(table: pd.DataFrame, tz: str) -> pd.DataFrame:
    """The table with ``start_local`` and ``end_local`` added last: ``start`` and ``end`` as wall-clock times in the
    team's zone ``tz``, without a zone, which CSV writes as ``YYYY-MM-DD HH:MM`` and Excel reads as times. The ISO
    ``start`` and ``end`` columns stay as they are."""
    out = table.copy()
    for name in ("start", "end"):
        if name in out.columns:
            out[f"{name}_local"] = pd.to_datetime(out[name], utc=True).dt.tz_convert(tz).dt.tz_localize(None)
    return out


def events_table(events: pd.DataFrame, tz: str, include_subjects: bool) -> pd.DataFrame:
    """events.csv: one row per person and occurrence, DESIGN.md's columns, then ``start_local``, ``end_local`` and
    ``hours``; ``subject`` last and only when subjects are included."""
    columns = EVENTS_CSV_COLUMNS + (["subject"] if include_subjects else [])
    table = events.reindex(columns=columns).copy()
    all_day = events["is_all_day"].astype(bool) if "is_all_day" in events else pd.Series(False, index=events.index)
    for name in ("start", "end"):
        table[name] = local_times(pd.to_datetime(events[name], utc=True), all_day, tz)
    for name in EVENT_FLAGS:
        table[name] = table[name].astype("boolean").fillna(False).astype(bool)
    for name in ("series_id", "category", "rule", "excluded_because", *(["subject"] if include_subjects else [])):
        table[name] = table[name].astype(object).where(table[name].notna(), "")
    hours = pd.to_numeric(events["hours"], errors="coerce") if "hours" in events else pd.Series(np.nan, table.index)
    table.insert(len(EVENTS_CSV_COLUMNS), "start_local", table["start"].dt.tz_localize(None))
    table.insert(len(EVENTS_CSV_COLUMNS) + 1, "end_local", table["end"].dt.tz_localize(None))
    table.insert(len(EVENTS_CSV_COLUMNS) + 2, "hours", round_half_up(hours.astype(float), HOURS_DECIMALS))
    return table.reset_index(drop=True)


# ---------------------------------------------------------------------------------------------------------
# XLSX


def _scalar(value: Any) -> Any:
    """Missing -> None; numpy and pandas booleans and numbers -> Python's; anything else as it is."""
    if is_missing(value):
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return float(value)
    return value


def _xlsx_value(value: Any) -> Any:
    """One value as an openpyxl cell value: numbers stay numbers, text is neutralised and made XML-safe."""
    value = _scalar(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, datetime):
        # Excel has no time zones: the wall-clock time in the zone the table already carries
        return value.replace(tzinfo=None)
    if isinstance(value, date):
        return value
    if isinstance(value, list | tuple):
        value = "; ".join(str(v) for v in value)
    return _ILLEGAL_XML.sub("", neutralise(str(value)))


#: number formats: Excel shows figures rounded while the cell keeps the value (no rounding by text)
HOURS_FORMAT = "#,##0.00"
PCT_FORMAT = "0.0"
INTEGER_FORMAT = "#,##0"
DATE_FORMAT = "yyyy-mm-dd"
TIME_FORMAT = "yyyy-mm-dd hh:mm"


def number_format(name: str, value: Any) -> str | None:
    """The number format of a cell from its column name and value: percentages to 1 decimal, other fractional
    figures (hours, minutes) to 2, whole numbers with thousands separators, dates and times as ISO-like text."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return None
    if isinstance(value, datetime):
        return TIME_FORMAT
    if isinstance(value, date):
        return DATE_FORMAT
    if isinstance(value, int):
        return INTEGER_FORMAT
    label = name.lower()
    return PCT_FORMAT if label.endswith("_pct") or "%" in label or label.startswith("pct") else HOURS_FORMAT


def _xlsx_column(column: pd.Series) -> list[Any]:
    """A column as openpyxl cell values, a column at a time: text neutralised once per distinct value."""
    dtype = column.dtype
    if pd.api.types.is_datetime64_any_dtype(dtype):
        wall = column.dt.tz_localize(None) if getattr(column.dt, "tz", None) is not None else column
        return [None if is_missing(t) else t.to_pydatetime() for t in wall]
    if pd.api.types.is_bool_dtype(dtype) and not column.hasnans:
        return column.astype(bool).tolist()
    if pd.api.types.is_integer_dtype(dtype) and not column.hasnans:
        return column.astype("int64").tolist()
    if pd.api.types.is_float_dtype(dtype):
        values = column.astype(float)
        return values.astype(object).where(values.notna(), None).tolist()
    try:
        codes, uniques = pd.factorize(column, use_na_sentinel=True)
    except TypeError:  # unhashable cells (lists)
        return [_xlsx_value(v) for v in column]
    values = np.empty(len(uniques) + 1, dtype=object)
    plain = np.asarray(uniques, dtype=object)
    if pd.api.types.infer_dtype(plain, skipna=True) == "string":
        values[:-1] = [_ILLEGAL_XML.sub("", v) for v in neutralise_texts(plain)]
    else:
        values[:-1] = [_xlsx_value(v) for v in plain]
    values[-1] = None
    return values[codes].tolist()


def sheet_title(name: str, taken: set[str]) -> str:
    """A valid, unique worksheet name of whole words within 31 characters (none of []:*?/\\).

    A long caption keeps its leading words ("Organisers whose meetings overran slots most" becomes "Organisers
    whose meetings"); a bracketed aside goes first. A repeated name gets " (2)", still of whole words.
    """
    base = " ".join(_SHEET_NAME_BAD.sub(" ", name).replace("'", " ").split()) or "Sheet"
    if len(base) > SHEET_TITLE_MAX:
        base = " ".join(re.sub(r"\([^)]*\)", " ", base).split()) or base
    title, n = _whole_words(base, SHEET_TITLE_MAX), 2
    while title.lower() in taken:
        suffix = f" ({n})"
        title = _whole_words(base, SHEET_TITLE_MAX - len(suffix)) + suffix
        n += 1
    taken.add(title.lower())
    return title


_TRAILING = {"and", "or", "of", "per", "the", "a", "an", "to", "by", "with", "minus", "plus", "that", "whose", "in",
             "is", "are", "was", "were"}


def _whole_words(text: str, limit: int) -> str:
    """The leading whole words of ``text`` within ``limit`` characters, without a dangling "and" or comma; a
    single over-long word is cut (there is no whole word to keep)."""
    if len(text) <= limit:
        return text
    words: list[str] = []
    for word in text.split():
        if len(" ".join([*words, word])) > limit:
            break
        words.append(word)
    while len(words) > 1 and words[-1].lower().strip(",;-") in _TRAILING:
        words.pop()
    kept = " ".join(words).rstrip(",;:- ")
    return kept or text[:limit]


def _add_sheet(book: Workbook, title: str, df: pd.DataFrame) -> None:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    sheet = book.create_sheet(title)
    columns = [str(c) for c in df.columns]
    values = [_xlsx_column(df.iloc[:, i]) for i in range(df.shape[1])]
    widths = [len(c) for c in columns]
    for i, column in enumerate(values):
        for value in column[:200]:
            widths[i] = max(widths[i], len(str(value)) if value is not None else 0)
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = min(max(width + 2, 8), 60)
    sheet.freeze_panes = "A2"
    if columns:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(df) + 1}"
    header = []
    for name in columns:
        cell = WriteOnlyCell(sheet, value=_xlsx_value(name))
        cell.font, cell.fill = Font(bold=True, color="FFFFFF"), PatternFill("solid", fgColor="2F3B47")
        cell.alignment = Alignment(vertical="center")
        header.append(cell)
    sheet.append(header)
    for row in zip(*values, strict=True):
        cells = []
        for name, value in zip(columns, row, strict=True):
            fmt = number_format(name, value)
            if fmt is None:
                cells.append(value)
            else:
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = fmt
                cells.append(cell)
        sheet.append(cells)
    if not columns:
        for _ in range(len(df)):
            sheet.append([])


def workbook_sheets(result: AuditResult) -> list[tuple[str, pd.DataFrame]]:
    """The report.xlsx sheets: Summary, Person week, Events, Top series, Unclassified, then each section table."""
    window = result.window
    items: list[tuple[str, Any]] = [
        ("Source", result.source_label),
        ("From", window.first),
        ("To", window.last),
        ("Time zone", window.tz),
        ("Meeting subjects included", "yes" if result.include_subjects else "no"),
        *[(key, value) for key, value in headline(result).items()],
        *[("Mailbox not read", f"{f.person}: {f.reason}") for f in result.failures],
        *[("Note", note) for note in result.notes],
    ]
    sheets: list[tuple[str, pd.DataFrame]] = [
        ("Summary", pd.DataFrame(items, columns=["item", "value"])),
        ("Person week", person_week_table(result.person_week)),
        ("Events", events_table(result.events, window.tz, result.include_subjects)),
        ("Top series", _rounded(_subjects_only_if(result.top_series, result.include_subjects))),
        ("Unclassified", _rounded(_subjects_only_if(result.unclassified, result.include_subjects))),
    ]
    for section in result.extra_sections:
        for caption, df in section.tables:
            sheets.append((caption or section.title, df))
    return sheets


def write_workbook(sheets: Sequence[tuple[str, pd.DataFrame]], path: Path) -> Path:
    """Write several tables into one .xlsx file, one sheet each, header row frozen; returns the path."""
    from openpyxl import Workbook  # here, not at the top: a report without xlsx never pays its import

    path = Path(path)
    book = Workbook(write_only=True)
    taken: set[str] = set()
    for name, df in sheets:
        _add_sheet(book, sheet_title(name, taken), df)
    with replacing(path) as tmp:
        book.save(tmp)
    return path


def write_table_xlsx(df: pd.DataFrame, path: Path, sheet: str = "Table") -> Path:
    """Write one table as an .xlsx file with a single sheet; returns the path."""
    return write_workbook([(sheet, df)], path)


# ---------------------------------------------------------------------------------------------------------
# JSON


def _json_value(value: Any) -> Any:
    value = _scalar(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    return str(value)


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """A table as JSON-ready records: ISO dates, null for missing values."""
    columns = [str(c) for c in df.columns]
    return [
        {c: _json_value(v) for c, v in zip(columns, row, strict=True)} for row in df.itertuples(index=False, name=None)
    ]


def check_formats(formats: Sequence[str] | str, allowed: Sequence[str]) -> list[str]:
    """Normalise ``--format`` values (a list or ``"html,csv"``); refuse an unknown one, naming it."""
    items = formats.split(",") if isinstance(formats, str) else [p for f in formats for p in str(f).split(",")]
    wanted = [f.strip().lower() for f in items if f.strip()]
    unknown = [f for f in wanted if f not in allowed]
    if unknown:
        raise InputError(f"--format: unknown format {unknown[0]!r} (use {', '.join(allowed)})")
    if not wanted:
        raise InputError(f"--format: no format given (use {', '.join(allowed)})")
    return wanted


def report_json(result: AuditResult) -> dict[str, Any]:
    """Everything the report shows, as one JSON document (events without subjects unless they were asked for)."""
    window = result.window
    return {
        "window": {"first": window.first.isoformat(), "last": window.last.isoformat(), "tz": window.tz},
        "source": result.source_label,
        "include_subjects": bool(result.include_subjects),
        "categories": list(result.categories),
        "summary": {k: _json_value(v) for k, v in headline(result).items()},
        "team_week": records(_rounded(result.team_week)),
        "person_week": records(person_week_table(result.person_week)),
        "top_series": records(_rounded(_subjects_only_if(result.top_series, result.include_subjects))),
        "unclassified": records(_rounded(_subjects_only_if(result.unclassified, result.include_subjects))),
        "events": records(events_table(result.events, window.tz, result.include_subjects)),
        "failures": [{"person": f.person, "reason": f.reason} for f in result.failures],
        "notes": list(result.notes),
        "sections": [
            {
                "title": s.title,
                "intro": s.intro,
                "tables": [{"caption": caption, "rows": records(df)} for caption, df in s.tables],
                "chart": records(s.chart) if s.chart is not None else None,
                "chart_marker": s.chart_marker.isoformat() if s.chart_marker else None,
            }
            for s in result.extra_sections
        ],
    }


def _subjects_only_if(df: pd.DataFrame, include_subjects: bool) -> pd.DataFrame:
    """Drop the subject column unless subjects were asked for (belt and braces: metrics leaves it empty)."""
    return df if include_subjects or "subject" not in df.columns else df.drop(columns=["subject"])


def _rounded(df: pd.DataFrame) -> pd.DataFrame:
    """Hours to 4 decimals, percentages to 2, dates as dates: the precision every output file carries."""
    out = df.copy()
    for name in out.columns:
        if pd.api.types.is_float_dtype(out[name]):
            out[name] = round_half_up(out[name], PCT_DECIMALS if str(name).endswith("_pct") else HOURS_DECIMALS)
    return out


def write_json(result: AuditResult, path: Path) -> Path:
    """Write report.json; returns the path."""
    path = Path(path)
    with replacing(path) as tmp:
        tmp.write_text(
            json.dumps(report_json(result), ensure_ascii=False, indent=1, allow_nan=False) + "\n",
            encoding="utf-8",
        )
    return path

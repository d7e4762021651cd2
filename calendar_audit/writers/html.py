"""The HTML report: one self-contained, script-free file that opens offline (Jinja2, autoescaped).

Everything from a calendar reaches the page through Jinja2's autoescape as text. The only markup built in Python
is the SVG charts (numbers, with their labels escaped) and colours computed from numbers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from . import charts
from .summary import category_columns, fixed, headline, person_totals
from .tables import replacing

if TYPE_CHECKING:
    from ..metrics import AuditResult
    from .section import Section

TEMPLATES = Path(__file__).parent / "templates"
TOP_ROWS = 15

LABELS = {
    "person": "Person",
    "week_start": "Week of",
    "weeks": "Weeks",
    "people": "People",
    "working_hours": "Working h",
    "busy_hours": "Busy h",
    "direct_work_hours": "Direct work h",
    "meeting_hours": "Meetings h",
    "statutory_meeting_hours": "Statutory h",
    "after_hours_hours": "After hours h",
    "double_booked_hours": "Double-booked h",
    "direct_work_pct": "Direct work %",
    "meeting_pct": "Meetings %",
    "direct_work_per_week": "Direct work h / week",
    "meeting_per_week": "Meetings h / week",
    "key": "Series",
    "category": "Purpose",
    "rule": "Rule",
    "subject": "Subject",
    "occurrences": "Occurrences",
    "hours": "Hours",
    "organizer_domain": "Organiser's domain",
    "organizer": "Organiser",
    "ci_low": "95% interval from",
    "ci_high": "95% interval to",
}


def category_label(category: str) -> str:
    """'direct_work' -> 'Direct work'."""
    return category.replace("_", " ").strip().capitalize()


def column_label(name: str) -> str:
    """A readable header for a column name."""
    if name in LABELS:
        return LABELS[name]
    if name.endswith("_pct"):
        return f"{category_label(name[:-4])} %"
    if name.endswith("_hours"):
        return f"{category_label(name[:-6])} h"
    return category_label(name)


@dataclass
class Cell:
    """One table cell: text (escaped by the template), and presentation decided here from numbers."""

    text: str
    numeric: bool = False
    css: str = ""
    style: str = ""  # built from numbers only, never from calendar text
    title: str = ""


@dataclass
class TableView:
    """A table ready for the template."""

    caption: str
    headers: list[tuple[str, bool]]  # (label, numeric)
    rows: list[list[Cell]]
    footer: list[Cell] | None = None
    hidden: int = 0  # rows left out of the HTML (all of them are in the CSV/XLSX)
    groups: list[tuple[str, int]] = field(default_factory=list)  # a header row above: (label, columns spanned)
    css: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value))


def format_cell(name: str, value: Any, tz: str) -> Cell:
    """Format one value for reading: hours to 1 decimal, shares as %, dates as '19 Oct 2026'."""
    if _missing(value):
        return Cell("—", numeric=True, css="na")
    if isinstance(value, bool):
        return Cell("yes" if value else "no")
    if isinstance(value, pd.Timestamp | datetime):
        stamp = pd.Timestamp(value)
        if stamp.tzinfo is not None:
            stamp = stamp.tz_convert(tz)
        return Cell(f"{stamp.day} {stamp:%b %Y %H:%M}")
    if isinstance(value, date):
        return Cell(f"{value.day} {value:%b %Y}")
    if isinstance(value, int) or (hasattr(value, "dtype") and pd.api.types.is_integer_dtype(value.dtype)):
        return Cell(f"{int(value):,}", numeric=True)
    if isinstance(value, float) or hasattr(value, "dtype"):
        number = float(value)
        if name.endswith("pct"):
            return Cell(f"{fixed(number)}%", numeric=True)
        if name.endswith(("hours", "per_week")) or name == "hours":
            return Cell(fixed(number), numeric=True)
        return Cell(f"{number:,.2f}".rstrip("0").rstrip("."), numeric=True)
    if isinstance(value, list | tuple):
        return Cell(", ".join(str(v) for v in value))
    if name == "category":
        return Cell(category_label(str(value)))
    return Cell(str(value))


def frame_view(
    caption: str, df: pd.DataFrame, tz: str, *, columns: Sequence[str] | None = None, limit: int | None = None
) -> TableView:
    """A generic table: every column formatted by its name and type."""
    names = [str(c) for c in (columns if columns is not None else df.columns)]
    shown = df if limit is None else df.head(limit)
    rows = []
    for record in shown[names].itertuples(index=False, name=None):
        cells = [format_cell(n, v, tz) for n, v in zip(names, record, strict=True)]
        for n, cell in zip(names, cells, strict=True):
            if n == "key":
                cell.css, cell.title = "key", cell.text
        rows.append(cells)
    numeric = [pd.api.types.is_numeric_dtype(df[n]) and not pd.api.types.is_bool_dtype(df[n]) for n in names]
    headers = [(column_label(n), num) for n, num in zip(names, numeric, strict=True)]
    return TableView(caption, headers, rows, hidden=max(len(df) - len(shown), 0))


# ---------------------------------------------------------------------------------------------------------
# the parts of the report


def heat_colour(t: float) -> str:
    """The heat-map colour at ``t`` in [0, 1]: pale for none, deep green for the most."""
    light, dark = (244, 247, 245), (24, 110, 80)
    r, g, b = (round(a + (z - a) * t) for a, z in zip(light, dark, strict=True))
    return f"rgb({r},{g},{b})"


def heat_style(pct: float, scale: float) -> str:
    """Background for a direct-work share: deeper green the nearer it is to ``scale`` percent."""
    t = max(0.0, min(pct / scale, 1.0)) if scale else 0.0
    ink = "#ffffff" if t > 0.55 else "#1b1f24"
    return f"background:{heat_colour(t)};color:{ink}"


def heatmap_view(result: AuditResult) -> TableView:
    """Person x week direct_work_pct, each cell shaded by its value."""
    pw = result.person_week
    weeks = sorted({_day(w) for w in pw["week_start"]}) if len(pw) else []
    values = {(p, _day(w)): v for p, w, v in zip(pw["person"], pw["week_start"], pw["direct_work_pct"], strict=True)}
    people = list(dict.fromkeys(pw["person"]))  # the order the audit lists them
    present = [float(v) for v in values.values() if not _missing(v)]
    scale = max(50.0, max(present, default=0.0))
    rows = []
    for person in people:
        cells = [Cell(str(person), css="person")]
        for week in weeks:
            value = values.get((person, week))
            if _missing(value):
                cells.append(Cell("—", numeric=True, css="na heat"))
            else:
                cells.append(
                    Cell(f"{fixed(float(value), 0)}%", numeric=True, css="heat", style=heat_style(value, scale))
                )
        rows.append(cells)
    headers = [("Person", False)] + [(f"{w.day} {w:%b}", True) for w in weeks]
    gradient = f"linear-gradient(to right, {heat_colour(0)}, {heat_colour(0.5)}, {heat_colour(1)})"
    return TableView("", headers, rows, css="heatmap", extra={"scale": scale, "gradient": gradient})


def _day(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return pd.Timestamp(value).date()


def team_chart(result: AuditResult) -> Markup:
    """Stacked category hours per team week, working hours as a tick, the direct-work share as a line."""
    tw = result.team_week.sort_values("week_start") if len(result.team_week) else result.team_week
    if not len(tw):
        return Markup("")
    weeks = [_day(w) for w in tw["week_start"]]
    stacks = [
        charts.Series(category_label(c), [float(v) for v in tw[col]], charts.category_colour(c, i))
        for i, (c, col) in enumerate(category_columns(result, tw))
    ]
    reference = charts.Series("Working hours", [float(v) for v in tw["working_hours"]], charts.INK)
    line = None
    if "direct_work_pct" in tw:
        line = charts.Series("Direct work share", [float(v) for v in tw["direct_work_pct"]], charts.LINE_COLOUR)
    return charts.stacked_weeks(weeks, stacks, title="Team hours by purpose per week", line=line, reference=reference)


def people_view(result: AuditResult, summary: dict[str, Any]) -> TableView:
    """Per-person totals over the window, means per week and shares, with a team row at the foot."""
    table = person_totals(result)
    columns = [
        "person", "working_hours", "direct_work_hours", "direct_work_per_week", "direct_work_pct",
        "meeting_hours", "meeting_per_week", "meeting_pct", "statutory_meeting_hours", "after_hours_hours",
        "double_booked_hours",
    ]  # fmt: skip
    view = frame_view("", table, result.window.tz, columns=columns)
    view.groups = [("", 2), ("Direct work", 3), ("Meetings", 3), ("", 3)]
    sub = {"direct_work_hours": "h", "direct_work_per_week": "h/week", "direct_work_pct": "%",
           "meeting_hours": "h", "meeting_per_week": "h/week", "meeting_pct": "%",
           "statutory_meeting_hours": "Statutory h", "after_hours_hours": "After hours h"}  # fmt: skip
    view.headers = [(sub.get(c, label), numeric) for c, (label, numeric) in zip(columns, view.headers, strict=True)]
    view.css = "people"
    for row in view.rows:
        row[0].css = "person"
    weeks = max(summary["weeks"], 1)
    people = max(summary["people"], 1)
    team = {
        **summary,
        "person": f"Team ({summary['people']} people)",
        "weeks": summary["weeks"],
        "direct_work_per_week": summary["direct_work_hours"] / weeks / people,
        "meeting_per_week": summary["meeting_hours"] / weeks / people,
    }
    view.footer = [format_cell(c, team[c], result.window.tz) for c in columns]
    view.footer[0].css = "person"
    return view


def section_view(section: Section, tz: str, index: int) -> dict[str, Any]:
    """A later feature's section: intro, tables and an optional weekly chart with its marker."""
    chart = Markup("")
    if section.chart is not None and len(section.chart):
        df = section.chart.sort_values("week_start")
        numeric = [c for c in df.columns if c != "week_start" and pd.api.types.is_numeric_dtype(df[c])]
        lines = [
            charts.Series(column_label(str(c)), [float(v) for v in df[c]], charts.PALETTE[i % len(charts.PALETTE)])
            for i, c in enumerate(numeric)
        ]
        chart = charts.weekly_lines(
            [_day(w) for w in df["week_start"]], lines, title=section.title, marker=section.chart_marker
        )
    return {
        "id": f"section-{index}",
        "title": section.title,
        "intro": section.intro,
        "chart": chart,
        "tables": [frame_view(caption, df, tz) for caption, df in section.tables],
    }


DEFINITIONS = [
    ("Counted events", "An event counts unless it was cancelled, you declined it, it lasts all day, it is 24 hours "
     "or longer, or it is shown as free. Tentative and unanswered invitations count."),
    ("Window", "From the first date 00:00 to the end of the last date, in the team's time zone. Events are cut at "
     "its edges. Weeks start on Monday 00:00; an event that crosses into a new week is split between the two."),
    ("Hours by purpose", "At any moment a person is in at most one purpose. When counted events overlap, the "
     "purpose earliest in the rule file's order wins the overlapping time, so nothing is counted twice."),
    ("Busy hours", "Time covered by at least one counted event: exactly the sum of the hours by purpose."),
    ("Working hours", "The person's working week (their own setting, else their mailbox's, else the team default "
     "Monday to Friday 09:00-17:00), less the working hours of each day of leave (an all-day event shown as "
     "out of office)."),
    ("Direct work %", "Direct work hours as a share of working hours. Meetings % likewise. Empty when there were "
     "no working hours."),
    ("Statutory meeting hours", "The part of meeting time covered by at least one statutory meeting (for example "
     "a core group or a strategy discussion). These are never suggested for decline."),
    ("After hours", "Busy time outside working hours; all of a leave day's busy time is after hours."),
    ("Double-booked hours", "Time covered by two or more counted events at once."),
    ("Durations", "Elapsed time: a day when the clocks change has 23 or 25 hours."),
]  # fmt: skip


def add_filters(env: Environment) -> Environment:
    """The report's number and date filters, on ``env`` (the service's pages use them too)."""
    env.filters["hours"] = lambda v: "—" if _missing(v) else fixed(float(v))
    env.filters["pct"] = lambda v: "—" if _missing(v) else f"{fixed(float(v))}%"
    env.filters["longdate"] = lambda d: f"{d:%a} {d.day} {d:%b %Y}"
    return env


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,  # every value from a calendar is text, never markup
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return add_filters(env)


def report_context(result: AuditResult) -> dict[str, Any]:
    """What the report's sections need (``report_body.html.j2``): the report and the service's team page."""
    tz = result.window.tz
    summary = headline(result)
    top = frame_view(
        "",
        result.top_series,
        tz,
        columns=[c for c in ("category", "rule", "subject", "key", "occurrences", "people", "hours")
                 if c in result.top_series.columns and (c != "subject" or result.include_subjects)],
        limit=TOP_ROWS,
    )  # fmt: skip
    unclassified = frame_view(
        "",
        result.unclassified,
        tz,
        columns=[c for c in ("subject", "key", "organizer_domain", "occurrences", "people", "hours")
                 if c in result.unclassified.columns and (c != "subject" or result.include_subjects)],
        limit=TOP_ROWS,
    )  # fmt: skip
    unclassified_hours = float(result.unclassified["hours"].sum()) if len(result.unclassified) else 0.0
    return {
        "r": result,
        "window": result.window,
        "summary": summary,
        "chart": team_chart(result),
        "people": people_view(result, summary),
        "heatmap": heatmap_view(result),
        "top": top,
        "unclassified": unclassified,
        "unclassified_hours": unclassified_hours,
        "sections": [section_view(s, tz, i) for i, s in enumerate(result.extra_sections, start=1)],
        "definitions": DEFINITIONS,
        "category_label": category_label,
    }


def render_html(result: AuditResult) -> str:
    """The report as one HTML document."""
    return _environment().get_template("report.html.j2").render(**report_context(result))


def write_html(result: AuditResult, path: Path) -> Path:
    """Write report.html; returns the path."""
    path = Path(path)
    html = render_html(result)
    with replacing(path) as tmp:
        tmp.write_text(html, encoding="utf-8")
    return path

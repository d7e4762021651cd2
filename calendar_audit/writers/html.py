"""The HTML report: one self-contained, script-free file that opens offline (Jinja2, autoescaped).

Everything from a calendar reaches the page as escaped text: through Jinja2's autoescape, or, in a table's rows
(``table_rows``, built in Python for speed), through the same ``markupsafe.escape``. The only other markup built in
Python is the SVG charts (numbers, with their labels escaped) and colours computed from numbers.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

from . import charts
from .summary import category_columns, fixed, headline, person_totals
from .tables import replacing
from .terminal import shared_domain

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
    "when": "Usually",
    "minutes": "Length",
    "recurs": "Recurs",
    "attendees": "Invited",
    "self_booked": "Booked by the person themselves",
    "kept_pct": "Kept %",
    "overlap_hours": "Hours overlapping h",
    "violations": "Events overlapping",
    "difference": "Change",
}
#: the rule of an event no rule matched, in plain words
DEFAULT_RULES = {"default:with_attendees": "meeting, no rule matched", "default:alone": "time alone, no rule matched"}


def rule_label(rule: str) -> str:
    """A rule's name as words: 'team-meeting' -> 'team meeting'; the defaults say no rule matched."""
    rule = str(rule)
    return DEFAULT_RULES.get(rule, rule.replace("-", " ").replace("_", " "))


def length_label(minutes: int) -> str:
    """90 -> '1 h 30 min', 120 -> '2 h', 45 -> '45 min'."""
    hours, rest = divmod(int(minutes), 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h" + (f" {rest} min" if rest else "")


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
    suffix: str = ""  # shown after the text except on a phone: the mail domain everyone shares


def person_cell(person: str, domain: str) -> Cell:
    """A person's name; with a domain everyone shares, the local part and the domain apart (a phone hides it)."""
    person = str(person)
    if domain and person.lower().endswith(f"@{domain}"):
        return Cell(person[: -len(domain) - 1], css="person", suffix=person[-len(domain) - 1:])
    return Cell(person, css="person")


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
    """Format one value for reading: hours and shares to 1 decimal (shares with %), dates as '19 Oct 2026'."""
    if _missing(value):
        return Cell("—", numeric=True, css="na")
    if name == "minutes":
        return Cell(length_label(int(value)), numeric=True)
    if name == "attendees":
        return Cell(f"{int(value)} {'person' if int(value) == 1 else 'people'}", numeric=True)
    if name == "rule":
        return Cell(rule_label(str(value)))
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
        if name.endswith("pct") or "%" in name:
            return Cell(f"{fixed(number)}%", numeric=True)
        return Cell(fixed(number), numeric=True)  # hours and every other measure: one decimal
    if isinstance(value, list | tuple):
        return Cell(", ".join(str(v) for v in value))
    if name == "category":
        return Cell(category_label(str(value)))
    return Cell(str(value))


def frame_view(
    caption: str, df: pd.DataFrame, tz: str, *, columns: Sequence[str] | None = None, limit: int | None = None
) -> TableView:
    """A generic table: every column formatted by its name and type; a table of changes (``df.attrs["changes"]``)
    signs its numbers and gives each its unit (h, or percentage points for a share)."""
    names = [str(c) for c in (columns if columns is not None else df.columns)]
    shown = df if limit is None else df.head(limit)
    changes = df.attrs.get("changes", ())
    domain = shared_domain([str(p) for p in df["person"]]) if "person" in names and len(df) else ""
    rows = []
    for record in shown[names].itertuples(index=False, name=None):
        values = dict(zip(names, record, strict=True))
        cells = []
        for n, v in values.items():
            if n in changes and not _missing(v):
                cells.append(change_cell(n, float(v), values))
            elif n in ("before", "after") and "measure" in values and not _missing(v):
                cells.append(measure_cell(float(v), str(values["measure"])))
            else:
                cells.append(format_cell(n, v, tz))
        for i, (n, cell) in enumerate(zip(names, cells, strict=True)):
            if n == "key":
                cell.css, cell.title = "key", cell.text
            elif n == "person" and not _missing(values[n]):
                cells[i] = person_cell(values[n], domain)
            elif n == "measure":
                cell.text = cell.text[:1].upper() + cell.text[1:]
        rows.append(cells)
    numeric = [pd.api.types.is_numeric_dtype(df[n]) and not pd.api.types.is_bool_dtype(df[n]) for n in names]
    headers = [(column_label(n), num) for n, num in zip(names, numeric, strict=True)]
    return TableView(caption, headers, rows, hidden=max(len(df) - len(shown), 0))


def _is_share(name: str) -> bool:
    return name.endswith("pct") or "%" in name


def measure_cell(value: float, measure: str) -> Cell:
    """A before or after value of a named measure: '16.5%' for a share, '6.3 h' for hours."""
    return Cell(f"{fixed(value)}%" if _is_share(measure) else f"{fixed(value)} h", numeric=True)


def change_cell(name: str, value: float, row: dict[str, Any]) -> Cell:
    """A change: '+16.1 pp' (percentage points) for a share, '+6.3 h' for hours."""
    share = _is_share(str(row.get("measure", name)))
    text = fixed(value)
    text = text if text.startswith("-") or text.strip("0.,") == "" else f"+{text}"
    return Cell(f"{text} pp" if share else f"{text} h", numeric=True,
                title="percentage points" if share else "hours")


# ---------------------------------------------------------------------------------------------------------
# the parts of the report

#: the heat maps' scales: (pale, deep) for direct work (green) and meetings (blue)
HEAT = {"direct_work_pct": ((244, 247, 245), (24, 110, 80)), "meeting_pct": ((244, 246, 250), (38, 84, 150))}


def heat_colour(t: float, metric: str = "direct_work_pct") -> str:
    """The heat-map colour at ``t`` in [0, 1]: pale for none, deep for the most."""
    light, dark = HEAT[metric]
    r, g, b = (round(a + (z - a) * t) for a, z in zip(light, dark, strict=True))
    return f"rgb({r},{g},{b})"


def _luminance(rgb: Sequence[float]) -> float:
    """WCAG relative luminance of an sRGB colour (0-255 channels)."""
    def linear(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def ink_for(rgb: Sequence[float]) -> str:
    """Black or white, whichever contrasts more with the background (never under 4.58:1, WCAG AA)."""
    lum = _luminance(rgb)
    return "#000000" if (lum + 0.05) / 0.05 >= 1.05 / (lum + 0.05) else "#ffffff"


def heat_style(pct: float, scale: float, metric: str = "direct_work_pct") -> str:
    """Background for a share: deeper the nearer it is to ``scale`` percent; the text in the ink that reads."""
    t = max(0.0, min(pct / scale, 1.0)) if scale else 0.0
    light, dark = HEAT[metric]
    return _style_of(tuple(round(a + (z - a) * t) for a, z in zip(light, dark, strict=True)))


@functools.lru_cache(maxsize=4096)
def _style_of(rgb: tuple[int, int, int]) -> str:
    """The style of one colour (heat_colour's ``rgb(...)`` text; a year's heat map has ~50,000 cells, few colours)."""
    r, g, b = rgb
    return f"background:rgb({r},{g},{b});color:{ink_for(rgb)}"


def heatmap_view(result: AuditResult, metric: str = "direct_work_pct") -> TableView:
    """Person x week share (``metric``), each cell shaded by its value; '—' where there were no working hours."""
    pw = result.person_week
    people, weeks, grid, filled = _person_week_grid(pw, metric)
    present = filled & ~np.isnan(grid)
    scale = max(50.0, float(grid[present].max()) if present.any() else 0.0)
    # a year's heat map is 26,000 cells of a few hundred distinct values: each value's text and colour once
    # (told apart by their bits, so that -0.0 keeps its sign)
    distinct, index = np.unique(grid[present].view(np.int64), return_inverse=True)
    texts, styles = [], []
    for value in distinct.view(np.float64).tolist():
        texts.append(f"{fixed(value)}%")
        styles.append(heat_style(value, scale, metric))
    which = np.full(grid.shape, -1, dtype=np.int64)
    which[present] = index.ravel()
    domain = shared_domain(people)
    rows = []
    for person, row in zip(people, which.tolist(), strict=True):
        rows.append([person_cell(person, domain)] + [
            Cell(texts[k], True, "heat", styles[k]) if k >= 0
            else Cell("—", numeric=True, css="na heat", title="no working hours this week (leave)")
            for k in row
        ])
    headers = [("Person", False)] + [(f"{w.day} {w:%b}", True) for w in weeks]
    gradient = (f"linear-gradient(to right, {heat_colour(0, metric)}, {heat_colour(0.5, metric)}, "
                f"{heat_colour(1, metric)})")
    return TableView("", headers, rows, css="heatmap",
                     extra={"scale": scale, "gradient": gradient, "empty": bool((filled & ~present).any())})


def _person_week_grid(pw: pd.DataFrame, metric: str) -> tuple[list[Any], list[date], np.ndarray, np.ndarray]:
    """The people (in the audit's order), the weeks (by day, in order), ``metric`` as a people x weeks grid (NaN
    where missing) and which cells a row filled (a person's later row for the same day wins)."""
    person_of, people = pd.factorize(pw["person"], use_na_sentinel=False)
    stamp_of, stamps = pd.factorize(pw["week_start"], use_na_sentinel=False)
    days = [_day(w) for w in stamps]  # one conversion per distinct week, not per row
    weeks = sorted(set(days))
    column = {day: i for i, day in enumerate(weeks)}
    week_of = np.array([column[d] for d in days], dtype=np.int64)[stamp_of]
    cell = person_of * len(weeks) + week_of
    last = ~pd.Series(cell).duplicated(keep="last").to_numpy()
    grid = np.full(len(people) * len(weeks), np.nan)
    grid[cell[last]] = pw[metric].to_numpy(dtype=np.float64, na_value=np.nan)[last]
    filled = np.zeros(len(people) * len(weeks), dtype=bool)
    filled[cell[last]] = True
    shape = (len(people), len(weeks))
    return list(people), weeks, grid.reshape(shape), filled.reshape(shape)


def _day(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return pd.Timestamp(value).date()


def team_chart(result: AuditResult) -> Markup:
    """Stacked category hours per team week, working hours as a tick, the direct-work share as a line: drawn
    wide for a screen and narrow (fewer labels, larger type) for a phone; the page shows the one that fits."""
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
    title = "Team hours by purpose per week"
    return charts.stacked_weeks(weeks, stacks, title=title, line=line, reference=reference)


PEOPLE_COLUMNS = [
    "person", "direct_work_pct", "direct_work_hours", "direct_work_per_week",
    "meeting_pct", "meeting_hours", "meeting_per_week", "working_hours", "statutory_meeting_hours",
    "after_hours_hours", "double_booked_hours", "visit_ready_hours",
]  # fmt: skip


def people_view(result: AuditResult, summary: dict[str, Any]) -> TableView:
    """Per-person totals over the window, means per week and shares, lowest direct-work share first, with a team
    row at the foot. The shares come first after the name, so a phone shows who and how much together."""
    table = person_totals(result).sort_values(["direct_work_pct", "person"], na_position="first", kind="stable")
    columns = [c for c in PEOPLE_COLUMNS if c in table.columns]
    view = frame_view("", table, result.window.tz, columns=columns)
    view.groups = [("", 1), ("Direct work", 3), ("Meetings", 3), ("", len(columns) - 7)]
    sub = {"direct_work_hours": "h", "direct_work_per_week": "h / week", "direct_work_pct": "% of working time",
           "meeting_hours": "h", "meeting_per_week": "h / week", "meeting_pct": "% of working time",
           "working_hours": "Working h", "statutory_meeting_hours": "Statutory h",
           "after_hours_hours": "After hours h", "visit_ready_hours": "Visit-ready h"}  # fmt: skip
    view.headers = [(sub.get(c, label), numeric) for c, (label, numeric) in zip(columns, view.headers, strict=True)]
    view.css = "people"
    view.extra["domain"] = shared_domain(list(table["person"]))
    weeks = max(summary["weeks"], 1)
    people = max(summary["people"], 1)
    team = {
        **summary,
        "person": "Team",
        "weeks": summary["weeks"],
        "direct_work_per_week": summary["direct_work_hours"] / weeks / people,
        "meeting_per_week": summary["meeting_hours"] / weeks / people,
    }
    view.footer = [format_cell(c, team[c], result.window.tz) for c in columns]
    view.footer[0].css = "person"
    return view


def _unit(columns: Sequence[str]) -> str:
    """The axis unit of a chart's columns: '%' when they are all shares, ' h' when all hours, else none."""
    if columns and all(_is_share(c) for c in columns):
        return "%"
    if columns and all(c.endswith("hours") for c in columns):
        return " h"
    return ""


def section_view(section: Section, tz: str, index: int) -> dict[str, Any]:
    """A later feature's section: intro, points, tables (at most TOP_ROWS rows each) and an optional weekly chart
    with its marker."""
    chart = Markup("")
    if section.chart is not None and len(section.chart):
        df = section.chart.sort_values("week_start")
        numeric = [c for c in df.columns if c != "week_start" and pd.api.types.is_numeric_dtype(df[c])]
        lines = [
            charts.Series(column_label(str(c)), [float(v) for v in df[c]], charts.PALETTE[i % len(charts.PALETTE)])
            for i, c in enumerate(numeric)
        ]
        chart = charts.weekly_lines(
            [_day(w) for w in df["week_start"]], lines, title=section.title, marker=section.chart_marker,
            unit=_unit([str(c) for c in numeric]),
        )
    return {
        "id": f"section-{index}",
        "title": section.title,
        "intro": section.lead or section.intro,
        "points": section.points,
        "chart": chart,
        "tables": [frame_view(caption, df, tz, limit=TOP_ROWS) for caption, df in section.tables],
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
    ("Visit-ready hours", "Free working time in unbroken stretches long enough for a home visit with travel (at "
     "least two hours by default, within one day): time in working hours that no counted event covers."),
    ("Durations", "Elapsed time: a day when the clocks change has 23 or 25 hours."),
]  # fmt: skip


class _Escapes(dict[str, str]):
    """Escaped text, each distinct text escaped once (a year's heat map for 500 people is 26,000 cells of a few
    hundred texts)."""

    def __missing__(self, text: str) -> str:
        self[text] = escaped = str(escape(text))
        return escaped

    def of(self, value: Any) -> str:
        """``value`` as autoescape writes it; only plain ``str`` is remembered (a Markup equals its own text)."""
        return self[value] if type(value) is str else str(escape(value))


def table_rows(view: TableView) -> Markup:
    """The rows of ``view``'s body, as the ``table`` macro writes them: one ``<tr>`` a line, "Nothing to show." in
    a cell across the table when there are none. Built here rather than in a Jinja loop: the report's two heat maps
    are 52,000 cells at 500 people over a year, and the loop with an escape per value took seconds. Every value is
    escaped as autoescape would; only the markup around them is written here."""
    if not view.rows:
        return Markup(f'<tr><td class="empty" colspan="{len(view.headers) or 1}">Nothing to show.</td></tr>\n')
    text = _Escapes().of
    labels = [f' data-label="{text(label)}"' for label, _ in view.headers] if "cards" in view.css else None
    out: list[str] = []
    for row in view.rows:
        out.append("<tr>")
        for i, c in enumerate(row):
            out.append(f'<td class="{"num " if c.numeric else ""}{text(c.css)}"')
            if labels is not None:
                out.append(labels[i])
            if c.style:
                out.append(f' style="{text(c.style)}"')
            if c.title:
                out.append(f' title="{text(c.title)}"')
            out.append(f">{text(c.text)}")
            if c.suffix:
                out.append(f'<span class="domain">{text(c.suffix)}</span>')
            out.append("</td>")
        out.append("</tr>\n")
    return Markup("".join(out))


def add_filters(env: Environment) -> Environment:
    """The report's number and date filters and the tables' rows (``table_rows``), on ``env`` (the service's pages
    use them too)."""
    env.filters["table_rows"] = table_rows
    env.filters["hours"] = lambda v: "—" if _missing(v) else fixed(float(v))
    env.filters["pct"] = lambda v: "—" if _missing(v) else f"{fixed(float(v))}%"
    env.filters["longdate"] = lambda d: f"{d:%a} {d.day} {d:%b %Y}"
    env.tests["present"] = lambda v: not _missing(v)  # a figure to show with its unit (withheld ones are "—")
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


def top_view(result: AuditResult) -> TableView:
    """The costliest meetings, each told apart without its subject: purpose, when and how often, length,
    organiser and how many are invited ("weekly, Tue 10:00, 2 h · organised by X · 12 people")."""
    top = result.top_series
    wanted = ("key", "subject", "rule", "organizer", "attendees", "occurrences", "people", "hours")
    columns = [c for c in wanted if c in top.columns and (c != "subject" or result.include_subjects)]
    view = frame_view("", top, result.window.tz, columns=columns, limit=TOP_ROWS)
    sub = {"people": "Team members", "hours": "Team h", "rule": "Purpose", "attendees": "Invited"}
    view.headers = [(sub.get(c, label), numeric) for c, (label, numeric) in zip(columns, view.headers, strict=True)]
    if {"when", "minutes", "recurs"} <= set(top.columns):
        at = columns.index("rule") + 1
        view.headers.insert(at, ("When", False))
        for row, record in zip(view.rows, top.head(TOP_ROWS).itertuples(index=False), strict=True):
            row.insert(at, Cell(f"{record.recurs}, {record.when}, {length_label(int(record.minutes))}", css="when"))
    view.css = "top cards"
    view.extra["of"] = int(top.attrs.get("of", len(top)))
    return view


def report_context(result: AuditResult) -> dict[str, Any]:
    """What the report's sections need (``report_body.html.j2``): the report and the service's team page."""
    tz = result.window.tz
    summary = headline(result)
    unclassified = frame_view(
        "",
        result.unclassified,
        tz,
        columns=[c for c in ("key", "subject", "organizer_domain", "occurrences", "people", "hours")
                 if c in result.unclassified.columns and (c != "subject" or result.include_subjects)],
        limit=TOP_ROWS,
    )  # fmt: skip
    unclassified.css = "cards"  # a phone shows one labelled card per meeting
    unclassified_hours = float(result.unclassified["hours"].sum()) if len(result.unclassified) else 0.0
    return {
        "r": result,
        "window": result.window,
        "summary": summary,
        "chart": team_chart(result),
        "people": people_view(result, summary),
        "heatmap": heatmap_view(result),
        "meeting_heatmap": heatmap_view(result, "meeting_pct"),
        "top": top_view(result),
        "unclassified": unclassified,
        "unclassified_hours": unclassified_hours,
        "sections": [section_view(s, tz, i) for i, s in enumerate(result.extra_sections, start=1)],
        "definitions": DEFINITIONS,
        "category_label": category_label,
        "source_label": source_label(result.source_label),
    }


def render_html(result: AuditResult) -> str:
    """The report as one HTML document."""
    return _environment().get_template("report.html.j2").render(**report_context(result))


def source_label(label: str) -> str:
    """The source without a head count the page already gives ('demo team (12 people)' -> 'demo team')."""
    return re.sub(r" \(\d+ (people|person)\)$", "", label)


def write_html(result: AuditResult, path: Path) -> Path:
    """Write report.html; returns the path."""
    path = Path(path)
    html = render_html(result)
    with replacing(path) as tmp:
        tmp.write_text(html, encoding="utf-8")
    return path

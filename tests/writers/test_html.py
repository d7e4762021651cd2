"""The HTML report: calendar text is inert, nothing is fetched, the subjects banner and failures are shown."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd

from calendar_audit.frame import MailboxFailure
from calendar_audit.metrics import AuditResult
from calendar_audit.writers import Section, render_html, write_report
from calendar_audit.writers.charts import nice_ticks
from tests.writers.sample import IMG, SAM, SCRIPT, WEEK1, WEEK2

MakeResult = Callable[..., AuditResult]
BANNER = "This report includes meeting subjects"


class _Visible(HTMLParser):
    """Collects visible text, and every src/href attribute and tag name."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.refs: list[str] = []
        self.tags: set[str] = set()
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        if tag in ("head", "style", "title", "script"):
            self._hidden += 1
        self.refs += [v or "" for k, v in attrs if k in ("src", "href", "srcset", "action", "xlink:href")]

    def handle_endtag(self, tag: str) -> None:
        if tag in ("head", "style", "title", "script"):
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden and data.strip():
            self.text.append(data.strip())


def parse(html: str) -> _Visible:
    parser = _Visible()
    parser.feed(html)
    return parser


def test_adversarial_subjects_are_escaped(make_result: MakeResult) -> None:
    html = render_html(make_result(include_subjects=True))
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    visible = parse(html).text
    assert SCRIPT in visible and IMG in visible  # shown to the reader as text


def test_no_external_resources_and_a_strict_csp(make_result: MakeResult, tmp_path: Path) -> None:
    section = Section(
        "Slots", "intro", [], chart=pd.DataFrame({"week_start": [WEEK1, WEEK2], "kept_pct": [50.0, 75.0]})
    )
    (path,) = write_report(make_result(include_subjects=True, extra_sections=[section]), tmp_path, ["html"])
    html = path.read_text(encoding="utf-8")
    page = parse(html)
    assert all(ref.startswith("#") for ref in page.refs), page.refs
    assert not re.search(r"https?://", html)
    assert not re.search(r"url\(", html)
    assert "script" not in page.tags and "link" not in page.tags and "img" not in page.tags
    assert (
        '<meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">" in html
    )
    assert "<svg" in html


def test_subjects_banner_is_first_visible_text_only_when_included(make_result: MakeResult) -> None:
    with_subjects = parse(render_html(make_result(include_subjects=True))).text
    assert with_subjects[0].startswith(BANNER)
    without = render_html(make_result(include_subjects=False))
    assert BANNER not in without
    assert "Team meeting" not in without  # no subject anywhere


def test_headline_numbers_are_team_sums(make_result: MakeResult) -> None:
    text = " ".join(parse(render_html(make_result())).text)
    # working 32 + 0 + 40 + 40; direct work 1.5 + 12.25 + 8 = 21.75 -> 19.4% of 112
    assert "112.0" in text and "21.8" in text and "19.4% of working time" in text
    assert "Meetings and direct work" in text
    assert "Mon 19 Oct 2026 to Sun 1 Nov 2026" in text and "2 .ics files" in text


def test_people_table_has_window_totals_and_team_row(make_result: MakeResult) -> None:
    html = render_html(make_result())
    table = html.split('class="people"')[1].split("</table>")[0]
    rows = re.findall(r"<tr>(.*?)</tr>", table, flags=re.S)
    # everyone is @council.gov.uk: the name, with the domain in a span a phone hides
    sam_cell = 'sam<span class="domain">@council.gov.uk</span>'
    sam = next(r for r in rows if sam_cell in r)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", sam)
    # person, direct %, direct h, direct h/week, meeting %, meeting h, meeting h/week, working,
    # statutory, after hours, double-booked
    assert cells == [sam_cell, "4.7%", "1.5", "0.8", "14.1%", "4.5", "2.3", "32.0", "3.0", "7.0", "0.5"]
    people = [re.findall(r'<td class="person">(\w+)<span', r)[0] for r in rows if '<span class="domain">' in r]
    assert people == ["sam", "alex"]  # lowest direct-work share first
    footer = re.findall(r"<td[^>]*>(.*?)</td>", table.split("<tfoot>")[1])
    assert footer[0] == "Team" and footer[1] == "19.4%"
    assert "Everyone’s address ends @council.gov.uk." in html
    assert html.count("2 people") == 1  # said once, in the header


def test_heatmap_cell_for_a_week_without_working_hours_is_blank(make_result: MakeResult) -> None:
    html = render_html(make_result())
    table = html.split('class="heatmap"')[1].split("</table>")[0]
    sam_row = next(r for r in re.findall(r"<tr>(.*?)</tr>", table, flags=re.S) if ">sam<" in r)
    assert re.findall(r"<td[^>]*>(.*?)</td>", sam_row) == ['sam<span class="domain">@council.gov.uk</span>', "4.7%",
                                                          "—"]
    assert "background:rgb(" in sam_row
    assert 'title="no working hours this week (leave)"' in sam_row
    assert "A “—” is a week with no working hours (a week of leave), so there is no share to show." in html


def test_failures_are_shown_before_the_summary(make_result: MakeResult) -> None:
    failure = MailboxFailure("kim@council.gov.uk", "403 <b>Forbidden</b>")
    html = render_html(make_result(failures=[failure]))
    assert html.index("1 mailbox could not be read") < html.index("Team summary")
    assert "kim@council.gov.uk" in html and "403 &lt;b&gt;Forbidden&lt;/b&gt;" in html
    assert "could not be read" not in render_html(make_result())


def test_unclassified_hint_names_explain_and_include_subjects(make_result: MakeResult) -> None:
    text = " ".join(parse(render_html(make_result())).text)
    assert "calendar-audit explain" in text and "--include-subjects" in text


def test_extra_section_renders_intro_table_chart_and_marker(make_result: MakeResult) -> None:
    section = Section(
        "Protected slots",
        "Tuesday <mornings> kept free.",
        [("Slot compliance", pd.DataFrame({"person": [SAM], "kept_pct": [75.0], "since": [date(2026, 10, 20)]}))],
        chart=pd.DataFrame({"week_start": [WEEK1, WEEK2], "kept_pct": [50.0, 75.0]}),
        chart_marker=date(2026, 10, 22),
    )
    html = render_html(make_result(extra_sections=[section]))
    text = " ".join(parse(html).text)
    assert "Protected slots" in text and "Tuesday &lt;mornings&gt; kept free." in html
    assert "Slot compliance" in text and "75.0%" in text and "20 Oct 2026" in text
    assert "from 22 Oct 2026" in text  # the marker's label inside the SVG
    # the team chart and the section's, each drawn wide (screens) and narrow (phones)
    assert html.count('<svg class="wide"') == 2 and html.count('<svg class="narrow"') == 2
    assert ">80%</text>" in html  # the shares' axis carries its unit


def test_notes_are_listed(make_result: MakeResult) -> None:
    html = render_html(make_result(notes=["1 VEVENT without DTSTART skipped in sam.ics"]))
    assert "1 VEVENT without DTSTART skipped in sam.ics" in html


def test_definitions_footnote_explains_the_metrics(make_result: MakeResult) -> None:
    text = " ".join(parse(render_html(make_result())).text)
    for term in ("Counted events", "Working hours", "Double-booked hours", "Statutory meeting hours", "After hours"):
        assert term in text


def test_empty_result_still_renders(make_result: MakeResult) -> None:
    empty = make_result()
    empty.person_week = empty.person_week.iloc[0:0]
    empty.team_week = empty.team_week.iloc[0:0]
    empty.events = empty.events.iloc[0:0]
    empty.top_series = empty.top_series.iloc[0:0]
    empty.unclassified = empty.unclassified.iloc[0:0]
    text = " ".join(parse(render_html(empty)).text)
    assert "Nothing to show." in text


def test_nice_ticks_are_round_and_cover_the_maximum() -> None:
    assert nice_ticks(93) == [0, 20, 40, 60, 80, 100]
    assert nice_ticks(9.5) == [0, 2, 4, 6, 8, 10]
    assert nice_ticks(0) == [0.0, 1.0]


def test_withheld_team_figures_are_explained_in_the_team_summary(make_result) -> None:
    from calendar_audit.writers.html import render_html

    result = make_result()
    result.withheld_reason = "this audit covers 2 people, fewer than the minimum group size of 5"
    html = render_html(result)
    summary = html[html.index('id="summary"'):html.index('id="people"')]
    assert "Team figures withheld." in summary and "fewer than the minimum group size of 5" in summary
    assert 'class="value">—</div>' in summary and "— <small>h</small>" not in summary  # no unit on a blank


def test_people_table_shows_visit_ready_hours_when_measured(make_result: MakeResult) -> None:
    result = make_result()
    result.person_week = result.person_week.assign(visit_ready_hours=[6.0, 4.5] + [0.0] * (len(result.person_week) - 2))
    html = render_html(result)
    assert "<th scope=\"col\" class=\"num\">Visit-ready h</th>" in html
    sam = next(r for r in re.findall(r"<tr>(.*?)</tr>", html, flags=re.S) if SAM.split("@")[0] in r)
    expected = float(result.person_week.loc[result.person_week["person"] == SAM, "visit_ready_hours"].sum())
    assert re.findall(r"<td[^>]*>(.*?)</td>", sam)[-1] == f"{expected:.1f}"


def test_costliest_meetings_show_purpose_when_length_recurrence_organiser_and_size(make_result: MakeResult) -> None:
    top = pd.DataFrame({
        "key": ["series 1", "meeting 2"], "category": ["meeting", "meeting"],
        "rule": ["default:with_attendees", "team-meeting"], "subject": ["", ""], "when": ["Tue 10:00", "Fri 12:30"],
        "minutes": [120, 90], "recurs": ["weekly", "once"], "organizer": ["lead@council.gov.uk", "amy@council.gov.uk"],
        "attendees": [12, 1], "occurrences": [4, 1], "people": [2, 1], "hours": [16.0, 1.5],
    })
    html = render_html(make_result(top_series=top))
    table = html.split('class="top cards"')[1].split("</table>")[0]
    headers = re.findall(r"<th[^>]*>(.*?)</th>", table)
    assert headers == ["Series", "Purpose", "When", "Organiser", "Invited", "Occurrences", "Team members", "Team h"]
    rows = [re.findall(r"<td[^>]*>(.*?)</td>", r) for r in re.findall(r"<tr>(.*?)</tr>", table, flags=re.S)[1:]]
    assert rows == [
        ["series 1", "meeting, no rule matched", "weekly, Tue 10:00, 2 h", "lead@council.gov.uk", "12 people", "4",
         "2", "16.0"],
        ["meeting 2", "team meeting", "once, Fri 12:30, 1 h 30 min", "amy@council.gov.uk", "1 person", "1", "1",
         "1.5"],
    ]
    assert 'data-label="When"' in table  # a phone shows each meeting as a labelled card


def test_figures_carry_units_and_notes_are_in_the_contents(make_result: MakeResult) -> None:
    html = render_html(make_result(notes=[f"note {i}" for i in range(3)]))
    text = " ".join(parse(html).text)
    assert "Working hours 112.0 h" in text  # the unit on every figure
    assert '<a href="#notes">Notes (3)</a>' in html and 'id="notes"' in html


def test_long_tables_say_how_many_more(make_result: MakeResult) -> None:
    many = pd.DataFrame({"person": [f"p{i}@council.gov.uk" for i in range(18)], "violations": list(range(18))})
    html = render_html(make_result(extra_sections=[Section("Slots", "intro", [("Overrun", many)])]))
    assert "Showing the first 15, and 3 more in the CSV, XLSX and JSON files." in html


def test_changes_of_a_share_are_in_percentage_points(make_result: MakeResult) -> None:
    team = pd.DataFrame({"measure": ["direct work hours a week", "direct work % of working hours"],
                         "before": [6.26, 16.45], "after": [12.51, 32.59], "difference": [6.26, 16.14],
                         "ci_low": [4.2, 11.16], "ci_high": [7.93, 20.05], "people": [12, 12]})
    team.attrs["changes"] = ("difference", "ci_low", "ci_high")
    section = Section("Before and after the policy", "Weeks before and after.", [("Team", team)],
                      points=["Direct work % of working hours: a change of +16.1 percentage points."])
    html = render_html(make_result(extra_sections=[section]))
    rows = [re.findall(r"<td[^>]*>(.*?)</td>", r) for r in re.findall(r"<tr>(.*?)</tr>", html.split(
        'id="section-1"')[1].split("</table>")[0], flags=re.S)[1:]]
    assert rows == [["Direct work hours a week", "6.3 h", "12.5 h", "+6.3 h", "+4.2 h", "+7.9 h", "12"],
                    ["Direct work % of working hours", "16.5%", "32.6%", "+16.1 pp", "+11.2 pp", "+20.1 pp", "12"]]
    assert '<ul class="points">\n<li>Direct work % of working hours: a change of +16.1 percentage points.</li>' in html


def test_costliest_meetings_say_how_many_more_there_were(make_result: MakeResult) -> None:
    result = make_result()
    result.top_series.attrs["of"] = 5
    html = render_html(result)
    assert "The 2 costliest, and 3 more meetings and series that cost less." in html
    result.top_series.attrs["of"] = 2
    assert "more meetings and series" not in render_html(result)


#: the table macro's row loop before its rows were built in Python (html.table_rows): the markup they must match
LOOP = """{% for row in view.rows %}
<tr>{% for c in row %}<td class="{{ 'num ' if c.numeric }}{{ c.css }}"{% if 'cards' in view.css %} data-label="\
{{ view.headers[loop.index0][0] }}"{% endif %}{% if c.style %} style="{{ c.style }}"{% endif %}{% if c.title %} \
title="{{ c.title }}"{% endif %}>{{ c.text }}{% if c.suffix %}<span class="domain">{{ c.suffix }}</span>{% endif %}\
</td>{% endfor %}</tr>
{% else %}
<tr><td class="empty" colspan="{{ view.headers | length or 1 }}">Nothing to show.</td></tr>
{% endfor %}
"""


def test_table_rows_are_the_former_template_loop_whatever_the_text() -> None:
    from jinja2 import Environment
    from markupsafe import Markup

    from calendar_audit.writers.html import Cell, TableView, table_rows

    loop = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True).from_string(LOOP)
    hostile = [SCRIPT, IMG, '"quoted" & \'single\'', "a<b>c", "—"]
    cells = [
        Cell(hostile[0], css="person", suffix="@<x>.org"),
        Cell("12.3%", numeric=True, css="heat", style="background:rgb(1,2,3);color:#000000"),
        Cell("—", numeric=True, css="na heat", title=hostile[2]),
        Cell(Markup("<b>kept</b>"), title=hostile[3]),  # markup passes as markup, as autoescape lets it
        Cell(hostile[3], css=hostile[1]),
        Cell(hostile[4], numeric=True),
    ]
    headers = [(h, True) for h in [*hostile, "x"]]
    for css in ("", "cards", "heatmap"):
        for rows in ([], [cells], [cells, cells[::-1], cells]):
            view = TableView("caption", headers, [list(r) for r in rows], css=css)
            assert str(table_rows(view)) == loop.render(view=view)
            assert isinstance(table_rows(view), Markup)
    assert str(table_rows(TableView("", [], []))) == loop.render(view=TableView("", [], []))


def test_heatmap_keeps_the_audits_order_and_tells_leave_from_no_row() -> None:
    from types import SimpleNamespace

    from calendar_audit.writers.html import heatmap_view

    pw = pd.DataFrame({
        "person": ["b@x.org", "a@x.org", "b@x.org", "b@x.org"],
        "week_start": [WEEK2, WEEK1, WEEK1, WEEK2],
        "direct_work_pct": [10.0, 2.25, 60.0, 1.15],  # b's second row for WEEK2 wins
    })
    view = heatmap_view(SimpleNamespace(person_week=pw))  # type: ignore[arg-type]
    assert [[c.text for c in row] for row in view.rows] == [["b", "60.0%", "1.2%"], ["a", "2.3%", "—"]]
    assert view.extra["scale"] == 60.0 and view.rows[0][1].style == "background:rgb(24,110,80);color:#ffffff"
    assert view.extra["empty"] is False  # a's missing week has no row: not a week of leave
    pw.loc[3, "direct_work_pct"] = float("nan")
    view = heatmap_view(SimpleNamespace(person_week=pw))  # type: ignore[arg-type]
    assert view.rows[0][2].title == "no working hours this week (leave)" and view.extra["empty"] is True

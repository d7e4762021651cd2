"""The short terminal summary (rich): one line per person, a team line, the files written, failures in red."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from .summary import fixed, headline, person_totals

if TYPE_CHECKING:
    from ..metrics import AuditResult

#: a terminal lists at most this many people; a bigger team's rows are in the files (a 500-row table scrolls
#: past unread, and drawing it cost rich 0.3 s)
PEOPLE_SHOWN = 40
HEADERS = ["Direct work h", "Meetings h", "Direct %", "Meeting %", "After hours h"]
NUMBER_WIDTH = 7  # "1,234.5" and "100.0%" fit


def _hours(value: float) -> str:
    return fixed(value)


def _pct(value: float) -> str:
    return "—" if math.isnan(value) else f"{fixed(value)}%"


def shared_domain(people: Sequence[str]) -> str:
    """The mail domain every person shares ("" when they don't), so a narrow terminal can show just the names."""
    domains = {str(p).rpartition("@")[2].lower() if "@" in str(p) else "" for p in people}
    return domains.pop() if len(domains) == 1 else ""


def print_summary(result: AuditResult, console: Console, files: Sequence[Path] = ()) -> None:
    """Print who spent how long on direct work and meetings, the team line, files written and failures."""
    window = result.window
    if result.include_subjects:
        console.print(
            Text("This report includes meeting subjects: keep and share it as personal data.", style="bold yellow")
        )
    title = f"{window.first:%a %d %b %Y} to {window.last:%a %d %b %Y} ({window.tz}) · {result.source_label}"
    totals = person_totals(result)
    domain = shared_domain(list(totals["person"]))
    if domain:
        title += f" · everyone @{domain}"
    table = Table(title=title, title_justify="left", header_style="bold", box=box.SIMPLE_HEAD)
    # in a narrow terminal the headers wrap and the addresses give way (ellipsis), never the numbers
    # a narrow terminal gets two-line headers; the addresses give way (ellipsis), never the numbers
    numbers = HEADERS if console.width >= 112 else [h.replace(" ", "\n", 1) for h in HEADERS]
    widths = [max(NUMBER_WIDTH, *(len(part) for part in h.split("\n"))) for h in numbers]
    person_width = max(12, console.width - sum(w + 3 for w in widths) - 6)
    table.add_column("Person", overflow="ellipsis", no_wrap=True, max_width=person_width)
    for name, width in zip(numbers, widths, strict=True):
        table.add_column(name, justify="right", no_wrap=True, width=width)
    # markup off: a person's name or address is data, never rich markup
    for row in totals.head(PEOPLE_SHOWN).itertuples(index=False):
        table.add_row(
            Text(str(row.person).removesuffix(f"@{domain}") if domain else str(row.person)),
            _hours(row.direct_work_hours),
            _hours(row.meeting_hours),
            _pct(row.direct_work_pct),
            _pct(row.meeting_pct),
            _hours(row.after_hours_hours),
        )
    hidden = len(totals) - PEOPLE_SHOWN
    if hidden > 0:
        table.add_row(Text(f"... and {hidden} more", style="italic"))
    team = headline(result)
    table.add_section()
    table.add_row(
        Text(f"Team ({team['people']} {'person' if team['people'] == 1 else 'people'})", style="bold"),
        _hours(team["direct_work_hours"]),
        _hours(team["meeting_hours"]),
        _pct(team["direct_work_pct"]),
        _pct(team["meeting_pct"]),
        _hours(team["after_hours_hours"]),
        style="bold",
    )
    console.print(table)
    if hidden > 0:
        where = _named(files, PER_PERSON_FILES)
        listed = f", and {' and '.join(where)} list{'s' if len(where) == 1 else ''} every person" if where else ""
        console.print(Text(f"The first {PEOPLE_SHOWN} of {len(totals)} people are shown; the team line counts "
                           f"everyone{listed}."))
    if result.failures:  # each is named on stderr by the command, once
        console.print(Text(f"{len(result.failures)} mailbox(es) could not be read: see below and the report.",
                           style="bold red"))
    if getattr(result, "withheld_reason", ""):
        console.print(Text(result.withheld_reason, style="yellow"))
    print_notes(result.notes, console, files)
    for path in files:
        console.print(Text(f"Wrote {path}"))


NOTES_SHOWN = 10
PER_PERSON_FILES = ("report.html", "person_week.csv", "report.xlsx", "report.json")


def print_notes(notes: Sequence[str], console: Console, files: Sequence[Path] = ()) -> None:
    """The notes (what was skipped, repaired or guessed), the first ten in full, then how many more and where."""
    if not notes:
        return
    console.print(Text(f"{len(notes)} note{'s' if len(notes) != 1 else ''} on what was read:", style="bold"))
    for note in notes[:NOTES_SHOWN]:
        console.print(Text(f"- {note}"), soft_wrap=False)
    if len(notes) > NOTES_SHOWN:
        where = _named(files, ("notes.txt", "report.html"))
        console.print(Text(f"... and {len(notes) - NOTES_SHOWN} more"
                           + (f" in {' and '.join(where)}" if where else "") + "."))


def _named(files: Sequence[Path], names: Sequence[str]) -> list[str]:
    """The names of the written files that are among ``names``, in the order they were written."""
    return [p.name for p in files if p.name in names]

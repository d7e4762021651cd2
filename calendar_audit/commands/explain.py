"""`calendar-audit explain`: which rule decided each event, and why it counted or not."""

from __future__ import annotations

import argparse

import pandas as pd
from rich.table import Table

from ..audit import prepare_events
from ..errors import ConfigError
from ..privacy import private
from ..sources import load_source
from ..writers.terminal import shared_domain
from .options import (
    Context,
    add_rules_option,
    add_source_options,
    add_window_options,
    log_loaded,
    match_person,
    rules_of,
    settings_of,
)
from .report import request_of

REASONS = {
    "cancelled": "no: cancelled",
    "declined": "no: declined",
    "all_day": "no: all-day",
    "over_24h": "no: 24 h or more",
    "free": "no: shown as free",
    "response_not_counted": "no: response not counted (counted_responses)",
}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "explain", help="which rule decided each event, and why it counted or not",
        description="List every event in the window with the purpose rule that decided its category and "
        "whether it counted. Subjects are shown for one --person, or for everyone with --include-subjects "
        "(never with pseudonyms on).",
    )
    add_source_options(p)  # no --out: explain prints, it writes no file
    add_window_options(p)
    add_rules_option(p)
    p.add_argument("--person", metavar="P",
                   help="only this person (mailbox address, .ics file name, or the part before the @)")
    p.add_argument("--include-subjects", action="store_true", help="show subjects for the whole team")
    p.set_defaults(handler=run)


def explain_table(events: pd.DataFrame, tz: str, show_subjects: bool, show_person: bool, width: int = 80) -> Table:
    """One row per event: when, how long, the rule that decided its purpose, and whether it counted; the people
    by the part before the @ when everyone shares a domain (said in the caption)."""
    domain = shared_domain(list(events["person"].unique())) if show_person else ""
    caption = "counted: hours in the window; no: why it was left out" + (f"; everyone @{domain}" if domain else "")
    table = Table(header_style="bold", caption=caption)
    columns = [*(("person",) if show_person else ()), "when", "hours", *(("subject",) if show_subjects else ()),
               "category", "decided by", "counted"]
    rows = []
    for row in events.sort_values(["person", "start"]).itertuples(index=False):
        start = row.start.tz_convert(tz)
        when = start.strftime("%a %d %b") if row.is_all_day else start.strftime("%a %d %b %H:%M")
        hours = (row.end - row.start).total_seconds() / 3600
        if row.matched:
            decided = row.rule + (", statutory" if row.statutory else "")
        else:
            others = f"{row.attendee_count} other{'s' if row.attendee_count != 1 else ''}"
            decided = f"no rule: default for {'meetings' if row.attendee_count else 'time alone'} ({others})"
        counted = f"{row.hours:.2f} h" if row.counted else REASONS.get(row.excluded_because, "no")
        who = str(row.person).removesuffix(f"@{domain}") if domain else str(row.person)
        cells = [*((who,) if show_person else ()), when, "all day" if row.is_all_day else f"{hours:.2f}"]
        if show_subjects:
            cells.append(row.subject)
        rows.append([*cells, str(row.category).replace("_", " "), decided, counted])
    # cells wrap between words, not inside one (a pipe or a file gets 80 columns): each column is as wide as its
    # longest word while the table fits the width; past that the widest give way first
    for column, fixed_width in zip(columns, column_widths(columns, rows, width), strict=True):
        table.add_column(column, overflow="fold", width=fixed_width)
    for cells in rows:
        table.add_row(*cells)
    return table


def column_widths(columns: list[str], rows: list[list[str]], width: int) -> list[int]:
    """Each column's width: its longest word at least (shrunk, widest first, only when they cannot all fit), and
    the room left given to the columns nearest to fitting their longest cell on one line."""
    texts = [[column, *(str(r[i]) for r in rows)] for i, column in enumerate(columns)]
    least = [max(len(word) for text in col for word in (text.split() or [""])) for col in texts]
    most = [max(len(text) for text in col) for col in texts]
    room = width - 3 * len(columns) - 1
    while sum(least) > room and max(least) > 4:
        least[least.index(max(least))] -= 1
    widths = list(least)
    # when and how long are made whole first, so they read on one line; then the rest, shortest first
    first = {"when": 0, "hours": 1}
    for i in sorted(range(len(columns)), key=lambda i: (first.get(columns[i], 2), most[i])):
        widths[i] = max(widths[i], min(most[i], widths[i] + room - sum(widths)))
    return widths


def run(args: argparse.Namespace, ctx: Context) -> int:
    settings = settings_of(args)
    if args.include_subjects and settings.privacy.pseudonymise:
        raise ConfigError("--include-subjects: not with privacy.pseudonymise on (subjects name people)")
    rules = rules_of(args, settings)
    loaded = load_source(request_of(args), settings, ctx.today)
    log_loaded(loaded)
    data, names = private(loaded.data, settings)  # pseudonyms before anything is printed
    events = prepare_events(data.events, rules, loaded.window, settings)
    if args.person:  # a real address or a pseudonym, or the part before the @
        people = list(dict.fromkeys([*data.people, *events["person"].unique()]))
        wanted = match_person(names.given(args.person), people, loaded.label).lower()
        events = events[events["person"].str.lower() == wanted]
    ctx.console.print(f"{loaded.label}, {loaded.window.first} to {loaded.window.last}: {len(events)} events",
                      highlight=False)
    show_subjects = (bool(args.person) or args.include_subjects) and not settings.privacy.pseudonymise
    ctx.console.print(explain_table(events, settings.timezone, show_subjects, show_person=not args.person,
                                    width=ctx.console.width))
    return 0

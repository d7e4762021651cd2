"""`calendar-audit explain`: which rule decided each event, and why it counted or not."""

from __future__ import annotations

import argparse

import pandas as pd
from rich.table import Table

from ..audit import prepare_events
from ..errors import ConfigError, InputError
from ..privacy import private
from ..sources import load_source
from .options import Context, add_reading_options, rules_of, settings_of
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
    add_reading_options(p)
    p.add_argument("--person", metavar="P", help="only this person (mailbox address or .ics file name)")
    p.add_argument("--include-subjects", action="store_true", help="show subjects for the whole team")
    p.set_defaults(handler=run)


def explain_table(events: pd.DataFrame, tz: str, show_subjects: bool, show_person: bool) -> Table:
    """One row per event: when, how long, the rule that decided its purpose, and whether it counted."""
    table = Table(header_style="bold", caption="counted: hours in the window; no: why it was left out")
    columns = [*(("person",) if show_person else ()), "when", "hours", *(("subject",) if show_subjects else ()),
               "category", "decided by", "counted"]
    for column in columns:
        table.add_column(column, overflow="fold")
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
        cells = [*((row.person,) if show_person else ()), when, "all day" if row.is_all_day else f"{hours:.2f}"]
        if show_subjects:
            cells.append(row.subject)
        table.add_row(*cells, row.category, decided, counted)
    return table


def run(args: argparse.Namespace, ctx: Context) -> int:
    settings = settings_of(args)
    if args.include_subjects and settings.privacy.pseudonymise:
        raise ConfigError("--include-subjects: not with privacy.pseudonymise on (subjects name people)")
    rules = rules_of(args, settings)
    loaded = load_source(request_of(args), settings, ctx.today)
    data, names = private(loaded.data, settings)  # pseudonyms before anything is printed
    events = prepare_events(data.events, rules, loaded.window, settings)
    if args.person:
        wanted = names.given(args.person).lower()  # a real address or a pseudonym
        events = events[events["person"].str.lower() == wanted]
        if events.empty and wanted not in {p.lower() for p in data.people}:
            raise InputError(f"--person {args.person!r}: no such person in {loaded.label}")
    ctx.console.print(f"{loaded.label}, {loaded.window.first} to {loaded.window.last}: {len(events)} events",
                      highlight=False)
    show_subjects = (bool(args.person) or args.include_subjects) and not settings.privacy.pseudonymise
    ctx.console.print(explain_table(events, settings.timezone, show_subjects, show_person=not args.person))
    return 0

"""`calendar-audit sync`: bring the team's calendars into the local store with calendarView/delta."""

from __future__ import annotations

import argparse
from datetime import date

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ..settings import Settings
from ..sources.auth import require_sign_in_settings
from ..sources.store import sync
from ..window import Window, rolling_window
from .options import Context, add_config_options, add_window_options, dates_of, report_failures, settings_of


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "sync", help="copy the team's Microsoft 365 calendars into the local store (only changes after the first)",
        description="Read the team's calendars from Microsoft Graph into the local SQLite store (settings "
        "store.path), so 'report --source store' needs no network. The first sync of a window reads everything; "
        "later syncs fetch only what changed. Mailboxes are read a few at a time and each is saved as soon as it "
        "is complete, so an interrupted sync keeps every mailbox finished so far. Mailboxes that cannot be read are "
        "named and the run exits 3.",
    )
    add_config_options(p)
    add_window_options(p)
    p.set_defaults(handler=run)


def default_window(settings: Settings, today: date, first: date | None, last: date | None) -> Window:
    """--from/--to, else from the Monday sync.window_weeks_back (12) weeks back to the Sunday
    sync.window_weeks_ahead (4) weeks ahead: the window the service keeps current."""
    rolling = rolling_window(today, settings.sync.window_weeks_back, settings.sync.window_weeks_ahead,
                             settings.timezone)
    return Window(first or rolling.first, last or rolling.last, settings.timezone)


class _Bar:
    """The sync's progress on the terminal: mailboxes done, events read, retries."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.task = progress.add_task("mailboxes", total=None, events=0, retries=0)
        self.events = 0

    def start(self, total: int) -> None:
        self.progress.update(self.task, total=total)

    def advance(self, person: str, events: int, retries: int) -> None:
        self.events += events
        self.progress.update(self.task, advance=1, events=self.events, retries=retries)


def run(args: argparse.Namespace, ctx: Context) -> int:
    settings = settings_of(args)
    team = settings.team(args.team)
    window = default_window(settings, ctx.today, *dates_of(args))
    require_sign_in_settings(settings)  # a missing setting is said before the progress bar appears
    columns = (TextColumn("syncing {task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[events]} events, {task.fields[retries]} retries"), TimeElapsedColumn())
    with Progress(*columns, console=ctx.err, transient=False) as progress:
        result = sync(settings, team, window, progress=_Bar(progress))
    events = sum(m.events for m in result.mailboxes.values())
    modes = [m.mode for m in result.mailboxes.values()]
    ctx.console.print(
        f"synced {len(result.mailboxes)} mailboxes of team {team.name!r} for {window.first} to {window.last}: "
        f"{events} events changed or read ({modes.count('full')} full, {modes.count('delta')} by changes only), "
        f"{result.requests} requests, {result.retries} retries; store: {result.path}"
    )
    if result.lowest_concurrency < settings.graph.max_concurrency:
        ctx.console.print(f"Graph throttled the sync (429): requests in flight were lowered to "
                          f"{result.lowest_concurrency} of graph.max_concurrency {settings.graph.max_concurrency}")
    return report_failures(ctx, result.failures)

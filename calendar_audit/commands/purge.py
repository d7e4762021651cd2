"""`calendar-audit purge --before DATE`: delete stored events from before a date (data kept no longer than needed)."""

from __future__ import annotations

import argparse

from ..sources.store import purge, store_path
from ..window import local_midnight, parse_date
from .options import Context, add_config_options, settings_of


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "purge", help="delete stored events from before a date",
        description="Delete the events the synced store holds that start before DATE (00:00 in the team's time "
        "zone), so calendar data is kept no longer than the audit needs. Later reports over that period say "
        "the mailboxes are not synced, rather than showing empty weeks.",
    )
    p.add_argument("--before", required=True, metavar="YYYY-MM-DD", help="delete events that start before this day")
    add_config_options(p, team=False)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace, ctx: Context) -> int:
    settings = settings_of(args)
    day = parse_date(args.before, "--before")
    deleted = purge(settings, local_midnight(day, settings.timezone))
    ctx.console.print(f"deleted {deleted} stored event{'s' if deleted != 1 else ''} from before {day} "
                      f"from {store_path(settings)}", highlight=False, markup=False)
    return 0

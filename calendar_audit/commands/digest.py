"""`calendar-audit digest`: the weekly mail to each practitioner and manager, previewed as files or sent."""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from ..digest import digest
from ..sources.auth import require_sign_in_settings
from ..window import parse_date
from .options import Context, add_config_options, report_failures, settings_of

OUTCOMES = {"would_send": "to send", "already_sent": "sent already this week", "sent": "sent"}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "digest", help="the weekly digest mail to each practitioner and manager (preview, or send with --apply)",
        description="Build last week's digest for each practitioner (their direct work, meetings, visit-ready "
        "time and protected time kept against their previous four weeks, what enforcement did, next week's "
        "suggestions) and each manager (the team summary, protected time kept week by week, who booked into it "
        "most). No meeting subjects, no other practitioner's name. Without --apply the messages are written as "
        ".html and .eml files; with --apply they are sent from digest.sender, once per person per week.")
    add_config_options(p)
    p.add_argument("--week", metavar="YYYY-MM-DD", help="a day in the week to report (default: last week)")
    p.add_argument("--out", type=Path, metavar="DIR",
                   help="where a dry run writes the messages (default: OUTPUT_DIR/digest-WEEK)")
    p.add_argument("--apply", action="store_true", help="send the messages (default: write them as files)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace, ctx: Context) -> int:
    settings = settings_of(args)
    week = parse_date(args.week, "--week") if args.week else None
    if args.apply:
        require_sign_in_settings(settings)
    result = digest(settings, args.team, now=pd.Timestamp(ctx.now()), week=week, apply=args.apply, out=args.out)
    head = "Digest" if args.apply else "Digest preview (dry run: nothing is sent; add --apply to send)"
    ctx.console.print(f"{head} for the week of {result.week}", highlight=False)
    for message, outcome in result.messages:
        ctx.console.print(f"  {message.to} ({message.role}): {OUTCOMES.get(outcome, outcome)}", highlight=False,
                          markup=False)
    if result.files:
        folder = result.files[0].parent
        ctx.console.print(f"wrote {len(result.files)} files to {folder}", highlight=False)
    return report_failures(ctx, result.failures)

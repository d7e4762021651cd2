"""`calendar-audit demo`: the whole pipeline on the built-in synthetic social-care team."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..settings import load_settings
from ..sources import SourceRequest
from .options import Context
from .report import add_report_options, build_result, finish


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo", help="audit the built-in demo team (no Microsoft 365 needed)",
        description="Generate a deterministic synthetic children's social care team and write its report.",
    )
    p.add_argument("--out", type=Path, metavar="DIR", default=Path("reports/demo"),
                   help="folder for the report (default: reports/demo)")
    p.add_argument("--people", type=int, default=12, metavar="N", help="practitioners (default: 12)")
    p.add_argument("--weeks", type=int, default=8, metavar="W", help="weeks of calendar (default: 8)")
    p.add_argument("--seed", type=int, default=7, metavar="S", help="random seed (default: 7)")
    add_report_options(p)
    p.set_defaults(handler=run, rules=None)


def run(args: argparse.Namespace, ctx: Context) -> int:
    from ..errors import InputError

    if args.people < 1 or args.weeks < 1:
        raise InputError("--people and --weeks must be at least 1")
    settings = load_settings(None)
    request = SourceRequest(demo_people=args.people, demo_weeks=args.weeks, demo_seed=args.seed, source="demo")
    result = build_result(args, ctx, settings, request)
    return finish(result, args, ctx, args.out)

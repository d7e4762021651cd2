"""`calendar-audit rules check`: validate purpose-rule files."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import InputError
from ..rules import check_files
from ..settings import load_settings
from .options import Context


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("rules", help="work with purpose-rule files",
                       description="Work with purpose-rule files (TOML; see the README).")
    rules_sub = p.add_subparsers(dest="rules_command", metavar="ACTION", required=True)
    check = rules_sub.add_parser(
        "check", help="validate rule files",
        description="Validate rule files (default: the settings' rules) and print a line per file; exit 2 naming "
        "the file, rule and field of every problem.",
    )
    check.add_argument("files", nargs="*", type=Path, metavar="FILE", help="rule files")
    check.add_argument("--config", type=Path, metavar="FILE", help="settings file naming the rule files")
    check.set_defaults(handler=run)


def run(args: argparse.Namespace, ctx: Context) -> int:
    paths = list(args.files) or load_settings(args.config).rule_paths()
    for path in paths:
        if not path.is_file():
            raise InputError(f"{path}: rule file not found")
    for line in check_files(paths):
        ctx.console.print(line, markup=False, highlight=False, soft_wrap=True)
    return 0

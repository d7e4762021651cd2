"""The command line: parse arguments, call the library, map errors to exit codes in one place.

Exit codes: 0 done; 1 failed; 2 bad input or usage; 3 done, but some mailboxes failed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import __version__
from .commands import demo, explain, report, rules_check
from .commands.options import Context
from .errors import CalendarAuditError
from .logging_setup import configure_logging

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_PARTIAL = 0, 1, 2, 3
COMMANDS = [demo, report, explain, rules_check]


def _optional_commands() -> list:
    """Commands whose modules arrive with their features; each registers itself when present."""
    import importlib

    found = []
    for name in ("sync", "slots", "suggest", "purge", "serve"):
        try:
            found.append(importlib.import_module(f".commands.{name}", __package__))
        except ModuleNotFoundError as exc:
            if exc.name != f"{__package__}.commands.{name}":
                raise
    return found


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="calendar-audit",
        description="Audit a team's Outlook / Microsoft 365 calendars: hours in meetings vs direct work with "
        "children and families, protected direct-work slots, and meetings you could decline.",
        epilog="Exit codes: 0 done, 1 failed, 2 bad input or usage, 3 done but some mailboxes failed.",
    )
    parser.add_argument("--verbose", action="store_true", help="log what happens (secrets are redacted)")
    parser.add_argument("--version", action="version", version=f"calendar-audit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in [*COMMANDS, *_optional_commands()]:
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None, ctx: Context | None = None) -> int:
    """Run one command; returns the exit code (the console script exits with it)."""
    ctx = ctx or Context()
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has printed the usage message
        return int(exc.code or 0)
    configure_logging(args.verbose)  # every record redacted: no token or secret reaches a log
    try:
        return int(args.handler(args, ctx))
    except CalendarAuditError as exc:
        ctx.err.print(f"calendar-audit: error: {exc}", markup=False, highlight=False, soft_wrap=True)
        return exc.exit_code
    except KeyboardInterrupt:
        ctx.err.print("calendar-audit: interrupted")
        return 130


def run() -> None:
    sys.exit(main())

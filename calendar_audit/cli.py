"""The command line: parse arguments, call the library, map errors to exit codes in one place.

Exit codes: 0 done; 1 failed; 2 bad input or usage; 3 done, but some mailboxes failed.
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import sys
from collections.abc import Sequence

from . import __version__
from .commands import demo, explain, report, rules_check
from .commands.options import Context
from .errors import CalendarAuditError
from .logging_setup import configure_logging

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_PARTIAL = 0, 1, 2, 3
log = logging.getLogger("calendar_audit")
COMMANDS = [demo, report, explain, rules_check]


OPTIONAL = ("sync", "slots", "suggest", "purge", "enforce", "digest", "serve")
CORE_NAMES = ("demo", "report", "explain", "rules")


def _optional_commands(names: Sequence[str] = OPTIONAL) -> list:
    """Commands whose modules arrive with their features; each registers itself when present."""
    import importlib

    found = []
    for name in names:
        try:
            found.append(importlib.import_module(f".commands.{name}", __package__))
        except ModuleNotFoundError as exc:
            if exc.name != f"{__package__}.commands.{name}":
                raise
    return found


def _command_word(argv: Sequence[str] | None) -> str | None:
    """The command named in ``argv`` (its first argument that is not an option), or None."""
    for arg in argv or ():
        if arg == "--":
            return None
        if not arg.startswith("-"):
            return arg
    return None


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The whole command line; given the arguments, only the command they name is imported and registered.

    Each command module imports what it runs (msal, msgraph, the store, starlette): importing all of them cost a
    `calendar-audit demo` 0.7 s before any work. Without a known command word (``--help``, a typo) every command is
    registered, so the usage lists them all.
    """
    word = _command_word(argv)
    optional = () if word in CORE_NAMES else (word,) if word in OPTIONAL else OPTIONAL
    parser = argparse.ArgumentParser(
        prog="calendar-audit",
        description="Audit a team's Outlook / Microsoft 365 calendars: hours in meetings vs direct work with "
        "children and families, protected direct-work slots, and meetings you could decline.",
        epilog="Exit codes: 0 done, 1 failed, 2 bad input or usage, 3 done but some mailboxes failed.",
    )
    parser.add_argument("--verbose", action="store_true", help="log what happens (secrets are redacted)")
    parser.add_argument("--version", action="version", version=f"calendar-audit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in [*COMMANDS, *_optional_commands(optional)]:
        module.register(sub)
    _verbose_everywhere(sub)
    return parser


def _verbose_everywhere(sub: argparse._SubParsersAction) -> None:
    """--verbose also after the command (``calendar-audit report --verbose``), in every subcommand."""
    for command in dict.fromkeys(sub.choices.values()):  # aliases share one parser
        if not any("--verbose" in a.option_strings for a in command._actions):
            command.add_argument("--verbose", action="store_true", default=argparse.SUPPRESS,
                                 help="log what happens (secrets are redacted); also before the command")
        for action in command._actions:
            if isinstance(action, argparse._SubParsersAction):
                _verbose_everywhere(action)


def main(argv: Sequence[str] | None = None, ctx: Context | None = None) -> int:
    """Run one command; returns the exit code (the console script exits with it)."""
    ctx = ctx or Context()
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(argv)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has printed the usage message
        return int(exc.code or 0)
    configure_logging(args.verbose)  # every record redacted: no token or secret reaches a log
    log.debug("calendar-audit %s: %s", __version__, " ".join(argv))
    try:
        return int(args.handler(args, ctx))
    except CalendarAuditError as exc:
        ctx.err.print(f"calendar-audit: error: {exc}", markup=False, highlight=False, soft_wrap=True)
        return exc.exit_code
    except KeyboardInterrupt:
        ctx.err.print("calendar-audit: interrupted")
        return 130
    finally:
        gc.unfreeze()  # what a command set aside from the collector (commands/report.py) is collectable again


def run() -> None:
    """The console script: a reader that stops early (``| head``) ends the run quietly, with no traceback and
    status 1 (the output was cut short), as rich's console does when it meets the closed pipe itself."""
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:
        # Python flushes stdout again at exit: point it at devnull so that flush cannot fail a second time
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        code = EXIT_FAILED
    sys.exit(code)

"""Option groups shared by every command that reads calendars, defined once; and the run context."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from ..errors import InputError
from ..frame import MailboxFailure
from ..rules import RuleSet, load_rules
from ..settings import Settings, load_settings
from ..window import parse_date

log = logging.getLogger("calendar_audit")


@dataclass
class Context:
    """What a command needs from the outside world: the clock and the terminal (tests inject both)."""

    today: date = field(default_factory=date.today)
    console: Console = field(default_factory=Console)
    err: Console = field(default_factory=lambda: Console(stderr=True))
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))  # e.g. which slot holds are still ahead


def add_config_options(p: argparse.ArgumentParser | argparse._ArgumentGroup, team: bool = True) -> None:
    """--config FILE (and --team NAME): the settings file and the team in it, worded once for every command."""
    p.add_argument("--config", type=Path, metavar="FILE",
                   help="settings file (default: ./calendar-audit.toml when present)")
    if team:
        p.add_argument("--team", metavar="NAME", help="team from the settings file (default: the first)")


def add_source_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("calendars to read (none: the built-in demo team)")
    g.add_argument("--ics", nargs="+", action="extend", metavar="FILE", type=Path,
                   help="Outlook .ics exports, one file per person (the file name is the person); a glob works")
    add_config_options(g)
    g.add_argument("--source", choices=["graph", "store"],
                   help="with --config: read Microsoft 365 live (graph) or the synced store (store, no network)")
    g.add_argument("--me", action="store_true",
                   help="with --source graph: sign in as yourself (device code) and read only your calendar")


def add_window_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("window (dates in the team's time zone, both inclusive)")
    g.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD", help="first day")
    g.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD", help="last day")


def add_rules_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--rules", nargs="+", action="extend", metavar="FILE", type=Path,
                   help="purpose-rule files, read in order (default: the settings' rules)")


def add_out_option(p: argparse.ArgumentParser, default_hint: str = "the settings' output_dir") -> None:
    p.add_argument("--out", type=Path, metavar="DIR", help=f"folder for the files written (default: {default_hint})")


def add_small_team_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--allow-small-team", action="store_true",
                   help="show team totals even for fewer people than privacy.min_group_size (they reveal individuals)")


def add_reading_options(p: argparse.ArgumentParser) -> None:
    """Everything a command that reads calendars takes: source, window, rules, output folder."""
    add_source_options(p)
    add_window_options(p)
    add_rules_option(p)
    add_out_option(p)


def report_failures(ctx: Context, failures: Sequence[MailboxFailure],
                    name: Callable[[str], str] = str) -> int:
    """Name every mailbox or file that could not be read on stderr, once; the exit code they call for.

    2 when a file the user gave is malformed, else 3 when a mailbox failed, else 0; either way the others were
    reported.
    """
    for failure in failures:
        if failure.bad_input:
            ctx.err.print(f"calendar-audit: error: {failure.reason}", markup=False, highlight=False, soft_wrap=True)
        else:
            ctx.err.print(f"calendar-audit: mailbox failed: {name(failure.person)}: {failure.reason}",
                          markup=False, highlight=False, soft_wrap=True)
    if any(f.bad_input for f in failures):
        return 2
    return 3 if failures else 0


def settings_of(args: argparse.Namespace) -> Settings:
    settings = load_settings(getattr(args, "config", None))
    log.debug("settings: %s; team time zone %s", getattr(args, "config", None) or "defaults (no settings file given)",
              settings.timezone)
    return settings


def rules_of(args: argparse.Namespace, settings: Settings) -> RuleSet:
    paths = getattr(args, "rules", None) or settings.rule_paths()
    for path in paths:
        if not Path(path).is_file():
            raise InputError(f"{path}: rule file not found")
    rules = load_rules(paths)
    log.debug("rules: %d from %s", len(rules.rules), ", ".join(str(p) for p in paths))
    return rules


def match_person(given: str, people: Sequence[str], label: str) -> str:
    """The person ``--person`` names: their address or file name in any case, or the part before the @ (as the
    terminal table shows it) when only one person has it. Otherwise an InputError with the nearest names."""
    import difflib

    key = given.strip().lower()
    known = {str(p).lower(): str(p) for p in people}
    if key in known:
        return known[key]
    local = [p for p in known.values() if "@" in p and p.lower().partition("@")[0] == key]
    if len(local) == 1:
        return local[0]
    if local:
        raise InputError(f"--person {given!r}: {len(local)} people have that name before the @ "
                         f"({', '.join(sorted(local))}): give the whole address")
    shown = {**known, **{p.partition("@")[0]: p for p in known if "@" in p}}
    close = list(dict.fromkeys(known[shown[c].lower()] if c in shown else c
                               for c in difflib.get_close_matches(key, list(shown), n=3, cutoff=0.6)))
    hint = f"; did you mean {' or '.join(close)}?" if close else (
        f"; the people are {', '.join(sorted(known.values())[:5])}{' ...' if len(known) > 5 else ''}" if known
        else "")
    raise InputError(f"--person {given!r}: no such person in {label}{hint}")


def log_loaded(loaded: Any) -> None:
    """What was read, for --verbose: the source, window, people, events, notes and failures."""
    data = loaded.data
    log.info("read %s: %d people, %d events over %s to %s (%s)", loaded.label, len(data.people), len(data.events),
             loaded.window.first, loaded.window.last, loaded.window.tz)
    for note in data.notes:
        log.info("note: %s", note)
    for failure in data.failures:
        log.warning("not read: %s: %s", failure.person, failure.reason)


def dates_of(args: argparse.Namespace) -> tuple[date | None, date | None]:
    first = parse_date(args.date_from, "--from") if getattr(args, "date_from", None) else None
    last = parse_date(args.date_to, "--to") if getattr(args, "date_to", None) else None
    if first and last and first > last:
        raise InputError(f"--from {first} is after --to {last}")
    return first, last

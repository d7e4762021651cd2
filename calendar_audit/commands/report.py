"""`calendar-audit report`: hours in meetings vs direct work per person and week, written as files."""

from __future__ import annotations

import argparse
import gc
from pathlib import Path

from ..audit import audit
from ..errors import InputError
from ..metrics import AuditResult
from ..settings import Settings
from ..sources import SourceRequest, load_source
from ..writers import print_summary, write_report
from .options import (
    Context,
    add_reading_options,
    add_small_team_option,
    dates_of,
    log,
    log_loaded,
    report_failures,
    rules_of,
    settings_of,
)

FORMATS = ("html", "csv", "xlsx", "json")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "report", help="hours in meetings vs direct work, per person and week",
        description="Measure the team's time in meetings vs direct work per person and week, and write "
        "report.html, person_week.csv and events.csv (no meeting subjects unless --include-subjects), and "
        "notes.txt when something was skipped, repaired or guessed while reading.",
    )
    add_reading_options(p)
    add_report_options(p)
    p.set_defaults(handler=run)


def add_report_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", default="html,csv", metavar="LIST",
                   help="comma-separated among html, csv, xlsx, json (default: html,csv)")
    p.add_argument("--include-subjects", action="store_true",
                   help="show meeting subjects in the outputs (they can name children: share with care)")
    add_small_team_option(p)
    from .slots import add_policy_options  # protected-slot sections: --slots FILE, --compare-at DATE

    add_policy_options(p)


def parse_formats(value: str) -> list[str]:
    formats = [f.strip().lower() for f in value.split(",") if f.strip()]
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise InputError(f"--format {value!r}: use one or more of {', '.join(FORMATS)}")
    return formats


def request_of(args: argparse.Namespace) -> SourceRequest:
    first, last = dates_of(args)
    return SourceRequest(ics=list(args.ics or []), source=args.source, team=args.team, me=args.me,
                         first=first, last=last)


def build_result(args: argparse.Namespace, ctx: Context, settings: Settings,
                 request: SourceRequest | None = None) -> AuditResult:
    """Read the calendars the arguments name and measure them."""
    rules = rules_of(args, settings)
    request = request or request_of(args)
    from .slots import report_policy, report_sections

    policy = report_policy(args, settings, request, rules.categories)  # a bad policy is refused before reading
    loaded = load_source(request, settings, ctx.today)
    log_loaded(loaded)
    # The calendars just read live until the command ends. Python's full collections would walk their million
    # tuples again and again and free nothing (0.75 s of a year's 500-person report): set them aside. A command
    # is one run; the service, which runs for weeks, never comes here.
    gc.freeze()
    result = audit(loaded.data, rules, loaded.window, settings,
                   include_subjects=getattr(args, "include_subjects", False), source_label=loaded.label,
                   allow_small_team=getattr(args, "allow_small_team", False), slots=policy.slots)
    result.extra_sections += report_sections(policy, result)
    return result


def write_notes(notes: list[str], out: Path) -> Path | None:
    """notes.txt beside the other files, one note a line, whatever the formats: every note reaches the user."""
    path = out / "notes.txt"
    if not notes:
        path.unlink(missing_ok=True)  # no stale notes from an earlier run in the same folder
        return None
    path.write_text("".join(f"{' '.join(note.split())}\n" for note in notes), encoding="utf-8")
    return path


def finish(result: AuditResult, args: argparse.Namespace, ctx: Context, out: Path) -> int:
    """Write the files, print the summary, and say which mailboxes failed (exit 3 when any did)."""
    written = write_report(result, out, parse_formats(getattr(args, "format", "html,csv")))
    notes = write_notes(result.notes, out)
    written += [notes] if notes else []
    for path in written:
        log.debug("wrote %s (%d bytes)", path, path.stat().st_size)
    print_summary(result, ctx.console, files=written)
    return report_failures(ctx, result.failures)


def run(args: argparse.Namespace, ctx: Context) -> int:
    parse_formats(args.format)  # fail before any reading
    settings = settings_of(args)
    result = build_result(args, ctx, settings)
    return finish(result, args, ctx, args.out or Path(settings.output_dir))

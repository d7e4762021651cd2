"""`calendar-audit slots check|book|unbook`: protected-slot compliance, and holds booked into calendars.

With privacy.pseudonymise on, ``check`` pseudonymises right after loading (people and organisers in both CSV files
and on the terminal), and withholds the team line below privacy.min_group_size unless --allow-small-team.
``book``/``unbook`` write to the real mailboxes and log them in the audit log; what they print shows pseudonyms.
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
from rich.table import Table

from ..audit import people_of, prepare_events, working_hours_map
from ..errors import InputError
from ..frame import MailboxFailure
from ..metrics import AuditResult
from ..privacy import Names, group_withheld, names_of, private
from ..private import private_dir
from ..settings import Settings
from ..slots import Slot, load_slots, parse_slots
from ..slots.compliance import SlotResult, compliance_csv, measure_slots, violations_csv
from ..slots.sections import policy_sections
from ..sources import SourceRequest, load_source
from ..window import Window, parse_date
from ..writers.section import Section
from ..writers.tables import with_local_times, write_table_csv
from .options import (
    Context,
    add_config_options,
    add_reading_options,
    add_rules_option,
    add_small_team_option,
    report_failures,
    rules_of,
    settings_of,
)

NO_POLICY = ("no protected-slot policy: give --slots FILE (a file of [[slot]] tables), or add "
             "[[teams.protected_slots]] tables to the team in the settings file")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("slots", help="protected direct-work slots: compliance, and holds booked into calendars",
                       description="Check whether protected direct-work slots were kept, and book them into "
                       "calendars as holds.")
    slots_sub = p.add_subparsers(dest="slots_command", metavar="ACTION", required=True)
    check = slots_sub.add_parser(
        "check", help="compliance and violations of the protected-slot policy",
        description="Measure, per person and week, how much protected time was kept, and list every counted "
        "event outside the slot's purpose that overlapped it; writes slot_compliance.csv and slot_violations.csv.")
    add_reading_options(check)
    add_slots_option(check)
    add_small_team_option(check)
    check.set_defaults(handler=run_check)
    for name, handler, text in (
        ("book", run_book, "book a hold in each person's calendar for every future slot occurrence"),
        ("unbook", run_unbook, "remove the holds calendar-audit booked (only those)"),
    ):
        q = slots_sub.add_parser(name, help=text, description=text[0].upper() + text[1:] + ". Nothing is written "
                                 "without --apply; every write is recorded in the audit log.")
        add_config_options(q)
        q.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD", help="first day (default: today)")
        q.add_argument("--weeks", type=int, default=4, metavar="N", help="weeks ahead (default: 4)")
        q.add_argument("--apply", action="store_true", help="write to the calendars (default: print the plan)")
        if name == "book":
            add_slots_option(q)
            add_rules_option(q)  # the categories a slot's allow may name
            q.add_argument("--restore", action="store_true",
                           help="recreate holds that people deleted (default: report them and leave them deleted)")
        q.set_defaults(handler=handler)


def add_slots_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--slots", type=Path, metavar="FILE",
                   help="protected-slot policy: a TOML file of [[slot]] tables (default: the team's policy, the "
                   "newest version saved on the service's policy page, else protected_slots in the settings; the "
                   "demo team's own policy for the demo)")


def policy_of(args: argparse.Namespace, settings: Settings, kind: str, categories: tuple[str, ...]) -> list[Slot]:
    """The policy: --slots FILE, else the demo's for the demo source, else the team's (the newest version saved on
    the service's policy page, else its protected_slots); [] if none."""
    path = getattr(args, "slots", None)
    if path is not None:
        return load_slots(path, categories)
    if kind == "demo":
        from ..sources.demo import demo_slots_toml

        return parse_slots(demo_slots_toml(), "the demo team's policy", categories)
    if settings.teams:
        from ..slots.saved import team_policy

        return team_policy(settings, settings.team(getattr(args, "team", None)), categories)
    return []


def run_check(args: argparse.Namespace, ctx: Context) -> int:
    settings = settings_of(args)
    rules = rules_of(args, settings)
    from .report import request_of  # report imports this module for its policy options

    request = request_of(args)
    slots = policy_of(args, settings, request.kind(settings), rules.categories)
    if not slots:
        raise InputError(NO_POLICY)
    loaded = load_source(request, settings, ctx.today)
    data, _ = private(loaded.data, settings)  # pseudonyms before anything is measured, written or printed
    events = prepare_events(data.events, rules, loaded.window, settings)
    people = people_of(data, events)
    result = measure_slots(events, people, loaded.window, slots, rules.categories,
                           working_hours_map(data, settings), settings.team_hours())
    out = args.out or Path(settings.output_dir)
    private_dir(out)  # 0700: the files hold calendar data
    written = [write_table_csv(compliance_csv(result.compliance), out / "slot_compliance.csv"),
               write_table_csv(with_local_times(violations_csv(result.violations, loaded.window.tz), loaded.window.tz),
                               out / "slot_violations.csv")]
    withheld = group_withheld(people, settings.privacy.min_group_size, args.allow_small_team)
    print_check(ctx, slots, result, loaded.label, loaded.window.first, loaded.window.last, withheld)
    for path in written:
        ctx.console.print(f"wrote {path}", highlight=False)
    return report_failures(ctx, data.failures)


def print_check(ctx: Context, slots: list[Slot], result: SlotResult, label: str, first: date, last: date,
                withheld: str = "") -> None:
    """A short summary: the policy, the team's kept rate (or why it is withheld), and each person's slots."""
    c, v = result.compliance, result.violations
    ctx.console.print(f"Protected slots, {label}, {first} to {last}", highlight=False)
    for slot in slots:
        ctx.console.print(f"  {slot.describe()}", highlight=False, markup=False)
    total, kept = float(c["slot_hours"].sum()), float(c["slot_kept_hours"].sum())
    rate = f"{100 * kept / total:.1f}%" if total else "-"
    if withheld:
        ctx.console.print(withheld, style="yellow", highlight=False, markup=False)
    else:
        ctx.console.print(f"Team: {kept:.1f} of {total:.1f} protected hours kept ({rate}); {len(v)} violations",
                          highlight=False)
    table = Table("person", "slot hours", "kept", "kept %", "violations", "self-booked")
    per = c.groupby("person", sort=False)[["slot_hours", "slot_kept_hours"]].sum()
    counts = v.groupby("person").size()
    own = v.groupby("person")["self_organised"].sum()
    for person, row in per.iterrows():
        pct = f"{100 * row.slot_kept_hours / row.slot_hours:.1f}" if row.slot_hours else "-"
        table.add_row(str(person), f"{row.slot_hours:.1f}", f"{row.slot_kept_hours:.1f}", pct,
                      str(int(counts.get(person, 0))), str(int(own.get(person, 0))))
    ctx.console.print(table)


# --- the report's policy sections ---------------------------------------------------------------------------
def add_policy_options(p: argparse.ArgumentParser) -> None:
    """report/demo: --slots FILE and --compare-at DATE."""
    add_slots_option(p)
    p.add_argument("--compare-at", dest="compare_at", metavar="YYYY-MM-DD",
                   help="compare the weeks before and after this date (default: the policy's since)")


@dataclass(frozen=True)
class ReportPolicy:
    """What a report needs for its policy sections: the validated slots and the --compare-at date."""

    slots: list[Slot]
    compare_at: date | None


def report_policy(args: argparse.Namespace, settings: Settings, request: SourceRequest,
                  categories: tuple[str, ...]) -> ReportPolicy:
    """The report's policy and --compare-at, validated (against the rule files' categories) before any reading."""
    compare_at = parse_date(args.compare_at, "--compare-at") if getattr(args, "compare_at", None) else None
    return ReportPolicy(policy_of(args, settings, request.kind(settings), categories), compare_at)


def report_sections(policy: ReportPolicy, result: AuditResult) -> list[Section]:
    """The compliance and before/after sections for a report, when a policy or --compare-at is given."""
    return policy_sections(result, policy.slots, policy.compare_at)


# --- holds --------------------------------------------------------------------------------------------------
def booking_window(args: argparse.Namespace, settings: Settings, today: date) -> Window:
    if args.weeks < 1:
        raise InputError("--weeks must be at least 1")
    first = parse_date(args.date_from, "--from") if args.date_from else today
    return Window(first, first + timedelta(days=7 * args.weeks - 1), settings.timezone)


def run_book(args: argparse.Namespace, ctx: Context) -> int:
    from ..actions import AuditLog, default_audit_log
    from ..actions.holds import book_holds_async

    settings = settings_of(args)
    team = settings.team(args.team)
    slots = policy_of(args, settings, "graph", rules_of(args, settings).categories)
    if not slots:
        raise InputError(NO_POLICY)
    window = booking_window(args, settings, ctx.today)
    now = max(pd.Timestamp(ctx.now()), window.start)
    log = AuditLog(default_audit_log(settings))
    result = asyncio.run(book_holds_async(settings, team, slots, window, now, log, apply=args.apply,
                                          restore=args.restore))
    names = names_of(settings)  # Graph and the audit log saw real mailboxes; the terminal sees pseudonyms
    tz = window.tz
    verb = "Booking" if args.apply else "Plan (dry run: nothing is written; add --apply to book)"
    ctx.console.print(f"{verb}: holds for {window.first} to {window.last}", highlight=False)
    table = Table("person", "slot", "when", "status", "conflicts")
    for h in result.holds:
        when = f"{h.start.tz_convert(tz):%a %d %b %H:%M}-{h.end.tz_convert(tz):%H:%M}"
        status = h.outcome or {"new": "to book", "exists": "booked already", "restore": "to restore",
                               "deleted": "deleted by the person: not recreated (use --restore)"}[h.status]
        conflicts = ", ".join(f"{c.start.tz_convert(tz):%H:%M}-{c.end.tz_convert(tz):%H:%M} {c.show_as}"
                              for c in h.conflicts)
        table.add_row(names(h.person), h.slot, when, status, conflicts or "-")
    ctx.console.print(table)
    counts = {s: sum(h.status == s for h in result.holds) for s in ("new", "exists", "deleted", "restore")}
    created = sum(h.outcome == "created" for h in result.holds)
    ctx.console.print(f"{counts['new'] + counts['restore']} to book, {counts['exists']} booked already, "
                      f"{counts['deleted']} deleted by their owner, {sum(bool(h.conflicts) for h in result.holds)} "
                      f"with conflicting meetings (left as they are); {created} created", highlight=False)
    return _report_failures(ctx, result.failures, names)


def run_unbook(args: argparse.Namespace, ctx: Context) -> int:
    from ..actions import AuditLog, default_audit_log
    from ..actions.holds import unbook_holds_async

    settings = settings_of(args)
    team = settings.team(args.team)
    window = booking_window(args, settings, ctx.today)
    log = AuditLog(default_audit_log(settings))
    result = asyncio.run(unbook_holds_async(settings, team, window, log, apply=args.apply))
    names = names_of(settings)
    verb = "removed" if args.apply else "would be removed (dry run: add --apply)"
    by_person: dict[str, int] = {}
    for person, _ in result.removed:
        by_person[person] = by_person.get(person, 0) + 1
    for person, n in by_person.items():
        ctx.console.print(f"{names(person)}: {n} hold{'s' if n != 1 else ''} {verb}", highlight=False)
    ctx.console.print(f"{len(result.removed)} holds {verb}", highlight=False)
    return _report_failures(ctx, result.failures, names)


def _report_failures(ctx: Context, failures: list[MailboxFailure], names: Names) -> int:
    """The mailboxes a write could not reach, named as every output names people (pseudonyms when on)."""
    return report_failures(ctx, [replace(f, person=names(f.person), reason=names.text(f.reason)) for f in failures])

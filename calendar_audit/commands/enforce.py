"""`calendar-audit enforce`: answer invitations that land in protected slots, as the policy and each person allow.

A dry run (the default) prints the plan and writes enforcement_plan.csv; ``--apply`` sends the answers (through the
audit log and $batch), journals them in the store so a second run does nothing, and names a mailbox that refused
(exit 3) while the rest proceed. It reads the store that ``calendar-audit sync`` fills.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd
from rich.table import Table

from ..enforce import enforce
from ..enforce.engine import Decision
from ..privacy import Names, names_of
from ..private import private_dir
from ..sources.auth import require_sign_in_settings
from ..writers.tables import write_table_csv
from .options import Context, add_config_options, report_failures, settings_of

PLAN_COLUMNS = ["person", "event_id", "start", "end", "slot", "policy", "preference", "action", "why",
                "proposed_start", "proposed_end", "proposal_sent", "outcome", "note"]
OUTCOME_WORDS = {"would_send": "to send", "would_note": "to note (no write)", "held": "held: daily cap reached",
                 "sent": "sent", "noted": "noted (no write)"}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "enforce", help="answer invitations that land in protected slots (tentative or decline, with a better time)",
        description="Find invitations that are new or changed since the last run and land in a protected slot "
        "they are not allowed in, and answer each as the slot's enforce level and the person's own preference "
        "allow, proposing the nearest time free for both. The slots are the team's policy in force: the newest "
        "version saved on the service's policy page, else protected_slots in the settings. Reads the synced "
        "store; nothing is sent without "
        "--apply; every write is recorded in the audit log and the store's journal.")
    add_config_options(p)
    p.add_argument("--out", type=Path, metavar="DIR", help="where enforcement_plan.csv goes (default: output_dir)")
    p.add_argument("--apply", action="store_true", help="send the answers (default: print the plan)")
    p.set_defaults(handler=run)


def plan_table(decisions: list[Decision], tz: str, names: Names) -> pd.DataFrame:
    """enforcement_plan.csv: one row per decision, times in the team's zone, no subject."""
    def local(value: pd.Timestamp | None) -> pd.Timestamp | None:
        return None if value is None else value.tz_convert(tz)

    rows = [{
        "person": names(d.person), "event_id": d.event_id, "start": local(d.start), "end": local(d.end),
        "slot": d.slot, "policy": d.policy, "preference": d.preference, "action": d.action, "why": d.why,
        "proposed_start": local(d.proposed_start), "proposed_end": local(d.proposed_end),
        "proposal_sent": d.proposal_sent, "outcome": d.outcome, "note": d.note,
    } for d in decisions]
    table = pd.DataFrame(rows, columns=PLAN_COLUMNS)
    for name in ("start", "end", "proposed_start", "proposed_end"):
        table[name] = pd.to_datetime(table[name], utc=True).dt.tz_convert(tz)
    return table


def run(args: argparse.Namespace, ctx: Context) -> int:
    settings = settings_of(args)
    if args.apply:
        require_sign_in_settings(settings)
    result = enforce(settings, args.team, now=pd.Timestamp(ctx.now()), apply=args.apply)
    tz = settings.timezone
    names = names_of(settings)
    out = args.out or Path(settings.output_dir)
    private_dir(out)  # 0700: the files hold calendar data
    path = write_table_csv(plan_table(result.decisions, tz, names), out / "enforcement_plan.csv")
    head = "Enforcement" if args.apply else "Plan (dry run: nothing is sent; add --apply to send)"
    ctx.console.print(f"{head}: invitations in protected slots, {result.window.first} to {result.window.last}",
                      highlight=False)
    table = Table("person", "when", "slot", "action", "why", "proposed time", "outcome")
    for d in result.decisions:
        when = f"{d.start.tz_convert(tz):%a %d %b %H:%M}-{d.end.tz_convert(tz):%H:%M}"
        proposed = "-" if d.proposed_start is None else (
            f"{d.proposed_start.tz_convert(tz):%a %d %b %H:%M}" + (" (proposed)" if d.proposal_sent else " (in note)"))
        why = {"preference": f"lowered by preference ({d.preference})", "series_this_week": "series answered "
               "this week", "daily_cap": "daily cap"}.get(d.why, "-")
        table.add_row(names(d.person), when, d.slot, d.action, why, proposed, OUTCOME_WORDS.get(d.outcome, d.outcome))
    ctx.console.print(table)
    counts = {k: sum(d.outcome == k for d in result.decisions) for k in ("sent", "noted", "would_send",
                                                                          "would_note", "held")}
    failed = sum(d.outcome.startswith(("failed", "skipped")) for d in result.decisions)
    if args.apply:
        ctx.console.print(f"{counts['sent']} answered, {counts['noted']} noted without a write, {counts['held']} "
                          f"held by the daily cap, {failed} failed", highlight=False)
    else:
        ctx.console.print(f"{counts['would_send']} to answer, {counts['would_note']} to note without a write, "
                          f"{counts['held']} held by the daily cap", highlight=False)
    ctx.console.print(f"wrote {path}", highlight=False)
    return report_failures(ctx, result.failures, names)

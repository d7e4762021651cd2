"""`calendar-audit suggest`: which upcoming meetings a practitioner could decline, why, in what words; and replying.

Decisions the design left open
- The window is [--from, --from + --days). --from defaults to today, except for the demo team, which lives in
  fixed dates: there it defaults to the Monday of the demo's last week (the week built to trigger every reason),
  and the window stops where the demo's calendars do (recurring_heavy scales by the window's days, which must
  all hold data).
- Without --person (and without --me) the command shows the team view: per person, how many meetings could be
  declined and the hours that would free; no subjects and no event detail. ``--team NAME`` keeps its shared
  meaning (which team of the settings to read).
- The table shows when, purpose (category and rule), reasons in plain words and hours freed; the subject only with
  --show-subjects (it is the person's own calendar, but screens are shared).
- Which meetings are answered with --respond: every suggestion scoring at least --min-score (default: all), or
  only those named by --event ID (repeatable; an ID that is not a suggestion is refused, saying why).
- Responding needs Graph event ids, so --apply needs --source graph or store (or --me); a dry run works anywhere.
- With privacy.pseudonymise on, the calendars are pseudonymised right after loading, so every file and line shows
  pseudonyms; --person takes the real address (or file stem) or its pseudonym. --respond still answers through
  the real mailbox, and the audit log (an owner-only operational record, not a shared output) records it; the
  lines printed about it show the pseudonym.
- The team view's total line is withheld below privacy.min_group_size unless --allow-small-team.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
from rich.table import Table

from ..actions import AuditLog, default_audit_log
from ..actions.responses import ResponseOutcome, ResponsePlan, plans_for, send_responses
from ..audit import people_of, prepare_events, working_hours_map
from ..errors import InputError
from ..metrics import leave_days
from ..privacy import AsTheyAre, Names, group_withheld, private
from ..private import private_dir
from ..settings import Settings
from ..slots import slot_occurrences
from ..sources import SourceRequest, load_source
from ..suggest import CSV_COLUMNS, EXEMPTION_WORDS, LABELS, candidates, suggestions_for, team_view
from ..window import Window, parse_date
from ..writers.tables import with_local_times, write_table_csv
from .options import (
    Context,
    add_out_option,
    add_rules_option,
    add_small_team_option,
    add_source_options,
    log_loaded,
    match_person,
    report_failures,
    rules_of,
    settings_of,
)
from .slots import add_slots_option, policy_of


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "suggest", help="upcoming meetings you could decline, with reasons and a reply ready to send",
        description="Rank a practitioner's upcoming meetings they could decline or hand to a colleague, with "
        "reasons a supervisor would accept and a courteous reply; writes suggestions.csv and suggestions.json. "
        "Without --person: the team view (hours that could be freed per person). Statutory meetings, meetings "
        "you organise, declined ones and never_decline rules are never suggested.",
    )
    add_source_options(p)
    add_rules_option(p)
    add_out_option(p)
    add_slots_option(p)
    add_small_team_option(p)
    p.add_argument("--person", metavar="P",
                   help="whose meetings (mailbox address, .ics file name, or the part before the @)")
    p.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD",
                   help="first day (default: today; for the demo team, the Monday of its last week)")
    p.add_argument("--days", type=int, metavar="N", help="how many days ahead (default: settings suggest.days, 14)")
    p.add_argument("--show-subjects", action="store_true", help="show meeting subjects in the table")
    p.add_argument("--json", action="store_true", help="print the suggestions as JSON instead of a table")
    g = p.add_argument_group("replying (dry run unless --apply)")
    g.add_argument("--respond", choices=["decline", "tentative"], help="answer the chosen meetings with the reply")
    g.add_argument("--min-score", type=float, default=0.0, metavar="S",
                   help="answer only suggestions scoring at least S (default: every suggestion)")
    g.add_argument("--event", action="append", default=[], metavar="ID",
                   help="answer only this event (repeatable)")
    g.add_argument("--apply", action="store_true", help="really send the responses (each one is audit-logged)")
    p.set_defaults(handler=run)


# --- window and source --------------------------------------------------------------------------------------
def last_monday(window: Window) -> date:
    return window.last - timedelta(days=window.last.weekday())


def days_of(args: argparse.Namespace, settings: Settings) -> int:
    days = args.days if args.days is not None else settings.suggest.days
    if not 1 <= days <= 90:
        raise InputError(f"--days {days}: use 1 to 90")
    return days


def request_of(args: argparse.Namespace) -> SourceRequest:
    return SourceRequest(ics=list(args.ics or []), source=args.source, team=args.team, me=args.me)


def read(args: argparse.Namespace, ctx: Context, settings: Settings, days: int) -> tuple[Any, Window, str]:
    """Load the calendars and decide the suggestion window; returns (loaded, window, source kind)."""
    first = parse_date(args.date_from, "--from") if args.date_from else None
    request = request_of(args)
    kind = request.kind(settings)
    if first is None and kind != "demo":
        first = ctx.today
    if first is not None:
        request.first, request.last = first, first + timedelta(days=days - 1)
    loaded = load_source(request, settings, ctx.today)
    log_loaded(loaded)
    last = first + timedelta(days=days - 1) if first else None
    if first is None or last is None:  # the demo: its own fixed dates, up to the end of its calendars
        natural = loaded.data.window or loaded.window
        first = last_monday(natural)
        last = min(first + timedelta(days=days - 1), natural.last)
    return loaded, Window(first, last, settings.timezone), kind


def person_of(args: argparse.Namespace, people: list[str], label: str, names: Names) -> str | None:
    if args.person:  # the address, the file name, or the part before the @; else the nearest names are offered
        return match_person(names.given(args.person), people, label)
    if args.me and people:
        return people[0]
    return None


# --- output ---------------------------------------------------------------------------------------------------
def when_text(start: pd.Timestamp, end: pd.Timestamp, tz: str) -> str:
    s, e = start.tz_convert(tz), end.tz_convert(tz)
    return f"{s:%a %d %b %H:%M}-{e:%H:%M}"


def purpose_text(category: str, rule: str) -> str:
    if rule.startswith("default:"):
        return f"{category} (no rule matched)"
    return f"{category} ({rule})"


def suggestions_table(found: pd.DataFrame, tz: str, show_subjects: bool, verbose: bool = False) -> Table:
    table = Table(header_style="bold", show_lines=True, caption="reasons in full: suggestions.csv / .json, --verbose")
    columns = ["#", "when", *(("subject",) if show_subjects else ()), "purpose", "score", "why", "hours"]
    for c in columns:
        table.add_column(c, overflow="fold")
    for i, row in enumerate(found.itertuples(index=False), start=1):
        cells = [str(i), when_text(row.start, row.end, tz)]
        if show_subjects:
            cells.append(str(row.subject))
        why = row.sentences if verbose else [LABELS[c] for c in str(row.reasons).split(";") if c]
        cells += [purpose_text(str(row.category), str(row.rule)), f"{row.score:.1f}", "\n".join(why),
                  f"{row.hours:.2f}"]
        table.add_row(*cells)
    return table


def to_json(found: pd.DataFrame, window: Window) -> dict[str, Any]:
    """The JSON form for other tools (no subjects)."""
    items = []
    for row in found.itertuples(index=False):
        items.append({
            "person": row.person, "event_id": row.event_id, "start": row.start.isoformat(),
            "end": row.end.isoformat(), "score": row.score, "reasons": row.reasons.split(";"),
            "sentences": list(row.sentences), "hours": row.hours, "category": row.category, "rule": row.rule,
            "reply": row.reply,
        })
    return {"from": window.first.isoformat(), "to": window.last.isoformat(), "suggestions": items}


def write_files(found: pd.DataFrame, window: Window, out: Path) -> list[Path]:
    private_dir(out)  # 0700: the files hold calendar data
    csv_path, json_path = out / "suggestions.csv", out / "suggestions.json"
    write_table_csv(with_local_times(found[CSV_COLUMNS], window.tz), csv_path)
    json_path.write_text(json.dumps(to_json(found, window), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return [csv_path, json_path]


# --- responding -------------------------------------------------------------------------------------------------
def chosen(found: pd.DataFrame, args: argparse.Namespace, events: pd.DataFrame, person: str,
           window: Window) -> pd.DataFrame:
    """The suggestions to answer: --event IDs (each must be a suggestion), else those scoring >= --min-score."""
    if not args.event:
        return found[found["score"] >= args.min_score]
    known = set(found["event_id"])
    why = candidates(events, person, window).set_index("event_id")["exempt"]
    for event_id in args.event:
        if event_id not in known:
            if event_id in why.index and why[event_id]:
                reason = EXEMPTION_WORDS.get(str(why[event_id]), str(why[event_id]))
                raise InputError(f"--event {event_id}: not answered: {reason}")
            if event_id in why.index:
                raise InputError(f"--event {event_id}: no reason to decline it was found")
            raise InputError(f"--event {event_id}: no such event of {person} from {window.first} to {window.last}")
    return found[found["event_id"].isin(args.event)]


VERBS = {"decline": "decline", "tentativelyAccept": "accept tentatively"}


def plan_lines(plan: ResponsePlan, shown: ResponsePlan, when: str, target: str) -> list[str]:
    """A dry run's plan for one meeting, for people: who answers, which meeting (when), what, and the reply."""
    verb = VERBS.get(plan.action, plan.action)
    return [f"would {verb} for {shown.mailbox}: {when or 'the meeting ' + shown.event_id}",
            f"  reply: {plan.comment}",
            f"  (would send {target})"]


def print_outcomes(ctx: Context, outcomes: list[ResponseOutcome], apply: bool, me: bool,
                   names: Names | None = None, when: dict[str, str] | None = None) -> None:
    """What was sent, skipped or failed; a dry run prints the plan (who, when, what reply), never raw JSON.
    ``when`` maps a (shown) event id to its time and organiser."""
    names = names or AsTheyAre()
    when = when or {}
    if not apply and outcomes:
        ctx.console.print(f"Plan: {len(outcomes)} repl{'ies' if len(outcomes) != 1 else 'y'}", highlight=False)
    for o in outcomes:
        shown = replace(o.plan, mailbox=names(o.plan.mailbox), event_id=names.text(o.plan.event_id))
        target = f"POST /{shown.path(me)}"
        if o.outcome == "would_send":
            for line in plan_lines(o.plan, shown, when.get(shown.event_id, ""), target):
                ctx.console.print(line, markup=False, highlight=False, soft_wrap=True)
        elif o.outcome == "already_sent":
            ctx.console.print(f"skipped {target}: already answered (audit log)", markup=False, highlight=False)
        elif o.outcome == "sent":
            ctx.console.print(f"sent {target}", markup=False, highlight=False)
        else:
            ctx.err.print(f"calendar-audit: response failed: {target}: "
                          f"{names.text(o.outcome.removeprefix('failed: '))}",
                          markup=False, highlight=False)
    if not apply:
        ctx.console.print("dry run: nothing was sent (add --apply to send)", highlight=False)


# --- the command ------------------------------------------------------------------------------------------------
def run(args: argparse.Namespace, ctx: Context) -> int:
    if args.apply and not args.respond:
        raise InputError("--apply: say what to send with --respond decline|tentative")
    if args.event and not args.respond:
        raise InputError("--event: only used with --respond")
    settings = settings_of(args)
    rules = rules_of(args, settings)
    days = days_of(args, settings)
    # a bad policy is refused before any calendar is read
    slots = policy_of(args, settings, request_of(args).kind(settings), rules.categories)
    loaded, window, kind = read(args, ctx, settings, days)
    data, names = private(loaded.data, settings)  # pseudonyms before anything is scored, written or printed
    events = prepare_events(data.events, rules, window, settings)
    people = people_of(data, events)
    person = person_of(args, people, loaded.label, names)
    occurrences = slot_occurrences(slots, people, window, leave_days(events))
    hours = working_hours_map(data, settings)
    out = args.out or Path(settings.output_dir)
    code = report_failures(ctx, data.failures)  # named once, before the suggestions

    if person is None:
        if args.respond:
            raise InputError("--respond: name whose meetings to answer with --person (or use --me)")
        table = team_view(events, people, window, settings.suggest, hours=hours,
                          default_hours=settings.team_hours(), occurrences=occurrences, slots=slots)
        withheld = group_withheld(people, settings.privacy.min_group_size, args.allow_small_team)
        return finish_team(ctx, args, table, window, out, loaded.label, withheld) or code

    found = suggestions_for(events, people, person, window, settings, slots, hours)
    written = write_files(found, window, out)
    if args.json:
        ctx.console.print_json(json.dumps(to_json(found, window), ensure_ascii=False))
    else:
        ctx.console.print(f"{person}, {window.first} to {window.last} ({loaded.label}): {len(found)} meeting"
                          f"{'s' if len(found) != 1 else ''} you could decline, "
                          f"{found['hours'].sum() if len(found) else 0:.2f} hours", highlight=False)
        if len(found):
            ctx.console.print(suggestions_table(found, settings.timezone, args.show_subjects, args.verbose))
        for path in written:
            ctx.console.print(f"wrote {path}", highlight=False)
    if args.respond:
        if args.apply and kind not in ("graph", "store"):
            raise InputError(f"--apply: answering needs Microsoft 365 event ids; this source is {kind} "
                             "(use --config with --source graph or store, or --me)")
        picked = chosen(found, args, events, person, window)
        log = AuditLog(default_audit_log(settings))
        # Graph and the audit log need the real mailbox (and event id) behind each pseudonym
        plans = [replace(p, mailbox=names.real(p.mailbox), event_id=names.real(p.event_id))
                 for p in plans_for(picked, args.respond)]
        outcomes = send_responses(plans, settings, log, apply=args.apply, me=args.me)
        mine = events[events["person"] == person]
        organiser = dict(zip(mine["event_id"].astype(str), mine["organizer"].astype(str), strict=True))
        when = {str(r.event_id): when_text(r.start, r.end, settings.timezone)
                + (f", organised by {organiser[str(r.event_id)]}" if organiser.get(str(r.event_id)) else "")
                for r in picked.itertuples(index=False)}
        print_outcomes(ctx, outcomes, args.apply, args.me, names, when)
        if any(o.outcome.startswith("failed") for o in outcomes):
            code = code or 3
    return code


def finish_team(ctx: Context, args: argparse.Namespace, table: pd.DataFrame, window: Window, out: Path,
                label: str, withheld: str = "") -> int:
    """Print and write the team view (no subjects, no event detail); the total line unless ``withheld``."""
    private_dir(out)  # 0700: the files hold calendar data
    path = write_table_csv(table, out / "suggestions_team.csv")
    doc = {"from": window.first.isoformat(), "to": window.last.isoformat(),
           "people": table.to_dict(orient="records")}
    (out / "suggestions_team.json").write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    if args.json:
        ctx.console.print_json(json.dumps(doc))
        return 0
    view = Table(header_style="bold")
    for c in ("person", "meetings you could decline", "hours that could be freed"):
        view.add_column(c)
    for row in table.itertuples(index=False):
        view.add_row(row.person, str(row.suggestions), f"{row.hours_freed:.2f}")
    ctx.console.print(f"team view, {window.first} to {window.last} ({label})", highlight=False)
    ctx.console.print(view)
    if withheld:
        ctx.console.print(withheld, style="yellow", highlight=False, markup=False)
    else:
        ctx.console.print(f"Team: {int(table['suggestions'].sum())} meetings could be declined, "
                          f"{float(table['hours_freed'].sum()):.2f} hours freed", highlight=False)
    ctx.console.print(f"wrote {path}", highlight=False)
    return 0

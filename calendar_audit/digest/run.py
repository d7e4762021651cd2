"""The weekly digest end to end: the store's calendars -> figures -> messages -> files (dry run) or sendMail.

Library API (the command and the service's scheduler call it):

- ``scheduled_week(settings, now) -> date | None``: the week the scheduler should send now (None: not yet).
- ``digest(settings, team, now=..., week=None, apply=False, out=None) -> DigestRun``: one message per practitioner
  (team member) and per manager (``[[teams]] managers``) for the week starting ``week`` (default: last week).
  A dry run writes ``<to>-<role>.html`` and ``.eml`` files to ``out``; ``apply`` sends them with Graph
  ``POST /users/{digest.sender}/sendMail``, journals each in the store's ``digest_journal`` and sends nobody twice
  for the same week. A message Graph refuses is named (a failure: exit 3) and the others still go.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
from kiota_abstractions.authentication import AccessTokenProvider

from ..actions import AuditLog, default_audit_log
from ..audit import audit, working_hours_map
from ..enforce import journal
from ..enforce.run import team_slots
from ..errors import ConfigError
from ..frame import MailboxFailure, SourceData
from ..metrics import leave_days
from ..privacy import group_withheld
from ..private import private_dir
from ..rules import load_rules
from ..settings import Settings, TeamSettings, parse_clock, parse_day
from ..slots import slot_occurrences
from ..slots.compliance import measure_slots
from ..sources.graph import check_fatal, failure_reason, user_path
from ..sources.graph_client import GraphClient, GraphRequestError, Sleep
from ..sources.store import connect, read_store, store_path, transaction
from ..suggest import LABELS, suggest
from ..window import Window, local_midnight
from .figures import (
    PREVIOUS_WEEKS,
    ManagerDigest,
    PersonDigest,
    enforcement_counts,
    kept_by_week,
    overrunning_organisers,
    person_measures,
    team_measures,
    top_suggestions,
)
from .render import Message, manager_message, person_message, send_mail_body, to_eml


@dataclass
class DigestRun:
    week: date
    messages: list[tuple[Message, str]]  # (message, outcome: would_send | sent | already_sent | failed: ...)
    failures: list[MailboxFailure] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    applied: bool = False


def last_week(today: date) -> date:
    return today - timedelta(days=today.weekday() + 7)


def scheduled_week(settings: Settings, now: pd.Timestamp) -> date | None:
    """For the service's scheduler: the week to send once this week's ``digest.day`` ``digest.time`` (team zone) has
    passed and ``digest.enabled`` is on, else None. Sending it again is harmless: the journal sends nobody twice."""
    if not settings.digest.enabled:
        return None
    local = pd.Timestamp(now).tz_convert(settings.timezone)
    monday = local.date() - timedelta(days=local.weekday())
    day = monday + timedelta(days=parse_day(settings.digest.day))
    moment = local_midnight(day, settings.timezone) + pd.Timedelta(hours=parse_clock(settings.digest.time).hour,
                                                                   minutes=parse_clock(settings.digest.time).minute)
    return last_week(local.date()) if pd.Timestamp(now) >= moment else None


def digest_window(settings: Settings, week: date) -> Window:
    """The reported week, the four before it (the person's usual) and the week after (suggestions)."""
    return Window(week - timedelta(weeks=PREVIOUS_WEEKS), week + timedelta(days=13), settings.timezone)


def build_messages(settings: Settings, team: TeamSettings, data: SourceData, week: date) -> list[Message]:
    """Every digest message of the week, from calendars already loaded (pure apart from reading rules)."""
    real = settings.model_copy(deep=True)
    real.privacy.pseudonymise = False  # a digest goes to the person it is about, by their real address
    rules = load_rules(settings.rule_paths())
    slots = team_slots(settings, team, rules.categories)
    window = digest_window(settings, week)
    result = audit(data, rules, window, real, allow_small_team=True, slots=slots)
    events, pw = result.events, result.person_week
    people = list(dict.fromkeys(pw["person"]))
    hours = working_hours_map(data, real)
    compliance = violations = None
    if slots:
        measured = measure_slots(events, people, window, slots, rules.categories, hours, real.team_hours())
        compliance, violations = measured.compliance, measured.violations
    else:
        compliance = pd.DataFrame({"person": [], "week_start": [], "slot_hours": [], "slot_kept_hours": []})
    upcoming = Window(week + timedelta(days=7), week + timedelta(days=13), settings.timezone)
    occurrences = slot_occurrences(slots, people, window, leave_days(events)) if slots else None
    start, end = local_midnight(week, settings.timezone), local_midnight(week + timedelta(days=7), settings.timezone)
    messages: list[Message] = []
    with connect(store_path(settings)) as conn:
        done = {p: journal.entries(conn, p, start, end) for p in people}
    for person in people:
        found = suggest(events, person, upcoming, settings.suggest, hours=hours.get(person.lower(),
                        real.team_hours()), occurrences=occurrences, slots=slots) if settings.digest.suggestions \
            else pd.DataFrame()
        figures = PersonDigest(person, week, person_measures(pw, compliance, person, week),
                               enforcement_counts(done[person]),
                               top_suggestions(found, LABELS, settings.digest.suggestions) if len(found) else [])
        messages.append(person_message(figures, settings.service.base_url, settings.timezone))
    withheld = ""
    if group_withheld(people, settings.privacy.min_group_size):
        withheld = (f"Team figures are withheld: the team has {len(people)} "
                    f"{'person' if len(people) == 1 else 'people'}, fewer than the minimum group size of "
                    f"{settings.privacy.min_group_size} (privacy.min_group_size), so a team figure would reveal "
                    "individuals.")
    for manager in team.managers:
        figures = ManagerDigest(
            manager, team.name, week, len(people), withheld, team_measures(pw, compliance, week),
            kept_by_week(compliance, week),
            overrunning_organisers(violations, people, week, settings.timezone, settings.digest.top_organisers)
            if violations is not None else [])
        messages.append(manager_message(figures, settings.service.base_url))
    return messages


def file_stem(message: Message) -> str:
    return re.sub(r"[^A-Za-z0-9@._-]", "_", f"{message.to}-{message.role}")


async def digest_async(settings: Settings, team: TeamSettings | str | None = None, *, now: pd.Timestamp,
                       week: date | None = None, apply: bool = False, out: Path | None = None,
                       data: SourceData | None = None, log: AuditLog | None = None,
                       transport: httpx.AsyncBaseTransport | None = None, tokens: AccessTokenProvider | None = None,
                       sleep: Sleep = asyncio.sleep) -> DigestRun:
    """Build the week's digests; write them to ``out`` (dry run) or send each once (``apply``)."""
    team = team if isinstance(team, TeamSettings) else settings.team(team)
    now = pd.Timestamp(now).tz_convert("UTC")
    week = week or last_week(now.tz_convert(settings.timezone).date())
    week = week - timedelta(days=week.weekday())
    if apply and not settings.digest.sender:
        raise ConfigError("digest.sender: set the mailbox the digest is sent from (application Mail.Send)")
    data = data if data is not None else read_store(settings, team, digest_window(settings, week))
    messages = build_messages(settings, team, data, week)
    run = DigestRun(week, [], list(data.failures), applied=apply)
    path = store_path(settings)
    with connect(path) as conn:
        sent_before = {(str(p).lower(), str(r)) for p, r in conn.execute(
            "SELECT person, role FROM digest_journal WHERE week_start=? AND outcome='sent'", (week.isoformat(),))}
    if not apply:
        target = out or Path(settings.output_dir) / f"digest-{week.isoformat()}"
        private_dir(target)  # 0700: the files hold calendar data
        for message in messages:
            html, eml = target / f"{file_stem(message)}.html", target / f"{file_stem(message)}.eml"
            html.write_text(message.html, encoding="utf-8")
            eml.write_bytes(to_eml(message, settings.digest.sender))
            run.files += [html, eml]
            sent = (message.to.lower(), message.role) in sent_before
            run.messages.append((message, "already_sent" if sent else "would_send"))
        return run
    log = log or AuditLog(default_audit_log(settings))
    async with GraphClient(settings, transport=transport, tokens=tokens, sleep=sleep) as client:
        for message in messages:
            if (message.to.lower(), message.role) in sent_before:
                run.messages.append((message, "already_sent"))
                continue
            outcome = await _send(client, settings.digest.sender, message)
            log.record(mailbox=settings.digest.sender, action="sendMail", outcome=outcome, via="digest",
                       to=message.to, role=message.role, week=week.isoformat())
            if outcome != "sent":
                run.failures.append(MailboxFailure(message.to, f"digest not sent: {outcome.removeprefix('failed: ')}"))
            with connect(path) as conn, transaction(conn):
                conn.execute("INSERT OR REPLACE INTO digest_journal VALUES (?,?,?,?,?)",
                             (message.to.lower(), week.isoformat(), message.role, outcome, now.isoformat()))
            run.messages.append((message, outcome))
    return run


async def _send(client: GraphClient, sender: str, message: Message) -> str:
    try:
        await client.post_json(f"{user_path(sender)}/sendMail", send_mail_body(message))
    except GraphRequestError as exc:
        check_fatal(exc)
        return f"failed: {failure_reason(exc)}"
    return "sent"


def digest(settings: Settings, team: TeamSettings | str | None = None, *, now: pd.Timestamp, **kw: Any) -> DigestRun:
    """Synchronous :func:`digest_async` (the command line)."""
    return asyncio.run(digest_async(settings, team, now=now, **kw))

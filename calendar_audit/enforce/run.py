"""Enforcement end to end: the store's calendars -> a plan -> (with ``apply``) answers sent, journalled.

The library API (the command and the service's pages call these; nothing else is needed):

- ``enforce(settings, team, now=..., apply=False) -> EnforcementRun``: plan (and with ``apply`` send) the answers
  for invitations in protected slots; ``run.decisions`` each carry their outcome, ``run.failures`` the mailboxes
  that refused (the rest proceed).
- ``undo(settings, person, event_id, now=...) -> str``: accept an invitation enforcement answered, once
  (application permission); returns ``sent``, ``already_undone``, ``not_enforced`` or ``failed: ...``
  (``demo=True``: nothing is sent, ``demo``).
- ``get_preference(settings, person) -> str`` / ``set_preference(settings, person, level, now=...)``: the person's
  own level (``off``, ``notify``, ``tentative``, ``decline``; ``""`` = follow the policy).
- ``actions_for(settings, person, since=None, until=None) -> list[JournalEntry]``: what enforcement did for them.

The policy is the team's in force (``slots.saved.team_policy``: the newest version saved on the service's policy
page, else the settings' ``[[teams.protected_slots]]``). ``demo=True`` (``serve --demo``) plans without contacting
Microsoft and journals the plan with the outcome ``demo``. Events come from the store that ``sync`` fills (this
week's Monday to three weeks ahead, inside sync's default window); changeKeys come from the store's
``event_versions``. A source's data may be passed in instead (``data=``), e.g. for a preview without a store.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

import httpx
import pandas as pd
from kiota_abstractions.authentication import AccessTokenProvider

from ..actions import AuditLog, default_audit_log
from ..audit import people_of, prepare_events, working_hours_map
from ..errors import InputError
from ..frame import MailboxFailure, SourceData, WorkingHours
from ..metrics import leave_days
from ..rules import load_rules
from ..settings import Settings, TeamSettings
from ..slots import Slot, slot_occurrences
from ..slots.saved import team_policy
from ..sources.graph_client import GraphClient, Sleep
from ..sources.store import connect, read_store, store_path, transaction
from ..sources.versions import read_versions
from ..timeline import working_intervals
from ..window import Window
from . import journal
from .engine import Availability, Decision, Interval, Version, plan, propose, search_days, with_proposal
from .notes import note_for

WEEKS_AHEAD = 3  # this week and three more: inside sync's default window (four weeks ahead)
NO_POLICY = ("no protected-slot policy: add [[teams.protected_slots]] tables to the team in the settings file, "
             "or save one on the service's policy page (enforcement answers invitations that land in them)")


@dataclass
class EnforcementRun:
    """One run: the window, every decision with its outcome, the mailboxes that failed, and whether it applied."""

    window: Window
    decisions: list[Decision]
    failures: list[MailboxFailure] = field(default_factory=list)
    applied: bool = False


def enforcement_window(settings: Settings, today: date) -> Window:
    monday = today - timedelta(days=today.weekday())
    return Window(monday, monday + timedelta(weeks=WEEKS_AHEAD, days=6), settings.timezone)


def team_slots(settings: Settings, team: TeamSettings, categories: Sequence[str]) -> list[Slot]:
    """The team's policy in force: the newest version saved on the service's policy page, else the settings'."""
    return team_policy(settings, team, categories)


def _can_sign_in(settings: Settings) -> bool:
    from ..errors import ConfigError
    from ..sources.auth import require_sign_in_settings

    try:
        require_sign_in_settings(settings)
    except ConfigError:
        return False
    return True


def _domain(address: str) -> str:
    return address.rpartition("@")[2].lower()


def availability(decision: Decision, events: pd.DataFrame, occurrences: pd.DataFrame, hours: WorkingHours,
                 window: Window, leave: set[date], days: int, organiser: list[Interval] | None) -> Availability:
    """What a proposed time for this decision must fit in and avoid (the person's side, and the organiser's)."""
    person = decision.person.lower()
    first = decision.start.tz_convert(window.tz).date()
    span = [d for d in window.days() if d >= first]
    work = working_intervals(0, span, hours, window.tz, leave)
    working = [(pd.Timestamp(s, unit="s", tz="UTC"), pd.Timestamp(e, unit="s", tz="UTC"))
               for s, e in zip(work.start.tolist(), work.end.tolist(), strict=True)]
    mine = events[(events["person"].str.lower() == person) & events["counted"]
                  & (events["event_id"] != decision.event_id)]
    occ = occurrences[occurrences["person"].str.lower() == person]
    blocked = [*zip(mine["start"], mine["end"], strict=True), *zip(occ["start"], occ["end"], strict=True)]
    return Availability(search_days(working, first, days, window.tz), sorted(blocked), organiser)


async def enforce_async(settings: Settings, team: TeamSettings | str | None = None, *, now: pd.Timestamp,
                        apply: bool = False, data: SourceData | None = None, log: AuditLog | None = None,
                        transport: httpx.AsyncBaseTransport | None = None, tokens: AccessTokenProvider | None = None,
                        sleep: Sleep = asyncio.sleep, demo: bool = False) -> EnforcementRun:
    """Plan the answers for the team's invitations in protected slots; with ``apply``, send and journal them.

    ``demo`` (``serve --demo``): nothing contacts Microsoft (no free/busy, no answer); the plan is journalled as if
    applied, each answer with the outcome ``demo`` and each notification ``noted``, so ``/`` can show and undo it.
    """
    apply = apply and not demo
    team = team if isinstance(team, TeamSettings) else settings.team(team)
    now = pd.Timestamp(now).tz_convert("UTC")
    rules = load_rules(settings.rule_paths())
    slots = team_slots(settings, team, rules.categories)
    if not slots:
        raise InputError(NO_POLICY)
    window = enforcement_window(settings, now.tz_convert(settings.timezone).date())
    data = data if data is not None else read_store(settings, team, window)
    events = prepare_events(data.events, rules, window, settings)
    people = people_of(data, events)
    leave = leave_days(events)
    occurrences = slot_occurrences(slots, people, window, leave)
    path = store_path(settings)
    with connect(path) as conn:
        raw = read_versions(conn, [p.lower() for p in people])
        versions = {k: Version(*v) for k, v in raw.items()}
        prefs = journal.preferences(conn)
        past = journal.history(conn, people)
    decisions = plan(events, occurrences, slots, now, versions=versions, preferences=prefs, history=past,
                     daily_cap=settings.enforce.daily_cap, tz=settings.timezone, people=people)
    hours = working_hours_map(data, settings)
    tenant = {_domain(p) for p in people}
    failures = list(data.failures)
    log = log or AuditLog(default_audit_log(settings))
    writes = [d for d in decisions if d.writes]
    async with AsyncExitStack() as stack:
        client: GraphClient | None = None
        # a dry run without sign-in settings reads no free/busy; the demo never contacts Microsoft
        if not demo and (apply or (writes and _can_sign_in(settings))):
            client = await stack.enter_async_context(GraphClient(settings, transport=transport, tokens=tokens,
                                                                 sleep=sleep))
        busy: dict[tuple[str, str], list[Interval] | None] = {}
        if writes and client is not None:
            from ..actions.enforcement import organiser_busy

            for person in dict.fromkeys(d.person for d in writes):
                organisers = sorted({d.organizer for d in writes if d.person == person and d.organizer
                                     and _domain(d.organizer) in tenant})
                found = await organiser_busy(client, person, organisers, window.start, window.end)
                busy.update({(person, o): v for o, v in found.items()})
        elif writes and demo:  # the demo's organisers are busy as their calendars in the data say (else free)
            for d in writes:
                theirs = events[(events["person"].str.lower() == d.organizer.lower()) & events["counted"]]
                busy[(d.person, d.organizer)] = sorted(zip(theirs["start"], theirs["end"], strict=True))
        planned = []
        for d in decisions:
            if d.writes:
                in_tenant = bool(d.organizer) and _domain(d.organizer) in tenant
                organiser = busy.get((d.person, d.organizer)) if in_tenant else None
                if in_tenant and organiser is None:
                    slot = None  # the organiser's calendar could not be read: no time is proposed blind
                else:
                    avail = availability(d, events, occurrences, hours.get(d.person, settings.team_hours()),
                                         window, leave.get(d.person, set()), settings.enforce.search_days,
                                         organiser)
                    slot = propose(d, avail, now)
                d = with_proposal(d, slot, d.allow_new_time_proposals)
            d = replace(d, note=note_for(d, settings.timezone, settings.enforce.templates))
            if d.why == "daily_cap":
                d = replace(d, outcome="held")
            elif demo:
                d = replace(d, outcome="demo" if d.writes else "noted")
            elif not apply:
                d = replace(d, outcome="would_send" if d.writes else "would_note")
            elif not d.writes:
                d = replace(d, outcome="noted")
            planned.append(d)
        if client is not None and apply and any(d.writes and d.outcome == "planned" for d in planned):
            from ..actions.enforcement import send_answers

            to_send = [d for d in planned if d.writes and d.outcome == "planned"]
            sent = {id(s): s for s in to_send}
            done = await send_answers(client, to_send, log, failures)
            by_id = dict(zip(sent, done, strict=True))
            planned = [by_id.get(id(d), d) for d in planned]
    if apply or demo:
        with connect(path) as conn, transaction(conn):
            journal.record(conn, planned, now)
    return EnforcementRun(window, planned, failures, apply)


def enforce(settings: Settings, team: TeamSettings | str | None = None, *, now: pd.Timestamp,
            apply: bool = False, **kw: Any) -> EnforcementRun:
    """Synchronous :func:`enforce_async` (the command line; the service awaits the async one)."""
    return asyncio.run(enforce_async(settings, team, now=now, apply=apply, **kw))


# --- undo, preferences, what was done ----------------------------------------------------------------------------
UNDO_NOTE = "Thank you for the invitation. I have looked at this again and will attend."


async def undo_async(settings: Settings, person: str, event_id: str, *, now: pd.Timestamp,
                     log: AuditLog | None = None, transport: httpx.AsyncBaseTransport | None = None,
                     tokens: AccessTokenProvider | None = None, sleep: Sleep = asyncio.sleep,
                     demo: bool = False) -> str:
    """Accept an invitation enforcement answered for ``person``, once; journalled and audit-logged.

    ``demo``: nothing is sent; the undo is journalled with the outcome ``demo`` (returned as such)."""
    from ..actions.enforcement import send_accept

    path = store_path(settings)
    with connect(path) as conn:
        answered, undone, slot = journal.undo_state(conn, person, event_id)
    if not answered:
        return "not_enforced"
    if undone:
        return "already_undone"
    if demo:
        outcome = "demo"
    else:
        async with GraphClient(settings, transport=transport, tokens=tokens, sleep=sleep) as client:
            outcome = await send_accept(client, person, event_id, UNDO_NOTE,
                                        log or AuditLog(default_audit_log(settings)))
    with connect(path) as conn:
        journal.record_undo(conn, person, event_id, slot, outcome, pd.Timestamp(now).tz_convert("UTC"))
    return outcome


def undo(settings: Settings, person: str, event_id: str, *, now: pd.Timestamp, **kw: Any) -> str:
    return asyncio.run(undo_async(settings, person, event_id, now=now, **kw))


def get_preference(settings: Settings, person: str) -> str:
    with connect(store_path(settings)) as conn:
        return journal.get_preference(conn, person)


def set_preference(settings: Settings, person: str, level: str, *, now: pd.Timestamp) -> None:
    with connect(store_path(settings)) as conn:
        journal.set_preference(conn, person, level, pd.Timestamp(now).tz_convert("UTC"))


def actions_for(settings: Settings, person: str, since: pd.Timestamp | None = None,
                until: pd.Timestamp | None = None) -> list[journal.JournalEntry]:
    with connect(store_path(settings)) as conn:
        return journal.entries(conn, person, since, until)

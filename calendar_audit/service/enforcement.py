"""Issue 11 in the service: enforcement and the weekly digest after each scheduled sync, and what ``/`` shows.

The scheduler calls :func:`enforce_team` then :func:`digest_team` after a team's sync (in its worker thread); each
returns a :class:`StepRun` for ``/status`` and never raises. The real service applies enforcement
(``enforce_async(..., apply=True)``, application permission) and sends the digest when ``digest.enabled`` and
``scheduled_week`` says a week is due (the digest journal sends nobody twice). ``serve --demo`` contacts no one:
enforcement runs once over the demo team, journalled with the outcome ``demo``, and no digest is sent.

For ``/``: :func:`home_section` lists what enforcement did for the signed-in person (never a subject) and their
preference; :func:`accept_after_all` and :func:`choose_level` are the two forms' actions.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd

from ..enforce import journal
from ..enforce.engine import lower
from ..enforce.run import enforce_async, undo_async
from ..errors import CalendarAuditError
from ..settings import TeamSettings
from ..slots.policy import ENFORCE_LEVELS
from .state import ServiceState

log = logging.getLogger(__name__)

ACTION_WORDS = {"decline": "Declined", "tentative": "Answered tentative", "notify": "Noted (no answer sent)",
                "accept": "Accepted after all"}
WHY_WORDS = {"preference": "lowered by your preference", "series_this_week":
             "the series was already answered this week", "daily_cap": "held by the daily limit"}
LEVEL_WORDS = {"off": "Off: leave my invitations alone", "notify": "Notify: list them here, answer nothing",
               "tentative": "Tentative: answer tentatively, proposing a better time",
               "decline": "Decline: decline, proposing a better time"}


@dataclass
class StepRun:
    """One enforcement or digest step after a team's sync, as ``/status`` shows it."""

    team: str
    step: str  # enforcement | digest
    at: datetime
    outcome: str  # ok | partial | failed | skipped
    detail: str = ""


def _error(exc: BaseException) -> str:
    """A failure as one line: our own errors say what happened; anything else only its class (it could hold data)."""
    return str(exc) if isinstance(exc, CalendarAuditError) else type(exc).__name__


def enforce_team(state: ServiceState, team: TeamSettings, **kw: Any) -> StepRun:
    """Answer the team's new invitations in protected slots (the demo: journal the plan, send nothing)."""
    from ..enforce.run import NO_POLICY

    now = state.now()
    if state.demo:
        state.policy(team)  # version 1 (the demo's own policy) is seeded before enforcement reads it
    try:
        data = demo_arrivals(state.demo_data()) if state.demo else None
        moment = demo_now(state) if state.demo else pd.Timestamp(now)
        run = asyncio.run(enforce_async(state.settings, team, now=moment, apply=not state.demo, data=data,
                                        demo=state.demo, **kw))
    except CalendarAuditError as exc:
        if str(exc) == NO_POLICY:
            return StepRun(team.name, "enforcement", now, "skipped", "no protected-slot policy")
        return StepRun(team.name, "enforcement", now, "failed", _error(exc)[:500])
    except Exception as exc:  # recorded for /status; the web app carries on
        log.warning("enforcement for team %s failed: %s", team.name, type(exc).__name__)
        return StepRun(team.name, "enforcement", now, "failed", type(exc).__name__)
    done = [d for d in run.decisions if d.outcome in (*journal.SENT, "noted")]
    answered = sum(d.writes for d in done)
    detail = (f"{answered} answered{' (demo: nothing sent)' if state.demo else ''}, {len(done) - answered} noted, "
              f"{sum(d.outcome == 'held' for d in run.decisions)} held by the daily cap, "
              f"{sum(d.outcome.startswith('failed') for d in run.decisions)} failed")
    if run.failures:
        detail += "; " + "; ".join(f"{f.person}: {f.reason}" for f in run.failures)
    return StepRun(team.name, "enforcement", now, "partial" if run.failures else "ok", detail[:2000])


def digest_team(state: ServiceState, team: TeamSettings, **kw: Any) -> StepRun | None:
    """Send last week's digest once its day and time have passed (None: not due, or the demo)."""
    from ..digest.run import digest_async, scheduled_week

    now = state.now()
    week = scheduled_week(state.settings, pd.Timestamp(now))
    if state.demo or week is None:
        return None
    try:
        run = asyncio.run(digest_async(state.settings, team, now=pd.Timestamp(now), week=week, apply=True, **kw))
    except Exception as exc:  # recorded for /status; the web app carries on
        log.warning("digest for team %s failed: %s", team.name, type(exc).__name__)
        return StepRun(team.name, "digest", now, "failed", _error(exc)[:500])
    sent = sum(o == "sent" for _, o in run.messages)
    before = sum(o == "already_sent" for _, o in run.messages)
    failed = [f"{f.person}: {f.reason}" for f in run.failures]
    detail = f"week of {week:%d %b %Y}: {sent} sent, {before} sent before"
    if failed:
        detail += f", {len(failed)} failed ({'; '.join(failed)})"
    return StepRun(team.name, "digest", now, "partial" if failed else "ok", detail[:2000])


def demo_arrivals(data: Any) -> Any:
    """The demo's invitations as if they had just arrived: the ones its people accepted are not answered yet (so
    enforcement has something to do in a calendar whose answers were all given long ago)."""
    from dataclasses import replace

    answered = data.events["response"].isin(["accepted", "tentativelyAccepted"])
    return replace(data, events=data.events.assign(response=data.events["response"].where(~answered, "notResponded")))


def demo_now(state: ServiceState) -> pd.Timestamp:
    """The demo's 'now': 07:00 on the Monday of its last week (its calendars live in fixed dates)."""
    from ..window import local_midnight

    return local_midnight(state.today(), state.settings.timezone) + pd.Timedelta(hours=7)


# --- / ------------------------------------------------------------------------------------------------------------
@dataclass
class Entry:
    """One thing enforcement did for you, in words (no subject)."""

    event_id: str
    at: str
    meeting: str  # when the meeting is
    did: str
    why: str
    proposed: str
    can_undo: bool
    undone: bool
    outcome: str
    undo_failed: str = ""  # the last Accept after all that was not sent (it may be tried again)


def _span(start: pd.Timestamp | None, end: pd.Timestamp | None, tz: str) -> str:
    if start is None or end is None:
        return ""
    s, e = start.tz_convert(tz), end.tz_convert(tz)
    return f"{s:%a} {s.day} {s:%b %H:%M}-{e:%H:%M}"


def home_section(state: ServiceState, conn: sqlite3.Connection, person: str, slots: list[Any]) -> dict[str, Any]:
    """What enforcement did for ``person`` and their preference, capped by the team's policy."""
    if state.demo:
        ensure_demo_enforced(state)
    tz = state.settings.timezone
    since = pd.Timestamp(state.now()).tz_convert("UTC") - pd.Timedelta(weeks=8) if not state.demo else None
    found = journal.entries(conn, person, since)
    undo_failed: dict[str, str] = {}
    for e in reversed(found):  # oldest first: the newest attempt decides
        if e.action == journal.UNDO:
            undo_failed[e.event_id] = e.outcome if e.outcome.startswith("failed") else ""
    entries = [e for e in found if e.action != journal.UNDO]
    items = []
    for e in entries:
        failed = e.outcome.startswith("failed")
        did = ACTION_WORDS.get(e.action, e.action) if not failed else f"Not sent ({e.outcome})"
        if e.outcome == "demo":
            did += " (demo: nothing sent)"
        at = e.at.tz_convert(tz)
        items.append(Entry(e.event_id, f"{at:%a} {at.day} {at:%b %H:%M}", _span(e.start, e.end, tz), did,
                           WHY_WORDS.get(e.why, ""), _span(e.proposed_start, e.proposed_end, tz),
                           e.action in ("decline", "tentative") and e.outcome in journal.SENT and not e.undone,
                           e.undone, e.outcome, undo_failed.get(e.event_id, "")))
    policy = max((s.enforce for s in slots), key=ENFORCE_LEVELS.index, default="")
    chosen = journal.get_preference(conn, person)
    return {"items": items, "policy": policy, "chosen": chosen,
            "effective": lower(policy, chosen) if policy else "",
            "levels": [(level, LEVEL_WORDS[level], bool(policy) and ENFORCE_LEVELS.index(level)
                        > ENFORCE_LEVELS.index(policy)) for level in ENFORCE_LEVELS]}


def ensure_demo_enforced(state: ServiceState) -> StepRun:
    """The demo's one enforcement run (journalled, nothing sent), done once per demo service."""
    team = state.settings.teams[0]
    return state.cached(("demo-enforcement",), lambda: enforce_team(state, team))


def accept_after_all(state: ServiceState, person: str, event_id: str) -> str:
    """Undo one of the person's enforcement answers: an accept sent once (the demo: journalled, nothing sent)."""
    return asyncio.run(undo_async(state.settings, person, event_id, now=pd.Timestamp(state.now()),
                                  transport=state.graph_transport if not state.demo else None, demo=state.demo))


def choose_level(state: ServiceState, conn: sqlite3.Connection, person: str, level: str) -> None:
    """Set the person's own level ("" follows the policy); the policy still caps it."""
    if level not in ("", *ENFORCE_LEVELS):
        raise ValueError(level)
    journal.set_preference(conn, person, level, pd.Timestamp(state.now()).tz_convert("UTC"))



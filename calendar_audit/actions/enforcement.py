"""Enforcement's Graph edge: the organiser's free/busy (getSchedule), the answers ($batch) and an undo (accept).

Answers are ``POST /users/{person}/events/{id}/decline`` (or ``/tentativelyAccept``) with the note as
``comment``, ``sendResponse: true`` and, when the event allows new time proposals, ``proposedNewTime``. They go
through ``send_batched`` (at most 20 a batch, 4 a mailbox, each sub-response judged, a refusing mailbox named
once); every write is recorded in the audit log. An undo is one ``accept`` sent with application permission.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import quote

import pandas as pd

from ..enforce.engine import Decision, Interval
from ..frame import MailboxFailure
from ..sources.graph import check_fatal, user_path
from ..sources.graph_client import GraphClient, GraphRequestError
from . import AuditLog
from .holds import send_batched

GRAPH_ACTIONS = {"decline": "decline", "tentative": "tentativelyAccept"}
FREE = ("free", "workingElsewhere")


def _time(value: pd.Timestamp) -> dict[str, str]:
    return {"dateTime": value.tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"}


async def organiser_busy(client: GraphClient, person: str, organisers: Sequence[str], start: pd.Timestamp,
                         end: pd.Timestamp) -> dict[str, list[Interval] | None]:
    """Each organiser's busy times between ``start`` and ``end`` (getSchedule in ``person``'s name).

    An organiser Graph cannot answer for (an error in their schedule, or the request refused) maps to None.
    """
    if not organisers:
        return {}
    body = {"schedules": list(organisers), "startTime": _time(start), "endTime": _time(end),
            "availabilityViewInterval": 15}
    try:
        reply = await client.post_json(f"{user_path(person)}/calendar/getSchedule", body,
                                       {"Prefer": 'outlook.timezone="UTC"'})
    except GraphRequestError as exc:
        check_fatal(exc)
        return dict.fromkeys(organisers)
    out: dict[str, list[Interval] | None] = dict.fromkeys(organisers)
    for item in (reply or {}).get("value") or ():
        who = str(item.get("scheduleId", "")).lower()
        if item.get("error") or who not in {o.lower() for o in organisers}:
            continue
        busy = []
        for entry in item.get("scheduleItems") or ():
            if str(entry.get("status", "busy")) in FREE:
                continue
            busy.append((_ts(entry["start"]), _ts(entry["end"])))
        out[next(o for o in organisers if o.lower() == who)] = sorted(busy)
    return out


def _ts(value: dict[str, Any]) -> pd.Timestamp:
    zone = str(value.get("timeZone") or "UTC")
    stamp = pd.Timestamp(str(value["dateTime"])[:19])
    return stamp.tz_localize("UTC") if zone.upper() in ("UTC", "") else stamp.tz_localize(zone).tz_convert("UTC")


def answer_body(decision: Decision) -> dict[str, Any]:
    """The decline / tentativelyAccept body: the note, sendResponse, and proposedNewTime when it is sent."""
    body: dict[str, Any] = {"comment": decision.note, "sendResponse": True}
    if decision.proposal_sent and decision.proposed_start is not None and decision.proposed_end is not None:
        body["proposedNewTime"] = {"start": _time(decision.proposed_start), "end": _time(decision.proposed_end)}
    return body


def answer_path(decision: Decision) -> str:
    return f"/{user_path(decision.person)}/events/{quote(decision.event_id, safe='')}/{GRAPH_ACTIONS[decision.action]}"


@dataclass
class _Write:
    person: str
    decision: Decision
    outcome: str = ""


async def send_answers(client: GraphClient, decisions: list[Decision], log: AuditLog,
                       failures: list[MailboxFailure]) -> list[Decision]:
    """Send each write decision through $batch; returns the decisions with their outcomes (sent / failed: ...)."""
    writes = [_Write(d.person, d) for d in decisions if d.writes]

    def request(index: int, write: _Write) -> dict[str, Any]:
        return {"id": str(index), "method": "POST", "url": answer_path(write.decision),
                "body": answer_body(write.decision), "headers": {"Content-Type": "application/json"}}

    def done(write: _Write, sub: dict[str, Any]) -> None:
        write.outcome = "sent"
        _log(log, write)

    def failed(write: _Write, error: GraphRequestError) -> None:
        _log(log, write)

    await send_batched(client, writes, request, done, failed, failures)
    outcome = {id(w.decision): w.outcome for w in writes}
    return [replace(d, outcome=outcome.get(id(d), d.outcome)) for d in decisions]


def _log(log: AuditLog, write: _Write) -> None:
    d = write.decision
    log.record(mailbox=d.person, action=GRAPH_ACTIONS[d.action], event_id=d.event_id, outcome=write.outcome,
               via="enforce", slot=d.slot, change_key=d.change_key,
               proposed_new_time=bool(d.proposal_sent and d.proposed_start is not None))


async def send_accept(client: GraphClient, person: str, event_id: str, comment: str, log: AuditLog) -> str:
    """Accept one event after all (an undo); returns the outcome (sent / failed: ...), audit-logged."""
    try:
        await client.post_json(f"{user_path(person)}/events/{quote(event_id, safe='')}/accept",
                               {"comment": comment, "sendResponse": True})
    except GraphRequestError as exc:
        check_fatal(exc)
        outcome = f"failed: {exc.reason}"
    else:
        outcome = "sent"
    log.record(mailbox=person, action="accept", event_id=event_id, outcome=outcome, via="enforce-undo")
    return outcome

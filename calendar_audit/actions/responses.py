"""Responding to invitations through Graph: decline or tentatively accept the chosen suggestions.

``POST /users/{id}/events/{event id}/decline`` (or ``/tentativelyAccept``; ``/me/...`` with delegated sign-in)
with ``{"comment": <the drafted reply>, "sendResponse": true}``. Dry run unless ``apply``: a dry run sends
nothing and records nothing. Every request sent is recorded in the audit log (outcome ``sent`` or
``failed: ...``); a mailbox + event that already has a ``sent`` response in the log is skipped, so a second run
sends nothing. A failure for one event is reported and the others still go.

``proposedNewTime`` is not sent: picking a time that suits the organiser needs everyone's free/busy, which the
suggestion engine does not read, and Graph refuses it when the organiser disallows new-time proposals.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
import pandas as pd
from kiota_abstractions.authentication import AccessTokenProvider

from ..settings import Settings
from ..sources.graph_client import GraphClient, GraphRequestError, Sleep
from . import AuditLog

ACTIONS = {"decline": "decline", "tentative": "tentativelyAccept"}
RESPONSE_ACTIONS = frozenset(ACTIONS.values())


@dataclass(frozen=True)
class ResponsePlan:
    """One response to send: to whose event, which action, and the comment (the drafted reply)."""

    mailbox: str
    event_id: str
    action: str  # decline | tentativelyAccept
    comment: str

    def path(self, me: bool = False) -> str:
        """The Graph path, relative to /v1.0."""
        user = "me" if me else f"users/{quote(self.mailbox, safe='@')}"
        return f"{user}/events/{quote(self.event_id, safe='')}/{self.action}"

    def body(self) -> dict[str, Any]:
        return {"comment": self.comment, "sendResponse": True}


@dataclass(frozen=True)
class ResponseOutcome:
    """What happened to one plan: sent, skipped (already responded) or failed (with a reason)."""

    plan: ResponsePlan
    outcome: str  # sent | already_sent | would_send | failed: <reason>


def plans_for(suggestions: pd.DataFrame, respond: str) -> list[ResponsePlan]:
    """A plan per suggestion row (person, event_id, reply), for ``respond`` = decline or tentative."""
    action = ACTIONS[respond]
    return [ResponsePlan(str(p), str(e), action, str(r)) for p, e, r in
            zip(suggestions["person"], suggestions["event_id"], suggestions["reply"], strict=True)]


def already_sent(log: AuditLog) -> set[tuple[str, str]]:
    """(mailbox, event id) pairs the log shows a successful response for."""
    return {(str(e.get("mailbox", "")).lower(), str(e.get("event_id", ""))) for e in log.entries()
            if e.get("action") in RESPONSE_ACTIONS and e.get("outcome") == "sent"}


async def send_responses_async(
    plans: Iterable[ResponsePlan],
    settings: Settings,
    log: AuditLog,
    *,
    apply: bool,
    me: bool = False,
    transport: httpx.AsyncBaseTransport | None = None,
    tokens: AccessTokenProvider | None = None,
    sleep: Sleep = asyncio.sleep,
) -> list[ResponseOutcome]:
    """Send each plan once (dry run unless ``apply``), recording every request sent in the audit log."""
    done = already_sent(log)
    todo: list[ResponsePlan] = []
    outcomes: dict[ResponsePlan, str] = {}
    ordered = list(dict.fromkeys(plans))  # the same event chosen twice is sent once
    for plan in ordered:
        if (plan.mailbox.lower(), plan.event_id) in done:
            outcomes[plan] = "already_sent"
        elif not apply:
            outcomes[plan] = "would_send"
        else:
            todo.append(plan)
    if todo:
        async with GraphClient(settings, me=me, transport=transport, tokens=tokens, sleep=sleep) as client:
            for plan in todo:  # one at a time: responses go to organisers, and order keeps the log readable
                try:
                    await client.post_json(plan.path(me), plan.body())
                except GraphRequestError as exc:
                    outcomes[plan] = f"failed: {exc.reason}"
                else:
                    outcomes[plan] = "sent"
                log.record(mailbox=plan.mailbox, action=plan.action, event_id=plan.event_id,
                           outcome=outcomes[plan], via="me" if me else "app")
    return [ResponseOutcome(p, outcomes[p]) for p in ordered]


def send_responses(plans: Iterable[ResponsePlan], settings: Settings, log: AuditLog, *, apply: bool,
                   me: bool = False, transport: httpx.AsyncBaseTransport | None = None) -> list[ResponseOutcome]:
    """Synchronous wrapper of :func:`send_responses_async` for the CLI."""
    return asyncio.run(send_responses_async(plans, settings, log, apply=apply, me=me, transport=transport))

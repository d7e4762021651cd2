"""Protected-slot holds booked into calendars through Graph: plan (pure), then apply only when asked.

A hold is an event created in the person's own calendar for one slot occurrence. It is idempotent twice over:
its ``transactionId`` is a hash of mailbox + slot + start (Graph refuses to create a second event with the same
one), and it carries a single-value extended property naming it as calendar-audit's, which is how existing holds
are found (calendarView with the property expanded) and the only thing ``unbook`` will delete. A hold the audit
log says we created but that is no longer there was deleted by the person: it is reported, and recreated only
with ``restore``. Conflicting meetings are listed, never moved. Holds are created and deleted through JSON
``$batch`` (one mechanism, ``send_batched``: at most 20 a batch, at most 4 for one mailbox), each sub-response
judged on its own and each write audit-logged. Each batch's writes are journalled (outcome ``intent``) before
the batch is sent; the next ``--apply`` run settles any intent left without an outcome by an interruption, from
what the calendar shows (``created``/``deleted`` "found after an interrupted run", or ``not created``/``not
deleted``), so the log accounts for every write that may have happened.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol, TypeVar

import httpx
import pandas as pd
from kiota_abstractions.authentication import AccessTokenProvider

from ..frame import MailboxFailure, all_day_dates
from ..settings import HoldSettings, Settings, TeamSettings
from ..slots import Slot, slot_occurrences
from ..sources.graph import check_fatal, failure_reason, graph_time, prefer, read_each, team_people, user_path
from ..sources.graph_client import MAX_BATCH, GraphClient, GraphRequestError, Sleep, error_of
from ..window import Window
from . import AuditLog

#: The extended property that marks a hold as calendar-audit's; its value is the hold's transaction id.
PROPERTY_ID = "String {5d0f4f8e-6a2b-4c4e-9d1f-2b7c9a3e8f10} Name calendarAuditHold"
BOOK, UNBOOK = "book_hold", "unbook_hold"
INTENT = "intent"  # journalled before a batch is sent; a later entry for the same write gives its outcome
FOUND_AFTER_INTERRUPTION = "found after an interrupted run"
#: Outlook's limit on requests running at once against one mailbox
PER_MAILBOX = 4


def transaction_id(mailbox: str, slot: str, start: pd.Timestamp) -> str:
    """A stable id for one person's hold of one slot occurrence (a UUID from a SHA-256 hash)."""
    key = f"{mailbox.lower()}|{slot}|{pd.Timestamp(start).tz_convert('UTC').isoformat()}"
    return str(uuid.UUID(hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]))


@dataclass(frozen=True)
class Existing:
    """An event already in a calendar, as far as booking needs it."""

    event_id: str
    start: pd.Timestamp
    end: pd.Timestamp
    is_all_day: bool = False
    show_as: str = "busy"
    is_cancelled: bool = False
    hold_id: str = ""  # our property's value: the transaction id of a hold we created


@dataclass
class Hold:
    """One planned hold: whose, which slot occurrence, and what booking will do about it."""

    person: str
    slot: str
    start: pd.Timestamp
    end: pd.Timestamp
    transaction_id: str
    status: str = "new"  # new | exists | deleted (by the person; left alone) | restore
    event_id: str = ""
    conflicts: list[Existing] = field(default_factory=list)
    outcome: str = ""

    @property
    def to_create(self) -> bool:
        return self.status in ("new", "restore")


@dataclass
class BookResult:
    holds: list[Hold]
    failures: list[MailboxFailure]
    removed: list[tuple[str, str]] = field(default_factory=list)  # unbook: (mailbox, event id)


# --- planning (pure) ----------------------------------------------------------------------------------------
def created_earlier(log: AuditLog) -> set[tuple[str, str]]:
    """(mailbox, transaction id) of holds the log says we created and did not remove ourselves since."""
    alive: set[tuple[str, str]] = set()
    for entry in log.entries():
        key = (str(entry.get("mailbox", "")).lower(), str(entry.get("transaction_id", "")))
        if entry.get("action") == BOOK and entry.get("outcome") == "created":
            alive.add(key)
        elif entry.get("action") == UNBOOK and entry.get("outcome") == "deleted":
            alive.discard(key)
    return alive


def plan_holds(slots: Sequence[Slot], people: Sequence[str], window: Window, now: pd.Timestamp,
               calendars: dict[str, list[Existing]], created: set[tuple[str, str]], *,
               restore: bool = False) -> list[Hold]:
    """A hold per person and future slot occurrence (none on leave days), each with its status and conflicts."""
    leave: dict[str, set[date]] = {}
    for person, events in calendars.items():
        for e in events:
            if e.is_all_day and e.show_as == "oof" and not e.is_cancelled:
                leave.setdefault(person, set()).update(all_day_dates(e.start, e.end))
    occ = slot_occurrences(slots, people, window, leave)
    occ = occ[occ["start"] >= now]
    holds = []
    for person, slot, start, end in occ.itertuples(index=False):
        events = calendars.get(person, [])
        txid = transaction_id(person, slot, start)
        hold = Hold(person, slot, start, end, txid)
        ours = [e for e in events if e.hold_id == txid]
        if ours:
            hold.status, hold.event_id = "exists", ours[0].event_id
        elif (person.lower(), txid) in created:
            hold.status = "restore" if restore else "deleted"
        hold.conflicts = [e for e in events if not e.hold_id and not e.is_all_day and not e.is_cancelled
                          and e.show_as != "free" and e.start < end and e.end > start]
        holds.append(hold)
    return holds


def hold_body(hold: Hold, settings: HoldSettings, slot: Slot) -> dict[str, Any]:
    """The Graph event for a hold: busy by default, no reminder, the policy explained, marked as ours."""
    return {
        "subject": settings.subject,
        "body": {"contentType": "text", "content": f"{settings.body}\n\nSlot: {slot.describe()}"},
        "start": {"dateTime": hold.start.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"},
        "end": {"dateTime": hold.end.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"},
        "showAs": settings.show_as,
        "categories": [settings.category] if settings.category else [],
        "isReminderOn": False,
        "responseRequested": False,
        "transactionId": hold.transaction_id,
        "singleValueExtendedProperties": [{"id": PROPERTY_ID, "value": hold.transaction_id}],
    }


# --- Graph edge ---------------------------------------------------------------------------------------------
def existing_of(item: dict[str, Any]) -> Existing:
    """An Existing from a calendarView item read with ``Prefer: outlook.timezone="UTC"``."""
    def ts(value: dict[str, Any]) -> pd.Timestamp:
        return pd.Timestamp(str(value["dateTime"])[:19], tz="UTC")

    props = item.get("singleValueExtendedProperties") or ()
    prop = [p for p in props if str(p.get("id", "")).lower() == PROPERTY_ID.lower()]
    return Existing(str(item["id"]), ts(item["start"]), ts(item["end"]), bool(item.get("isAllDay")),
                    str(item.get("showAs") or "busy"), bool(item.get("isCancelled")),
                    str(prop[0].get("value") or "") if prop else "")


async def read_calendar(client: GraphClient, person: str, window: Window, page_size: int) -> list[Existing]:
    """The person's events over the window, with our property expanded where an event has it."""
    url = (f"{user_path(person)}/calendarView?startDateTime={graph_time(window.start)}"
           f"&endDateTime={graph_time(window.end)}&$select=id,start,end,isAllDay,showAs,isCancelled"
           f"&$expand=singleValueExtendedProperties($filter=id eq '{PROPERTY_ID}')&$top={page_size}")
    out: list[Existing] = []
    async for page in client.pages(url, prefer('outlook.timezone="UTC"')):
        out.extend(existing_of(item) for item in page.get("value") or ())
    return out


async def read_calendars(client: GraphClient, people: list[str], window: Window,
                         page_size: int) -> tuple[dict[str, list[Existing]], list[MailboxFailure]]:
    """Every readable person's calendar over the window (a bounded number of mailboxes at a time)."""
    return await read_each(client, people, lambda p: read_calendar(client, p, window, page_size), None)


class Write(Protocol):
    """One write to a mailbox sent through $batch: a hold to create or one to delete."""

    person: str
    outcome: str


W = TypeVar("W", bound=Write)


@dataclass
class Removal:
    """One of our holds to delete, and what deleting it did."""

    person: str
    event_id: str
    transaction_id: str
    outcome: str = ""
    start: str = ""  # the hold's start (ISO), so an interrupted deletion can be settled later


def batches(writes: Sequence[W], size: int = MAX_BATCH, per_mailbox: int = PER_MAILBOX) -> list[list[W]]:
    """Writes in $batch groups: at most ``size`` a batch and ``per_mailbox`` for any one mailbox, in plan order.

    Outlook runs at most 4 requests at once per mailbox, and a batch's requests run at once, so more than 4 for
    one mailbox in a batch would only come back throttled.
    """
    queues: dict[str, list[W]] = {}
    for write in writes:
        queues.setdefault(write.person.lower(), []).append(write)
    out: list[list[W]] = []
    while any(queues.values()):
        group: list[W] = []
        for queue in queues.values():
            take = min(per_mailbox, size - len(group), len(queue))
            group += queue[:take]
            del queue[:take]
        out.append(group)
    return out


def create_request(index: int, hold: Hold, body: dict[str, Any]) -> dict[str, Any]:
    """One $batch sub-request creating a hold; its id is the hold's place in the plan."""
    return {"id": str(index), "method": "POST", "url": f"/{user_path(hold.person)}/events", "body": body,
            "headers": {"Content-Type": "application/json"}}


def delete_request(index: int, removal: Removal) -> dict[str, Any]:
    """One $batch sub-request deleting one of our holds; its id is the hold's place in the plan."""
    return {"id": str(index), "method": "DELETE", "url": f"/{user_path(removal.person)}/events/{removal.event_id}"}


def sub_error(sub: dict[str, Any], path: str) -> GraphRequestError:
    """The GraphRequestError a failed $batch sub-response stands for."""
    body = sub.get("body")
    content = json.dumps(body).encode("utf-8") if isinstance(body, dict) else b""
    return error_of(int(sub.get("status", 0)), content, path)


def unsettled_intents(log: AuditLog) -> list[dict[str, Any]]:
    """Journalled writes with no outcome after them (the run was interrupted while they were being sent)."""
    last: dict[tuple[str, str, str], dict[str, Any]] = {}
    for entry in log.entries():
        key = (str(entry.get("action", "")), str(entry.get("mailbox", "")).lower(),
               str(entry.get("transaction_id", "")))
        last[key] = entry
    return [e for e in last.values() if e.get("outcome") == INTENT]


def settle_intents(log: AuditLog, calendars: dict[str, list[Existing]], window: Window) -> int:
    """Record the outcome of every unsettled intent whose mailbox was read over a window holding its start, from
    what that calendar holds now; returns how many were settled."""
    readable = {p.lower(): events for p, events in calendars.items()}
    entries = []
    for intent in unsettled_intents(log):
        events = readable.get(str(intent.get("mailbox", "")).lower())
        try:
            start = pd.Timestamp(str(intent.get("start", "")))
        except ValueError:
            start = pd.NaT
        if events is None or pd.isna(start) or not window.start <= start < window.end:
            continue  # not seen this time: settled on a later run that reads it
        txid = str(intent.get("transaction_id", ""))
        there = [e for e in events if e.hold_id == txid]
        entry = {k: v for k, v in intent.items() if k not in ("time", "outcome")}
        if intent.get("action") == BOOK:
            outcome = "created" if there else "not created: interrupted before Graph answered"
            if there:
                entry["event_id"] = there[0].event_id
        else:
            outcome = "not deleted: interrupted before Graph answered" if there else "deleted"
        if outcome in ("created", "deleted"):
            entry["note"] = FOUND_AFTER_INTERRUPTION
        entries.append({**entry, "outcome": outcome})
    log.record_all(entries)
    return len(entries)


async def send_batched(client: GraphClient, writes: list[W], request: Callable[[int, W], dict[str, Any]],
                       done: Callable[[W, dict[str, Any]], None], failed: Callable[[W, GraphRequestError], None],
                       failures: list[MailboxFailure],
                       journal: Callable[[list[W]], None] | None = None) -> None:
    """Send writes through $batch, each sub-response judged on its own: ``done`` or ``failed`` is told of each.

    ``journal`` is told of each batch's writes before the batch is sent (an interruption after that point may
    have made them).

    A mailbox that refuses a write is named once in ``failures``; its writes in later batches are not sent
    (their outcome says so). Throttled sub-requests are resent by ``GraphClient.batch`` after their Retry-After.
    """
    refused: dict[str, GraphRequestError] = {}
    index = {id(w): i for i, w in enumerate(writes)}
    for group in batches(writes):
        send = []
        for write in group:
            if write.person.lower() in refused:
                write.outcome = "skipped: mailbox refused"
            else:
                send.append(write)
        if not send:
            continue
        requests = [request(index[id(w)], w) for w in send]
        if journal is not None:
            journal(send)
        try:
            replies = await client.batch(requests)
        except GraphRequestError as exc:  # the $batch request itself failed: none of its writes was made
            check_fatal(exc)
            replies = [{"id": r["id"], "status": exc.status, "body": {"error": {"code": exc.code}}}
                       for r in requests]
        for write, sent, sub in zip(send, requests, replies, strict=True):
            if 200 <= int(sub.get("status", 0)) < 300:
                done(write, sub)
                continue
            error = sub_error(sub, sent["url"])
            check_fatal(error)
            write.outcome = f"failed: {error.reason}"
            failed(write, error)
            if write.person.lower() not in refused:
                refused[write.person.lower()] = error
                failures.append(MailboxFailure(write.person, failure_reason(error)))


async def create_holds(client: GraphClient, holds: list[Hold], settings: Settings, slots: Sequence[Slot],
                       log: AuditLog, failures: list[MailboxFailure]) -> None:
    """Create the holds through $batch, every write audit-logged; a refusing mailbox is named once."""
    by_name = {s.name: s for s in slots}

    def done(hold: Hold, sub: dict[str, Any]) -> None:
        hold.event_id, hold.outcome = str((sub.get("body") or {}).get("id", "")), "created"
        log.record(mailbox=hold.person, action=BOOK, event_id=hold.event_id, transaction_id=hold.transaction_id,
                   outcome="created", slot=hold.slot, start=hold.start.isoformat())

    def failed(hold: Hold, error: GraphRequestError) -> None:
        log.record(mailbox=hold.person, action=BOOK, transaction_id=hold.transaction_id, outcome=hold.outcome,
                   slot=hold.slot, start=hold.start.isoformat())

    def journal(group: list[Hold]) -> None:
        log.record_all([{"mailbox": h.person, "action": BOOK, "transaction_id": h.transaction_id, "outcome": INTENT,
                         "slot": h.slot, "start": h.start.isoformat()} for h in group])

    await send_batched(client, holds, lambda i, h: create_request(i, h, hold_body(h, settings.holds, by_name[h.slot])),
                       done, failed, failures, journal)


async def delete_holds(client: GraphClient, removals: list[Removal], log: AuditLog,
                       failures: list[MailboxFailure]) -> None:
    """Delete our holds through $batch, every write audit-logged; a refusing mailbox is named once."""
    def done(removal: Removal, sub: dict[str, Any]) -> None:
        removal.outcome = "deleted"
        log.record(mailbox=removal.person, action=UNBOOK, event_id=removal.event_id,
                   transaction_id=removal.transaction_id, outcome="deleted")

    def failed(removal: Removal, error: GraphRequestError) -> None:
        log.record(mailbox=removal.person, action=UNBOOK, event_id=removal.event_id,
                   transaction_id=removal.transaction_id, outcome=removal.outcome)

    def journal(group: list[Removal]) -> None:
        log.record_all([{"mailbox": r.person, "action": UNBOOK, "event_id": r.event_id,
                         "transaction_id": r.transaction_id, "outcome": INTENT, "start": r.start} for r in group])

    await send_batched(client, removals, delete_request, done, failed, failures, journal)


async def book_holds_async(settings: Settings, team: TeamSettings, slots: Sequence[Slot], window: Window,
                           now: pd.Timestamp, log: AuditLog, *, apply: bool = False, restore: bool = False,
                           transport: httpx.AsyncBaseTransport | None = None,
                           tokens: AccessTokenProvider | None = None, sleep: Sleep = asyncio.sleep) -> BookResult:
    """Plan every person's holds; with ``apply``, create the new ones (and deleted ones with ``restore``)."""
    async with GraphClient(settings, transport=transport, tokens=tokens, sleep=sleep) as client:
        people = await team_people(client, settings, team, False)
        calendars, failures = await read_calendars(client, people, window, settings.graph.page_size)
        readable = [p for p in people if p in calendars]
        if apply:
            settle_intents(log, calendars, window)
        holds = plan_holds(slots, readable, window, now, calendars, created_earlier(log), restore=restore)
        if apply:
            await create_holds(client, [h for h in holds if h.to_create], settings, slots, log, failures)
    return BookResult(holds, failures)


async def unbook_holds_async(settings: Settings, team: TeamSettings, window: Window, log: AuditLog, *,
                             apply: bool = False, transport: httpx.AsyncBaseTransport | None = None,
                             tokens: AccessTokenProvider | None = None, sleep: Sleep = asyncio.sleep) -> BookResult:
    """Find the holds we created (by the extended property) over the window; with ``apply``, delete them.

    ``removed`` lists the holds found on a dry run, and those actually deleted with ``apply``.
    """
    async with GraphClient(settings, transport=transport, tokens=tokens, sleep=sleep) as client:
        people = await team_people(client, settings, team, False)
        calendars, failures = await read_calendars(client, people, window, settings.graph.page_size)
        if apply:
            settle_intents(log, calendars, window)
        # only events carrying our extended property are holds of ours: nothing else is ever deleted
        removals = [Removal(person, e.event_id, e.hold_id, start=e.start.isoformat()) for person in people
                    for e in calendars.get(person, []) if e.hold_id]
        if apply:
            await delete_holds(client, removals, log, failures)
            removals = [r for r in removals if r.outcome == "deleted"]
    return BookResult([], failures, [(r.person, r.event_id) for r in removals])

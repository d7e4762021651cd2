"""Booking protected-slot holds through a fake Graph (respx; no network): dry run, idempotence, 403, unbook."""

from __future__ import annotations

import asyncio
import io
import json
import re
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
import pandas as pd
import pytest
import respx
from rich.console import Console

from calendar_audit.actions import AuditLog
from calendar_audit.actions.holds import (
    PROPERTY_ID,
    Hold,
    batches,
    book_holds_async,
    created_earlier,
    transaction_id,
    unbook_holds_async,
)
from calendar_audit.cli import main
from calendar_audit.commands.options import Context
from calendar_audit.settings import load_settings
from calendar_audit.slots import parse_slots
from calendar_audit.window import Window
from tests.actions.test_responses import StaticTokens
from tests.sources.graph_fake import FakeGraph, error_body

DATA_SLOTS = Path(__file__).resolve().parents[1] / "data" / "slots"

AMY, BEN, CARA = "amy.lee@council.gov.uk", "ben.ode@council.gov.uk", "cara.ng@council.gov.uk"
SLOTS = """
[[slot]]
name = "mornings"
days = ["tue", "thu"]
start = "09:30"
end = "12:30"
allow = ["direct_work", "statutory"]
since = "2026-10-01"
"""


class HoldsGraph:
    """Mailboxes that read calendarView and create (honouring transactionId) and delete events, writing only
    through JSON $batch; identity from FakeGraph. ``refuse`` mailboxes answer writes with 403; ``throttle``
    mailboxes answer their first write with a 429 inside the batch, asking for ``retry_after`` seconds."""

    def __init__(self, refuse: tuple[str, ...] = (), throttle: tuple[str, ...] = (), retry_after: str = "2.5") -> None:
        self.identity = FakeGraph()
        self.events: dict[str, list[dict[str, Any]]] = {AMY: [], BEN: [], CARA: []}
        self.refuse = refuse
        self.throttle = set(throttle)
        self.retry_after = retry_after
        self.writes: list[tuple[str, str]] = []  # (method, mailbox) of every write, inside a batch or not
        self.batches: list[list[str]] = []  # the mailboxes of each $batch's sub-requests
        self.graph_requests = 0
        self.next_id = 0

    def respond(self, request: httpx.Request) -> httpx.Response:
        if request.url.host.startswith("login."):
            return self.identity.respond(request)
        self.graph_requests += 1
        path = unquote(request.url.path).removeprefix("/v1.0/")
        if path == "$batch":
            assert request.method == "POST"
            subs = json.loads(request.content)["requests"]
            assert 1 <= len(subs) <= 20 and len({s["id"] for s in subs}) == len(subs)
            self.batches.append([self._mailbox(unquote(s["url"]).lstrip("/")) for s in subs])
            replies = []
            for sub in subs:
                status, body, headers = self.handle(sub["method"], unquote(sub["url"]).lstrip("/"), sub.get("body"))
                replies.append({"id": sub["id"], "status": status, "headers": headers, "body": body})
            return httpx.Response(200, json={"responses": list(reversed(replies))})  # any order, as Graph may
        assert request.method not in ("POST", "DELETE"), "holds are created and deleted through $batch only"
        status, body, headers = self.handle(request.method, path, None, request.url.params)
        return httpx.Response(status, json=body, headers=headers) if body is not None else httpx.Response(status)

    @staticmethod
    def _mailbox(path: str) -> str:
        m = re.fullmatch(r"users/([^/]+)/(calendarView|events)(?:/([^/]+))?", path)
        assert m, path
        return m.group(1).lower()

    def handle(self, method: str, path: str, body: Any, params: Any = None
               ) -> tuple[int, dict[str, Any] | None, dict[str, str]]:
        """One Graph call: (status, JSON body or None, headers)."""
        person = self._mailbox(path)
        parts = [*path.split("/"), None]
        what, event_id = parts[2], parts[3]
        if method != "GET":
            self.writes.append((method, person))
        if person in self.refuse and method != "GET":
            return 403, error_body("ErrorAccessDenied"), {}
        if person in self.throttle and method != "GET":
            self.throttle.discard(person)
            return 429, error_body("ApplicationThrottled"), {"Retry-After": self.retry_after}
        box = self.events[person]
        if what == "calendarView":
            assert "singleValueExtendedProperties" in params["$expand"]
            start, end = params["startDateTime"], params["endDateTime"]
            items = [self._view(e) for e in box
                     if e["start"]["dateTime"] < end[:19] and e["end"]["dateTime"] > start[:19]]
            return 200, {"value": items}, {}
        if method == "POST":
            same = [e for e in box if e.get("transactionId") == body["transactionId"]]
            if same:  # Graph's own idempotency: the same transactionId creates nothing new
                return 201, same[0], {}
            self.next_id += 1
            event = {**body, "id": f"ev{self.next_id}"}
            box.append(event)
            return 201, event, {}
        if method == "DELETE":
            self.events[person] = [e for e in box if e["id"] != event_id]
            return 204, None, {}
        raise AssertionError((method, path))

    def add_meeting(self, person: str, event_id: str, start: str, end: str, **extra: Any) -> None:
        self.events[person].append({"id": event_id, "start": {"dateTime": start, "timeZone": "UTC"},
                                    "end": {"dateTime": end, "timeZone": "UTC"}, "showAs": "busy", **extra})

    @staticmethod
    def _view(e: dict[str, Any]) -> dict[str, Any]:
        props = [p for p in e.get("singleValueExtendedProperties", []) if p["id"] == PROPERTY_ID]
        out = {k: e[k] for k in ("id", "start", "end", "showAs") if k in e}
        out["isAllDay"] = e.get("isAllDay", False)
        if props:
            out["singleValueExtendedProperties"] = props
        return out

    def holds(self, person: str) -> list[dict[str, Any]]:
        return [e for e in self.events[person] if e.get("singleValueExtendedProperties")]


@pytest.fixture
def setup(tmp_path: Path) -> Path:
    (tmp_path / "slots.toml").write_text(SLOTS, encoding="utf-8")
    (tmp_path / "calendar-audit.toml").write_text(
        f'audit_log = "{tmp_path / "audit.jsonl"}"\n'
        '[graph]\ntenant_id = "contoso-tenant"\nclient_id = "app-id"\nclient_secret = "s3cr3t"\n'
        f'[[teams]]\nname = "evolve"\nmembers = ["{AMY}", "{BEN}", "{CARA}"]\n', encoding="utf-8")
    return tmp_path


def run(tmp: Path, fake: HoldsGraph, *args: str, weeks: int = 2) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    ctx = Context(today=date(2026, 10, 19), console=Console(file=out, width=200), err=Console(file=err, width=200),
                  now=lambda: datetime(2026, 10, 19, 12, 0, tzinfo=UTC))
    with respx.mock(assert_all_called=False) as router:
        router.route().mock(side_effect=fake.respond)
        code = main(["slots", *args, "--config", str(tmp / "calendar-audit.toml"), "--from", "2026-10-19",
                     "--weeks", str(weeks)], ctx)
    return code, out.getvalue(), err.getvalue()


def book(tmp: Path, fake: HoldsGraph, *extra: str, weeks: int = 2) -> tuple[int, str, str]:
    return run(tmp, fake, "book", "--slots", str(tmp / "slots.toml"), *extra, weeks=weeks)


def log_of(tmp: Path) -> list[dict[str, Any]]:
    """The audit log's outcomes (the intents journalled before each batch are left out: see test_holds_journal)."""
    return [e for e in AuditLog(tmp / "audit.jsonl").entries() if e["outcome"] != "intent"]


def test_dry_run_prints_the_plan_and_writes_nothing(setup: Path) -> None:
    fake = HoldsGraph()
    fake.add_meeting(AMY, "m1", "2026-10-20T09:00:00", "2026-10-20T10:00:00")  # 10:00-11:00 BST, in Tue's slot
    code, out, _ = book(setup, fake)
    assert code == 0
    assert fake.writes == [] and fake.batches == [] and log_of(setup) == []
    assert "dry run" in out
    assert "12 to book, 0 booked already, 0 deleted by their owner, 1 with conflicting meetings" in out
    assert "Tue 20 Oct 09:30-12:30" in out and "10:00-11:00 busy" in out


def test_apply_twice_creates_each_hold_once_with_transaction_id_and_property(setup: Path) -> None:
    fake = HoldsGraph()
    fake.add_meeting(AMY, "m1", "2026-10-20T09:00:00", "2026-10-20T10:00:00")
    assert book(setup, fake, "--apply")[0] == 0
    code, out, _ = book(setup, fake, "--apply")
    assert code == 0 and "0 to book, 12 booked already" in out
    assert [len(fake.holds(p)) for p in (AMY, BEN, CARA)] == [4, 4, 4]
    assert fake.writes.count(("POST", AMY)) == 4  # the second run sent nothing
    assert fake.batches == [[AMY] * 4 + [BEN] * 4 + [CARA] * 4]  # one $batch, read back by id in any order
    hold = fake.holds(AMY)[0]
    assert hold["start"] == {"dateTime": "2026-10-20T08:30:00", "timeZone": "UTC"}
    assert hold["isReminderOn"] is False and hold["showAs"] == "busy"
    assert hold["subject"] == "Protected: direct work" and hold["categories"] == ["Direct work"]
    txid = transaction_id(AMY, "mornings", datetime(2026, 10, 20, 8, 30, tzinfo=UTC))
    assert txid == AMY_TUESDAY_TXID
    assert hold["transactionId"] == txid
    assert hold["singleValueExtendedProperties"] == [{"id": PROPERTY_ID, "value": txid}]
    assert any(e["id"] == "m1" for e in fake.events[AMY])  # the conflicting meeting is left alone
    log = log_of(setup)
    assert len(log) == 12 and {e["outcome"] for e in log} == {"created"}
    assert log[0].keys() >= {"time", "mailbox", "action", "event_id", "transaction_id", "outcome"}


#: the UUID of the first 32 hex digits of SHA-256("amy.lee@council.gov.uk|mornings|2026-10-20T08:30:00+00:00"),
#: worked out with hashlib outside the product
AMY_TUESDAY_TXID = "c436060c-cb1d-fd9f-c21a-d231c325013f"


def test_transaction_id_is_stable_whatever_the_address_case_or_the_start_zone() -> None:
    """The id a hold is found by again: the same for "Amy.Lee@..." and for 09:30 BST given in London time."""
    london = pd.Timestamp("2026-10-20 09:30", tz="Europe/London")
    assert transaction_id("Amy.Lee@Council.gov.uk", "mornings", london) == AMY_TUESDAY_TXID
    assert transaction_id(AMY, "afternoons", london) != AMY_TUESDAY_TXID
    assert transaction_id(AMY, "mornings", london + pd.Timedelta(days=2)) != AMY_TUESDAY_TXID


def test_past_occurrences_are_not_booked(setup: Path) -> None:
    fake = HoldsGraph()
    code, out, _ = run(setup, fake, "book", "--slots", str(setup / "slots.toml"))
    assert code == 0
    assert "Mon" not in out  # the clock says Mon 19 Oct 12:00: every Tue/Thu of the two weeks is ahead


def test_a_mailbox_that_refuses_is_named_and_the_rest_are_booked(setup: Path) -> None:
    fake = HoldsGraph(refuse=(BEN,))
    code, out, err = book(setup, fake, "--apply", weeks=4)  # 8 holds each: two batches, 4 a mailbox in each
    assert code == 3
    assert err.count("mailbox failed") == 1
    assert f"mailbox failed: {BEN}: HTTP 403 ErrorAccessDenied" in err
    assert [len(fake.holds(p)) for p in (AMY, BEN, CARA)] == [8, 0, 8]
    # Ben's first batch of four was refused one by one; his holds in the second batch were not sent
    assert [b.count(BEN) for b in fake.batches] == [4, 0]
    assert fake.writes.count(("POST", BEN)) == 4
    assert "skipped: mailbox refused" in out
    log = log_of(setup)
    assert [(e["mailbox"], e["outcome"]) for e in log if e["outcome"] != "created"] == [
        (BEN, "failed: HTTP 403 ErrorAccessDenied")] * 4
    assert sorted(e["mailbox"] for e in log if e["outcome"] == "created") == [AMY] * 8 + [CARA] * 8
    # one entry per write (16 created, 4 refused), each its own hold; Ben's skipped holds were never written
    assert len(log) == len({e["transaction_id"] for e in log}) == 20


def test_a_hold_the_person_deleted_is_reported_and_only_restored_when_asked(setup: Path) -> None:
    fake = HoldsGraph()
    book(setup, fake, "--apply")
    fake.events[AMY] = fake.events[AMY][1:]  # Amy deleted her first hold
    code, out, _ = book(setup, fake, "--apply")
    assert code == 0 and "1 deleted by their owner" in out and "not recreated" in out
    assert len(fake.holds(AMY)) == 3
    code, out, _ = book(setup, fake, "--apply", "--restore")
    assert "1 to book" in out and len(fake.holds(AMY)) == 4


def test_unbook_dry_run_sends_nothing(setup: Path) -> None:
    fake = HoldsGraph()
    book(setup, fake, "--apply")
    writes, logged = len(fake.writes), len(log_of(setup))
    code, out, _ = run(setup, fake, "unbook")
    assert code == 0 and "12 holds would be removed" in out
    assert len(fake.writes) == writes and len(fake.batches) == 1 and len(log_of(setup)) == logged
    assert [len(fake.holds(p)) for p in (AMY, BEN, CARA)] == [4, 4, 4]


def test_unbook_removes_only_our_holds_in_batches(setup: Path) -> None:
    fake = HoldsGraph()
    fake.add_meeting(AMY, "m1", "2026-10-20T09:00:00", "2026-10-20T10:00:00")
    fake.add_meeting(AMY, "own-hold", "2026-10-22T08:30:00", "2026-10-22T11:30:00",
                     subject="Protected: direct work")  # looks like ours, but has no property
    book(setup, fake, "--apply", weeks=4)
    fake.batches.clear()
    code, out, _ = run(setup, fake, "unbook", "--apply", weeks=4)
    assert code == 0 and "24 holds removed" in out and f"{AMY}: 8 holds removed" in out
    assert sorted(e["id"] for e in fake.events[AMY]) == ["m1", "own-hold"]
    assert fake.events[BEN] == fake.events[CARA] == []
    # 8 deletes a mailbox, at most 4 of one mailbox in a batch: two batches of twelve
    assert fake.batches == [[AMY] * 4 + [BEN] * 4 + [CARA] * 4] * 2
    assert fake.writes.count(("DELETE", AMY)) == 8


def test_unbook_audit_log_records_each_delete(setup: Path) -> None:
    fake = HoldsGraph()
    book(setup, fake, "--apply")
    ids = {p: [(e["id"], e["transactionId"]) for e in fake.holds(p)] for p in (AMY, BEN, CARA)}
    run(setup, fake, "unbook", "--apply")
    deletes = [e for e in log_of(setup) if e["action"] == "unbook_hold"]
    assert {e["outcome"] for e in deletes} == {"deleted"}
    assert sorted((e["mailbox"], e["event_id"], e["transaction_id"]) for e in deletes) == sorted(
        (p, i, t) for p, pairs in ids.items() for i, t in pairs)
    assert created_earlier(AuditLog(setup / "audit.jsonl")) == set()  # the log knows none is ours any more


def test_unbook_a_mailbox_that_refuses_is_named_and_the_rest_are_removed(setup: Path) -> None:
    fake = HoldsGraph()
    book(setup, fake, "--apply", weeks=4)
    fake.refuse, fake.batches = (BEN,), []
    code, out, err = run(setup, fake, "unbook", "--apply", weeks=4)
    assert code == 3
    assert err.count("mailbox failed") == 1 and f"mailbox failed: {BEN}: HTTP 403 ErrorAccessDenied" in err
    assert [len(fake.holds(p)) for p in (AMY, BEN, CARA)] == [0, 8, 0]
    assert "16 holds removed" in out and BEN not in out
    # Ben's first four deletes were refused one by one; his four in the second batch were not sent
    assert [b.count(BEN) for b in fake.batches] == [4, 0]
    assert fake.writes.count(("DELETE", BEN)) == 4
    deletes = [(e["mailbox"], e["outcome"]) for e in log_of(setup) if e["action"] == "unbook_hold"]
    assert sorted(deletes) == [(AMY, "deleted")] * 8 + [(BEN, "failed: HTTP 403 ErrorAccessDenied")] * 4 + [
        (CARA, "deleted")] * 8


def test_unbook_a_throttled_delete_inside_a_batch_is_resent_after_its_retry_after(setup: Path) -> None:
    fake = HoldsGraph()
    book(setup, fake, "--apply")
    fake.throttle, fake.retry_after, fake.batches = {CARA}, "1.5", []
    settings = load_settings(setup / "calendar-audit.toml")
    window = Window(date(2026, 10, 19), date(2026, 11, 1), settings.timezone)
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    log = AuditLog(setup / "audit.jsonl")
    result = asyncio.run(unbook_holds_async(settings, settings.team(None), window, log, apply=True,
                                            transport=httpx.MockTransport(fake.respond), tokens=StaticTokens(),
                                            sleep=sleep))
    assert waits == [1.5] and result.failures == [] and len(result.removed) == 12
    assert fake.batches == [[AMY] * 4 + [BEN] * 4 + [CARA] * 4, [CARA]]
    assert [e["outcome"] for e in log.entries() if e["action"] == "unbook_hold" and e["outcome"] != "intent"] \
        == ["deleted"] * 12


def test_book_without_a_policy_exits_2_saying_how_to_give_one(setup: Path) -> None:
    code, _, err = run(setup, HoldsGraph(), "book")
    assert code == 2 and "give --slots FILE" in err


def test_a_throttled_write_inside_a_batch_is_resent_after_its_retry_after(setup: Path) -> None:
    fake = HoldsGraph(throttle=(AMY,), retry_after="2.5")
    settings = load_settings(setup / "calendar-audit.toml")
    slots = parse_slots(SLOTS, "slots.toml")
    window = Window(date(2026, 10, 19), date(2026, 11, 1), settings.timezone)
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    log = AuditLog(setup / "audit.jsonl")
    result = asyncio.run(book_holds_async(
        settings, settings.team(None), slots, window, pd.Timestamp("2026-10-19 12:00", tz="UTC"), log, apply=True,
        transport=httpx.MockTransport(fake.respond), tokens=StaticTokens(), sleep=sleep))
    assert waits == [2.5]  # the sub-response's own Retry-After
    assert fake.batches == [[AMY] * 4 + [BEN] * 4 + [CARA] * 4, [AMY]]  # only the throttled one is resent
    assert result.failures == [] and {h.outcome for h in result.holds} == {"created"}
    assert [len(fake.holds(p)) for p in (AMY, BEN, CARA)] == [4, 4, 4]
    assert [e["outcome"] for e in log.entries() if e["outcome"] != "intent"] == ["created"] * 12  # 429: no write


def hold(person: str, n: int) -> Hold:
    start = pd.Timestamp("2026-10-20 08:30", tz="UTC") + pd.Timedelta(days=n)
    return Hold(person, "mornings", start, start + pd.Timedelta(hours=3), f"tx-{person}-{n}")


def test_batches_hold_at_most_twenty_and_four_for_one_mailbox() -> None:
    many = [hold(f"p{i}@council.gov.uk", n) for i in range(10) for n in range(3)]
    assert [len(b) for b in batches(many)] == [20, 10]
    assert all(max(Counter(h.person for h in b).values()) <= 3 for b in batches(many))
    one = [hold(AMY, n) for n in range(9)]
    assert [len(b) for b in batches(one)] == [4, 4, 1]
    assert [h.transaction_id for b in batches(one) for h in b] == [h.transaction_id for h in one]  # plan order


def test_book_checks_allow_against_the_rule_files_before_any_graph_call(setup: Path) -> None:
    slots = str(DATA_SLOTS / "training-afternoons.toml")
    fake = HoldsGraph()
    code, _, err = run(setup, fake, "book", "--slots", slots, "--rules", str(DATA_SLOTS / "rules-no-training.toml"))
    assert code == 2
    assert 'slot "learning-afternoons": allow[1]: unknown category "training"' in err
    assert fake.graph_requests == 0
    code, out, _ = run(setup, fake, "book", "--slots", slots)  # the settings' rules have training
    assert code == 0 and "dry run" in out

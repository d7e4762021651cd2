"""Booking protected-slot holds through a fake Graph (respx; no network): dry run, idempotence, 403, unbook."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
import respx
from rich.console import Console

from calendar_audit.actions import AuditLog
from calendar_audit.actions.holds import PROPERTY_ID, transaction_id
from calendar_audit.cli import main
from calendar_audit.commands.options import Context
from tests.sources.graph_fake import FakeGraph, error_body

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
    """Mailboxes that accept event creation (honouring transactionId) and deletion; identity from FakeGraph."""

    def __init__(self, refuse: tuple[str, ...] = ()) -> None:
        self.identity = FakeGraph()
        self.events: dict[str, list[dict[str, Any]]] = {AMY: [], BEN: [], CARA: []}
        self.refuse = refuse
        self.writes: list[tuple[str, str]] = []
        self.next_id = 0

    def respond(self, request: httpx.Request) -> httpx.Response:
        if request.url.host.startswith("login."):
            return self.identity.respond(request)
        path = unquote(request.url.path).removeprefix("/v1.0/")
        m = re.fullmatch(r"users/([^/]+)/(calendarView|events)(?:/([^/]+))?", path)
        assert m, path
        person, what, event_id = m.group(1).lower(), m.group(2), m.group(3)
        if request.method != "GET":
            self.writes.append((request.method, person))
        if person in self.refuse and request.method != "GET":
            return httpx.Response(403, json=error_body("ErrorAccessDenied"))
        box = self.events[person]
        if what == "calendarView":
            assert "singleValueExtendedProperties" in request.url.params["$expand"]
            start, end = request.url.params["startDateTime"], request.url.params["endDateTime"]
            items = [self._view(e) for e in box
                     if e["start"]["dateTime"] < end[:19] and e["end"]["dateTime"] > start[:19]]
            return httpx.Response(200, json={"value": items})
        if request.method == "POST":
            body = json.loads(request.content)
            same = [e for e in box if e.get("transactionId") == body["transactionId"]]
            if same:  # Graph's own idempotency: the same transactionId creates nothing new
                return httpx.Response(201, json=same[0])
            self.next_id += 1
            event = {**body, "id": f"ev{self.next_id}"}
            box.append(event)
            return httpx.Response(201, json=event)
        if request.method == "DELETE":
            self.events[person] = [e for e in box if e["id"] != event_id]
            return httpx.Response(204)
        raise AssertionError(request)

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


def run(tmp: Path, fake: HoldsGraph, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    ctx = Context(today=date(2026, 10, 19), console=Console(file=out, width=200), err=Console(file=err, width=200),
                  now=lambda: datetime(2026, 10, 19, 12, 0, tzinfo=UTC))
    with respx.mock(assert_all_called=False) as router:
        router.route().mock(side_effect=fake.respond)
        code = main(["slots", *args, "--config", str(tmp / "calendar-audit.toml"), "--from", "2026-10-19",
                     "--weeks", "2"], ctx)
    return code, out.getvalue(), err.getvalue()


def book(tmp: Path, fake: HoldsGraph, *extra: str) -> tuple[int, str, str]:
    return run(tmp, fake, "book", "--slots", str(tmp / "slots.toml"), *extra)


def log_of(tmp: Path) -> list[dict[str, Any]]:
    return AuditLog(tmp / "audit.jsonl").entries()


def test_dry_run_prints_the_plan_and_writes_nothing(setup: Path) -> None:
    fake = HoldsGraph()
    fake.add_meeting(AMY, "m1", "2026-10-20T09:00:00", "2026-10-20T10:00:00")  # 10:00-11:00 BST, in Tue's slot
    code, out, _ = book(setup, fake)
    assert code == 0
    assert fake.writes == [] and log_of(setup) == []
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
    hold = fake.holds(AMY)[0]
    assert hold["start"] == {"dateTime": "2026-10-20T08:30:00", "timeZone": "UTC"}
    assert hold["isReminderOn"] is False and hold["showAs"] == "busy"
    assert hold["subject"] == "Protected: direct work" and hold["categories"] == ["Direct work"]
    txid = transaction_id(AMY, "mornings", datetime(2026, 10, 20, 8, 30, tzinfo=UTC))
    assert hold["transactionId"] == txid
    assert hold["singleValueExtendedProperties"] == [{"id": PROPERTY_ID, "value": txid}]
    assert any(e["id"] == "m1" for e in fake.events[AMY])  # the conflicting meeting is left alone
    log = log_of(setup)
    assert len(log) == 12 and {e["outcome"] for e in log} == {"created"}
    assert log[0].keys() >= {"time", "mailbox", "action", "event_id", "transaction_id", "outcome"}


def test_past_occurrences_are_not_booked(setup: Path) -> None:
    fake = HoldsGraph()
    code, out, _ = run(setup, fake, "book", "--slots", str(setup / "slots.toml"))
    assert code == 0
    assert "Mon" not in out  # the clock says Mon 19 Oct 12:00: every Tue/Thu of the two weeks is ahead


def test_a_mailbox_that_refuses_is_named_and_the_rest_are_booked(setup: Path) -> None:
    fake = HoldsGraph(refuse=(BEN,))
    code, _, err = book(setup, fake, "--apply")
    assert code == 3
    assert f"mailbox failed: {BEN}: HTTP 403 ErrorAccessDenied" in err
    assert [len(fake.holds(p)) for p in (AMY, BEN, CARA)] == [4, 0, 4]
    assert fake.writes.count(("POST", BEN)) == 1  # one refusal, then the mailbox is left alone
    failed = [e for e in log_of(setup) if e["outcome"] != "created"]
    assert [(e["mailbox"], e["outcome"]) for e in failed] == [(BEN, "failed: HTTP 403 ErrorAccessDenied")]


def test_a_hold_the_person_deleted_is_reported_and_only_restored_when_asked(setup: Path) -> None:
    fake = HoldsGraph()
    book(setup, fake, "--apply")
    fake.events[AMY] = fake.events[AMY][1:]  # Amy deleted her first hold
    code, out, _ = book(setup, fake, "--apply")
    assert code == 0 and "1 deleted by their owner" in out and "not recreated" in out
    assert len(fake.holds(AMY)) == 3
    code, out, _ = book(setup, fake, "--apply", "--restore")
    assert "1 to book" in out and len(fake.holds(AMY)) == 4


def test_unbook_removes_only_our_holds(setup: Path) -> None:
    fake = HoldsGraph()
    fake.add_meeting(AMY, "m1", "2026-10-20T09:00:00", "2026-10-20T10:00:00")
    fake.add_meeting(AMY, "own-hold", "2026-10-22T08:30:00", "2026-10-22T11:30:00",
                     subject="Protected: direct work")  # looks like ours, but has no property
    book(setup, fake, "--apply")
    code, out, _ = run(setup, fake, "unbook")
    assert code == 0 and "12 holds would be removed" in out and len(fake.holds(AMY)) == 4
    code, out, _ = run(setup, fake, "unbook", "--apply")
    assert code == 0 and "12 holds removed" in out
    assert sorted(e["id"] for e in fake.events[AMY]) == ["m1", "own-hold"]
    assert [e["outcome"] for e in log_of(setup) if e["action"] == "unbook_hold"] == ["deleted"] * 12


def test_book_without_a_policy_exits_2_saying_how_to_give_one(setup: Path) -> None:
    code, _, err = run(setup, HoldsGraph(), "book")
    assert code == 2 and "give --slots FILE" in err

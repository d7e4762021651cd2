"""`calendar-audit enforce` against a fake Graph (respx, HTTPS URLs, no network): sync, then answer invitations
that land in protected slots once, with a time free for both people and outside every protected slot."""

from __future__ import annotations

import csv
import importlib.util
import json
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import respx
from httpx import Response
from rich.console import Console

from calendar_audit.actions import AuditLog
from calendar_audit.cli import main
from calendar_audit.commands.options import Context
from calendar_audit.enforce import actions_for, get_preference, set_preference, undo
from calendar_audit.settings import load_settings


def _graph_fake() -> Any:
    if "graph_fake" in sys.modules:
        return sys.modules["graph_fake"]
    spec = importlib.util.spec_from_file_location("graph_fake", Path(__file__).resolve().parents[1] / "sources"
                                                  / "graph_fake.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    sys.modules["graph_fake"] = module
    spec.loader.exec_module(module)
    return module


graph_fake = _graph_fake()
AMY, BEN, CHAIR = "amy.lee@council.gov.uk", "ben.ode@council.gov.uk", "chair@council.gov.uk"
OUTSIDER = "someone@partner.org.uk"
TODAY = date(2026, 11, 2)  # Monday; GMT, so local times are UTC times
NOW = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
CHILD = ("Jayden", "Smith")
ANSWER = r"https://graph\.microsoft\.com/v1\.0/users/[^/]+/events/[^/]+/(decline|tentativelyAccept|accept)$"
SCHEDULE = r"https://graph\.microsoft\.com/v1\.0/users/[^/]+/calendar/getSchedule$"
BATCH = "https://graph.microsoft.com/v1.0/$batch"


def attendee(address: str) -> dict[str, Any]:
    return {"type": "required", "status": {"response": "none"}, "emailAddress": {"address": address, "name": ""}}


def invite(owner: str, event_id: str, start: str, end: str, subject: str, response: str = "notResponded",
           organizer: str = CHAIR, change_key: str = "ck1", allow_new: bool = True) -> dict[str, Any]:
    return graph_fake.graph_event(
        event_id, start, end, subject=subject, responseStatus={"response": response},
        organizer={"emailAddress": {"address": organizer}}, attendees=[attendee(owner), attendee(organizer)],
        changeKey=change_key, allowNewTimeProposals=allow_new)


def fake_team() -> Any:
    fake = graph_fake.FakeGraph()
    for ev in (
        invite(AMY, "AAMk-new", "2026-11-03T10:00:00", "2026-11-03T11:00:00", "Panel for Jayden Smith"),
        invite(AMY, "AAMk-cp", "2026-11-05T10:00:00", "2026-11-05T11:00:00", "Core group - Smith family"),
        invite(AMY, "AAMk-own", "2026-11-03T11:00:00", "2026-11-03T12:00:00", "Catch up", response="organizer",
               organizer=AMY),
        invite(AMY, "AAMk-ans", "2026-11-05T11:00:00", "2026-11-05T12:00:00", "Catch up", response="accepted"),
        invite(AMY, "AAMk-past", "2026-10-27T10:00:00", "2026-10-27T11:00:00", "Catch up"),
        # her afternoon: a home visit she booked, 14:00-15:00
        invite(AMY, "AAMk-hv", "2026-11-03T14:00:00", "2026-11-03T15:00:00", "Home visit", response="organizer",
               organizer=AMY),
    ):
        fake.put(AMY, ev)
    fake.put(BEN, invite(BEN, "BEN-new", "2026-11-03T10:00:00", "2026-11-03T11:00:00", "Panel for Jayden Smith"))
    return fake


def write_config(tmp_path: Path, level: str = "decline") -> Path:
    path = tmp_path / "calendar-audit.toml"
    path.write_text(
        f'output_dir = "{(tmp_path / "out").as_posix()}"\n'
        f'audit_log = "{(tmp_path / "audit.jsonl").as_posix()}"\n'
        '[graph]\ntenant_id = "contoso-tenant"\nclient_id = "app-id"\nclient_secret = "s3cr3t"\n'
        f'[store]\npath = "{(tmp_path / "store.sqlite3").as_posix()}"\n'
        f'[[teams]]\nname = "evolve"\nmembers = ["{AMY}", "{BEN}"]\n'
        '[[teams.protected_slots]]\nname = "direct-work-mornings"\ndays = ["tue", "thu"]\nstart = "09:30"\n'
        f'end = "12:30"\nallow = ["direct_work", "statutory"]\nenforce = "{level}"\n', encoding="utf-8")
    return path


class Writes:
    """Records the answers sent (in $batch or alone) and serves getSchedule: the chair is busy Tue 12:30-13:30."""

    def __init__(self, refuse: tuple[str, ...] = ()) -> None:
        self.answers: list[tuple[str, str, str, dict[str, Any]]] = []  # (mailbox, event id, action, body)
        self.schedules: list[dict[str, Any]] = []
        self.refuse = refuse

    def batch(self, request: Any) -> Response:
        replies = []
        for sub in json.loads(request.content)["requests"]:
            _, _, mailbox, _, event_id, action = sub["url"].split("/")
            if mailbox in self.refuse:
                replies.append({"id": sub["id"], "status": 403, "body": graph_fake.error_body("ErrorAccessDenied")})
                continue
            self.answers.append((mailbox, event_id, action, sub["body"]))
            replies.append({"id": sub["id"], "status": 202, "body": None})
        return Response(200, json={"responses": replies})

    def single(self, request: Any) -> Response:
        parts = request.url.path.split("/")
        self.answers.append((parts[-4], parts[-2], parts[-1], json.loads(request.content)))
        return Response(202)

    def schedule(self, request: Any) -> Response:
        body = json.loads(request.content)
        self.schedules.append(body)
        return Response(200, json={"value": [{
            "scheduleId": who, "availabilityView": "",
            "scheduleItems": [{"status": "busy", "start": {"dateTime": "2026-11-03T12:30:00.0000000",
                                                            "timeZone": "UTC"},
                               "end": {"dateTime": "2026-11-03T13:30:00.0000000", "timeZone": "UTC"}}]
            if who == CHAIR else []} for who in body["schedules"]]})


def run(tmp_path: Path, fake: Any, writes: Writes, *args: str, command: str = "enforce",
        level: str = "decline") -> tuple[int, str, str]:
    out = Console(record=True, width=220)
    err = Console(record=True, width=220)
    ctx = Context(today=TODAY, console=out, err=err, now=lambda: NOW)
    config = write_config(tmp_path, level)
    with respx.mock(assert_all_called=False) as router:
        router.post(BATCH).mock(side_effect=writes.batch)
        router.post(url__regex=ANSWER).mock(side_effect=writes.single)
        router.post(url__regex=SCHEDULE).mock(side_effect=writes.schedule)
        router.route().mock(side_effect=fake.respond)
        if command == "sync":
            code = main(["sync", "--config", str(config)], ctx)
        else:
            code = main([command, "--config", str(config), *args], ctx)
    return code, out.export_text(), err.export_text()


def synced(tmp_path: Path, fake: Any, level: str = "decline") -> None:
    code, _, err = run(tmp_path, fake, Writes(), command="sync", level=level)
    assert code == 0, err


def test_decline_is_sent_once_with_a_time_free_for_both_and_outside_protected_slots(tmp_path):
    fake = fake_team()
    synced(tmp_path, fake)
    writes = Writes()
    code, out, err = run(tmp_path, fake, writes, "--apply")
    assert code == 0, err
    assert [(m, e, a) for m, e, a, _ in writes.answers] == [(AMY, "AAMk-new", "decline"), (BEN, "BEN-new", "decline")]
    body = writes.answers[0][3]
    # 10:00 is in the slot; 12:30 the chair is busy; 13:30-14:30 meets Amy's home visit at 14:00: 15:00-16:00
    assert body["proposedNewTime"] == {"start": {"dateTime": "2026-11-03T15:00:00", "timeZone": "UTC"},
                                       "end": {"dateTime": "2026-11-03T16:00:00", "timeZone": "UTC"}}
    assert body["sendResponse"] is True
    assert 'protected-slot policy ("direct-work-mornings")' in body["comment"]
    assert not any(w.lower() in body["comment"].lower() for w in (*CHILD, "panel", CHAIR, AMY))
    assert writes.schedules[0]["schedules"] == [CHAIR]
    log = AuditLog(tmp_path / "audit.jsonl").entries()
    assert sorted((e["mailbox"], e["event_id"], e["action"], e["outcome"]) for e in log) == [
        (AMY, "AAMk-new", "decline", "sent"), (BEN, "BEN-new", "decline", "sent")]
    assert "2 answered, 0 noted without a write, 0 held by the daily cap, 0 failed" in out
    # a second run (even after another sync) does nothing: the versions answered are journalled
    synced(tmp_path, fake)
    again = Writes()
    code, out, _ = run(tmp_path, fake, again, "--apply")
    assert code == 0 and again.answers == [] and again.schedules == []
    assert "0 answered" in out


def test_statutory_self_organised_answered_and_past_invitations_are_never_touched(tmp_path):
    fake = fake_team()
    synced(tmp_path, fake)
    code, _, _ = run(tmp_path, fake, Writes())
    rows = list(csv.DictReader((tmp_path / "out" / "enforcement_plan.csv").open(encoding="utf-8-sig")))
    assert code == 0
    assert {(r["person"], r["event_id"], r["action"], r["outcome"]) for r in rows} == {
        (AMY, "AAMk-new", "decline", "would_send"), (BEN, "BEN-new", "decline", "would_send")}
    assert not any(w in json.dumps(rows) for w in CHILD)


def test_a_dry_run_writes_nothing_and_journals_nothing(tmp_path):
    fake = fake_team()
    synced(tmp_path, fake)
    writes = Writes()
    code, out, _ = run(tmp_path, fake, writes)
    assert code == 0 and writes.answers == []
    assert "Plan (dry run: nothing is sent; add --apply to send)" in out
    assert "2 to answer, 0 to note without a write, 0 held by the daily cap" in out
    assert not (tmp_path / "audit.jsonl").exists()
    code, out, _ = run(tmp_path, fake, writes)  # nothing was journalled: the plan is the same
    assert "2 to answer" in out


def test_a_person_who_chose_notify_gets_no_write_only_the_entry(tmp_path):
    fake = fake_team()
    synced(tmp_path, fake)
    settings = load_settings(write_config(tmp_path))
    set_preference(settings, BEN, "notify", now=pd.Timestamp(NOW))
    assert get_preference(settings, BEN) == "notify"
    writes = Writes()
    code, out, _ = run(tmp_path, fake, writes, "--apply")
    assert code == 0
    assert [(m, e) for m, e, _, _ in writes.answers] == [(AMY, "AAMk-new")]
    assert "lowered by preference (notify)" in out
    [entry] = actions_for(settings, BEN)
    assert (entry.event_id, entry.action, entry.why, entry.outcome) == ("BEN-new", "notify", "preference", "noted")


def test_a_changed_invitation_is_considered_again_and_a_slot_set_to_tentative_answers_tentatively(tmp_path):
    fake = fake_team()
    synced(tmp_path, fake, level="tentative")
    first = Writes()
    run(tmp_path, fake, first, "--apply", level="tentative")
    assert {a for _, _, a, _ in first.answers} == {"tentativelyAccept"}
    # the organiser moves Ben's meeting (a new changeKey); he has not answered the new version
    fake.put(BEN, invite(BEN, "BEN-new", "2026-11-05T10:30:00", "2026-11-05T11:30:00", "Panel", change_key="ck2",
                         allow_new=False))
    synced(tmp_path, fake, level="tentative")
    second = Writes()
    run(tmp_path, fake, second, "--apply", level="tentative")
    [(mailbox, event_id, action, body)] = second.answers
    assert (mailbox, event_id, action) == (BEN, "BEN-new", "tentativelyAccept")
    # no new-time proposals allowed: the time is named in the note instead
    assert "proposedNewTime" not in body
    assert "Could we meet on Thursday 5 November, 12:30-13:30 instead?" in body["comment"]


def test_a_refusing_mailbox_is_named_with_exit_3_and_the_rest_proceed(tmp_path):
    fake = fake_team()
    synced(tmp_path, fake)
    writes = Writes(refuse=(BEN,))
    code, out, err = run(tmp_path, fake, writes, "--apply")
    assert code == 3
    assert "1 answered, 0 noted without a write, 0 held by the daily cap, 1 failed" in out
    assert f"calendar-audit: mailbox failed: {BEN}: HTTP 403 ErrorAccessDenied" in err
    assert [(m, e) for m, e, _, _ in writes.answers] == [(AMY, "AAMk-new")]
    # Ben's failed answer is not journalled as done: the next run tries it again
    retry = Writes()
    run(tmp_path, fake, retry, "--apply")
    assert [(m, e) for m, e, _, _ in retry.answers] == [(BEN, "BEN-new")]


def test_undo_sends_one_accept_and_records_it(tmp_path):
    fake = fake_team()
    synced(tmp_path, fake)
    run(tmp_path, fake, Writes(), "--apply")
    settings = load_settings(write_config(tmp_path))
    writes = Writes()
    with respx.mock(assert_all_called=False) as router:
        router.post(url__regex=ANSWER).mock(side_effect=writes.single)
        router.route().mock(side_effect=fake.respond)
        assert undo(settings, AMY, "AAMk-new", now=pd.Timestamp(NOW)) == "sent"
        assert undo(settings, AMY, "AAMk-new", now=pd.Timestamp(NOW)) == "already_undone"
        assert undo(settings, AMY, "AAMk-cp", now=pd.Timestamp(NOW)) == "not_enforced"
    assert [(m, e, a) for m, e, a, _ in writes.answers] == [(AMY, "AAMk-new", "accept")]
    entries = actions_for(settings, AMY)
    assert [(e.action, e.outcome) for e in entries] == [("accept", "sent"), ("decline", "sent")]
    assert entries[1].undone
    log = AuditLog(tmp_path / "audit.jsonl").entries()
    assert [(e["event_id"], e["action"], e["outcome"]) for e in log][-1] == ("AAMk-new", "accept", "sent")

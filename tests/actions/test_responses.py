"""Answering suggestions through Graph (respx; no network): one decline per chosen meeting, dry run, never twice."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

import respx
from httpx import Response
from rich.console import Console

from calendar_audit.actions import AuditLog
from calendar_audit.actions.responses import ResponsePlan, send_responses_async
from calendar_audit.cli import main
from calendar_audit.commands.options import Context
from calendar_audit.settings import Settings


def _graph_fake() -> Any:
    """tests/sources/graph_fake.py, the fake Graph the source tests use (tests/ is not a package)."""
    if "graph_fake" in sys.modules:
        return sys.modules["graph_fake"]
    spec = importlib.util.spec_from_file_location("graph_fake", Path(__file__).resolve().parents[1] / "sources"
                                                  / "graph_fake.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["graph_fake"] = module
    spec.loader.exec_module(module)
    return module


graph_fake = _graph_fake()

AMY, BEN = "amy.lee@council.gov.uk", "ben.ode@council.gov.uk"
CHAIR = "chair@council.gov.uk"
TODAY = date(2026, 11, 2)
ANSWER = r"https://graph\.microsoft\.com/v1\.0/(users/[^/]+|me)/events/([^/]+)/(decline|tentativelyAccept)$"
CHILD = ("Jayden", "Smith")


def person(address: str, kind: str = "required") -> dict[str, Any]:
    return {"type": kind, "status": {"response": "none"}, "emailAddress": {"address": address, "name": ""}}


def invite(event_id: str, start: str, end: str, subject: str, response: str = "accepted",
           optional: bool = False, organizer: str = CHAIR) -> dict[str, Any]:
    return graph_fake.graph_event(
        event_id, start, end, subject=subject, responseStatus={"response": response},
        organizer={"emailAddress": {"address": organizer}},
        attendees=[person(AMY, "optional" if optional else "required"), person(CHAIR)],
    )


def fake_team() -> Any:
    """Amy's fortnight from Mon 2 Nov 2026: two meetings she could decline, three she never should."""
    fake = graph_fake.FakeGraph()
    for ev in (
        invite("AAMk-opt=", "2026-11-03T14:00:00", "2026-11-03T15:00:00", "Panel for Jayden Smith", optional=True),
        invite("AAMk-catch", "2026-11-04T10:00:00", "2026-11-04T10:30:00", "Catch up re Jayden Smith"),
        invite("AAMk-cp", "2026-11-05T10:00:00", "2026-11-05T11:00:00", "Core group - Smith family", optional=True),
        invite("AAMk-own", "2026-11-05T14:00:00", "2026-11-05T15:00:00", "Catch up", response="organizer",
               organizer=AMY),
        invite("AAMk-no", "2026-11-06T10:00:00", "2026-11-06T11:00:00", "Catch up", response="declined"),
    ):
        fake.put(AMY, ev)
    fake.put(BEN, graph_fake.graph_event("ben-1", "2026-11-03T10:00:00", "2026-11-03T11:00:00"))
    return fake


def write_config(tmp_path: Path) -> Path:
    path = tmp_path / "calendar-audit.toml"
    path.write_text(
        'output_dir = "out"\n'
        f'audit_log = "{(tmp_path / "audit.jsonl").as_posix()}"\n'
        '[graph]\ntenant_id = "contoso-tenant"\nclient_id = "app-id"\nclient_secret = "s3cr3t"\n'
        f'[[teams]]\nname = "evolve"\nmembers = ["{AMY}", "{BEN}"]\n', encoding="utf-8")
    return path


def run_cli(tmp_path: Path, fake: Any, *extra: str, status: dict[str, int] | None = None) -> tuple[int, list, str]:
    """Run suggest against the fake Graph; returns (exit code, answer requests, console text)."""
    sent: list = []

    def answer(request, **_: Any) -> Response:
        sent.append(request)
        event_id = request.url.path.split("/")[-2]
        return Response((status or {}).get(event_id, 202))

    console = Console(record=True, width=200)
    ctx = Context(today=TODAY, console=console, err=console)
    with respx.mock(assert_all_called=False) as router:
        router.post(url__regex=ANSWER).mock(side_effect=answer)
        router.route().mock(side_effect=fake.respond)
        code = main(["suggest", "--config", str(write_config(tmp_path)), "--source", "graph", "--person", AMY,
                     "--out", str(tmp_path / "out"), *extra], ctx)
    return code, sent, console.export_text()


def answered(requests: list) -> list[tuple[str, str]]:
    return [(r.url.path.split("/")[-2], r.url.path.split("/")[-1]) for r in requests]


def test_decline_apply_sends_one_decline_per_chosen_meeting_with_the_draft_and_no_subject(tmp_path):
    code, sent, text = run_cli(tmp_path, fake_team(), "--respond", "decline", "--apply")
    assert code == 0, text
    assert sorted(answered(sent)) == [("AAMk-catch", "decline"), ("AAMk-opt=", "decline")]
    assert b"/events/AAMk-opt%3D/decline" in b" ".join(r.url.raw_path for r in sent)  # ids are path-escaped
    rows = {r["event_id"]: r for r in csv_rows(tmp_path / "out" / "suggestions.csv")}
    for request in sent:
        body = json.loads(request.content)
        event_id = request.url.path.split("/")[-2]
        assert request.url.path.startswith(f"/v1.0/users/{AMY}/events/")
        assert body == {"comment": rows[event_id]["reply"], "sendResponse": True}
        assert not any(word.lower() in body["comment"].lower() for word in (*CHILD, "panel", "core group"))
    log = AuditLog(tmp_path / "audit.jsonl").entries()
    assert sorted((e["event_id"], e["action"], e["outcome"]) for e in log) == [
        ("AAMk-catch", "decline", "sent"), ("AAMk-opt=", "decline", "sent")]


def test_without_apply_nothing_is_sent_or_logged(tmp_path):
    code, sent, text = run_cli(tmp_path, fake_team(), "--respond", "decline")
    assert code == 0
    assert sent == []
    assert "would send POST /users/amy.lee@council.gov.uk/events/AAMk-catch/decline" in text
    assert "dry run: nothing was sent" in text
    assert not (tmp_path / "audit.jsonl").exists()


def test_a_second_run_sends_nothing(tmp_path):
    fake = fake_team()
    run_cli(tmp_path, fake, "--respond", "decline", "--apply")
    code, sent, text = run_cli(tmp_path, fake, "--respond", "decline", "--apply")
    assert code == 0
    assert sent == []
    assert text.count("already answered") == 2


def test_one_failure_is_reported_the_others_still_go_and_it_is_retried_next_time(tmp_path):
    fake = fake_team()
    code, sent, text = run_cli(tmp_path, fake, "--respond", "tentative", "--apply", status={"AAMk-catch": 403})
    assert code == 3
    assert sorted(answered(sent)) == [("AAMk-catch", "tentativelyAccept"), ("AAMk-opt=", "tentativelyAccept")]
    assert "response failed: POST /users/amy.lee@council.gov.uk/events/AAMk-catch/tentativelyAccept: HTTP 403" in text
    outcomes = {e["event_id"]: e["outcome"] for e in AuditLog(tmp_path / "audit.jsonl").entries()}
    assert outcomes == {"AAMk-catch": "failed: HTTP 403", "AAMk-opt=": "sent"}
    code, sent, _ = run_cli(tmp_path, fake, "--respond", "tentative", "--apply")
    assert (code, answered(sent)) == (0, [("AAMk-catch", "tentativelyAccept")])


def test_event_chooses_which_meetings_and_an_exempt_one_is_refused(tmp_path):
    code, sent, _ = run_cli(tmp_path, fake_team(), "--respond", "decline", "--apply", "--event", "AAMk-catch")
    assert (code, answered(sent)) == (0, [("AAMk-catch", "decline")])
    for event_id, why in (("AAMk-cp", "statutory"), ("AAMk-own", "you organise it"),
                          ("AAMk-no", "already declined")):
        code, sent, text = run_cli(tmp_path, fake_team(), "--respond", "decline", "--apply", "--event", event_id)
        assert (code, sent) == (2, [])
        assert f"--event {event_id}: not answered" in text and why in text


def test_min_score_keeps_only_higher_scores(tmp_path):
    # the optional panel scores 3.1 (no clear purpose: no rule, no agenda; optional); the catch-up 1.6
    code, sent, _ = run_cli(tmp_path, fake_team(), "--respond", "decline", "--apply", "--min-score", "2")
    assert (code, answered(sent)) == (0, [("AAMk-opt=", "decline")])


def test_apply_on_a_source_without_graph_ids_is_refused(tmp_path, in_tmp):
    console = Console(record=True, width=200)
    code = main(["suggest", "--person", "priya.shah@demo-council.gov.uk", "--out", str(tmp_path / "o"),
                 "--respond", "decline", "--apply"], Context(today=TODAY, console=console, err=console))
    assert code == 2
    assert "--apply: answering needs Microsoft 365 event ids" in console.export_text()


class StaticTokens:
    """A signed-in user's token, as delegated sign-in would give it."""

    async def get_authorization_token(self, uri: str, additional_authentication_context: Any = None) -> str:
        return "user-token"

    def get_allowed_hosts_validator(self) -> Any:
        from kiota_abstractions.authentication import AllowedHostsValidator

        return AllowedHostsValidator(["graph.microsoft.com"])


def test_me_answers_through_the_signed_in_users_own_calendar(tmp_path):
    log = AuditLog(tmp_path / "audit.jsonl")
    plan = ResponsePlan(AMY, "AAMk-1", "decline", "Thanks, I'll read the notes.")
    with respx.mock(assert_all_called=True) as router:
        route = router.post("https://graph.microsoft.com/v1.0/me/events/AAMk-1/decline").respond(202)
        outcomes = asyncio.run(send_responses_async([plan, plan], Settings(), log, apply=True, me=True,
                                                    tokens=StaticTokens()))
    assert route.call_count == 1
    assert route.calls[0].request.headers["authorization"] == "Bearer user-token"
    assert [o.outcome for o in outcomes] == ["sent"]
    assert log.entries()[0]["via"] == "me"


def csv_rows(path: Path) -> list[dict[str, str]]:
    import csv

    with path.open(newline="", encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))

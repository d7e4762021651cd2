"""Issue 11 in the service: what enforcement did on `/` (undo once, your preference, capped by the policy, 403 on
anyone else's), a saved policy version changing what enforcement plans, and the scheduler's enforcement and digest
after a sync (one digest per person, a second run sends nothing)."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import re
import sqlite3
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import respx
from httpx import Response
from service_helpers import MANAGER, OTHER, PRACTITIONER, Clock, text_of

from calendar_audit.enforce import enforce_async
from calendar_audit.service.enforcement import accept_after_all, demo_arrivals, demo_now, home_section
from calendar_audit.service.scheduler import Scheduler
from calendar_audit.service.state import ServiceState
from calendar_audit.settings import load_settings
from calendar_audit.slots.saved import save, team_policy

ACCEPT = re.compile(r'action="/enforcement/accept"><input type="hidden" name="csrf" value="[^"]+">'
                    r'<input type="hidden" name="event_id" value="([^"]+)"')


def enforcement_cli() -> Any:
    """tests/enforce/test_enforce_cli.py: its fake team, config and Graph fakes."""
    if "test_enforce_cli" in sys.modules:
        return sys.modules["test_enforce_cli"]
    path = Path(__file__).resolve().parents[1] / "enforce" / "test_enforce_cli.py"
    spec = importlib.util.spec_from_file_location("test_enforce_cli", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["test_enforce_cli"] = module
    spec.loader.exec_module(module)
    return module


def journal_rows(state: ServiceState, person: str) -> list[tuple]:
    conn = sqlite3.connect(state.store)
    try:
        return conn.execute("SELECT event_id, action, outcome FROM enforcement_journal WHERE person=? ORDER BY id",
                            (person,)).fetchall()
    finally:
        conn.close()


def section(html: str, name: str) -> str:
    found = re.search(rf'<section class="card" id="{name}">(.*?)</section>', html, flags=re.S)
    assert found, f"no #{name} section"
    return found.group(1)


# --- / in the demo -------------------------------------------------------------------------------------------------
def test_practitioner_sees_what_enforcement_did_when_and_the_proposed_time_never_the_subject(demo_client, demo_state):
    c = demo_client()
    c.sign_in_demo(PRACTITIONER)
    full = c.get("/").text
    html = section(full, "enforcement")
    [(event_id, action, outcome)] = journal_rows(demo_state, PRACTITIONER)
    # the same meeting among the suggestions is shown as answered, with no buttons of its own
    assert "Declined for you by enforcement." in text_of(section(full, "suggestions"))
    assert f'name="event_id" value="{event_id}"' not in section(full, "suggestions")
    assert (action, outcome) == ("decline", "demo")
    text = text_of(html)
    assert "Thu 29 Oct 10:00-11:00 Declined (demo: nothing sent) · on Mon 26 Oct 07:00" in text
    assert "Proposed instead: Fri 30 Oct 09:00-10:00." in text
    assert ACCEPT.findall(html) == [event_id]
    events = demo_state.demo_data().events
    subject = events.loc[events["event_id"] == event_id, "subject"].iloc[0]
    assert subject and subject not in html
    # nothing was ever sent: the demo writes no audit log (every real write goes there)
    assert not Path(demo_state.settings.audit_log).exists()


def test_accept_after_all_is_journalled_once_and_the_button_goes(demo_client, demo_state):
    c = demo_client()
    c.sign_in_demo(PRACTITIONER)
    [event_id] = ACCEPT.findall(c.get("/").text)
    token = c.csrf()
    r = c.post("/enforcement/accept", data={"csrf": token, "event_id": event_id})
    assert (r.status_code, r.headers["location"]) == (303, "/#enforcement")
    assert journal_rows(demo_state, PRACTITIONER) == [(event_id, "decline", "demo"), (event_id, "accept", "demo")]
    html = section(c.get("/").text, "enforcement")
    assert "Accepted after all." in text_of(html) and ACCEPT.findall(html) == []
    assert c.post("/enforcement/accept", data={"csrf": token, "event_id": event_id}).status_code == 303
    assert len(journal_rows(demo_state, PRACTITIONER)) == 2  # once


def test_undoing_someone_elses_answer_or_without_the_csrf_token_is_refused(demo_client, demo_state):
    priya, daniel = demo_client(), demo_client()
    priya.sign_in_demo(PRACTITIONER)
    [event_id] = ACCEPT.findall(priya.get("/").text)
    daniel.sign_in_demo(OTHER)
    assert daniel.post("/enforcement/accept", data={"csrf": daniel.csrf(), "event_id": event_id}).status_code == 403
    assert priya.post("/enforcement/accept", data={"event_id": event_id}).status_code == 403
    assert priya.post("/enforcement/accept", data={"csrf": daniel.csrf(), "event_id": event_id}).status_code == 403
    assert [a for _, a, _ in journal_rows(demo_state, PRACTITIONER)] == ["decline"]
    assert daniel.post("/enforcement/preference", data={"csrf": daniel.csrf(), "level": "everything"}
                       ).status_code == 403


def test_your_preference_is_saved_for_you_alone_and_the_policy_caps_it(demo_client, demo_state):
    c = demo_client()
    c.sign_in_demo(PRACTITIONER)
    page = text_of(section(c.get("/").text, "preference"))
    assert "lets enforcement go as far as decline" in page and "In force for you now: decline" in page
    r = c.post("/enforcement/preference", data={"csrf": c.csrf(), "level": "tentative"})
    assert (r.status_code, r.headers["location"]) == (303, "/#preference")
    html = section(c.get("/").text, "preference")
    assert 'id="level-tentative" name="level" value="tentative" checked' in html
    assert "In force for you now: tentative" in text_of(html)
    conn = sqlite3.connect(demo_state.store)
    assert conn.execute("SELECT person, enforce_level FROM preferences").fetchall() == [(PRACTITIONER, "tentative")]
    # the manager lowers the policy to notify on the policy page: Priya's tentative is capped
    m = demo_client()
    m.sign_in_demo(MANAGER)
    m.post("/teams/demo/policy", data=policy_form(m, enforce="notify"))
    page = text_of(section(c.get("/").text, "preference"))
    assert "lets enforcement go as far as notify" in page and "In force for you now: notify" in page
    assert "Tentative: answer tentatively, proposing a better time (the policy caps this at notify)" in page
    c.post("/enforcement/preference", data={"csrf": c.csrf(), "level": ""})  # follow the policy again
    assert conn.execute("SELECT COUNT(*) FROM preferences").fetchone() == (0,)


def policy_form(c, enforce: str) -> dict:
    return {"csrf": c.csrf("/teams/demo/policy"), "slot-1-name": "direct-work-mornings",
            "slot-1-days": ["tue", "thu"], "slot-1-start": "09:30", "slot-1-end": "12:30",
            "slot-1-allow": ["direct_work", "statutory"], "slot-1-since": "2026-10-05", "slot-1-enforce": enforce,
            "action": "save"}


def test_a_version_saved_on_the_policy_page_changes_what_enforcement_plans(demo_client, demo_state):
    team = demo_state.settings.teams[0]
    data = demo_arrivals(demo_state.demo_data())

    def planned() -> set[str]:
        run = asyncio.run(enforce_async(demo_state.settings, team, now=demo_now(demo_state), data=data))
        return {d.action for d in run.decisions}

    m = demo_client()
    m.sign_in_demo(MANAGER)
    assert 'value="decline" selected' in m.get("/teams/demo/policy").text  # version 1: the demo's own policy
    assert planned() == {"decline"}
    r = m.post("/teams/demo/policy", data=policy_form(m, enforce="tentative"))
    assert r.headers["location"] == "/teams/demo/policy?saved=2"
    assert planned() == {"tentative"}
    assert [s.enforce for s in team_policy(demo_state.settings, team)] == ["tentative"]
    history = text_of(m.get("/teams/demo/policy").text)
    assert "direct-work-mornings (tue, thu 09:30-12:30) enforce tentative" in history
    assert "direct-work-mornings (tue, thu 09:30-12:30) enforce decline" in history


# --- a saved version and the command line ------------------------------------------------------------------------
def test_enforce_command_plans_with_the_newest_saved_version_and_the_settings_without_one(tmp_path):
    cli = enforcement_cli()
    fake = cli.fake_team()
    cli.synced(tmp_path, fake)
    code, out, _ = cli.run(tmp_path, fake, cli.Writes())
    assert code == 0 and "decline" in out and "tentative" not in out  # the settings' level
    settings = load_settings(tmp_path / "calendar-audit.toml")
    raw = [{"name": "direct-work-mornings", "days": ["tue", "thu"], "start": "09:30", "end": "12:30",
            "allow": ["direct_work", "statutory"], "enforce": "tentative"}]
    conn = sqlite3.connect(settings.store.path)
    with conn:
        save(conn, "evolve", raw, "mo.khan@council.gov.uk", datetime(2026, 11, 1, tzinfo=UTC))
    conn.close()
    code, out, _ = cli.run(tmp_path, fake, cli.Writes())
    assert code == 0 and "tentative" in out and "2 to answer" in out


def test_slots_check_measures_the_newest_saved_version_and_the_settings_without_one(tmp_path):
    from rich.console import Console

    from calendar_audit.cli import main
    from calendar_audit.commands.options import Context

    cli = enforcement_cli()
    config = cli.write_config(tmp_path)

    def check() -> str:
        out = Console(record=True, width=220)
        ctx = Context(today=cli.TODAY, console=out, err=Console(record=True, width=220), now=lambda: cli.NOW)
        code = main(["slots", "check", "--config", str(config), "--source", "store", "--from", "2026-10-26",
                     "--to", "2026-11-08", "--allow-small-team"], ctx)
        assert code == 0, out.export_text()
        return out.export_text()

    cli.synced(tmp_path, cli.fake_team())
    assert "direct-work-mornings: tue, thu 09:30-12:30" in check()  # no version saved: the settings' slots
    conn = sqlite3.connect(tmp_path / "store.sqlite3")
    with conn:
        save(conn, "evolve", [{"name": "visit-afternoons", "days": ["wed"], "start": "13:00", "end": "16:00",
                               "allow": ["direct_work"]}], "mo.khan@council.gov.uk", datetime(2026, 11, 1, tzinfo=UTC))
    conn.close()
    text = check()
    assert "visit-afternoons: wed 13:00-16:00" in text and "direct-work-mornings" not in text


# --- the scheduler ---------------------------------------------------------------------------------------------------
def test_a_scheduled_sync_is_followed_by_enforcement_and_one_digest_per_person_and_a_second_run_sends_none(tmp_path):
    cli = enforcement_cli()
    fake = cli.fake_team()
    config = cli.write_config(tmp_path)
    with config.open("a", encoding="utf-8") as f:
        f.write('[digest]\nenabled = true\nsender = "calendar-audit@council.gov.uk"\nday = "mon"\ntime = "07:30"\n')
    state = ServiceState(load_settings(config), clock=Clock(cli.NOW))  # Mon 2 Nov 08:00: the digest is due
    scheduler = Scheduler(state)
    mails: list[str] = []

    def send_mail(request: Any) -> Response:
        mails.append(json.loads(request.content)["message"]["toRecipients"][0]["emailAddress"]["address"])
        return Response(202)

    def run(writes: Any) -> str:
        with respx.mock(assert_all_called=False) as router:
            router.post(url__regex=r"https://graph\.microsoft\.com/v1\.0/users/[^/]+/sendMail$").mock(
                side_effect=send_mail)
            router.post(cli.BATCH).mock(side_effect=writes.batch)
            router.post(url__regex=cli.ANSWER).mock(side_effect=writes.single)
            router.post(url__regex=cli.SCHEDULE).mock(side_effect=writes.schedule)
            router.route().mock(side_effect=fake.respond)
            return asyncio.run(scheduler.run_once())

    first = cli.Writes()
    assert run(first) == "ok"
    assert [(m, e, a) for m, e, a, _ in first.answers] == [(cli.AMY, "AAMk-new", "decline"),
                                                           (cli.BEN, "BEN-new", "decline")]
    assert sorted(mails) == [cli.AMY, cli.BEN]
    assert [(s.step, s.outcome) for s in scheduler.steps] == [("enforcement", "ok"), ("digest", "ok")]
    assert scheduler.steps[0].detail.startswith("2 answered, 0 noted")
    assert scheduler.steps[1].detail == "week of 26 Oct 2026: 2 sent, 0 sent before"
    second = cli.Writes()
    assert run(second) == "ok"
    assert second.answers == [] and sorted(mails) == [cli.AMY, cli.BEN]
    assert scheduler.steps[-1].detail == "week of 26 Oct 2026: 0 sent, 2 sent before"
    # what Amy's page lists, and her Accept after all: one accept sent with application permission, once
    conn = sqlite3.connect(state.store)
    [entry] = home_section(state, conn, cli.AMY, [])["items"]
    assert (entry.meeting, entry.did, entry.proposed, entry.can_undo) == (
        "Tue 3 Nov 10:00-11:00", "Declined", "Tue 3 Nov 15:00-16:00", True)
    with respx.mock(assert_all_called=False) as router:  # the mailbox refuses: journalled, shown, tried again
        router.post(url__regex=cli.ANSWER).mock(return_value=Response(403, json=cli.graph_fake.error_body(
            "ErrorAccessDenied")))
        router.route().mock(side_effect=fake.respond)
        assert accept_after_all(state, cli.AMY, "AAMk-new").startswith("failed: ")
    [entry] = home_section(state, conn, cli.AMY, [])["items"]
    assert entry.can_undo and entry.undo_failed.startswith("failed: ") and "ErrorAccessDenied" in entry.undo_failed
    undo = cli.Writes()
    with respx.mock(assert_all_called=False) as router:
        router.post(url__regex=cli.ANSWER).mock(side_effect=undo.single)
        router.route().mock(side_effect=fake.respond)
        assert accept_after_all(state, cli.AMY, "AAMk-new") == "sent"
        assert accept_after_all(state, cli.AMY, "AAMk-new") == "already_undone"
    assert [(m, e, a) for m, e, a, _ in undo.answers] == [(cli.AMY, "AAMk-new", "accept")]
    [entry] = home_section(state, conn, cli.AMY, [])["items"]
    assert entry.undone and not entry.can_undo and not entry.undo_failed


def test_a_failing_enforcement_is_recorded_and_the_sync_still_counts(tmp_path, monkeypatch):
    cli = enforcement_cli()
    fake = cli.fake_team()
    state = ServiceState(load_settings(cli.write_config(tmp_path)), clock=Clock(cli.NOW))
    scheduler = Scheduler(state)

    async def broken(*args: Any, **kw: Any) -> Any:
        raise RuntimeError("Panel for Jayden Smith")  # a message could hold anything: only the class is shown

    monkeypatch.setattr("calendar_audit.service.enforcement.enforce_async", broken)
    with respx.mock(assert_all_called=False) as router:
        router.route().mock(side_effect=fake.respond)
        assert asyncio.run(scheduler.run_once()) == "ok"
    [step] = scheduler.steps
    assert (step.step, step.outcome, step.detail) == ("enforcement", "failed", "RuntimeError")
    assert pd.Timestamp(step.at) == pd.Timestamp(cli.NOW)


def test_status_shows_the_last_enforcement_run(demo_client):
    from service_helpers import ADMIN

    c = demo_client()
    c.sign_in_demo(ADMIN)
    page = text_of(c.get("/status").text)
    assert ("2026-12-02 09:00:00 demo enforcement ok 9 answered (demo: nothing sent), 0 noted, 0 held by the daily "
            "cap, 0 failed") in page
    assert "(the digest is off: digest.enabled)" in page

"""The service against a faked Entra ID and Graph: sign-in by authorization code with PKCE, a scheduled sync filling
the store, the team page equal to ``report --source store``, a decline sent once with the practitioner's own token,
and no secret in any page, log line or store column but the session's token cache."""

from __future__ import annotations

import csv
import io
import logging
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
import respx
from fake_entra import AMY, BEN, BOSS, CARA, CLIENT_ID, SECRET, TENANT, FakeEntra, fill
from service_helpers import Clock, csrf_of, text_of
from sources.graph_fake import FakeGraph

from calendar_audit.cli import main
from calendar_audit.commands.options import Context
from calendar_audit.service.scheduler import Scheduler
from calendar_audit.service.state import ServiceState
from calendar_audit.settings import load_settings

BASE = "https://calendar-audit.council.gov.uk"
NOW = datetime(2026, 10, 21, 8, 0, tzinfo=UTC)  # a Wednesday: three weeks synced behind, a week and a half ahead


def config_text(tmp_path: Path) -> str:
    return f"""
audit_log = "{tmp_path / 'audit.jsonl'}"

[graph]
tenant_id = "{TENANT}"
client_id = "{CLIENT_ID}"
client_secret = "{SECRET}"

[store]
path = "{tmp_path / 'store.sqlite3'}"

[service]
base_url = "{BASE}"

[sync]
window_weeks_back = 2
window_weeks_ahead = 1

[privacy]
min_group_size = 3

[admins]
people = ["it.support@council.gov.uk"]

[[teams]]
name = "evolve"
members = ["{AMY}", "{BEN}", "{CARA}"]
managers = ["{BOSS}"]

[[teams.protected_slots]]
name = "visit-mornings"
days = ["tue", "thu"]
start = "09:00"
end = "12:00"
allow = ["direct_work", "statutory"]
"""


@pytest.fixture
def world(tmp_path, in_tmp, client_for, loop):
    """The settings file, the fakes (respx routes every request to them), the state and a synced store."""
    path = tmp_path / "calendar-audit.toml"
    path.write_text(config_text(tmp_path), encoding="utf-8")
    settings = load_settings(path)
    entra = FakeEntra(FakeGraph())
    fill(entra.graph)
    entra.users[BOSS] = []
    entra.users["it.support@council.gov.uk"] = []
    with respx.mock(assert_all_called=False) as router:
        router.route().mock(side_effect=entra.respond)
        state = ServiceState(settings, clock=Clock(NOW))
        scheduler = Scheduler(state)
        assert loop.run_until_complete(scheduler.run_once()) == "ok"
        yield {"path": path, "state": state, "entra": entra, "scheduler": scheduler,
               "client": lambda: client_for(state, base_url=BASE, scheduler=scheduler)}


def sign_in(world, user: str, roles: list[str] | None = None):
    """Through the sign-in page, Microsoft's authorize page (faked) and back: PKCE and nonce checked by the fake."""
    entra: FakeEntra = world["entra"]
    entra.users[user] = roles or []
    c = world["client"]()
    assert "Sign in with Microsoft" in c.get("/signin").text
    start = c.get("/signin/microsoft")
    assert start.status_code == 303
    reply = entra.authorize(start.headers["location"], user)
    back = c.get("/auth/callback", params=reply)
    assert (back.status_code, back.headers["location"]) == (303, "/"), back.text
    return c


def test_sign_in_by_authorization_code_with_pkce_decides_the_person(world):
    c = sign_in(world, AMY)
    page = text_of(c.get("/").text)
    assert f"{AMY} (practitioner)" in page
    assert world["entra"].refused == []
    token_requests = [r for r in world["entra"].graph.requests if r.url.path.endswith("/token")]
    body = token_requests[-1].content.decode()
    assert "grant_type=authorization_code" in body and "code_verifier=" in body
    assert "redirect_uri=https%3A%2F%2Fcalendar-audit.council.gov.uk%2Fauth%2Fcallback" in body


def test_a_replayed_or_forged_sign_in_reply_signs_no_one_in(world):
    entra: FakeEntra = world["entra"]
    c = world["client"]()
    start = c.get("/signin/microsoft")
    reply = entra.authorize(start.headers["location"], AMY)
    forged = c.get("/auth/callback", params={**reply, "state": "someone-elses-state"})
    assert forged.status_code == 403 and "Sign-in failed" in forged.text
    assert c.get("/").status_code == 303
    stranger = world["client"]()  # a reply arriving in a browser that never started a sign-in
    assert stranger.get("/auth/callback", params=reply).status_code == 403


def test_entra_app_roles_add_to_the_settings_roles(world):
    c = sign_in(world, BEN, roles=["CalendarAudit.Manager"])
    assert c.get("/teams/evolve").status_code == 200
    assert c.get("/status").status_code == 403
    admin = sign_in(world, CARA, roles=["CalendarAudit.Admin"])
    assert admin.get("/status").status_code == 200
    plain = sign_in(world, AMY)
    assert plain.get("/teams/evolve").status_code == 403


def test_the_team_page_equals_report_from_the_store_to_the_hundredth(world, tmp_path):
    manager = sign_in(world, BOSS)
    page = manager.get("/teams/evolve")
    assert page.status_code == 200
    shown = text_of(page.text)
    assert "Mon 5 Oct 2026 to Sun 18 Oct 2026" in shown
    out = tmp_path / "report"
    code = main(["report", "--config", str(world["path"]), "--source", "store", "--from", "2026-10-05",
                 "--to", "2026-10-18", "--out", str(out), "--format", "csv"], Context(today=NOW.date()))
    assert code == 0
    report_csv = (out / "person_week.csv").read_bytes()
    served = manager.get("/teams/evolve/person_week.csv?from=2026-10-05&to=2026-10-18")
    assert served.headers["content-type"].startswith("text/csv")
    assert served.content == report_csv  # every figure, to 4 decimals; the same bytes (BOM included)
    rows = list(csv.DictReader(io.StringIO(report_csv.decode("utf-8-sig"))))
    assert {r["person"] for r in rows} == {AMY, BEN, CARA}
    amy_direct = sum(float(r["direct_work_hours"]) for r in rows if r["person"] == AMY)
    assert amy_direct == pytest.approx(15.0, abs=0.005)  # ten 1.5 h visits, to the hundredth
    assert "15.0" in shown  # the people table shows it too


def test_a_scheduled_sync_fills_the_store_and_status_shows_each_mailbox(world):
    admin = sign_in(world, "it.support@council.gov.uk")
    page = text_of(admin.get("/status").text)
    assert "ok" in page
    for person in (AMY, BEN, CARA):
        assert person in page
    conn = sqlite3.connect(world["state"].store)
    assert conn.execute("SELECT COUNT(DISTINCT person) FROM events").fetchone() == (3,)


def test_a_failed_sync_is_recorded_shown_and_retried_next_time(world, loop):
    scheduler: Scheduler = world["scheduler"]
    calls = []

    def broken(settings, team, window):
        calls.append(window)
        raise OSError("network unreachable")

    scheduler.sync_function = broken
    assert loop.run_until_complete(scheduler.run_once()) == "failed"
    admin = sign_in(world, "it.support@council.gov.uk")
    page = text_of(admin.get("/status").text)
    assert "failed" in page and "team evolve: OSError" in page
    assert admin.get("/").status_code == 200  # the pages carry on from the store
    from calendar_audit.sources.store import sync

    scheduler.sync_function = sync
    assert loop.run_until_complete(scheduler.run_once()) == "ok"
    assert len(calls) == 1


def test_decline_is_sent_once_with_the_practitioners_own_delegated_token(world):
    entra: FakeEntra = world["entra"]
    c = sign_in(world, AMY)
    home = c.get("/")
    assert "Meetings you could decline" in text_of(home.text)
    import re

    events = list(dict.fromkeys(re.findall(r'name="event_id" value="([^"]+)"', home.text)))
    assert events, text_of(home.text)
    token = csrf_of(home.text)
    r = c.post("/answer", data={"csrf": token, "event_id": events[0], "answer": "decline"})
    assert r.status_code == 303
    assert len(entra.replies) == 1
    event, action, bearer, body = entra.replies[0]
    assert (event, action) == (events[0], "decline")
    assert bearer == "access-uid-amy.lee-eyJraWQ"  # Amy's own token, not the app's
    assert body["sendResponse"] is True and "comment" in body
    c.post("/answer", data={"csrf": token, "event_id": events[0], "answer": "decline"})
    assert len(entra.replies) == 1  # once
    assert "Declined." in text_of(c.get("/").text)
    from calendar_audit.actions import AuditLog, default_audit_log

    entries = AuditLog(default_audit_log(world["state"].settings)).entries()
    assert [(e["mailbox"], e["action"], e["event_id"], e["outcome"], e["via"]) for e in entries] == [
        (AMY, "decline", events[0], "sent", "me")]


def test_nothing_secret_reaches_pages_logs_or_the_store_outside_the_token_cache(world, caplog):
    caplog.set_level(logging.DEBUG)
    entra: FakeEntra = world["entra"]
    amy = sign_in(world, AMY)
    boss = sign_in(world, BOSS)
    import re

    home = amy.get("/")
    event = re.search(r'name="event_id" value="([^"]+)"', home.text).group(1)
    amy.post("/answer", data={"csrf": csrf_of(home.text), "event_id": event, "answer": "tentative"})
    boss.get("/teams/evolve")
    boss.get("/teams/evolve/policy")
    secrets = [SECRET, *entra.issued]
    codes = [f"code-{i}" for i in range(1, 4)]
    assert len(entra.issued) == 4
    pages = "\n".join(amy.pages + boss.pages)
    logs = "\n".join(r.getMessage() for r in caplog.records
                      if not r.getMessage().startswith(f"HTTP Request: GET {BASE}"))  # the test browser's own
    for secret in secrets:
        assert secret not in pages, secret
        assert secret not in logs, secret
    for code in codes:
        assert f"code={code}" not in logs
    conn = sqlite3.connect(world["state"].store)
    caches = [r[0] for r in conn.execute("SELECT token_cache FROM sessions WHERE token_cache IS NOT NULL")]
    assert any(entra.issued[0] in c for c in caches)  # the token lives in the server-side cache...
    conn.execute("UPDATE sessions SET token_cache=NULL")
    dump = "\n".join(conn.iterdump())
    for secret in secrets:
        assert secret not in dump, secret  # ...and nowhere else in the store
    audit = Path(world["state"].settings.audit_log)
    assert audit.exists() and all(s not in audit.read_text() for s in secrets)


def test_sign_out_deletes_the_session_and_its_token_cache(world):
    c = sign_in(world, AMY)
    r = c.post("/signout", data={"csrf": c.csrf()})
    assert r.status_code == 303
    conn = sqlite3.connect(world["state"].store)
    assert conn.execute("SELECT COUNT(*) FROM sessions WHERE token_cache IS NOT NULL").fetchone() == (0,)


def test_pages_show_no_subjects_and_withhold_team_figures_below_the_minimum_group_size(world):
    boss = sign_in(world, BOSS)
    amy = sign_in(world, AMY)
    pages = [boss.get("/teams/evolve").text, boss.get("/teams/evolve/policy").text, amy.get("/").text]
    for page in pages:
        assert "Home visit" not in page and "A.B." not in page and "Catch up" not in page and "Quick sync" not in page
    assert "Team figures withheld" not in text_of(pages[0])
    state = world["state"]
    state.settings.privacy.min_group_size = 5
    state.store_changed()
    page = text_of(boss.get("/teams/evolve").text)
    assert "Team figures withheld." in page
    assert "this audit covers 3 people, fewer than the minimum group size of 5" in page


def test_a_refused_decline_is_shown_journalled_as_failed_and_can_be_tried_again(world):
    import re

    entra: FakeEntra = world["entra"]
    c = sign_in(world, AMY)
    home = c.get("/")
    event = re.search(r'name="event_id" value="([^"]+)"', home.text).group(1)
    entra.refuse_replies.add(event)
    c.post("/answer", data={"csrf": csrf_of(home.text), "event_id": event, "answer": "decline"})
    page = text_of(c.get("/").text)
    assert "The last answer was not sent (failed: HTTP 403 ErrorAccessDenied); you can try again." in page
    assert entra.replies == []
    entra.refuse_replies.clear()
    c.post("/answer", data={"csrf": csrf_of(home.text), "event_id": event, "answer": "decline"})
    assert [(e, a) for e, a, _, _ in entra.replies] == [(event, "decline")]
    assert "Declined." in text_of(c.get("/").text)
    from calendar_audit.actions import AuditLog, default_audit_log

    outcomes = [e["outcome"] for e in AuditLog(default_audit_log(world["state"].settings)).entries()]
    assert outcomes == ["failed: HTTP 403 ErrorAccessDenied", "sent"]

"""The service's pages in-process (demo mode): sign-in, roles, CSRF, cookies, 403s, answers, policy versions."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest
from service_helpers import ADMIN, MANAGER, OTHER, PRACTITIONER, csrf_of, text_of

from calendar_audit.errors import ConfigError
from calendar_audit.service.demo import demo_settings
from calendar_audit.settings import Settings

FORBIDDEN = "You do not have access to this page."


def journal(state) -> list[tuple]:
    conn = sqlite3.connect(state.store)
    try:
        return conn.execute("SELECT person, event_id, action, outcome, mode FROM response_journal").fetchall()
    finally:
        conn.close()


def test_signed_out_pages_send_you_to_sign_in_and_a_signed_out_post_is_refused(demo_client):
    c = demo_client()
    for path in ("/", "/teams/demo", "/teams/demo/policy", "/status"):
        r = c.get(path)
        assert (r.status_code, r.headers["location"]) == (303, "/signin"), path
    r = c.post("/answer", data={"event_id": "x", "answer": "decline"})
    assert r.status_code == 403
    assert c.get("/healthz").json() == {"status": "ok"}


def test_demo_sign_in_page_lists_the_team_with_its_manager_and_admin(demo_client):
    page = text_of(demo_client().get("/signin").text)
    assert "Demo sign-in, no password" in page
    assert f"{MANAGER} (manager)" in page
    assert f"{ADMIN} (admin)" in page
    assert f"{PRACTITIONER} (practitioner)" in page
    assert page.count("@demo-council.gov.uk") == 12


def test_demo_is_refused_when_a_tenant_is_configured(tmp_path):
    with pytest.raises(ConfigError, match=r"--demo: refused because graph\.tenant_id is set"):
        demo_settings(Settings(graph={"tenant_id": "contoso"}), tmp_path)


def test_practitioner_sees_their_own_week_and_suggestions_and_no_one_else(demo_client):
    c = demo_client()
    assert c.sign_in_demo(PRACTITIONER).headers["location"] == "/"
    page = text_of(c.get("/").text)
    assert f"{PRACTITIONER} (practitioner)" in page
    assert "Your hours by purpose" in page and "Meetings you could decline" in page
    assert "What enforcement did for you" in page
    assert OTHER not in page and MANAGER not in page  # nobody else's name, let alone figures
    assert "Decline" in page and "Thank you for the invitation" in page


@pytest.mark.parametrize("path", ["/teams/demo", "/teams/demo/policy", "/status", "/teams/no-such-team",
                                  "/teams/%3Cscript%3Ealert(1)%3C%2Fscript%3E"])
def test_practitioner_gets_a_plain_403_that_repeats_nothing_from_the_address(demo_client, path):
    c = demo_client()
    c.sign_in_demo(PRACTITIONER)
    r = c.get(path)
    if "%2F" in path:  # the encoded slash makes it another path: no page at all, and just as plain
        assert r.status_code == 404 and "alert(1)" not in text_of(r.text)
        return
    assert r.status_code == 403
    assert FORBIDDEN in r.text
    assert "alert(1)" not in text_of(r.text) and "no-such-team" not in r.text
    assert r.text == c.get("/status").text  # the same page whatever was asked: nothing of the address in it


def test_manager_sees_the_team_and_its_policy_but_not_the_status(demo_client):
    c = demo_client()
    c.sign_in_demo(MANAGER)
    team = c.get("/teams/demo")
    assert team.status_code == 200
    assert "Team demo: meetings and direct work" in text_of(team.text)
    assert PRACTITIONER.split("@")[0] in team.text  # the people table (names without the shared domain)
    assert c.get("/teams/demo/policy").status_code == 200
    assert c.get("/status").status_code == 403
    assert c.get("/teams/elsewhere").status_code == 403


def test_admin_sees_the_status_page(demo_client):
    c = demo_client()
    c.sign_in_demo(ADMIN)
    page = text_of(c.get("/status").text)
    assert "Sync status" in page and "No sync has run yet." in page
    assert c.get("/teams/demo").status_code == 200


def test_a_post_without_the_csrf_token_or_with_another_sessions_token_is_refused(demo_client):
    mine, theirs = demo_client(), demo_client()
    mine.sign_in_demo(PRACTITIONER)
    theirs.sign_in_demo(OTHER)
    event = first_suggestion(mine)
    for data in ({"event_id": event, "answer": "decline"},
                 {"event_id": event, "answer": "decline", "csrf": "forged"},
                 {"event_id": event, "answer": "decline", "csrf": theirs.csrf()}):
        assert mine.post("/answer", data=data).status_code == 403
    assert mine.post("/signout", data={}).status_code == 403
    assert journal(mine_state(mine)) == []


def test_demo_sign_in_without_the_sign_in_pages_token_is_refused(demo_client):
    c = demo_client()
    c.get("/signin")
    assert c.post("/signin/demo", data={"person": PRACTITIONER}).status_code == 403
    assert c.get("/").status_code == 303


def test_demo_sign_in_as_someone_outside_the_team_is_refused(demo_client):
    c = demo_client()
    token = csrf_of(c.get("/signin").text)
    assert c.post("/signin/demo", data={"csrf": token, "person": "mallory@evil.example"}).status_code == 403


def test_a_tampered_cookie_is_refused(demo_client):
    c = demo_client()
    c.sign_in_demo(PRACTITIONER)
    good = c.cookie
    tampered = good[:-2] + ("AA" if not good.endswith("AA") else "BB")
    c.http.cookies.clear()
    c.http.cookies.set("calendar_audit_session", tampered)
    r = c.get("/")
    assert (r.status_code, r.headers["location"]) == (303, "/signin")


def test_one_users_cookie_reads_only_that_users_page(demo_client):
    priya, daniel = demo_client(), demo_client()
    priya.sign_in_demo(PRACTITIONER)
    daniel.sign_in_demo(OTHER)
    thief = demo_client()
    thief.http.cookies.set("calendar_audit_session", priya.cookie)
    page = text_of(thief.get("/").text)
    assert PRACTITIONER in page and OTHER not in page
    assert thief.get("/teams/demo").status_code == 403  # a practitioner's cookie opens no team page


def test_sessions_expire_after_session_hours(demo_client, demo_state):
    c = demo_client()
    c.sign_in_demo(PRACTITIONER)
    assert c.get("/").status_code == 200
    demo_state.clock.now += timedelta(hours=demo_state.settings.service.session_hours, minutes=1)
    assert c.get("/").headers["location"] == "/signin"


def test_sign_out_ends_the_session_for_good(demo_client, demo_state):
    c = demo_client()
    c.sign_in_demo(PRACTITIONER)
    cookie = c.cookie
    r = c.post("/signout", data={"csrf": c.csrf()})
    assert (r.status_code, r.headers["location"]) == (303, "/signin")
    assert "Max-Age=0" in r.headers["set-cookie"]
    replay = demo_client()
    replay.http.cookies.set("calendar_audit_session", cookie)
    assert replay.get("/").status_code == 303
    conn = sqlite3.connect(demo_state.store)
    assert conn.execute("SELECT COUNT(*) FROM sessions WHERE person IS NOT NULL").fetchone() == (0,)


def test_session_cookie_is_httponly_samesite_lax_and_secure_only_behind_https(demo_state, client_for):
    c = client_for(demo_state)
    r = c.sign_in_demo(PRACTITIONER)
    assert r.status_code == 303, r.text
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    demo_state.settings.service.base_url = "https://calendar-audit.council.gov.uk"
    r = client_for(demo_state).get("/signin")  # over http the browser would not send it back: the point
    assert "; Secure" in r.headers["set-cookie"] and "HttpOnly" in r.headers["set-cookie"]


def test_pages_forbid_scripts_and_anything_fetched(demo_client):
    c = demo_client()
    c.sign_in_demo(PRACTITIONER)
    r = c.get("/")
    assert r.headers["content-security-policy"].startswith("default-src 'none'")
    assert "<script" not in r.text and "http://" not in r.text.replace('http://127.0.0.1', '')


# --- answering suggestions ------------------------------------------------------------------------------------
def first_suggestion(c) -> str:
    import re

    found = re.search(r'name="event_id" value="([^"]+)"', c.get("/").text)
    assert found
    return found.group(1)


def mine_state(c):
    return c.http._transport.app.state.service


def test_decline_in_the_demo_is_journalled_once_and_shown_as_declined(demo_client, demo_state):
    c = demo_client()
    c.sign_in_demo(PRACTITIONER)
    event = first_suggestion(c)
    token = c.csrf()
    r = c.post("/answer", data={"csrf": token, "event_id": event, "answer": "decline"})
    assert (r.status_code, r.headers["location"]) == (303, "/#suggestions")
    assert journal(demo_state) == [(PRACTITIONER, event, "decline", "recorded (demo: nothing sent)", "demo")]
    page = c.get("/").text
    assert "Declined." in text_of(page)
    assert f'name="event_id" value="{event}"' not in page  # no buttons for it any more
    c.post("/answer", data={"csrf": token, "event_id": event, "answer": "tentative"})
    assert journal(demo_state) == [(PRACTITIONER, event, "decline", "recorded (demo: nothing sent)", "demo")]


def test_keep_and_tentative_are_journalled(demo_client, demo_state):
    import re

    c = demo_client()
    c.sign_in_demo(PRACTITIONER)
    events = re.findall(r'name="event_id" value="([^"]+)"', c.get("/").text)
    first, second = list(dict.fromkeys(events))[:2]
    token = c.csrf()
    c.post("/answer", data={"csrf": token, "event_id": first, "answer": "keep"})
    c.post("/answer", data={"csrf": token, "event_id": second, "answer": "tentative"})
    assert {(e, a) for _, e, a, _, _ in journal(demo_state)} == {(first, "keep"), (second, "tentativelyAccept")}
    page = text_of(c.get("/").text)
    assert "Kept." in page and "Answered tentative." in page


def test_answering_someone_elses_meeting_is_refused(demo_client, demo_state):
    priya, daniel = demo_client(), demo_client()
    priya.sign_in_demo(PRACTITIONER)
    event = first_suggestion(priya)
    daniel.sign_in_demo(OTHER)
    r = daniel.post("/answer", data={"csrf": daniel.csrf(), "event_id": event, "answer": "decline"})
    assert r.status_code == 403
    r = daniel.post("/answer", data={"csrf": daniel.csrf(), "event_id": event, "answer": "delete-everything"})
    assert r.status_code == 403
    assert journal(demo_state) == []


# --- the policy page --------------------------------------------------------------------------------------------
def policy_form(c, **fields) -> dict:
    base = {"csrf": c.csrf("/teams/demo/policy"), "slot-1-name": "direct-work-mornings", "slot-1-days": ["tue", "thu"],
            "slot-1-start": "09:30", "slot-1-end": "12:30", "slot-1-allow": ["direct_work", "statutory"],
            "slot-1-since": "2026-10-05", "action": "preview"}
    base.update(fields)
    return base


def test_policy_starts_at_version_one_seeded_from_the_demo_policy(demo_client):
    c = demo_client()
    c.sign_in_demo(MANAGER)
    page = text_of(c.get("/teams/demo/policy").text)
    assert "In force: version 1, saved by the demo team's policy" in page
    assert 'value="09:30"' in c.get("/teams/demo/policy").text


def test_policy_problems_are_named_next_to_their_fields_and_nothing_is_saved(demo_client, demo_state):
    c = demo_client()
    c.sign_in_demo(MANAGER)
    r = c.post("/teams/demo/policy", data=policy_form(c, **{
        "slot-1-start": "25:00", "slot-1-since": "yesterday", "slot-1-days": [], "action": "save"}))
    assert r.status_code == 400
    html = r.text
    assert 'id="slot-1-start-error"' in html and '"25:00" is not a time of day (use HH:MM)' in text_of(html)
    assert 'id="slot-1-since-error"' in html and '"yesterday" is not a date (use YYYY-MM-DD)' in text_of(html)
    assert 'id="slot-1-days-error"' in html
    assert 'aria-invalid="true" aria-describedby="slot-1-start-error"' in html
    assert "The policy was not saved" in text_of(html)
    conn = sqlite3.connect(demo_state.store)
    assert conn.execute("SELECT MAX(version) FROM policy_versions").fetchone() == (1,)


def test_overlapping_slots_are_refused_on_the_later_slots_start(demo_client):
    c = demo_client()
    c.sign_in_demo(MANAGER)
    r = c.post("/teams/demo/policy", data=policy_form(c, **{
        "slot-2-name": "late", "slot-2-days": ["tue"], "slot-2-start": "11:00", "slot-2-end": "13:00",
        "slot-2-allow": ["direct_work"]}))
    assert r.status_code == 400
    assert 'id="slot-2-start-error"' in r.text
    assert "overlaps slot" in text_of(r.text)


def test_preview_shows_last_months_compliance_under_the_draft(demo_client):
    c = demo_client()
    c.sign_in_demo(MANAGER)
    r = c.post("/teams/demo/policy", data=policy_form(c, **{"slot-1-days": ["mon", "wed"]}))
    assert r.status_code == 200
    page = text_of(r.text)
    assert "Preview: the last four weeks under this draft" in page
    assert "Mon 5 Oct 2026 to Sun 1 Nov 2026" in page
    assert "protected hours would have been kept" in page


def test_saving_makes_a_new_version_with_who_and_when_and_the_team_page_uses_it(demo_client, demo_state):
    c = demo_client()
    c.sign_in_demo(MANAGER)
    r = c.post("/teams/demo/policy", data=policy_form(c, **{"slot-1-days": ["mon", "wed"], "action": "save"}))
    assert (r.status_code, r.headers["location"]) == (303, "/teams/demo/policy?saved=2")
    page = text_of(c.get(r.headers["location"]).text)
    assert "Saved as version 2." in page
    assert f"In force: version 2, saved by {MANAGER} at 2026-12-02T09:00:00+00:00" in page
    assert "direct-work-mornings (mon, wed 09:30-12:30)" in page  # the history
    assert "direct-work-mornings (tue, thu 09:30-12:30)" in page
    team = text_of(c.get("/teams/demo").text)
    assert "policy version 2" in team
    assert "mon, wed 09:30-12:30" in team or "Protected" in team


def test_a_practitioner_cannot_post_a_policy(demo_client, demo_state):
    c = demo_client()
    c.sign_in_demo(PRACTITIONER)
    r = c.post("/teams/demo/policy", data={"csrf": c.csrf(), "slot-1-name": "x", "action": "save"})
    assert r.status_code == 403
    conn = sqlite3.connect(demo_state.store)
    assert conn.execute("SELECT version, saved_by FROM policy_versions").fetchall() == [(1, "the demo team's policy")]

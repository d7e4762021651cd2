"""The demo service in a real headless Chromium against a real uvicorn server on 127.0.0.1.

A practitioner signs in, sees their week, declines a suggestion (the demo journal records it), sees what enforcement
did for them and accepts it after all, chooses a lower preference, is refused another team's page and signs out;
a manager edits a slot, previews it, saves it and sees the new version on the team page.
Screenshots at 1400 and 390 px go to tests/screenshots/.
"""

from __future__ import annotations

import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import uvicorn
from service_helpers import MANAGER, PRACTITIONER, Clock

from calendar_audit.service.app import create_app
from calendar_audit.service.demo import demo_settings
from calendar_audit.service.state import ServiceState
from calendar_audit.settings import Settings

SCREENSHOTS = Path(__file__).resolve().parents[1] / "screenshots"  # tests/conftest.py's SCREENSHOTS (git-ignored)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path, in_tmp: Path) -> Iterator[tuple[str, ServiceState]]:
    """``serve --demo`` in a thread: uvicorn on a free 127.0.0.1 port, stopped as SIGTERM would stop it."""
    state = ServiceState(demo_settings(Settings(), tmp_path), demo=True,
                         clock=Clock(datetime(2026, 12, 2, 9, 0, tzinfo=UTC)))
    port = free_port()
    config = uvicorn.Config(create_app(state), host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", state
    srv.should_exit = True
    thread.join(timeout=30)


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"service-{name}.png"), full_page=True)


def sign_in(page, url: str, person: str) -> None:
    page.goto(f"{url}/")
    assert page.url.endswith("/signin")
    page.get_by_role("button", name=person).click()
    page.wait_for_url(f"{url}/")


def test_practitioner_signs_in_sees_their_week_declines_one_is_refused_a_team_and_signs_out(server, page_at):
    url, state = server
    page = page_at(1400)
    page.goto(f"{url}/signin")
    assert page.get_by_role("heading", name="Demo sign-in, no password").is_visible()
    shot(page, "signin-1400")
    sign_in(page, url, PRACTITIONER)
    assert page.get_by_role("heading", name="Your weeks").is_visible()
    assert page.get_by_role("heading", name="Meetings you could decline").is_visible()
    shot(page, "home-1400")
    first = page.locator("ul.suggestions > li").first
    when = first.locator(".when").inner_text()
    first.get_by_role("button", name="Decline").click()
    page.wait_for_url(f"{url}/#suggestions")
    answered = page.locator("ul.suggestions > li", has_text=when)
    assert answered.locator(".done").inner_text() == "Declined."
    conn = sqlite3.connect(state.store)
    assert conn.execute("SELECT person, action, mode FROM response_journal").fetchall() == [
        (PRACTITIONER, "decline", "demo")]
    page.goto(f"{url}/teams/demo")
    assert page.get_by_role("heading", name="Not allowed").is_visible()
    assert "You do not have access to this page." in page.content()
    page.goto(f"{url}/")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{url}/signin")
    page.goto(f"{url}/")
    assert page.url.endswith("/signin")


def test_practitioner_sees_what_enforcement_did_accepts_after_all_and_lowers_their_preference(server, page_at):
    url, state = server
    page = page_at(1400)
    sign_in(page, url, PRACTITIONER)
    section = page.locator("#enforcement")
    assert section.get_by_role("heading", name="What enforcement did for you").is_visible()
    entry = section.locator("li").first
    assert "Declined (demo: nothing sent)" in entry.inner_text()
    assert "Proposed instead: Fri 30 Oct 09:00-10:00." in entry.inner_text()
    section.scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "service-enforcement-1400.png"), full_page=False)
    entry.get_by_role("button", name="Accept after all").click()
    page.wait_for_url(f"{url}/#enforcement")
    assert page.locator("#enforcement li .done").first.inner_text() == "Accepted after all."
    assert page.locator("#enforcement").get_by_role("button", name="Accept after all").count() == 0
    preference = page.locator("#preference")
    preference.get_by_label("Notify: list them here, answer nothing").check()
    preference.get_by_role("button", name="Save my preference").click()
    page.wait_for_url(f"{url}/#preference")
    assert "In force for you now: notify" in page.locator("#preference").inner_text()
    page.locator("#preference").scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "service-preference-1400.png"), full_page=False)
    conn = sqlite3.connect(state.store)
    assert conn.execute("SELECT action, outcome FROM enforcement_journal WHERE person=? ORDER BY id",
                        (PRACTITIONER,)).fetchall() == [("decline", "demo"), ("accept", "demo")]
    assert conn.execute("SELECT enforce_level FROM preferences WHERE person=?", (PRACTITIONER,)).fetchone() == (
        "notify",)


def test_practitioner_page_on_a_phone(server, page_at):
    url, _ = server
    page = page_at(390, 844)
    sign_in(page, url, PRACTITIONER)
    assert page.get_by_role("heading", name="Your weeks").is_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width} px)"
    shot(page, "home-390")


def test_manager_edits_previews_and_saves_a_slot_and_the_team_page_shows_the_new_version(server, page_at):
    url, state = server
    page = page_at(1400)
    sign_in(page, url, MANAGER)
    page.get_by_role("link", name="Team demo").click()
    page.wait_for_url(f"{url}/teams/demo")
    assert "policy version 1" in page.locator("header.report .meta").inner_text()
    shot(page, "team-1400")
    page.get_by_role("link", name="edit the protected slots").click()
    slot = page.get_by_role("group", name="Slot 1: direct-work-mornings")
    slot.get_by_label("Thu").uncheck()
    slot.get_by_label("Wed").check()
    slot.get_by_label("End (HH:MM)").fill("13:00")
    page.get_by_role("button", name="Preview last month").click()
    assert page.get_by_role("heading", name="Preview: the last four weeks under this draft").is_visible()
    shot(page, "policy-preview-1400")
    page.get_by_role("button", name="Save as a new version").click()
    assert page.get_by_role("status").inner_text() == "Saved as version 2. The team page now uses it."
    assert "direct-work-mornings (tue, wed 09:30-13:00)" in page.locator("#versions").inner_text()
    page.get_by_role("link", name="back to the team page").click()
    assert "policy version 2" in page.locator("header.report .meta").inner_text()
    conn = sqlite3.connect(state.store)
    assert conn.execute("SELECT version, saved_by FROM policy_versions ORDER BY version").fetchall() == [
        (1, "the demo team's policy"), (2, MANAGER)]


def test_manager_pages_and_field_errors_on_a_phone(server, page_at):
    url, _ = server
    page = page_at(390, 844)
    sign_in(page, url, MANAGER)
    page.goto(f"{url}/teams/demo/policy")
    slot = page.get_by_role("group", name="Slot 1: direct-work-mornings")
    slot.get_by_label("Start (HH:MM)").fill("9.30")
    page.get_by_role("button", name="Save as a new version").click()
    error = page.locator("#slot-1-start-error")
    assert "is not a time of day" in error.inner_text()
    assert page.get_by_label("Start (HH:MM)").first.get_attribute("aria-invalid") == "true"
    shot(page, "policy-errors-390")
    page.goto(f"{url}/teams/demo")
    shot(page, "team-390")


def test_keyboard_reaches_the_skip_link_first_and_every_button_by_tab(server, page_at):
    url, _ = server
    page = page_at(1400)
    page.goto(f"{url}/signin")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.value")
    assert focused.endswith("@demo-council.gov.uk")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{url}/")

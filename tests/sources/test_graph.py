"""Reading calendars live from a fake Graph (respx; no network): paging, headers, throttling, failures, teams."""

from __future__ import annotations

import asyncio
import logging
from datetime import date, time

import pytest
import respx
from graph_fake import FakeGraph, graph_event, load

from calendar_audit.frame import WorkingHours
from calendar_audit.settings import Settings
from calendar_audit.sources.graph import read_graph_async
from calendar_audit.window import Window

SECRET = "s3cr3t-Value~that-must-not-leak"
AMY, BEN, CARA = "amy.lee@council.gov.uk", "ben.ode@council.gov.uk", "cara.ng@council.gov.uk"
WINDOW = Window(date(2026, 10, 19), date(2026, 10, 25), "Europe/London")


def make_settings(tmp_path, members=(AMY, BEN, CARA), group="", **graph) -> Settings:
    return Settings(
        graph={"tenant_id": "contoso-tenant", "client_id": "app-id", "client_secret": SECRET, **graph},
        teams=[{"name": "evolve", "members": list(members), "group": group}],
        store={"path": str(tmp_path / "store.sqlite3")},
        people={},
    )


def week_of_events(fake: FakeGraph, person: str, n: int) -> None:
    for i in range(n):
        day = 19 + i % 5
        hour = 8 + i // 5
        fake.put(person, graph_event(f"{person[:3]}-{i}", f"2026-10-{day}T{hour:02d}:00:00",
                                     f"2026-10-{day}T{hour:02d}:30:00"))


class Sleeps:
    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def run(fake: FakeGraph, settings: Settings, sleep: Sleeps | None = None, **kw):
    with respx.mock(assert_all_called=False) as router:
        router.route().mock(side_effect=fake.respond)
        return asyncio.run(read_graph_async(settings, settings.teams[0], WINDOW, sleep=sleep or Sleeps(), **kw))


def test_calendar_view_is_paged_to_the_end_with_prefer_and_select(tmp_path):
    fake = FakeGraph()
    week_of_events(fake, AMY, 7)
    settings = make_settings(tmp_path, members=[AMY], page_size=3)
    data = run(fake, settings)
    views = [r for r in fake.requests if r.url.path.endswith("/calendarView")]
    assert len(views) == 3  # 3 + 3 + 1
    assert sorted(data.events["event_id"]) == sorted(f"amy-{i}" for i in range(7))
    for request in views:
        assert 'outlook.timezone="UTC"' in request.headers["prefer"]
        assert request.headers["authorization"] == "Bearer fake-token"
    first = views[0].url.params
    assert first["startDateTime"] == "2026-10-18T23:00:00Z"  # Monday 00:00 BST
    assert first["endDateTime"] == "2026-10-26T00:00:00Z"  # Monday 00:00 GMT, after the clocks went back
    assert first["$top"] == "3"
    assert "bodyPreview" not in first["$select"] and "body" not in first["$select"].split(",")
    assert {"id", "start", "end", "showAs", "responseStatus", "attendees"} <= set(first["$select"].split(","))


def test_read_agenda_selects_body_preview_and_sets_has_agenda(tmp_path):
    fake = FakeGraph()
    fake.put(AMY, graph_event("a1", "2026-10-19T09:00:00", "2026-10-19T10:00:00",
                              bodyPreview="To agree the plan for the family's next review."))
    fake.put(AMY, graph_event("a2", "2026-10-19T11:00:00", "2026-10-19T12:00:00",
                              bodyPreview="Microsoft Teams meeting Join on your computer Meeting ID: 1 2 3"))
    data = run(fake, make_settings(tmp_path, members=[AMY], read_agenda=True))
    assert "bodyPreview" in fake.requests[-1].url.params.get("$select", "") or any(
        "bodyPreview" in r.url.params.get("$select", "") for r in fake.requests)
    agenda = dict(zip(data.events["event_id"], data.events["has_agenda"], strict=True))
    assert agenda == {"a1": True, "a2": False}


def test_has_agenda_is_unknown_when_bodies_are_not_read(tmp_path):
    fake = FakeGraph()
    fake.put(AMY, graph_event("a1", "2026-10-19T09:00:00", "2026-10-19T10:00:00", bodyPreview="A real agenda here"))
    data = run(fake, make_settings(tmp_path, members=[AMY]))
    assert data.events["has_agenda"].isna().all()


def test_429_with_fractional_retry_after_then_success_loses_no_event(tmp_path):
    fake = FakeGraph(throttle=[(r"calendarView$", 429, "2.128"), (r"calendarView$", 429, "0.5")])
    week_of_events(fake, AMY, 4)
    sleeps = Sleeps()
    data = run(fake, make_settings(tmp_path, members=[AMY]), sleeps)
    assert sleeps.waits == [2.128, 0.5]
    assert len(data.events) == 4
    assert data.failures == []


def test_503_without_retry_after_backs_off_then_succeeds(tmp_path):
    fake = FakeGraph(throttle=[(r"calendarView$", 503, None), (r"calendarView$", 504, None)])
    week_of_events(fake, AMY, 2)
    sleeps = Sleeps()
    data = run(fake, make_settings(tmp_path, members=[AMY]), sleeps)
    assert len(sleeps.waits) == 2
    assert 0 <= sleeps.waits[0] <= 1.0 and 0 <= sleeps.waits[1] <= 2.0  # capped exponential backoff, jittered
    assert len(data.events) == 2


def test_throttling_that_never_ends_fails_only_that_mailbox(tmp_path):
    fake = FakeGraph(throttle=[(r"users/ben.*calendarView$", 429, "1")] * 3)
    week_of_events(fake, AMY, 2)
    week_of_events(fake, BEN, 2)
    sleeps = Sleeps()
    data = run(fake, make_settings(tmp_path, members=[AMY, BEN], max_retries=2), sleeps)
    assert [(f.person, f.reason) for f in data.failures] == [(BEN, "HTTP 429 TooManyRequests: still throttled after "
                                                                   "all retries")]
    assert sorted(set(data.events["person"])) == [AMY]
    assert sleeps.waits == [1.0, 1.0]


@pytest.mark.parametrize(("status", "code", "reason"), [
    (403, "ErrorAccessDenied", "HTTP 403 ErrorAccessDenied: access denied"),
    (404, "MailboxNotEnabledForRESTAPI", "HTTP 404 MailboxNotEnabledForRESTAPI: mailbox not enabled"),
])
def test_one_inaccessible_mailbox_is_named_and_the_others_complete(tmp_path, status, code, reason):
    fake = FakeGraph(fail={BEN: (status, code)})
    for p in (AMY, BEN, CARA):
        week_of_events(fake, p, 3)
    data = run(fake, make_settings(tmp_path))
    assert [f.person for f in data.failures] == [BEN]
    assert data.failures[0].reason.startswith(reason)
    assert sorted(set(data.events["person"])) == [AMY, CARA]
    assert len(data.events) == 6
    assert data.people == [AMY, BEN, CARA]


def test_unknown_mailbox_is_a_404_failure(tmp_path):
    fake = FakeGraph()
    week_of_events(fake, AMY, 1)
    data = run(fake, make_settings(tmp_path, members=[AMY, "gone@council.gov.uk"]))
    assert [(f.person, f.reason) for f in data.failures] == [("gone@council.gov.uk",
                                                              "HTTP 404 ErrorItemNotFound: mailbox not found")]


def test_group_members_are_paged_transitive_and_users_only(tmp_path):
    fake = FakeGraph(groups={"9f1c2d3e-0000-4000-8000-00000000abcd": load("group_members.json")},
                     group_mail={"9f1c2d3e-0000-4000-8000-00000000abcd": "evolve-team@council.gov.uk"})
    for p in (AMY, BEN, CARA):
        week_of_events(fake, p, 1)
    data = run(fake, make_settings(tmp_path, members=[], group="evolve-team@council.gov.uk"))
    assert data.people == [AMY, BEN, CARA]
    pages = [r for r in fake.requests if "transitiveMembers" in r.url.path]
    assert len(pages) == 3  # 6 members, 2 a page
    assert all(r.headers["consistencylevel"] == "eventual" for r in pages)
    assert len(data.events) == 3


def test_working_hours_come_from_mailbox_settings_and_settings_win(tmp_path):
    fake = FakeGraph(settings={AMY: load("mailboxsettings_windows.json"), BEN: load("mailboxsettings_iana.json"),
                               CARA: load("mailboxsettings_custom.json")})
    settings = make_settings(tmp_path)
    settings.people = Settings(people={CARA: {"working_hours": {"days": ["mon"], "start": "10:00", "end": "12:00"}}}
                               ).people
    data = run(fake, settings)
    assert data.working_hours[AMY] == WorkingHours((0, 1, 2, 3), time(8), time(16), "Europe/London")
    assert data.working_hours[BEN] == WorkingHours((0, 1, 2, 3, 4), time(9, 30), time(17, 30), "Europe/London")
    assert data.working_hours[CARA] == WorkingHours((0,), time(10), time(12), None)  # per-person settings win


def test_secrets_never_reach_logs_or_errors(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    fake = FakeGraph(fail={BEN: (403, "ErrorAccessDenied")})
    week_of_events(fake, AMY, 1)
    data = run(fake, make_settings(tmp_path, members=[AMY, BEN]))
    text = caplog.text + repr(data.failures) + " ".join(data.notes)
    assert SECRET not in text
    assert "fake-token" not in text

"""The SQLite store and delta sync against a fake Graph (respx; no network)."""

from __future__ import annotations

import asyncio
import sqlite3
import stat

import httpx
import pandas as pd
import pytest
import respx
from graph_fake import FakeGraph, graph_event
from test_graph import AMY, BEN, CARA, SECRET, WINDOW, Sleeps, make_settings, week_of_events

from calendar_audit.errors import SourceError
from calendar_audit.sources.graph import read_graph_async
from calendar_audit.sources.store import read_store, store_path, sync_async


def do_sync(fake: FakeGraph, settings, **kw):
    with respx.mock(assert_all_called=False) as router:
        router.route().mock(side_effect=fake.respond)
        return asyncio.run(sync_async(settings, settings.teams[0], WINDOW, sleep=Sleeps(), **kw))


def live(fake: FakeGraph, settings):
    with respx.mock(assert_all_called=False) as router:
        router.route().mock(side_effect=fake.respond)
        return asyncio.run(read_graph_async(settings, settings.teams[0], WINDOW, sleep=Sleeps()))


def deltas(fake: FakeGraph) -> list[str]:
    return [str(r.url) for r in fake.requests if r.url.path.endswith("/calendarView/delta")]


def ordered(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(["person", "event_id"]).reset_index(drop=True)


def test_first_sync_pages_through_delta_and_stores_the_window(tmp_path):
    fake = FakeGraph()
    week_of_events(fake, AMY, 5)
    fake.put(AMY, graph_event("outside", "2026-11-02T09:00:00", "2026-11-02T10:00:00"))
    settings = make_settings(tmp_path, members=[AMY], page_size=2)
    result = do_sync(fake, settings)
    assert result.mailboxes[AMY].mode == "full"
    assert result.mailboxes[AMY].events == 5
    assert len(deltas(fake)) == 3  # 2 + 2 + 1, the last with the deltaLink
    assert all("odata.maxpagesize=2" in r.headers["prefer"] for r in fake.requests if "delta" in r.url.path)
    stored = read_store(settings, settings.teams[0], WINDOW)
    assert sorted(stored.events["event_id"]) == [f"amy-{i}" for i in range(5)]


def test_second_sync_requests_only_deltas_and_applies_removed_updated_and_new(tmp_path):
    fake = FakeGraph()
    week_of_events(fake, AMY, 4)
    fake.put(AMY, graph_event("moving", "2026-10-22T15:00:00", "2026-10-22T16:00:00"))
    settings = make_settings(tmp_path, members=[AMY])
    do_sync(fake, settings)
    first_round = len(deltas(fake))
    fake.remove(AMY, "amy-0")
    fake.put(AMY, graph_event("amy-1", "2026-10-20T08:00:00", "2026-10-20T08:30:00",
                              responseStatus={"response": "declined", "time": "2026-10-18T08:00:00Z"}))
    fake.put(AMY, graph_event("new", "2026-10-23T13:00:00", "2026-10-23T14:00:00"))
    fake.put(AMY, graph_event("moving", "2026-12-01T15:00:00", "2026-12-01T16:00:00"))  # moved out of the window
    fake.remove(AMY, "never-seen")  # a deletion outside the window, reported as @removed all the same
    result = do_sync(fake, settings)
    second = deltas(fake)[first_round:]
    assert len(second) == 1 and "$deltatoken=" in second[0] and "startDateTime" not in second[0]
    assert result.mailboxes[AMY].mode == "delta"
    assert result.mailboxes[AMY].removed == 3
    stored = read_store(settings, settings.teams[0], WINDOW).events.set_index("event_id")
    assert sorted(stored.index) == ["amy-1", "amy-2", "amy-3", "new"]
    assert stored.loc["amy-1", "response"] == "declined"


@pytest.mark.parametrize(("status", "code"), [(410, "Gone"), (400, "syncStateNotFound"), (400, "resyncRequired")])
def test_expired_delta_token_falls_back_to_a_full_resync(tmp_path, status, code):
    fake = FakeGraph()
    week_of_events(fake, AMY, 3)
    settings = make_settings(tmp_path, members=[AMY])
    do_sync(fake, settings)
    before = len(deltas(fake))
    fake.expired = {t: (status, code) for t in list(fake._tokens)}
    fake.remove(AMY, "amy-2")
    fake.put(AMY, graph_event("late", "2026-10-24T10:00:00", "2026-10-24T11:00:00"))
    result = do_sync(fake, settings)
    assert result.mailboxes[AMY].mode == "full"
    again = deltas(fake)[before:]
    assert "$deltatoken=" in again[0]  # the saved link was tried first
    assert "startDateTime=2026-10-18T23:00:00Z" in again[1]  # then a fresh round over the window
    stored = read_store(settings, settings.teams[0], WINDOW)
    assert sorted(stored.events["event_id"]) == ["amy-0", "amy-1", "late"]


def test_interrupted_sync_leaves_that_mailbox_as_it_was(tmp_path):
    fake = FakeGraph()
    week_of_events(fake, AMY, 3)
    week_of_events(fake, BEN, 5)
    settings = make_settings(tmp_path, members=[AMY, BEN], page_size=2)
    do_sync(fake, settings)
    before = ordered(read_store(settings, settings.teams[0], WINDOW).events)
    fake.remove(BEN, "ben-0")
    fake.put(AMY, graph_event("new", "2026-10-23T13:00:00", "2026-10-23T14:00:00"))
    fake.expired = {t: (410, "Gone") for t in fake._tokens if fake._tokens[t][0] == BEN}
    # Ben's full resync dies on its second page: nothing of it may be written.
    original = fake._delta_page

    def broken(person, state, offset, size):
        if person == BEN and offset > 0:
            return httpx.Response(500, json={"error": {"code": "generalException", "message": "boom"}})
        return original(person, state, offset, size)

    fake._delta_page = broken
    result = do_sync(fake, settings)
    assert [f.person for f in result.failures] == [BEN]
    after = read_store(settings, settings.teams[0], WINDOW)
    assert [f.person for f in after.failures] == [BEN]  # named, and its rows not passed off as current
    conn = sqlite3.connect(store_path(settings))
    ben_rows = sorted(r[0] for r in conn.execute("SELECT event_id FROM events WHERE person=?", (BEN,)))
    assert ben_rows == sorted(before[before["person"] == BEN]["event_id"])  # still holds ben-0
    assert "new" in set(after.events["event_id"])


def test_sync_then_read_store_equals_read_graph(tmp_path):
    fake = FakeGraph()
    for p in (AMY, BEN, CARA):
        week_of_events(fake, p, 6)
    fake.put(AMY, graph_event("leave", "2026-10-20T00:00:00", "2026-10-21T00:00:00", isAllDay=True, showAs="oof"))
    fake.put(BEN, graph_event(
        "team", "2026-10-21T09:00:00", "2026-10-21T10:00:00", seriesMasterId="series-1", categories=["Team"],
        organizer={"emailAddress": {"address": AMY}}, isOnlineMeeting=True, location={"displayName": "Room 1"},
        attendees=[{"type": "optional", "emailAddress": {"address": BEN}},
                   {"type": "required", "emailAddress": {"address": CARA}}],
        responseStatus={"response": "tentativelyAccepted"}))
    settings = make_settings(tmp_path, page_size=4)
    do_sync(fake, settings)
    stored = read_store(settings, settings.teams[0], WINDOW)
    direct = live(fake, settings)
    pd.testing.assert_frame_equal(ordered(stored.events), ordered(direct.events))
    assert stored.people == direct.people
    assert len(stored.events) == 20


def test_store_file_is_owner_only_and_holds_no_bodies_or_secrets(tmp_path):
    fake = FakeGraph()
    fake.put(AMY, graph_event("a", "2026-10-19T09:00:00", "2026-10-19T10:00:00",
                              body={"contentType": "text", "content": "Child's name and address in the body"},
                              bodyPreview="Child's name and address in the body"))
    settings = make_settings(tmp_path, members=[AMY])
    do_sync(fake, settings)
    path = store_path(settings)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    raw = path.read_bytes()
    assert b"address in the body" not in raw
    assert SECRET.encode() not in raw and b"fake-token" not in raw


def test_read_store_names_mailboxes_never_synced_for_the_window(tmp_path):
    fake = FakeGraph(fail={BEN: (403, "ErrorAccessDenied")})
    week_of_events(fake, AMY, 1)
    settings = make_settings(tmp_path, members=[AMY, BEN])
    result = do_sync(fake, settings)
    assert [(f.person, f.reason.split(":")[0]) for f in result.failures] == [(BEN, "HTTP 403 ErrorAccessDenied")]
    stored = read_store(settings, settings.teams[0], WINDOW)
    assert [f.person for f in stored.failures] == [BEN]
    assert list(stored.events["person"].unique()) == [AMY]


def test_read_store_without_a_store_says_to_sync(tmp_path):
    settings = make_settings(tmp_path, members=[AMY])
    with pytest.raises(SourceError, match="run 'calendar-audit sync'"):
        read_store(settings, settings.teams[0], WINDOW)


def test_sync_keeps_each_events_change_key_and_forgets_removed_events(tmp_path):
    from calendar_audit.sources.store import connect
    from calendar_audit.sources.versions import read_versions

    fake = FakeGraph()
    fake.put(AMY, graph_event("a", "2026-10-20T09:00:00", "2026-10-20T10:00:00", changeKey="k1",
                              allowNewTimeProposals=True))
    fake.put(AMY, graph_event("b", "2026-10-21T09:00:00", "2026-10-21T10:00:00", changeKey="k1"))
    settings = make_settings(tmp_path, members=[AMY])
    do_sync(fake, settings)
    with connect(store_path(settings)) as conn:
        assert read_versions(conn, [AMY]) == {(AMY, "a"): ("k1", True), (AMY, "b"): ("k1", False)}
    fake.put(AMY, graph_event("a", "2026-10-20T11:00:00", "2026-10-20T12:00:00", changeKey="k2"))
    fake.remove(AMY, "b")
    do_sync(fake, settings)
    with connect(store_path(settings)) as conn:
        assert read_versions(conn, [AMY]) == {(AMY, "a"): ("k2", False)}

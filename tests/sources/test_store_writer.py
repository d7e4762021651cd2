"""Sync writes the same store whether a writer process (Linux) or the event loop itself (elsewhere) writes it."""

from __future__ import annotations

import sqlite3
import sys

from graph_fake import FakeGraph, graph_event
from test_graph import AMY, BEN, make_settings, week_of_events
from test_store import do_sync

from calendar_audit.sources import store
from tests.conftest import need


def stored_rows(path) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT * FROM events ORDER BY person, event_id").fetchall()


def two_syncs(tmp_path, inline: bool, monkeypatch) -> tuple[list[tuple], list[tuple]]:
    """The events table after a first sync and after a delta sync with a removal, an update and an addition."""
    if inline:
        monkeypatch.setattr(store, "_writer_pool", lambda: None)
    fake = FakeGraph()
    week_of_events(fake, AMY, 4)
    week_of_events(fake, BEN, 3)
    settings = make_settings(tmp_path, members=[AMY, BEN], page_size=2)
    do_sync(fake, settings)
    first = stored_rows(store.store_path(settings))
    fake.remove(AMY, "amy-0")
    fake.put(AMY, graph_event("amy-1", "2026-10-20T08:00:00", "2026-10-20T08:30:00", subject="Moved"))
    fake.put(BEN, graph_event("new", "2026-10-23T13:00:00", "2026-10-23T14:00:00"))
    result = do_sync(fake, settings)
    assert (result.mailboxes[AMY].mode, result.mailboxes[AMY].removed) == ("delta", 1)
    return first, stored_rows(store.store_path(settings))


def test_writer_process_and_inline_writes_store_the_same_rows(tmp_path, monkeypatch):
    by_process = two_syncs(tmp_path / "process", False, monkeypatch)
    inline = two_syncs(tmp_path / "inline", True, monkeypatch)
    assert by_process == inline
    first, second = by_process
    assert len(first) == 7
    assert sorted(r[1] for r in second) == ["amy-1", "amy-2", "amy-3", "ben-0", "ben-1", "ben-2", "new"]
    assert [r[4] for r in second if r[1] == "amy-1"] == ["Moved"]


def test_writer_process_is_used_on_linux_and_inline_elsewhere(monkeypatch):
    need("Linux (the writer process is used on Linux only)", sys.platform.startswith("linux"))
    pool = store._writer_pool()
    assert pool is not None
    pool.shutdown()
    monkeypatch.setattr(sys, "platform", "win32")
    assert store._writer_pool() is None

"""The in-process scheduler: one run at a time, every interval, failures recorded, a clean stop."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from datetime import UTC, date, datetime

from service_helpers import Clock

from calendar_audit.frame import MailboxFailure
from calendar_audit.service.scheduler import Scheduler
from calendar_audit.service.state import ServiceState
from calendar_audit.settings import Settings
from calendar_audit.sources.store import MailboxSync, SyncResult


def state_for(tmp_path, **sync) -> ServiceState:
    settings = Settings(teams=[{"name": "evolve", "members": ["amy@x.org", "ben@x.org"]}],
                        store={"path": str(tmp_path / "store.sqlite3")},
                        sync={"window_weeks_back": 2, "window_weeks_ahead": 1, **sync})
    return ServiceState(settings, clock=Clock(datetime(2026, 10, 21, 8, 0, tzinfo=UTC)))


def test_a_run_syncs_each_team_over_the_rolling_window_and_records_each_mailbox(tmp_path):
    seen = []

    def fake_sync(settings, team, window):
        seen.append((team.name, window.first, window.last))
        return SyncResult({"amy@x.org": MailboxSync("amy@x.org", "full")},
                          [MailboxFailure("ben@x.org", "HTTP 403 ErrorAccessDenied")])

    state = state_for(tmp_path)
    assert asyncio.run(Scheduler(state, fake_sync).run_once()) == "partial"
    assert seen == [("evolve", date(2026, 10, 5), date(2026, 11, 1))]
    conn = sqlite3.connect(state.store)
    assert conn.execute("SELECT person, last_success IS NOT NULL, last_error FROM sync_status ORDER BY person"
                        ).fetchall() == [("amy@x.org", 1, None), ("ben@x.org", 0, "HTTP 403 ErrorAccessDenied")]
    assert conn.execute("SELECT outcome, mailboxes, failures FROM sync_runs").fetchall() == [("partial", 1, 1)]


def test_only_one_run_at_a_time(tmp_path):
    release = threading.Event()
    calls = []

    def slow_sync(settings, team, window):
        calls.append(1)
        release.wait(10)
        return SyncResult()

    async def both() -> list[str]:
        scheduler = Scheduler(state_for(tmp_path), slow_sync)
        first = asyncio.create_task(scheduler.run_once())
        while not calls:
            await asyncio.sleep(0.01)
        second = await scheduler.run_once()
        release.set()
        return [await first, second]

    assert asyncio.run(both()) == ["ok", "skipped"]
    assert calls == [1]


def test_the_loop_runs_every_interval_survives_failures_and_stops_cleanly(tmp_path):
    outcomes = []

    def flaky_sync(settings, team, window):
        outcomes.append(len(outcomes))
        if len(outcomes) == 1:
            raise RuntimeError("token endpoint unreachable")
        return SyncResult()

    async def run() -> Scheduler:
        scheduler = Scheduler(state_for(tmp_path, interval_minutes=0.001), flaky_sync)  # 60 ms
        scheduler.start()
        while len(outcomes) < 3:
            await asyncio.sleep(0.01)
        await scheduler.stop()
        return scheduler

    scheduler = asyncio.run(run())
    assert scheduler.next_run is not None
    conn = sqlite3.connect(scheduler.state.store)
    runs = conn.execute("SELECT outcome, error FROM sync_runs ORDER BY id").fetchall()
    assert runs[0] == ("failed", "team evolve: RuntimeError")  # the class only: a message could hold anything
    assert {r[0] for r in runs[1:]} == {"ok"}

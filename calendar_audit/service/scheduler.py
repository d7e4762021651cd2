"""The scheduler in the service's process: every ``sync.interval_minutes``, a delta sync of every team, then
enforcement and (when due) the weekly digest for each team that synced.

One run at a time (a run still going when the next is due is not doubled). A run syncs each team over the rolling
window (``sync.window_weeks_back`` / ``window_weeks_ahead``) through the same ``sync`` the command uses, in a
worker thread so pages keep answering. A failed run (or mailbox) is recorded for ``/status`` and simply tried again
at the next interval; nothing it raises reaches the web app. After a team's sync, enforcement answers its new
invitations in protected slots (``enforce_async(..., apply=True)``), then the weekly digest goes out when
``digest.enabled`` and ``scheduled_week`` says a week is due (its journal sends nobody twice); each step's outcome is
kept for ``/status`` (the last STEPS_KEPT), a failed step is tried again at the next run. On shutdown (uvicorn's
SIGTERM) the loop stops waiting and a sync in flight is allowed to finish: each mailbox is its own transaction, so
the store is never half-written.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from ..errors import CalendarAuditError
from ..sources.store import connect, sync, transaction
from ..window import rolling_window
from . import records
from .enforcement import StepRun, digest_team, enforce_team
from .state import ServiceState

log = logging.getLogger(__name__)

SyncFunction = Callable[..., Any]
STEPS_KEPT = 50


class Scheduler:
    """Runs ``run_once`` now and then every interval until stopped."""

    def __init__(self, state: ServiceState, sync_function: SyncFunction = sync) -> None:
        self.state = state
        self.sync_function = sync_function
        self.steps: list[StepRun] = []  # enforcement and digest runs, oldest first (the last STEPS_KEPT)
        self.next_run: datetime | None = None
        self.running = False
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()
        self._lock = asyncio.Lock()

    @property
    def interval(self) -> timedelta:
        return timedelta(minutes=self.state.settings.sync.interval_minutes)

    def start(self) -> None:
        self._stop = asyncio.Event()
        self._task = asyncio.create_task(self._loop(), name="calendar-audit scheduler")

    async def stop(self) -> None:
        """Stop waiting for the next run; a run in flight finishes (its thread cannot be interrupted mid-mailbox)."""
        self._stop.set()
        if self._task is not None:
            await self._task
            self._task = None

    async def _loop(self) -> None:
        while not self._stop.is_set():
            await self.run_once()
            self.next_run = self.state.now() + self.interval
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=self.interval.total_seconds())

    async def run_once(self) -> str:
        """Sync every team once; returns the run's outcome (ok, partial, failed, or skipped when one is running)."""
        if self._lock.locked():
            return "skipped"
        async with self._lock:
            self.running = True
            try:
                return await asyncio.to_thread(self._run)
            except Exception as exc:  # the run is recorded; the web app carries on
                log.warning("scheduled sync failed: %s", exc.__class__.__name__)
                return "failed"
            finally:
                self.running = False

    def _run(self) -> str:
        state = self.state
        settings = state.settings
        window = rolling_window(state.today(), settings.sync.window_weeks_back, settings.sync.window_weeks_ahead,
                                settings.timezone)
        with connect(state.store) as conn, transaction(conn):
            run = records.start_run(conn, state.now())
        synced = failed = 0
        errors: list[str] = []
        for team in settings.teams:
            try:
                result = self.sync_function(settings, team, window)
            except Exception as exc:  # a whole team failed (sign-in refused, network down): say so, go on
                errors.append(f"team {team.name}: {exc if isinstance(exc, CalendarAuditError) else type(exc).__name__}")
                continue
            with connect(state.store) as conn, transaction(conn):
                for person in result.mailboxes:
                    records.record_mailbox(conn, team.name, person, state.now())
                for failure in result.failures:
                    records.record_mailbox(conn, team.name, failure.person, state.now(), failure.reason)
            synced += len(result.mailboxes)
            failed += len(result.failures)
            self.after_sync(team)
        outcome = "failed" if errors and not synced else "partial" if errors or failed else "ok"
        with connect(state.store) as conn, transaction(conn):
            records.finish_run(conn, run, state.now(), outcome, "; ".join(errors)[:2000], synced, failed)
        state.store_changed()
        try:
            state.warm()  # the first visitor after a sync finds the team's results built
        except Exception as exc:  # a page will show the same problem; the run itself is done
            log.warning("building the pages after the sync failed: %s", exc.__class__.__name__)
        return outcome

    def after_sync(self, team: Any) -> None:
        """Enforcement, then the digest when due, for a team just synced; each recorded, neither raising."""
        for name, step in (("enforcement", enforce_team), ("digest", digest_team)):
            try:
                done = step(self.state, team)
            except Exception as exc:  # enforce_team and digest_team catch their own; this is a last guard
                done = StepRun(team.name, name, self.state.now(), "failed", type(exc).__name__)
            if done is not None:
                if done.outcome == "failed":
                    log.warning("%s for team %s failed", done.step, team.name)
                self.steps = [*self.steps, done][-STEPS_KEPT:]

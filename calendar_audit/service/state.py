"""What the service holds while it runs: settings, rules, the clock, where its store is, and cached results.

Every figure a page shows comes from the library calls the commands make: ``load_source`` (the store, or the demo
team), ``audit`` and ``policy_sections`` (``report``), ``prepare_events`` and ``suggestions_for`` (``suggest``),
``slot_result`` (``slots check``). Results are cached per team, window and policy version until the next sync.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pandas as pd

from ..audit import audit, people_of, prepare_events, working_hours_map
from ..frame import SourceData
from ..metrics import AuditResult
from ..rules import RuleSet, load_rules
from ..settings import Settings, TeamSettings
from ..slots import Slot
from ..slots.sections import policy_sections, slot_result
from ..sources import SourceRequest, load_source
from ..sources.store import store_path
from ..suggest import suggestions_for
from ..window import Window, rolling_window

CACHE_SIZE = 6  # team-wide results (a 500-person year is a few hundred MB)
PERSON_CACHE_SIZE = 2000  # per-person results (suggestions: a few KB each)
PER_PERSON = ("suggestions",)


@dataclass
class ServiceState:
    """The running service's settings and collaborators; tests inject the clock and Graph's transport."""

    settings: Settings
    demo: bool = False
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    graph_transport: httpx.AsyncBaseTransport | None = None  # tests: a fake Graph for delegated replies
    msal_http: Any = None  # tests: the HTTP client msal signs in through
    rules: RuleSet | None = None
    generation: int = 0  # bumped after every sync: cached results are from an older store
    _cache: OrderedDict[Hashable, Any] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _building: dict[Hashable, threading.Lock] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.rules is None:
            self.rules = load_rules(self.settings.rule_paths())

    # --- where and when ----------------------------------------------------------------------------------
    @property
    def store(self) -> Path:
        return store_path(self.settings)

    def now(self) -> datetime:
        return self.clock()

    def today(self) -> date:
        """Today in the team's zone; for the demo, the Monday of its last week (its calendars live in 2026)."""
        if self.demo:
            natural = self.demo_data().window
            assert natural is not None
            return natural.last - timedelta(days=natural.last.weekday())
        return pd.Timestamp(self.now()).tz_convert(self.settings.timezone).date()

    def past_window(self) -> Window:
        """The weeks the pages show by default: the demo's whole window, else the complete weeks of the sync
        window (from the Monday sync.window_weeks_back weeks ago to last Sunday)."""
        tz = self.settings.timezone
        if self.demo:
            natural = self.demo_data().window
            assert natural is not None
            return Window(natural.first, natural.last, tz)
        rolling = rolling_window(self.today(), max(self.settings.sync.window_weeks_back, 1), 1, tz)
        monday = self.today() - timedelta(days=self.today().weekday())
        return Window(rolling.first, monday - timedelta(days=1), tz)

    def upcoming_window(self) -> Window:
        """The days suggestions look at: suggest.days from today (the demo: up to the end of its calendars)."""
        first = self.today()
        last = first + timedelta(days=self.settings.suggest.days - 1)
        if self.demo:
            natural = self.demo_data().window
            assert natural is not None
            last = min(last, natural.last)
        else:  # no further than the synced window reaches
            sync = self.settings.sync
            last = min(last, rolling_window(first, sync.window_weeks_back, sync.window_weeks_ahead, "UTC").last)
        return Window(first, last, self.settings.timezone)

    def last_weeks(self, weeks: int = 4) -> Window:
        """The complete weeks before this one (the policy page's preview): the demo's last ``weeks``."""
        monday = self.today() - timedelta(days=self.today().weekday())
        if self.demo:
            natural = self.demo_data().window
            assert natural is not None
            monday = natural.last + timedelta(days=1)
        return Window(monday - timedelta(weeks=weeks), monday - timedelta(days=1), self.settings.timezone)

    # --- data ------------------------------------------------------------------------------------------------
    def cached(self, key: Hashable, build: Callable[[], Any]) -> Any:
        """One result per key and store generation, the last CACHE_SIZE kept (per-person ones apart); a result
        being built is waited for, not built twice."""
        key = (self.generation, key)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
            building = self._building.setdefault(key, threading.Lock())
        with building:
            with self._lock:
                if key in self._cache:
                    return self._cache[key]
            value = build()
            with self._lock:
                self._cache[key] = value
                self._building.pop(key, None)
                teamwide = [k for k in self._cache if k[1][0] not in PER_PERSON]
                for old in teamwide[:-CACHE_SIZE]:
                    del self._cache[old]
                people = [k for k in self._cache if k[1][0] in PER_PERSON]
                for old in people[:-PERSON_CACHE_SIZE]:
                    del self._cache[old]
        return value

    def warm(self) -> None:
        """Build what every page needs first (each team's default weeks, its slots, the coming fortnight), so the
        first person to open a page after a sync does not wait for the whole team."""
        from ..errors import CalendarAuditError

        for team in self.settings.teams:
            try:
                self.team_slots(team, self.past_window(), *self.policy(team))
                self.upcoming(team, self.upcoming_window())
            except CalendarAuditError:
                continue  # not synced yet: the pages say so

    def policy(self, team: TeamSettings) -> tuple[list[Slot], int]:
        """The team's policy in force and its version (the newest saved, else the settings' seed; 0: none)."""
        from ..sources.store import connect, transaction
        from . import records

        with connect(self.store) as conn, transaction(conn):
            version = records.current(conn, self.settings, team, self.demo, self.now())
        if version is None:
            return [], 0
        assert self.rules is not None
        return version.slots(self.rules.categories), version.version

    def store_changed(self) -> None:
        """After a sync: the next page reads the store afresh."""
        with self._lock:
            self.generation += 1
            self._cache.clear()

    def demo_data(self) -> SourceData:
        from ..sources.demo import generate

        return self.cached("demo", lambda: generate(tz=self.settings.timezone))

    def load(self, team: TeamSettings, window: Window) -> SourceData:
        """The team's calendars over the window: from the store (as ``report --source store``), or the demo team."""
        if self.demo:
            data = self.demo_data()
            return replace(data, window=window)
        request = SourceRequest(source="store", team=team.name, first=window.first, last=window.last)
        return load_source(request, self.settings, self.today()).data

    def team_result(self, team: TeamSettings, window: Window, slots: list[Slot], version: int) -> AuditResult:
        """``report --source store`` for the team over the window, with the policy's sections."""

        def build() -> AuditResult:
            data = self.load(team, window)
            result = audit(data, self.rules, window, self.settings, source_label=source_label(self, team),
                           slots=slots)
            result.extra_sections += policy_sections(result, slots, None)
            return result

        return self.cached(("team", team.name, window, version), build)

    def team_slots(self, team: TeamSettings, window: Window, slots: list[Slot], version: int) -> Any:
        """The team's result over the window and its protected-slot compliance (``slots check``'s measure)."""
        result = self.team_result(team, window, slots, version)
        if not slots:
            return result, None
        return result, self.cached(("slots", team.name, window, version), lambda: slot_result(result, slots))

    def suggestions(self, team: TeamSettings, person: str, window: Window, slots: list[Slot], version: int
                    ) -> pd.DataFrame | None:
        """``suggest --person``'s suggestions for one person (None when they are not in the synced calendars)."""

        def build() -> pd.DataFrame | None:
            events, people, hours = self.upcoming(team, window)
            if person not in {p.lower() for p in people}:
                return None
            return suggestions_for(events, people, person, window, self.settings, slots, hours)

        return self.cached(("suggestions", team.name, person, window, version), build)

    def upcoming(self, team: TeamSettings, window: Window) -> tuple[pd.DataFrame, list[str], dict[str, Any]]:
        """The team's prepared events over the suggestion window, its people and their working hours."""

        def build() -> tuple[pd.DataFrame, list[str], dict[str, Any]]:
            data = self.load(team, window)
            events = prepare_events(data.events, self.rules, window, self.settings)
            return events, people_of(data, events), working_hours_map(data, self.settings)

        return self.cached(("upcoming", team.name, window), build)


def source_label(state: ServiceState, team: TeamSettings) -> str:
    return f"demo team ({len(state.demo_data().people)} people)" if state.demo else f"synced store (team {team.name})"

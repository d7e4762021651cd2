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
from ..slots.sections import policy_sections
from ..sources import SourceRequest, load_source
from ..sources.store import store_path
from ..window import Window, rolling_window

CACHE_SIZE = 8


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
        """One result per key and store generation, the last CACHE_SIZE kept."""
        key = (self.generation, key)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        value = build()
        with self._lock:
            self._cache[key] = value
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return value

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

    def load_person(self, team: TeamSettings, person: str, window: Window) -> SourceData:
        """One person's calendar over the window (read on its own from the store: a person's page stays quick)."""
        if self.demo:
            return only(self.demo_data(), person, window)
        from ..sources.store import read_store

        alone = TeamSettings(name="", members=[person])  # no stored team has an empty name: read just them
        return read_store(self.settings, alone, window)

    def team_result(self, team: TeamSettings, window: Window, slots: list[Slot], version: int) -> AuditResult:
        """``report --source store`` for the team over the window, with the policy's sections."""

        def build() -> AuditResult:
            data = self.load(team, window)
            result = audit(data, self.rules, window, self.settings, source_label=source_label(self, team))
            result.extra_sections += policy_sections(result, slots, None)
            return result

        return self.cached(("team", team.name, window, version), build)

    def person_result(self, team: TeamSettings, person: str, window: Window) -> AuditResult:
        """The person's own figures over the window (the same audit as the team's, for one person)."""

        def build() -> AuditResult:
            data = self.load_person(team, person, window)
            return audit(data, self.rules, window, replace_privacy(self.settings), source_label="your calendar",
                         allow_small_team=True)

        return self.cached(("person", team.name, person, window), build)

    def upcoming(self, team: TeamSettings, window: Window) -> tuple[pd.DataFrame, list[str], dict[str, Any]]:
        """The team's prepared events over the suggestion window, its people and their working hours."""

        def build() -> tuple[pd.DataFrame, list[str], dict[str, Any]]:
            data = self.load(team, window)
            events = prepare_events(data.events, self.rules, window, self.settings)
            return events, people_of(data, events), working_hours_map(data, self.settings)

        return self.cached(("upcoming", team.name, window), build)


def only(data: SourceData, person: str, window: Window) -> SourceData:
    """``data`` restricted to one person."""
    key = person.lower()
    events = data.events[data.events["person"].str.lower() == key].reset_index(drop=True)
    people = [p for p in data.people if p.lower() == key]
    hours = {p: h for p, h in data.working_hours.items() if p.lower() == key}
    failures = [f for f in data.failures if f.person.lower() == key]
    return replace(data, events=events, people=people, working_hours=hours, failures=failures, window=window,
                   notes=[])


def replace_privacy(settings: Settings) -> Settings:
    """A person's own page shows them as themselves: pseudonyms are for figures shared beyond them."""
    if not settings.privacy.pseudonymise:
        return settings
    return settings.model_copy(update={"privacy": settings.privacy.model_copy(update={"pseudonymise": False})})


def source_label(state: ServiceState, team: TeamSettings) -> str:
    return f"demo team ({len(state.demo_data().people)} people)" if state.demo else f"synced store (team {team.name})"

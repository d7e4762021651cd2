"""Saved policy versions (slots.saved) on a temporary store: numbering, newest first, and which policy is in force."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest

from calendar_audit.errors import SlotError
from calendar_audit.settings import Settings, StoreSettings, TeamSettings
from calendar_audit.slots.saved import PolicyVersion, latest_saved, plain, save, team_policy, versions
from calendar_audit.sources.schema import V1, V2, _statements
from calendar_audit.sources.store import connect

MO = "mo.khan@council.gov.uk"
AM = {"name": "am", "days": ["tue"], "start": "09:30", "end": "12:30", "allow": ["direct_work"]}
PM = {"name": "pm", "days": ["wed"], "start": "13:00", "end": "16:00", "allow": ["training"], "enforce": "off"}


def settings_for(store: Path, config: Path | None = None) -> Settings:
    settings = Settings(store=StoreSettings(path=str(store)))
    settings._config_file = config
    return settings


def old_store(path: Path, version: int) -> None:
    """A store left at schema ``version`` (1: before policy versions existed; 2: the service's first)."""
    conn = sqlite3.connect(path)
    for script in [V1, V2][:version]:
        for statement in _statements(script):
            conn.execute(statement)
    conn.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(version),))
    conn.commit()
    conn.close()


def test_plain_writes_dates_times_and_datetimes_as_a_slot_file_holds_them() -> None:
    assert plain({"name": "am", "days": ["tue"], "start": time(9, 30, 45), "end": "12:30", "since": date(2026, 1, 5),
                  "until": datetime(2026, 3, 27, 17, 0)}) == {
        "name": "am", "days": ["tue"], "start": "09:30", "end": "12:30", "since": "2026-01-05",
        "until": "2026-03-27T17:00:00"}


def test_versions_are_numbered_per_team_and_read_newest_first(tmp_path: Path) -> None:
    with connect(tmp_path / "store.sqlite3") as conn:
        first = save(conn, "evolve", [{**AM, "start": time(9, 30)}], MO, datetime(2026, 11, 1, 9, 0, 30, 999, UTC))
        second = save(conn, "evolve", [AM, PM], "ann@council.gov.uk", datetime(2026, 11, 2, 8, 15, tzinfo=UTC))
        other = save(conn, "fostering", [PM], MO, datetime(2026, 11, 3, tzinfo=UTC))
        assert first == PolicyVersion("evolve", 1, [AM], MO, "2026-11-01T09:00:30+00:00")
        assert (second.version, other.version) == (2, 1)
        assert versions(conn, "evolve") == [
            PolicyVersion("evolve", 2, [AM, PM], "ann@council.gov.uk", "2026-11-02T08:15:00+00:00"), first]
        assert versions(conn, "evolve", limit=1) == [versions(conn, "evolve")[0]]
        assert versions(conn, "fostering") == [PolicyVersion("fostering", 1, [PM], MO, "2026-11-03T00:00:00+00:00")]
        assert versions(conn, "nobody") == []


def test_a_version_validates_its_slots_naming_team_and_version() -> None:
    version = PolicyVersion("evolve", 3, [AM, PM], MO, "2026-11-02T08:15:00+00:00")
    assert [(s.name, s.enforce, s.source) for s in version.slots()] == [
        ("am", "notify", "team 'evolve' policy version 3"), ("pm", "off", "team 'evolve' policy version 3")]
    with pytest.raises(SlotError) as err:
        version.slots(("direct_work",))
    assert str(err.value) == ("team 'evolve' policy version 3: slot \"pm\": allow[0]: unknown category \"training\" "
                              "(use direct_work or statutory)")


def test_latest_saved_is_none_without_a_store_or_a_version(tmp_path: Path) -> None:
    store = tmp_path / "store.sqlite3"
    assert latest_saved(settings_for(store), "evolve") is None  # no file
    store.touch()
    assert latest_saved(settings_for(store), "evolve") is None  # an empty file
    store.unlink()
    old_store(store, 1)
    assert latest_saved(settings_for(store), "evolve") is None  # before policy versions
    with connect(store) as conn:  # brought up to date, a version for another team only
        save(conn, "fostering", [PM], MO, datetime(2026, 11, 3, tzinfo=UTC))
    assert latest_saved(settings_for(store), "evolve") is None
    assert latest_saved(settings_for(store), "fostering").version == 1


def test_latest_saved_reads_a_store_the_first_service_wrote(tmp_path: Path) -> None:
    store = tmp_path / "store.sqlite3"
    old_store(store, 2)
    conn = sqlite3.connect(store)
    with conn:
        save(conn, "evolve", [AM], MO, datetime(2026, 11, 1, tzinfo=UTC))
        save(conn, "evolve", [PM], MO, datetime(2026, 11, 2, tzinfo=UTC))
    conn.close()
    found = latest_saved(settings_for(store), "evolve")
    assert (found.version, found.raw) == (2, [PM])
    assert store.stat().st_size > 0 and sqlite3.connect(store).execute(
        "SELECT value FROM meta WHERE key='schema_version'").fetchone() == ("2",)  # read, not migrated


def test_team_policy_is_the_newest_saved_version_else_the_settings(tmp_path: Path) -> None:
    store = tmp_path / "store.sqlite3"
    config = tmp_path / "cal.toml"
    team = TeamSettings(name="evolve", protected_slots=[AM])
    assert [(s.name, s.source) for s in team_policy(settings_for(store, config), team)] == [
        ("am", f"{config}: teams 'evolve' protected_slots")]
    assert [s.source for s in team_policy(settings_for(store), team)] == ["settings: teams 'evolve' protected_slots"]
    assert team_policy(settings_for(store), TeamSettings(name="evolve")) == []
    with pytest.raises(SlotError, match=r'^settings: teams \'evolve\' protected_slots: slot "am": allow\[0\]'):
        team_policy(settings_for(store), team, ("meeting",))
    with connect(store) as conn:
        save(conn, "evolve", [PM], MO, datetime(2026, 11, 1, tzinfo=UTC))
    assert [(s.name, s.source) for s in team_policy(settings_for(store, config), team)] == [
        ("pm", "team 'evolve' policy version 1")]
    with pytest.raises(SlotError, match=r"^team 'evolve' policy version 1: slot \"pm\": allow\[0\]"):
        team_policy(settings_for(store), team, ("direct_work",))

"""Store schema versions: a new store is created at the latest, an old one upgrades, a newer one is refused."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from calendar_audit.errors import StoreError
from calendar_audit.sources.schema import SCHEMA_VERSION, V1, migrate, version_of


def test_new_store_is_created_at_the_latest_version(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "s.sqlite3", isolation_level=None)
    assert version_of(conn) == 0
    assert migrate(conn, "store s") == 0
    assert version_of(conn) == SCHEMA_VERSION


def test_version_one_store_without_version_row_opens_and_keeps_its_events(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "s.sqlite3", isolation_level=None)
    conn.executescript(V1)  # the first release wrote no version row before its first sync
    conn.execute("INSERT INTO events (person, event_id, start_ns, end_ns) VALUES ('a@x', 'e1', 1, 2)")
    assert migrate(conn, "store s") == 1
    assert version_of(conn) == SCHEMA_VERSION
    assert conn.execute("SELECT event_id FROM events").fetchall() == [("e1",)]


def test_store_from_a_newer_release_is_refused_with_a_clear_line(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "s.sqlite3", isolation_level=None)
    migrate(conn, "store s")
    conn.execute("UPDATE meta SET value='999' WHERE key='schema_version'")
    with pytest.raises(StoreError, match=r"store s: written by a newer calendar-audit \(schema version 999"):
        migrate(conn, "store s")

"""The team's protected slots in force: the newest version saved in the store, else the settings' protected_slots.

One answer for every reader: the service's pages, ``enforce``, ``digest``, and ``slots check`` / ``report`` /
``suggest`` with a team from the settings. The service's policy page saves each edit as a new row of the store's
``policy_versions`` (who and when); the settings file's ``[[teams.protected_slots]]`` seed version 1 and are what
applies while the store holds no version for the team (no store, or a store no service has written to).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from ..settings import Settings, TeamSettings
from .policy import CATEGORIES, Slot, slots_from_team, validate_slots


@dataclass(frozen=True)
class PolicyVersion:
    team: str
    version: int
    raw: list[dict[str, Any]]  # [[slot]] tables as saved (strings for times and dates)
    saved_by: str
    saved_at: str

    def slots(self, categories: Sequence[str] = CATEGORIES) -> list[Slot]:
        return validate_slots(self.raw, f"team {self.team!r} policy version {self.version}", categories)


def plain(table: dict[str, Any]) -> dict[str, Any]:
    """A slot table with dates and times as the strings a slot file holds (TOML may give date objects)."""
    out: dict[str, Any] = {}
    for key, value in table.items():
        if isinstance(value, date | datetime):
            out[key] = value.isoformat()
        elif hasattr(value, "strftime"):
            out[key] = value.strftime("%H:%M")
        else:
            out[key] = value
    return out


def versions(conn: sqlite3.Connection, team: str, limit: int = -1) -> list[PolicyVersion]:
    """The team's saved versions, newest first (``limit``: at most that many)."""
    rows = conn.execute("SELECT team, version, slots, saved_by, saved_at FROM policy_versions WHERE team=? "
                        "ORDER BY version DESC LIMIT ?", (team, limit)).fetchall()
    return [PolicyVersion(r[0], r[1], json.loads(r[2]), r[3], r[4]) for r in rows]


def save(conn: sqlite3.Connection, team: str, raw: list[dict[str, Any]], who: str, now: datetime) -> PolicyVersion:
    """A new version (validated by the caller) saved by ``who`` at ``now``."""
    row = conn.execute("SELECT COALESCE(MAX(version), 0) FROM policy_versions WHERE team=?", (team,)).fetchone()
    version = int(row[0]) + 1
    stamp = now.isoformat(timespec="seconds")
    tables = [plain(t) for t in raw]
    conn.execute("INSERT INTO policy_versions VALUES (?,?,?,?,?)", (team, version, json.dumps(tables), who, stamp))
    return PolicyVersion(team, version, tables, who, stamp)


def latest_saved(settings: Settings, team: str) -> PolicyVersion | None:
    """The newest version of the team's policy in the store, read only (None: no store, or no version in it)."""
    from ..sources.schema import version_of
    from ..sources.store import connect, store_path

    path = store_path(settings)
    if not path.is_file() or path.stat().st_size == 0:
        return None
    with connect(path, readonly=True) as conn:
        if version_of(conn) < 2:  # policy_versions arrived with schema version 2
            return None
        found = versions(conn, team, limit=1)
    return found[0] if found else None


def team_policy(settings: Settings, team: TeamSettings, categories: Sequence[str] = CATEGORIES) -> list[Slot]:
    """The team's protected slots in force: the newest saved version, else the settings' (``[]``: no policy)."""
    saved = latest_saved(settings, team.name)
    if saved is not None:
        return saved.slots(categories)
    if not team.protected_slots:
        return []
    where = str(settings._config_file) if settings._config_file else "settings"
    return slots_from_team(team, where, categories)

"""The service's own rows in the store: policy versions, the response journal, and sync runs.

Policy versions: each save on the policy page is a new version with who and when; the newest wins over the
settings file's ``[[teams.protected_slots]]``, which seed version 1 (the demo: the demo team's policy).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from ..settings import Settings, TeamSettings
from ..slots import Slot, validate_slots


@dataclass(frozen=True)
class PolicyVersion:
    team: str
    version: int
    raw: list[dict[str, Any]]  # [[slot]] tables as saved (strings for times and dates)
    saved_by: str
    saved_at: str

    def slots(self, categories: tuple[str, ...]) -> list[Slot]:
        return validate_slots(self.raw, f"team {self.team!r} policy version {self.version}", categories)


def _plain(table: dict[str, Any]) -> dict[str, Any]:
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


def seed_of(settings: Settings, team: TeamSettings, demo: bool) -> tuple[list[dict[str, Any]], str]:
    """What version 1 holds: the settings' protected_slots (the demo: its own policy), and who 'saved' it."""
    if demo:
        import tomllib

        from ..sources.demo import demo_slots_toml

        return [_plain(t) for t in tomllib.loads(demo_slots_toml())["slot"]], "the demo team's policy"
    where = str(settings._config_file) if settings._config_file else "the settings"
    return [_plain(t) for t in team.protected_slots], f"settings file ({where})"


def versions(conn: sqlite3.Connection, team: str) -> list[PolicyVersion]:
    """Every saved version, newest first."""
    rows = conn.execute("SELECT team, version, slots, saved_by, saved_at FROM policy_versions WHERE team=? "
                        "ORDER BY version DESC", (team,)).fetchall()
    return [PolicyVersion(r[0], r[1], json.loads(r[2]), r[3], r[4]) for r in rows]


def current(conn: sqlite3.Connection, settings: Settings, team: TeamSettings, demo: bool,
            now: datetime) -> PolicyVersion | None:
    """The newest version, seeding version 1 from the settings when the team has none yet (None: no policy)."""
    found = versions(conn, team.name)
    if found:
        return found[0]
    raw, by = seed_of(settings, team, demo)
    if not raw:
        return None
    return save(conn, team.name, raw, by, now)


def save(conn: sqlite3.Connection, team: str, raw: list[dict[str, Any]], who: str, now: datetime) -> PolicyVersion:
    """A new version (validated by the caller) saved by ``who`` at ``now``."""
    row = conn.execute("SELECT COALESCE(MAX(version), 0) FROM policy_versions WHERE team=?", (team,)).fetchone()
    version = int(row[0]) + 1
    stamp = now.isoformat(timespec="seconds")
    conn.execute("INSERT INTO policy_versions VALUES (?,?,?,?,?)",
                 (team, version, json.dumps([_plain(t) for t in raw]), who, stamp))
    return PolicyVersion(team, version, [_plain(t) for t in raw], who, stamp)


# --- the response journal --------------------------------------------------------------------------------------
def answered(conn: sqlite3.Connection, person: str) -> dict[str, tuple[str, str]]:
    """Event id -> (action, outcome) for every answer this person gave from the home page."""
    rows = conn.execute("SELECT event_id, action, outcome FROM response_journal WHERE person=?", (person,))
    return {r[0]: (r[1], r[2]) for r in rows}


def record_answer(conn: sqlite3.Connection, person: str, event_id: str, action: str, outcome: str, mode: str,
                  now: datetime) -> None:
    """Journal one answer; a failed one may be tried again, a sent one stays."""
    conn.execute("INSERT INTO response_journal VALUES (?,?,?,?,?,?) ON CONFLICT(person, event_id) DO UPDATE SET "
                 "action=excluded.action, outcome=excluded.outcome, mode=excluded.mode, time=excluded.time",
                 (person, event_id, action, outcome, mode, now.isoformat(timespec="seconds")))


# --- sync runs ---------------------------------------------------------------------------------------------------
def start_run(conn: sqlite3.Connection, now: datetime) -> int:
    cur = conn.execute("INSERT INTO sync_runs (started, outcome) VALUES (?, 'running')",
                       (now.isoformat(timespec="seconds"),))
    return int(cur.lastrowid or 0)


def finish_run(conn: sqlite3.Connection, run: int, now: datetime, outcome: str, error: str = "",
               mailboxes: int = 0, failures: int = 0) -> None:
    conn.execute("UPDATE sync_runs SET finished=?, outcome=?, error=?, mailboxes=?, failures=? WHERE id=?",
                 (now.isoformat(timespec="seconds"), outcome, error or None, mailboxes, failures, run))


def record_mailbox(conn: sqlite3.Connection, team: str, person: str, now: datetime, error: str = "") -> None:
    stamp = now.isoformat(timespec="seconds")
    conn.execute("INSERT INTO sync_status VALUES (?,?,?,?,?) ON CONFLICT(person) DO UPDATE SET team=excluded.team, "
                 "last_attempt=excluded.last_attempt, last_error=excluded.last_error, "
                 "last_success=COALESCE(excluded.last_success, sync_status.last_success)",
                 (person, team, stamp, None if error else stamp, error or None))


def runs(conn: sqlite3.Connection, limit: int = 10) -> list[dict[str, Any]]:
    cols = ("id", "started", "finished", "outcome", "error", "mailboxes", "failures")
    rows = conn.execute(f"SELECT {','.join(cols)} FROM sync_runs ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
    return [dict(zip(cols, r, strict=True)) for r in rows]


def mailbox_status(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    cols = ("person", "team", "last_attempt", "last_success", "last_error")
    rows = conn.execute(f"SELECT {','.join(cols)} FROM sync_status ORDER BY team, person").fetchall()
    return [dict(zip(cols, r, strict=True)) for r in rows]


def stored_members(conn: sqlite3.Connection) -> dict[str, list[str]]:
    """Team -> members found by the last sync of its group (the store's team_members)."""
    out: dict[str, list[str]] = {}
    for team, person in conn.execute("SELECT team, person FROM team_members ORDER BY team, position"):
        out.setdefault(team, []).append(person)
    return out

"""The service's own rows in the store: policy versions, the response journal, and sync runs.

Policy versions: each save on the policy page is a new version with who and when; the newest wins over the
settings file's ``[[teams.protected_slots]]``, which seed version 1 (the demo: the demo team's policy).
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

from ..settings import Settings, TeamSettings
from ..slots.saved import PolicyVersion, plain, save, versions

__all__ = ["PolicyVersion", "current", "save", "seed_of", "versions"]  # the policy's rows: ..slots.saved


def seed_of(settings: Settings, team: TeamSettings, demo: bool) -> tuple[list[dict[str, Any]], str]:
    """What version 1 holds: the settings' protected_slots (the demo: its own policy), and who 'saved' it."""
    if demo:
        import tomllib

        from ..sources.demo import demo_slots_toml

        # the demo shows enforcement at work: its slots decline (a slot's default is notify)
        return [{**plain(t), "enforce": "decline"} for t in tomllib.loads(demo_slots_toml())["slot"]], \
            "the demo team's policy"
    where = str(settings._config_file) if settings._config_file else "the settings"
    return [plain(t) for t in team.protected_slots], f"settings file ({where})"


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

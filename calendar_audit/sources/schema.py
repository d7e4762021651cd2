"""The store's schema, by version: each step upgrades a store from the version before it.

A store records its version in ``meta.schema_version``. Opening a store applies the missing steps in order, each in
its own transaction, so a store written by an older calendar-audit upgrades in place; a store written by a newer one
is refused with a clear line rather than misread. Steps are only ever appended, never edited: a store in the field
may be at any version.
"""

from __future__ import annotations

import sqlite3

from ..errors import StoreError

# Version 1: what `sync` has kept since the first release (events, mailboxes, team members, delta links).
V1 = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS mailboxes (
    person TEXT PRIMARY KEY, timezone TEXT, working_hours TEXT, last_error TEXT);
CREATE TABLE IF NOT EXISTS team_members (team TEXT NOT NULL, person TEXT NOT NULL, position INTEGER NOT NULL,
    PRIMARY KEY (team, person));
CREATE TABLE IF NOT EXISTS delta_links (person TEXT NOT NULL, window_start TEXT NOT NULL, window_end TEXT NOT NULL,
    link TEXT NOT NULL, PRIMARY KEY (person, window_start, window_end));
CREATE TABLE IF NOT EXISTS events (
    person TEXT NOT NULL, event_id TEXT NOT NULL, series_id TEXT, ical_uid TEXT, subject TEXT,
    start_ns INTEGER NOT NULL, end_ns INTEGER NOT NULL, is_all_day INTEGER, show_as TEXT, response TEXT,
    is_cancelled INTEGER, is_optional INTEGER, attendee_count INTEGER, organizer TEXT, outlook_categories TEXT,
    is_online INTEGER, location TEXT, sensitivity TEXT, has_agenda INTEGER, attendees TEXT,
    PRIMARY KEY (person, event_id));
CREATE INDEX IF NOT EXISTS events_time ON events (person, start_ns, end_ns);
"""

# Version 2: the service (`calendar-audit serve`). Sessions are found by a hash of their cookie (the cookie itself is
# never stored); token_cache is the session's msal cache, the only place a token is kept. Policy versions are the
# protected slots saved on the policy page, who saved them and when. The response journal records every answer
# given from the home page (decline, tentative, keep), once per person and event. Sync runs and per-mailbox sync
# status feed /status.
V2 = """
CREATE TABLE IF NOT EXISTS sessions (
    id_hash TEXT PRIMARY KEY, person TEXT, roles TEXT NOT NULL DEFAULT '[]', csrf TEXT NOT NULL,
    created TEXT NOT NULL, expires TEXT NOT NULL, flow TEXT, token_cache TEXT);
CREATE INDEX IF NOT EXISTS sessions_expires ON sessions (expires);
CREATE TABLE IF NOT EXISTS policy_versions (
    team TEXT NOT NULL, version INTEGER NOT NULL, slots TEXT NOT NULL, saved_by TEXT NOT NULL,
    saved_at TEXT NOT NULL, PRIMARY KEY (team, version));
CREATE TABLE IF NOT EXISTS response_journal (
    person TEXT NOT NULL, event_id TEXT NOT NULL, action TEXT NOT NULL, outcome TEXT NOT NULL, mode TEXT NOT NULL,
    time TEXT NOT NULL, PRIMARY KEY (person, event_id));
CREATE TABLE IF NOT EXISTS sync_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT, started TEXT NOT NULL, finished TEXT, outcome TEXT NOT NULL,
    error TEXT, mailboxes INTEGER NOT NULL DEFAULT 0, failures INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS sync_status (
    person TEXT PRIMARY KEY, team TEXT NOT NULL, last_attempt TEXT NOT NULL, last_success TEXT, last_error TEXT);
"""

# Version 3: enforcement and the digest (issue 11). event_versions holds each stored event's changeKey (written by
# sync beside the events), so enforcement answers an invitation once per version; the journals record what
# enforcement and the digest did (never a subject); preferences hold each person's own enforcement level.
V3 = """
CREATE TABLE IF NOT EXISTS event_versions (person TEXT NOT NULL, event_id TEXT NOT NULL, change_key TEXT NOT NULL,
    allow_new_time_proposals INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (person, event_id));
CREATE TABLE IF NOT EXISTS enforcement_journal (
    id INTEGER PRIMARY KEY AUTOINCREMENT, person TEXT NOT NULL, event_id TEXT NOT NULL, change_key TEXT NOT NULL,
    series_id TEXT NOT NULL DEFAULT '', slot TEXT NOT NULL DEFAULT '', action TEXT NOT NULL,
    why TEXT NOT NULL DEFAULT '', outcome TEXT NOT NULL, start_ns INTEGER, end_ns INTEGER,
    proposed_start_ns INTEGER, proposed_end_ns INTEGER,
    at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS enforcement_journal_event ON enforcement_journal (person, event_id, change_key);
CREATE TABLE IF NOT EXISTS preferences (person TEXT PRIMARY KEY, enforce_level TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS digest_journal (person TEXT NOT NULL, week_start TEXT NOT NULL, role TEXT NOT NULL,
    outcome TEXT NOT NULL, at TEXT NOT NULL, PRIMARY KEY (person, week_start, role));
"""

# Each entry is (version, SQL script). Append only; the last version is the one this code writes.
MIGRATIONS: list[tuple[int, str]] = [
    (1, V1),
    (2, V2),
    (3, V3),
]
SCHEMA_VERSION = MIGRATIONS[-1][0]


def version_of(conn: sqlite3.Connection) -> int:
    """The store's schema version; 0 for a new, empty file."""
    has_meta = conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'").fetchone()
    if not has_meta:
        return 0
    row = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
    return int(row[0]) if row else 1


def check_version(conn: sqlite3.Connection, where: str) -> int:
    """The store's version; StoreError when a newer calendar-audit wrote it."""
    found = version_of(conn)
    if found > SCHEMA_VERSION:
        raise StoreError(f"{where}: written by a newer calendar-audit (schema version {found}; this one reads up "
                         f"to {SCHEMA_VERSION}); upgrade calendar-audit, or point store.path at another file")
    return found


def migrate(conn: sqlite3.Connection, where: str) -> int:
    """Bring the store up to SCHEMA_VERSION, one transaction per step; returns the version it was at."""
    found = check_version(conn, where)
    for version, script in MIGRATIONS:
        if version <= found:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in _statements(script):
                conn.execute(statement)
            conn.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(version),))
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    return found


def _statements(script: str) -> list[str]:
    """A script's statements (executescript would commit the step's transaction half-way)."""
    out, buf = [], ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    return [s for s in out if s]

"""Event versions in the store: each event's Graph changeKey, kept beside the events by sync (schema version 3)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence


def write_versions(conn: sqlite3.Connection, person: str, removed: Sequence[str],
                   versions: Iterable[tuple[str, str, bool]]) -> None:
    """Record (event id, changeKey, allowNewTimeProposals) of a mailbox's changed events; forget removed ones."""
    conn.executemany("DELETE FROM event_versions WHERE person=? AND event_id=?", [(person, e) for e in removed])
    conn.executemany("INSERT OR REPLACE INTO event_versions VALUES (?,?,?,?)",
                     [(person, event_id, key, int(bool(allow))) for event_id, key, allow in versions])


def read_versions(conn: sqlite3.Connection, people: Sequence[str]) -> dict[tuple[str, str], tuple[str, bool]]:
    """(person, event id) -> (changeKey, allowNewTimeProposals) for the given people (lower-case keys)."""
    marks = ",".join("?" * len(people))
    rows = conn.execute(f"SELECT person, event_id, change_key, allow_new_time_proposals FROM event_versions "
                        f"WHERE person IN ({marks})", list(people)).fetchall() if people else []
    return {(p.lower(), e): (k, bool(a)) for p, e, k, a in rows}

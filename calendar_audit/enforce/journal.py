"""The enforcement journal and the people's preferences, in the store (schema version 3). I/O: SQLite only.

The journal has one row per decision acted on: a write sent or failed, a notification noted, an undo. It holds
ids, times and levels, never a subject. A (person, event id, changeKey) with an outcome ``sent`` or ``noted`` is
decided: later runs leave that version alone. ``serve --demo`` journals its answers as ``demo`` (counted as sent;
nothing is sent).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd

from ..errors import InputError
from ..slots.policy import ENFORCE_LEVELS
from .engine import WRITES, Decision, History

SENT = ("sent", "demo")  # an answer sent; in ``serve --demo`` one recorded as sent (nothing reaches Microsoft)
DECIDED = (*SENT, "noted")
UNDO = "accept"


def _ns(value: pd.Timestamp | None) -> int | None:
    return None if value is None else int(pd.Timestamp(value).value)


def _ts(value: int | None) -> pd.Timestamp | None:
    return None if value is None else pd.Timestamp(int(value), unit="ns", tz="UTC")


def history(conn: sqlite3.Connection, people: Sequence[str]) -> History:
    """What earlier runs decided and wrote, for the engine."""
    marks = ",".join("?" * len(people))
    rows = conn.execute(
        f"SELECT person, event_id, change_key, series_id, action, outcome, at FROM enforcement_journal "
        f"WHERE lower(person) IN ({marks})", [p.lower() for p in people]).fetchall() if people else []
    decided = frozenset((p.lower(), e, k) for p, e, k, _s, a, o, _at in rows if o in DECIDED and a != UNDO)
    writes = tuple((p.lower(), s, pd.Timestamp(at)) for p, _e, _k, s, a, o, at in rows
                   if a in WRITES and o in SENT)
    return History(decided, writes)


def record(conn: sqlite3.Connection, decisions: Iterable[Decision], at: pd.Timestamp) -> None:
    """Journal each decision that was acted on (sent, noted or failed); daily-cap holds are not journalled."""
    rows = [(d.person.lower(), d.event_id, d.change_key, d.series_id, d.slot, d.action, d.why, d.outcome,
             _ns(d.start), _ns(d.end), _ns(d.proposed_start), _ns(d.proposed_end), at.isoformat())
            for d in decisions if d.journalled and d.outcome not in ("", "planned", "would_send", "held")]
    conn.executemany("INSERT INTO enforcement_journal (person, event_id, change_key, series_id, slot, action, why, "
                     "outcome, start_ns, end_ns, proposed_start_ns, proposed_end_ns, at) "
                     "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)


@dataclass(frozen=True)
class JournalEntry:
    """One thing enforcement did for a person (what ``/`` and the digest show): no subject."""

    event_id: str
    slot: str
    action: str  # notify | tentative | decline | accept (an undo)
    why: str
    outcome: str
    start: pd.Timestamp | None
    end: pd.Timestamp | None
    proposed_start: pd.Timestamp | None
    proposed_end: pd.Timestamp | None
    at: pd.Timestamp
    undone: bool = False


def entries(conn: sqlite3.Connection, person: str, since: pd.Timestamp | None = None,
            until: pd.Timestamp | None = None) -> list[JournalEntry]:
    """What enforcement did for ``person`` (journalled between ``since`` and ``until``), newest first."""
    rows = conn.execute(
        "SELECT event_id, slot, action, why, outcome, start_ns, end_ns, proposed_start_ns, proposed_end_ns, at "
        "FROM enforcement_journal WHERE person=? ORDER BY id DESC", (person.lower(),)).fetchall()
    undone = {r[0] for r in rows if r[2] == UNDO and r[4] in SENT}
    out = []
    for event_id, slot, action, why, outcome, s, e, ps, pe, at in rows:
        when = pd.Timestamp(at)
        if (since is not None and when < since) or (until is not None and when >= until):
            continue
        out.append(JournalEntry(event_id, slot, action, why, outcome, _ts(s), _ts(e), _ts(ps), _ts(pe), when,
                                undone=action != UNDO and event_id in undone))
    return out


def undo_state(conn: sqlite3.Connection, person: str, event_id: str) -> tuple[bool, bool, str]:
    """(enforcement answered it, already undone, its slot) for one of the person's events."""
    rows = conn.execute("SELECT action, outcome, slot FROM enforcement_journal WHERE person=? AND event_id=? "
                        "ORDER BY id", (person.lower(), event_id)).fetchall()
    answered = [r for r in rows if r[0] in WRITES and r[1] in SENT]
    undone = any(r[0] == UNDO and r[1] in SENT for r in rows)
    return bool(answered), undone, answered[-1][2] if answered else ""


def record_undo(conn: sqlite3.Connection, person: str, event_id: str, slot: str, outcome: str,
                at: pd.Timestamp) -> None:
    conn.execute("INSERT INTO enforcement_journal (person, event_id, change_key, slot, action, outcome, at) "
                 "VALUES (?,?,?,?,?,?,?)", (person.lower(), event_id, "", slot, UNDO, outcome, at.isoformat()))


# --- preferences ---------------------------------------------------------------------------------------------
def get_preference(conn: sqlite3.Connection, person: str) -> str:
    """The person's own enforcement level ("" when they have not chosen: the slot's policy applies)."""
    row = conn.execute("SELECT enforce_level FROM preferences WHERE person=?", (person.lower(),)).fetchone()
    return str(row[0]) if row else ""


def preferences(conn: sqlite3.Connection) -> dict[str, str]:
    return {str(p): str(level) for p, level in conn.execute("SELECT person, enforce_level FROM preferences")}


def set_preference(conn: sqlite3.Connection, person: str, level: str, at: pd.Timestamp) -> None:
    """Set the person's level (one of off, notify, tentative, decline); "" clears it. InputError otherwise."""
    if level == "":
        conn.execute("DELETE FROM preferences WHERE person=?", (person.lower(),))
        return
    if level not in ENFORCE_LEVELS:
        raise InputError(f"enforcement level {level!r}: use one of {', '.join(ENFORCE_LEVELS)}")
    conn.execute("INSERT OR REPLACE INTO preferences VALUES (?,?,?)", (person.lower(), level, at.isoformat()))

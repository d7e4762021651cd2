"""read_store's columnar read: the frame it builds, whatever order SQLite hands the rows in."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from calendar_audit import frame
from calendar_audit.settings import load_settings
from calendar_audit.sources import store
from calendar_audit.sources.graph import graph_time
from calendar_audit.sources.store import INSERT_EVENT, connect, read_store, transaction
from calendar_audit.window import Window

AMY, BEN = "amy@council.gov.uk", "ben@council.gov.uk"
WINDOW = Window(date(2026, 10, 5), date(2026, 10, 11), "Europe/London")


def ns(text: str) -> int:
    return pd.Timestamp(text, tz="UTC").value


# person, event_id, start, end, all-day, cancelled, has_agenda, categories, attendees (NULL-able columns vary)
EVENTS = [
    (BEN, "b2", "2026-10-06T09:00", "2026-10-06T10:00", 0, 0, None, '["Team"]', '["amy@council.gov.uk"]'),
    (AMY, "a3", "2026-10-06T09:00", "2026-10-06T10:00", 0, 1, 1, "[]", "[]"),
    (AMY, "a1", "2026-10-06T09:00", "2026-10-06T09:30", 0, 0, 0, '["Direct work","Statutory"]', "[]"),
    (AMY, "a2", "2026-10-05T00:00", "2026-10-06T00:00", 1, None, None, "[]", '["x@y.org","z@y.org"]'),
    (BEN, "b1", "2026-10-05T13:00", "2026-10-05T14:00", 0, 0, 1, "[]", "[]"),
    (AMY, "out", "2026-09-01T09:00", "2026-09-01T10:00", 0, 0, 0, "[]", "[]"),  # outside the window
]


@pytest.fixture
def settings(tmp_path: Path):
    path = tmp_path / "store.sqlite3"
    config = tmp_path / "calendar-audit.toml"
    config.write_text(f'[store]\npath = "{path}"\n[[teams]]\nname = "t"\nmembers = ["{BEN}", "{AMY}"]\n')
    with connect(path) as conn, transaction(conn):
        for person, event_id, start, end, all_day, cancelled, agenda, categories, attendees in EVENTS:
            conn.execute(INSERT_EVENT, (person, event_id, None, "", f"subject {event_id}", ns(start), ns(end),
                                        all_day, "busy", "accepted", cancelled, 0, 1, "org@council.gov.uk",
                                        categories, 1, None, "normal", agenda, attendees))
        for i, person in enumerate((BEN, AMY)):
            conn.execute("INSERT INTO team_members VALUES ('t', ?, ?)", (person, i))
            conn.execute("INSERT INTO mailboxes (person) VALUES (?)", (person,))
            conn.execute("INSERT INTO delta_links VALUES (?,?,?,?)",
                         (person, graph_time(WINDOW.start), graph_time(WINDOW.end), "link"))
    return load_settings(config)


def expected() -> pd.DataFrame:
    return frame.from_records([
        {"person": BEN, "event_id": "b1", "start": pd.Timestamp("2026-10-05T13:00", tz="UTC"),
         "end": pd.Timestamp("2026-10-05T14:00", tz="UTC"), "has_agenda": True},
        {"person": BEN, "event_id": "b2", "start": pd.Timestamp("2026-10-06T09:00", tz="UTC"),
         "end": pd.Timestamp("2026-10-06T10:00", tz="UTC"), "outlook_categories": ("Team",),
         "attendees": ("amy@council.gov.uk",)},
        {"person": AMY, "event_id": "a2", "start": pd.Timestamp("2026-10-05", tz="UTC"),
         "end": pd.Timestamp("2026-10-06", tz="UTC"), "is_all_day": True, "attendees": ("x@y.org", "z@y.org")},
        {"person": AMY, "event_id": "a1", "start": pd.Timestamp("2026-10-06T09:00", tz="UTC"),
         "end": pd.Timestamp("2026-10-06T09:30", tz="UTC"), "has_agenda": False,
         "outlook_categories": ("Direct work", "Statutory")},
        {"person": AMY, "event_id": "a3", "start": pd.Timestamp("2026-10-06T09:00", tz="UTC"),
         "end": pd.Timestamp("2026-10-06T10:00", tz="UTC"), "is_cancelled": True, "has_agenda": True},
    ]).assign(subject=lambda f: "subject " + f["event_id"], show_as="busy", response="accepted", attendee_count=1,
              organizer="org@council.gov.uk", is_online=True).astype(frame.COLUMNS)


def test_the_store_read_gives_the_team_order_then_start_then_event_id_with_typed_columns(settings):
    events = read_store(settings, None, WINDOW).events
    pd.testing.assert_frame_equal(events, expected())
    assert json.dumps(list(events["attendees"].map(list))) == \
        '[[], ["amy@council.gov.uk"], ["x@y.org", "z@y.org"], [], []]'


def test_rows_sqlite_hands_over_out_of_order_are_sorted_the_same(settings, monkeypatch):
    # the arrays in storage order (no ORDER BY): the check finds them out of order and sorts them
    backwards = store.READ_EVENTS.replace(" ORDER BY start_ns, event_id", " ORDER BY event_id DESC")
    assert backwards != store.READ_EVENTS
    monkeypatch.setattr(store, "READ_EVENTS", backwards)
    pd.testing.assert_frame_equal(read_store(settings, None, WINDOW).events, expected())

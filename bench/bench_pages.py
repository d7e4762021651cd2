"""Benchmark: render times of `/` and `/teams/NAME` over real HTTP against a running `serve` on a large store.

    nice -n 10 .venv/bin/python bench/bench_pages.py                    # 500 people x 52 weeks (a few minutes)
    nice -n 10 .venv/bin/python bench/bench_pages.py --people 100 --weeks 26

Builds a store the way `sync` leaves it (the demo generator's team, every event in the store's events table, the
team's members, each mailbox's delta link covering the year), starts the service on 127.0.0.1 in a child process
(uvicorn, a fixed clock inside the year), signs in by writing a session the way sign-in does, then times whole HTTP
round trips from this process:
- `/` for different practitioners (each person's figures are computed afresh; the team's upcoming fortnight,
  which suggestions need, is shared and cached after the first request),
- `/teams/NAME` for the whole year (the first request is cold; the rest hit the cache until the next sync),
- `/teams/NAME` for different 12-week windows (each one cold: read from the store, audit, policy sections, render).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2027, 6, 16, 9, 0, tzinfo=UTC)  # the server's clock: a Wednesday in the demo's year (from 7 Sep 2026)


def build_store(path: Path, people: int, weeks: int) -> tuple[list[str], int]:
    """The demo team written into a store as sync writes it; returns (people, events)."""
    import pandas as pd

    from calendar_audit.sources.demo import generate
    from calendar_audit.sources.graph import graph_time
    from calendar_audit.sources.store import EVENT_COLUMNS, INSERT_EVENT, connect, transaction

    data = generate(people=people, weeks=weeks)
    ev = data.events
    start_ns = ev["start"].astype("int64").tolist()
    end_ns = ev["end"].astype("int64").tolist()
    rows = list(zip(
        ev["person"], ev["event_id"], ev["series_id"], ev["ical_uid"], ev["subject"], start_ns, end_ns,
        ev["is_all_day"].astype(bool), ev["show_as"], ev["response"], ev["is_cancelled"].astype(bool),
        ev["is_optional"].astype(bool), ev["attendee_count"].astype(int), ev["organizer"],
        [json.dumps(list(c)) for c in ev["outlook_categories"]], ev["is_online"].astype(bool), ev["location"],
        ev["sensitivity"], [None if v is None or pd.isna(v) else bool(v) for v in ev["has_agenda"]],
        [json.dumps(list(a)) for a in ev["attendees"]], strict=True))
    assert len(rows[0]) == len(EVENT_COLUMNS)
    window = data.window
    assert window is not None
    first, last = graph_time(window.start), graph_time(window.end)
    with connect(path) as conn, transaction(conn):
        conn.executemany(INSERT_EVENT, rows)
        conn.executemany("INSERT INTO team_members VALUES (?,?,?)",
                         [("bench", p, i) for i, p in enumerate(data.people)])
        conn.executemany("INSERT INTO mailboxes (person) VALUES (?)", [(p,) for p in data.people])
        conn.executemany("INSERT INTO delta_links VALUES (?,?,?,?)", [(p, first, last, "bench") for p in data.people])
    return list(data.people), len(rows)


def settings_toml(store: Path, manager: str) -> str:
    return f"""
[store]
path = "{store}"

[sync]
window_weeks_back = 12
window_weeks_ahead = 4

[[teams]]
name = "bench"
managers = ["{manager}"]

[[teams.protected_slots]]
name = "direct-work-mornings"
days = ["tue", "thu"]
start = "09:30"
end = "12:30"
allow = ["direct_work", "statutory"]
since = "2026-10-05"
"""


def serve(config: str, port: int) -> None:
    """The child process: the service on 127.0.0.1 with a fixed clock (no scheduler: the store is complete)."""
    import uvicorn

    from calendar_audit.service.app import create_app
    from calendar_audit.service.state import ServiceState
    from calendar_audit.settings import load_settings

    state = ServiceState(load_settings(config), clock=lambda: NOW)
    uvicorn.run(create_app(state), host="127.0.0.1", port=port, log_level="warning")


def session_for(store: Path, person: str) -> str:
    """A signed-in session for ``person``, written as sign-in writes one (the cookie value)."""
    from calendar_audit.service.auth import new_session
    from calendar_audit.sources.store import connect, transaction

    with connect(store) as conn, transaction(conn):
        cookie, _ = new_session(conn, NOW, timedelta(hours=8), person=person)
    return cookie


def timed(client: httpx.Client, url: str, cookie: str) -> float:
    start = time.perf_counter()
    response = client.get(url, cookies={"calendar_audit_session": cookie})
    elapsed = time.perf_counter() - start
    assert response.status_code == 200, (url, response.status_code, response.text[:300])
    return elapsed


def summary(name: str, times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return (f"{name}: n={len(times)} p50 {statistics.median(times) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
            f"max {max(times) * 1000:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=500)
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--homes", type=int, default=40, help="practitioners whose / is timed")
    parser.add_argument("--serve", nargs=2, metavar=("CONFIG", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve[0], int(args.serve[1]))
        return
    with tempfile.TemporaryDirectory(prefix="bench-pages-") as tmp:
        store = Path(tmp) / "store.sqlite3"
        t0 = time.perf_counter()
        people, events = build_store(store, args.people, args.weeks)
        print(f"store: {len(people)} people, {events:,} events, {args.weeks} weeks, built in "
              f"{time.perf_counter() - t0:.1f} s ({store.stat().st_size / 2**20:.0f} MiB)")
        config = Path(tmp) / "calendar-audit.toml"
        config.write_text(settings_toml(store, people[0]), encoding="utf-8")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        child = subprocess.Popen([sys.executable, __file__, "--serve", str(config), str(port)], cwd=ROOT,
                                 env={**os.environ, "PYTHONPATH": str(ROOT)})
        base = f"http://127.0.0.1:{port}"
        try:
            with httpx.Client(base_url=base, timeout=600) as client:
                for _ in range(600):
                    try:
                        client.get("/healthz")
                        break
                    except httpx.TransportError:
                        time.sleep(0.1)
                manager = session_for(store, people[0])
                first_day = date(2026, 9, 7)
                year = f"/teams/bench?from={first_day}&to={first_day + timedelta(weeks=args.weeks, days=-1)}"
                cold_year = timed(client, year, manager)
                warm_year = [timed(client, year, manager) for _ in range(10)]
                windows = []
                for i in range(8):  # 12-week windows, each one a cold computation
                    a = first_day + timedelta(weeks=2 * i + 1)
                    windows.append(timed(client, f"/teams/bench?from={a}&to={a + timedelta(weeks=12, days=-1)}",
                                         manager))
                homes = [timed(client, "/", session_for(store, p)) for p in people[1:args.homes + 1]]
                print(f"team page, whole year, first request (cold): {cold_year * 1000:.0f} ms")
                print(summary("team page, whole year, cached", warm_year))
                print(summary("team page, 12-week windows, each cold", windows))
                print(f"/ first request (also builds the team's upcoming fortnight): {homes[0] * 1000:.0f} ms")
                print(summary("/ for different practitioners", homes))
        finally:
            child.send_signal(signal.SIGTERM)
            child.wait(timeout=60)


if __name__ == "__main__":
    main()

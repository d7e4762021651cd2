"""`calendar-audit sync` as a real process against a local HTTPS Graph, stopped with real signals.

Each test runs the installed command in a subprocess (its output on pipes, as cron or a supervisor would read it),
waits until a few mailboxes are saved, then kills, terminates or interrupts it, and checks: the pipes reach EOF
(nothing holds them), no process of the sync is left, every mailbox finished before the signal is in the store
whole, and a rerun completes the rest (by changes only for those already saved).
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from graph_fake import FakeGraph, graph_event
from graph_server import LocalGraph, fake_responder, make_certificate

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc; the writer is Linux's")

PEOPLE = [f"worker{i:02d}@council.gov.uk" for i in range(12)]
EVENTS = 20  # per mailbox: 4 delta pages of 5, plus mailbox settings
CLI = Path(sys.executable).with_name("calendar-audit")


def team_graph() -> FakeGraph:
    fake = FakeGraph()
    for person in PEOPLE:
        for i in range(EVENTS):
            day, hour = 19 + i % 5, 8 + i // 5
            fake.put(person, graph_event(f"{person[:8]}-{i}", f"2026-10-{day}T{hour:02d}:00:00",
                                         f"2026-10-{day}T{hour:02d}:30:00"))
    return fake


@pytest.fixture
def graph(tmp_path: Path):
    cert = make_certificate(tmp_path / "tls")
    fake = team_graph()
    server = LocalGraph(fake_responder(fake, lambda: server.base), cert, delay=0.1)
    with server:
        config = tmp_path / "calendar-audit.toml"
        members = ", ".join(f'"{p}"' for p in PEOPLE)
        config.write_text(f"""
[graph]
tenant_id = "contoso-tenant"
client_id = "app-id"
client_secret = "not-a-real-secret"
endpoint = "{server.base}"
login_host = "127.0.0.1:{server.port}"
max_concurrency = 4
page_size = 5
[store]
path = "{tmp_path / 'store.sqlite3'}"
[[teams]]
name = "evolve"
members = [{members}]
""")
        env = {k: v for k, v in os.environ.items()
               if k not in ("SSL_CERT_DIR", "CURL_CA_BUNDLE") and not k.startswith("CALENDAR_AUDIT_")}
        env.update(SSL_CERT_FILE=str(cert[0]), REQUESTS_CA_BUNDLE=str(cert[0]))
        yield config, env, tmp_path / "store.sqlite3"


def start_sync(config: Path, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([str(CLI), "sync", "--config", str(config), "--from", "2026-10-19", "--to", "2026-10-25"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=config.parent)


def saved(store: Path) -> dict[str, int]:
    """Events per mailbox that a sync finished (it has a delta link), read as another process would."""
    if not store.exists():
        return {}
    conn = sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=5)
    try:
        done = [r[0] for r in conn.execute("SELECT person FROM delta_links")]
        return {p: conn.execute("SELECT count(*) FROM events WHERE person=?", (p,)).fetchone()[0] for p in done}
    except sqlite3.OperationalError:  # not created yet
        return {}
    finally:
        conn.close()


def children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    out.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    return out


def running(pid: int) -> bool:
    """The process exists and is not a zombie waiting for a reaper."""
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def stop_mid_sync(config: Path, env: dict[str, str], store: Path, sig: int) -> tuple[subprocess.Popen, dict, list]:
    proc = start_sync(config, env)
    deadline = time.monotonic() + 60
    while len(saved(store)) < 2:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "no mailbox was saved within 60 s"
        time.sleep(0.02)
    kids = children(proc.pid)
    os.kill(proc.pid, sig)
    return proc, saved(store), kids


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT], ids=["kill-9", "SIGTERM", "SIGINT"])
def test_a_stopped_sync_leaves_no_process_keeps_finished_mailboxes_and_a_rerun_completes(graph, sig):
    config, env, store = graph
    proc, at_signal, kids = stop_mid_sync(config, env, store, sig)
    assert kids, "the sync runs its store writer as a child process"
    _, err = proc.communicate(timeout=30)  # EOF on both pipes: nothing else holds them
    if sig == signal.SIGINT:
        assert proc.returncode == 130 and b"calendar-audit: interrupted" in err
    else:
        assert proc.returncode == -sig
    deadline = time.monotonic() + 10
    while any(running(k) for k in kids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [k for k in kids if running(k)], "the store's writer outlived the sync"

    after = saved(store)
    assert 2 <= len(after) < len(PEOPLE), "stopped part-way"
    assert set(at_signal) <= set(after)
    assert set(after.values()) == {EVENTS}  # each saved mailbox whole
    conn = sqlite3.connect(store)
    partial = conn.execute("SELECT count(DISTINCT person) FROM events").fetchone()[0]
    conn.close()
    assert partial == len(after)  # nothing of a mailbox in progress was kept

    rerun = subprocess.run([str(CLI), "sync", "--config", str(config), "--from", "2026-10-19", "--to", "2026-10-25"],
                           capture_output=True, env=env, cwd=config.parent, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    summary = rerun.stdout.decode()
    full, delta = len(PEOPLE) - len(after), len(after)
    assert f"({full} full, {delta} by changes only)" in " ".join(summary.split())
    assert saved(store) == dict.fromkeys(PEOPLE, EVENTS)

"""Store faults, each one clear line and an exit code, nothing lost: locked, read-only, corrupt, disk full, a killed
writer; reading commands open the store read-only; no readable mailbox is a clear line, never a traceback."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
import respx
from graph_fake import FakeGraph
from rich.console import Console
from test_graph import AMY, BEN, make_settings, week_of_events
from test_store import do_sync
from test_sync_processes import CLI, PEOPLE, graph, saved  # noqa: F401  (graph: the local HTTPS Graph fixture)

from calendar_audit.cli import main
from calendar_audit.commands.options import Context
from calendar_audit.errors import StoreError
from calendar_audit.sources.store import store_path

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc and the writer process")


def config_for(tmp_path: Path, members=(AMY, BEN), **store: object) -> Path:
    config = tmp_path / "calendar-audit.toml"
    members_toml = ", ".join(f'"{m}"' for m in members)
    extra = "".join(f"{k} = {v}\n" for k, v in store.items())
    config.write_text(f'[graph]\ntenant_id = "t"\nclient_id = "app-id"\nclient_secret = "x"\n'
                      f'[store]\npath = "{tmp_path / "store.sqlite3"}"\n{extra}'
                      f'[[teams]]\nname = "evolve"\nmembers = [{members_toml}]\n')
    return config


def cli(args: list[str], fake: FakeGraph | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    ctx = Context(today=date(2026, 10, 28), console=Console(file=out, width=300), err=Console(file=err, width=300))
    with respx.mock(assert_all_called=False) as router:
        router.route().mock(side_effect=(fake or FakeGraph()).respond)
        code = main(args, ctx)
    return code, out.getvalue(), err.getvalue()


WINDOW_ARGS = ["--from", "2026-10-19", "--to", "2026-10-25"]


def synced(tmp_path: Path, **store: object) -> tuple[Path, FakeGraph]:
    fake = FakeGraph()
    week_of_events(fake, AMY, 3)
    week_of_events(fake, BEN, 2)
    config = config_for(tmp_path, **store)
    code, _, err = cli(["sync", "--config", str(config), *WINDOW_ARGS], fake)
    assert code == 0, err
    return config, fake


def report_store(config: Path, tmp_path: Path, *window: str) -> tuple[int, str, str]:
    return cli(["report", "--config", str(config), "--source", "store", "--out", str(tmp_path / "out"),
                "--allow-small-team", *(window or WINDOW_ARGS)])


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- reading opens the store read-only ------------------------------------------------------------------------
def test_a_read_only_store_still_reports_and_is_neither_written_nor_chmod_ed(tmp_path):
    config, _ = synced(tmp_path)
    store = tmp_path / "store.sqlite3"
    os.chmod(store, 0o400)
    before, mtime = digest(store), store.stat().st_mtime_ns
    code, _, err = report_store(config, tmp_path)
    assert code == 0, err
    assert (tmp_path / "out" / "person_week.csv").is_file()
    assert stat.S_IMODE(store.stat().st_mode) == 0o400
    assert (digest(store), store.stat().st_mtime_ns) == (before, mtime)


def test_a_store_others_may_read_gets_a_warning_not_a_silent_chmod(tmp_path, caplog):
    config, fake = synced(tmp_path)
    store = tmp_path / "store.sqlite3"
    os.chmod(store, 0o644)
    code, _, err = report_store(config, tmp_path)
    assert code == 0, err
    assert stat.S_IMODE(store.stat().st_mode) == 0o644
    assert f"{store} is readable by others (mode 644) and holds meeting subjects; run: chmod 600 {store}" \
        in caplog.text
    caplog.clear()
    code, _, _ = cli(["sync", "--config", str(config), *WINDOW_ARGS], fake)  # the writer does not change it either
    assert code == 0 and stat.S_IMODE(store.stat().st_mode) == 0o644 and "readable by others" in caplog.text


def test_a_new_store_is_0600_in_a_new_0700_folder(tmp_path):
    settings = make_settings(tmp_path, members=[AMY])
    settings.store.path = str(tmp_path / "new" / "deeper" / "store.sqlite3")
    fake = FakeGraph()
    week_of_events(fake, AMY, 1)
    do_sync(fake, settings)
    path = store_path(settings)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [stat.S_IMODE(p.stat().st_mode) for p in (path.parent, path.parent.parent)] == [0o700, 0o700]


# --- no readable mailbox --------------------------------------------------------------------------------------
def test_a_window_never_synced_exits_2_saying_so(tmp_path):
    config, _ = synced(tmp_path)
    code, out, err = report_store(config, tmp_path, "--from", "2026-11-02", "--to", "2026-11-08")
    assert code == 2
    assert err.strip() == (f"calendar-audit: error: store {tmp_path / 'store.sqlite3'}: no mailbox of team 'evolve' "
                           "has been synced for 2026-11-02 to 2026-11-08; run 'calendar-audit sync --from "
                           "2026-11-02 --to 2026-11-08' first")
    assert "Traceback" not in out + err


def test_a_sync_in_which_every_mailbox_failed_then_report_exits_3_naming_each(tmp_path):
    fake = FakeGraph(fail={AMY: (403, "ErrorAccessDenied"), BEN: (403, "ErrorAccessDenied")})
    config = config_for(tmp_path)
    code, _, err = cli(["sync", "--config", str(config), *WINDOW_ARGS], fake)
    assert code == 3 and err.count("mailbox failed:") == 2
    code, _, err = report_store(config, tmp_path)
    assert code == 3
    reason = "HTTP 403 ErrorAccessDenied: access denied (is the mailbox in the app's application access policy?)"
    assert err.splitlines() == [
        "calendar-audit: error: no mailbox could be read from synced store (team evolve) (2 failed), so there is "
        "nothing to report",
        f"calendar-audit: mailbox failed: {AMY}: last sync failed: {reason}",
        f"calendar-audit: mailbox failed: {BEN}: last sync failed: {reason}",
    ]
    assert not (tmp_path / "out").exists()


def test_source_graph_when_the_only_member_answers_403_exits_3_not_index_error(tmp_path):
    fake = FakeGraph(fail={AMY: (403, "ErrorAccessDenied")})
    config = config_for(tmp_path, members=(AMY,))
    code, out, err = cli(["report", "--config", str(config), "--source", "graph", "--out", str(tmp_path / "out"),
                          *WINDOW_ARGS], fake)
    assert code == 3
    assert err.splitlines()[0] == ("calendar-audit: error: no mailbox could be read from Microsoft 365 (team evolve) "
                                   "(1 failed), so there is nothing to report")
    assert err.splitlines()[1].startswith(f"calendar-audit: mailbox failed: {AMY}: HTTP 403 ErrorAccessDenied")
    assert "IndexError" not in out + err and "Traceback" not in out + err


# --- faults -----------------------------------------------------------------------------------------------------
def test_a_corrupt_store_is_named_with_exit_1_by_report_and_sync(tmp_path):
    config, fake = synced(tmp_path)
    store = tmp_path / "store.sqlite3"
    store.write_bytes(b"this is not a database, just bytes " * 200)
    code, _, err = report_store(config, tmp_path)
    assert code == 1
    assert err.strip() == (f"calendar-audit: error: store {store}: corrupt (file is not a database); move it aside "
                           "and run 'calendar-audit sync' to build a new one from Microsoft 365")
    code, _, err = cli(["sync", "--config", str(config), *WINDOW_ARGS], fake)
    assert code == 1 and "corrupt (file is not a database)" in err


def test_a_damaged_page_is_found_by_quick_check_when_sync_opens_the_store(tmp_path):
    config, fake = synced(tmp_path)
    store = tmp_path / "store.sqlite3"
    conn = sqlite3.connect(store)
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name='events'").fetchone()[0]
    conn.close()
    data = bytearray(store.read_bytes())
    at = (root - 1) * page_size
    data[at : at + 8] = b"\xff" * 8  # the events table's root page header
    store.write_bytes(bytes(data))
    code, _, err = cli(["sync", "--config", str(config), *WINDOW_ARGS], fake)
    assert code == 1
    assert err.splitlines()[-1].startswith(f"calendar-audit: error: store {store}: corrupt (")
    assert "move it aside and run 'calendar-audit sync'" in err and "Traceback" not in err


@linux_only
def test_a_locked_store_waits_then_names_the_process_holding_it(tmp_path):
    config, fake = synced(tmp_path, busy_timeout_seconds=0.2)
    store = tmp_path / "store.sqlite3"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sqlite3, sys, time\n"
         f"c = sqlite3.connect({str(store)!r}, isolation_level=None)\nc.execute('BEGIN IMMEDIATE')\n"
         "print('locked', flush=True)\ntime.sleep(60)"], stdout=subprocess.PIPE)
    try:
        assert holder.stdout.readline() == b"locked\n"
        code, _, err = cli(["sync", "--config", str(config), *WINDOW_ARGS], fake)
    finally:
        holder.kill()
        holder.wait()
    assert code == 1
    assert err.splitlines()[-1].startswith(
        f"calendar-audit: error: store {store}: locked by pid {holder.pid} ({sys.executable} -c ")
    assert "(waited 0.2 s while opening it); try again when it has finished, or raise store.busy_timeout_seconds" \
        in err


@linux_only
def test_a_killed_writer_is_named_and_the_mailboxes_saved_before_it_are_kept(tmp_path):
    people = [f"worker{i:02d}@council.gov.uk" for i in range(6)]
    fake = FakeGraph()
    for person in people:
        week_of_events(fake, person, 4)
    config = config_for(tmp_path, members=people)
    (config.parent / "c2.toml").write_text(config.read_text().replace("[graph]\n", "[graph]\nmax_concurrency = 1\n"))
    config = config.parent / "c2.toml"
    respond = fake.respond

    def kill_writer_at_the_fourth_mailbox(request):
        if "worker03" in request.url.path and "startDateTime" in str(request.url):
            for entry in Path("/proc").iterdir():
                if entry.name.isdigit():
                    try:
                        parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                    except (OSError, IndexError):
                        continue
                    if parent == os.getpid():
                        os.kill(int(entry.name), signal.SIGKILL)
        return respond(request)

    fake.respond = kill_writer_at_the_fourth_mailbox
    code, _, err = cli(["sync", "--config", str(config), *WINDOW_ARGS], fake)
    assert code == 1
    assert err.splitlines()[-1] == (
        f"calendar-audit: error: store {tmp_path / 'store.sqlite3'}: the writer process stopped (killed?) before it "
        "finished a mailbox; that mailbox was rolled back, every mailbox saved before it is kept. Run sync again")
    kept = set(saved(tmp_path / "store.sqlite3"))  # the one being saved when the writer died may be lost
    assert set(people[:2]) <= kept <= set(people[:3])
    fake.respond = respond
    code, out, err = cli(["sync", "--config", str(config), *WINDOW_ARGS], fake)
    assert code == 0 and f"({6 - len(kept)} full, {len(kept)} by changes only)" in out


def _namespaces() -> bool:
    if os.geteuid() != 0 or not shutil.which("unshare"):
        return False
    probe = subprocess.run(["unshare", "-m", "sh", "-c", "mount -t tmpfs -o size=64k none /mnt"], capture_output=True)
    return probe.returncode == 0


needs_mounts = pytest.mark.skipif(not sys.platform.startswith("linux") or not _namespaces(),
                                  reason="needs root and mount namespaces (unshare -m) for a full or read-only disk")


@needs_mounts
def test_a_full_disk_is_named_exit_1_and_the_mailboxes_saved_before_it_are_kept(graph, tmp_path):  # noqa: F811
    config, env, _ = graph
    disk = tmp_path / "disk"
    disk.mkdir()
    config.write_text(config.read_text().replace(str(tmp_path / "store.sqlite3"), str(disk / "store.sqlite3")))
    check = (f"{sys.executable} -c \"import sqlite3; c = sqlite3.connect('{disk}/store.sqlite3'); "
             "print('saved', c.execute('SELECT count(DISTINCT person) FROM delta_links').fetchone()[0], "
             "c.execute('SELECT count(*) FROM events').fetchone()[0])\"")
    script = (f"mount -t tmpfs -o size=320k none {disk} && "
              f"{CLI} sync --config {config} --from 2026-10-19 --to 2026-10-25; echo exit $?; {check}")
    run = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, env=env, cwd=tmp_path,
                         timeout=120)
    out, err = run.stdout.decode(), run.stderr.decode()
    assert "exit 1" in out, (out, err)
    assert f"calendar-audit: error: store {disk / 'store.sqlite3'}: disk full while saving " in " ".join(err.split())
    assert "that transaction was rolled back and everything committed before it is kept" in " ".join(err.split())
    assert "Traceback" not in err
    saved_line = next(line for line in out.splitlines() if line.startswith("saved"))
    mailboxes, events = (int(x) for x in saved_line.split()[1:])
    assert 0 < mailboxes < len(PEOPLE) and events == 20 * mailboxes  # whole mailboxes only


@needs_mounts
def test_a_read_only_file_system_still_reports_and_sync_says_read_only(tmp_path):
    config, _ = synced(tmp_path)
    folder = tmp_path
    report = (f"{CLI} report --config {config} --source store --allow-small-team --from 2026-10-19 --to 2026-10-25 "
              f"--out {tmp_path / 'out'}")
    outside = tmp_path.parent / f"{tmp_path.name}-out"
    script = (f"mount --bind {folder} {folder} && mount -o remount,bind,ro {folder} && "
              f"{CLI} sync --config {config} --from 2026-10-19 --to 2026-10-25; echo sync $?; "
              f"mount --bind {outside} {tmp_path / 'out'} 2>/dev/null; {report} --format csv; echo report $?")
    outside.mkdir()
    (tmp_path / "out").mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALENDAR_AUDIT_")}
    run = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, env=env, timeout=120)
    out, err = run.stdout.decode(), " ".join(run.stderr.decode().split())
    assert "sync 1" in out, (out, err)
    assert f"store {tmp_path / 'store.sqlite3'}: read-only (the file or its file system)" in err
    assert "report 0" in out, (out, err)
    assert (outside / "person_week.csv").is_file()
    assert "Traceback" not in err


def test_store_errors_are_store_errors():
    assert StoreError("x").exit_code == 1


def test_an_empty_store_file_exits_2_saying_no_sync_has_written_to_it(tmp_path):
    config = config_for(tmp_path)
    (tmp_path / "store.sqlite3").touch()
    code, _, err = report_store(config, tmp_path)
    assert code == 2
    assert err.strip() == (f"calendar-audit: error: store {tmp_path / 'store.sqlite3'}: empty (no sync has written "
                           "to it yet); run 'calendar-audit sync' first")
    assert (tmp_path / "store.sqlite3").stat().st_size == 0  # reading wrote nothing, not even a schema

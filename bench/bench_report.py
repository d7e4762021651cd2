"""Benchmark: the whole `report` pipeline, stage by stage, and the command end to end; print wall and CPU seconds and
peak memory (max resident set size).

    .venv/bin/python bench/bench_report.py demo [--people 500] [--weeks 52]       # the demo team (issue 9's target)
    .venv/bin/python bench/bench_report.py store [--mailboxes 5000] [--weeks 52]  # report --source store at scale

`demo` times each stage in this process (generate, audit, protected-slot sections, html, csv, terminal summary),
then runs `calendar-audit demo` as a subprocess. `store` builds a store file with the store's own schema and row
functions from generated demo data (500 people at a time, renamed so that every mailbox is distinct), runs
`calendar-audit report --source store` as a subprocess, then times the SQLite read (`read_store`) against a Parquet
read of the same events when pyarrow is installed. Run under `nice -n 10` on a shared machine. Figures go in
bench/README.md; nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

from calendar_audit.audit import audit
from calendar_audit.rules import load_rules
from calendar_audit.settings import load_settings
from calendar_audit.sources.demo import DEMO_START, demo_slots_toml, generate
from calendar_audit.window import Window

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "rules" / "social-care.toml"
# The command as installed. pandas stores strings in Arrow when pyarrow is importable, and calendar-audit does not
# depend on it: so that the figures are a user's whatever this venv holds (pyarrow is here for the Parquet
# comparison only), every run here keeps pandas' Python string storage.
PYTHON_STRINGS = "import pandas; pandas.set_option('mode.string_storage', 'python')"
CLI = [sys.executable, "-c", f"{PYTHON_STRINGS}; from calendar_audit.cli import run; run()"]
pd.set_option("mode.string_storage", "python")


def log(text: str) -> None:
    print(text, flush=True)


@contextmanager
def stage(rows: list[tuple[str, float, float]], name: str) -> Iterator[None]:
    wall, cpu = time.perf_counter(), time.process_time()
    yield
    rows.append((name, time.perf_counter() - wall, time.process_time() - cpu))


def print_stages(rows: list[tuple[str, float, float]]) -> None:
    log(f"  {'stage':<34} {'wall s':>8} {'cpu s':>8}")
    for name, wall, cpu in rows:
        log(f"  {name:<34} {wall:8.2f} {cpu:8.2f}")
    log(f"  {'total':<34} {sum(r[1] for r in rows):8.2f} {sum(r[2] for r in rows):8.2f}")


def run_command(argv: list[str], cwd: Path) -> tuple[float, float, float]:
    """Run the CLI as a child process; wall seconds, CPU seconds (user + system) and its peak RSS in MiB."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.perf_counter()
    done = subprocess.run([*CLI, *argv], cwd=cwd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - wall
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 3):
        raise SystemExit(f"{' '.join(argv)} exited {done.returncode}:\n{done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, after.ru_maxrss / 1024  # ru_maxrss of the largest child so far


# --- demo -------------------------------------------------------------------------------------------------------
def bench_demo(people: int, weeks: int, repeat: int) -> None:
    from rich.console import Console

    from calendar_audit.slots.policy import parse_slots
    from calendar_audit.slots.sections import policy_sections
    from calendar_audit.writers import print_summary
    from calendar_audit.writers.html import write_html
    from calendar_audit.writers.tables import events_table, person_week_table, write_table_csv

    settings = load_settings(None)
    rules = load_rules([RULES])
    window = Window(DEMO_START, DEMO_START + timedelta(days=7 * weeks - 1), settings.timezone)
    out = Path(tempfile.mkdtemp(prefix="bench_report_"))
    try:
        rows: list[tuple[str, float, float]] = []
        with stage(rows, "generate demo team"):
            data = generate(people=people, weeks=weeks, tz=settings.timezone)
        gc.freeze()  # as the command does once the calendars are read (commands/report.py)
        slots = parse_slots(demo_slots_toml(), "demo", rules.categories)
        with stage(rows, "audit (classify, partition, costs)"):
            # with the policy, as `demo` audits: the slots' occurrences are layers of the one sweep
            result = audit(data, rules, window, settings, source_label="demo", slots=slots)
        with stage(rows, "protected-slot sections"):
            result.extra_sections += policy_sections(result, slots)
        with stage(rows, "report.html"):
            write_html(result, out / "report.html")
        with stage(rows, "person_week.csv"):
            write_table_csv(person_week_table(result.person_week), out / "person_week.csv")
        with stage(rows, "events.csv"):
            write_table_csv(events_table(result.events, window.tz, False), out / "events.csv")
        with stage(rows, "terminal summary"):
            print_summary(result, Console(file=open(os.devnull, "w"), width=120))  # noqa: SIM115
        log(f"{people} people x {weeks} weeks: {len(data.events):,} events, in this process "
            f"(peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB):")
        print_stages(rows)
        report = rows[1:]
        log(f"  report part (every stage after generating): {sum(r[1] for r in report):.2f} s wall, "
            f"{sum(r[2] for r in report):.2f} s CPU")
        del data, result
        gc.unfreeze()
        argv = ["demo", "--people", str(people), "--weeks", str(weeks), "--out", str(out / "cli")]
        for i in range(repeat):
            wall, cpu, rss = run_command(argv, out)
            log(f"  calendar-audit {' '.join(argv[:5])} (html, csv) run {i + 1}: {wall:.2f} s wall, "
                f"{cpu:.2f} s CPU, peak RSS {rss:.0f} MiB")
    finally:
        shutil.rmtree(out, ignore_errors=True)


# --- store ------------------------------------------------------------------------------------------------------
CHUNK_PEOPLE = 500


def store_columns(events: pd.DataFrame, prefix: str) -> dict[str, list[Any]]:
    """A demo frame as the adapter's columns (what `sync` hands the store), every mailbox renamed with ``prefix``."""
    columns: dict[str, list[Any]] = {}
    for name in ("event_id", "series_id", "subject", "is_all_day", "show_as", "response", "is_cancelled",
                 "is_optional", "attendee_count", "organizer", "is_online", "location", "sensitivity", "has_agenda"):
        columns[name] = events[name].astype(object).where(events[name].notna(), None).tolist()
    columns["person"] = (prefix + events["person"].astype(str)).tolist()
    columns["event_id"] = [f"{prefix}{e}" for e in columns["event_id"]]
    columns["ical_uid"] = [None] * len(events)
    for name in ("start", "end"):  # the adapter's naive-UTC text
        columns[name] = events[name].dt.tz_convert("UTC").dt.strftime("%Y-%m-%dT%H:%M:%S").tolist()
    columns["outlook_categories"] = [list(c) for c in events["outlook_categories"]]
    columns["attendees"] = [list(a) for a in events["attendees"]] if "attendees" in events else [[]] * len(events)
    return columns


def build_store(path: Path, mailboxes: int, weeks: int, tz: str) -> tuple[list[str], int]:
    """Fill a store file like `sync` does, 500 generated people at a time; returns the mailboxes and events."""
    from calendar_audit.sources.graph import graph_time
    from calendar_audit.sources.store import INSERT_EVENT, connect, rows_of, transaction

    window = Window(DEMO_START, DEMO_START + timedelta(days=7 * weeks - 1), tz)
    people: list[str] = []
    total = 0
    with connect(path) as conn:
        for chunk, first in enumerate(range(0, mailboxes, CHUNK_PEOPLE)):
            size = min(CHUNK_PEOPLE, mailboxes - first)
            data = generate(people=size, weeks=weeks, seed=7 + chunk, tz=tz)
            prefix = f"c{chunk:02d}."
            rows = rows_of(store_columns(data.events, prefix))
            names = [prefix + p for p in data.people]
            with transaction(conn):
                conn.executemany(INSERT_EVENT, rows)
                for person in names:
                    conn.execute("INSERT OR REPLACE INTO mailboxes VALUES (?,?,?,NULL)", (person, tz, None))
                    conn.execute("INSERT OR REPLACE INTO delta_links VALUES (?,?,?,?)",
                                 (person, graph_time(window.start), graph_time(window.end), "bench"))
            people += names
            total += len(rows)
            log(f"  stored {len(people):,} mailboxes, {total:,} events")
    return people, total


def bench_store(mailboxes: int, weeks: int, keep: Path | None, formats: str, run_report: bool = True) -> None:
    settings = load_settings(None)
    tz = settings.timezone
    work = keep or Path(tempfile.mkdtemp(prefix="bench_store_"))
    work.mkdir(parents=True, exist_ok=True)
    path = work / "store.sqlite3"
    try:
        if not path.exists():
            t0 = time.perf_counter()
            people, total = build_store(path, mailboxes, weeks, tz)
            log(f"built {path} ({path.stat().st_size / 2**20:,.0f} MiB) in {time.perf_counter() - t0:.0f} s")
        else:
            from calendar_audit.sources.store import connect

            with connect(path) as conn:
                people = [r[0] for r in conn.execute("SELECT person FROM mailboxes ORDER BY rowid")]
                total = conn.execute("SELECT count(*) FROM events").fetchone()[0]
        config = work / "calendar-audit.toml"
        members = ",\n".join(f'  "{p}"' for p in people)
        config.write_text(f'[store]\npath = "{path}"\n\n[[teams]]\nname = "bench"\nmembers = [\n{members}\n]\n',
                          encoding="utf-8")
        last = DEMO_START + timedelta(days=7 * weeks - 1)
        argv = ["report", "--config", str(config), "--source", "store", "--from", str(DEMO_START), "--to", str(last),
                "--format", formats, "--out", str(work / "out")]
        if run_report:
            wall, cpu, rss = run_command(argv, work)
            log(f"{len(people):,} mailboxes x {weeks} weeks, {total:,} events: report --source store --format "
                f"{formats}: {wall:.1f} s wall, {cpu:.1f} s CPU, peak RSS {rss:,.0f} MiB")
        compare_reads(config, path, weeks)
    finally:
        if keep is None:
            shutil.rmtree(work, ignore_errors=True)


def timed(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    value = fn()
    return value, time.perf_counter() - wall, time.process_time() - cpu


def compare_reads(config: Path, path: Path, weeks: int) -> None:
    """The store's SQLite read (`read_store`: query, decode, build the frame) against pandas reading the same
    events frame back from Parquet (pyarrow), when pyarrow is installed."""
    from calendar_audit.sources.store import read_store

    settings = load_settings(config)
    window = Window(DEMO_START, DEMO_START + timedelta(days=7 * weeks - 1), settings.timezone)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    data, wall, cpu = timed(lambda: read_store(settings, None, window))
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    log(f"  read_store (SQLite -> events frame): {wall:.1f} s wall, {cpu:.1f} s CPU, {len(data.events):,} events; "
        f"peak RSS {rss0:,.0f} -> {rss1:,.0f} MiB")
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        log("  pyarrow is not installed: no Parquet comparison (pip install pyarrow)")
        return
    parquet = path.with_suffix(".parquet")
    _, wall, cpu = timed(partial(write_parquet, data.events, parquet))
    log(f"  write Parquet: {wall:.1f} s wall, {cpu:.1f} s CPU, {parquet.stat().st_size / 2**20:,.0f} MiB "
        f"(SQLite file {path.stat().st_size / 2**20:,.0f} MiB)")
    del data
    back, wall, cpu = timed(lambda: pd.read_parquet(parquet))
    log(f"  read Parquet -> frame: {wall:.1f} s wall, {cpu:.1f} s CPU, {len(back):,} events")
    parquet.unlink()


def write_parquet(events: pd.DataFrame, parquet: Path) -> None:
    events = events.copy()
    for name in ("outlook_categories", "attendees"):  # tuples -> lists, which Arrow stores as list<string>
        if name in events:
            events[name] = events[name].map(list)
    events.to_parquet(parquet, index=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    demo = sub.add_parser("demo")
    demo.add_argument("--people", type=int, default=500)
    demo.add_argument("--weeks", type=int, default=52)
    demo.add_argument("--repeat", type=int, default=2, help="runs of the whole command")
    store = sub.add_parser("store")
    store.add_argument("--mailboxes", type=int, default=5000)
    store.add_argument("--weeks", type=int, default=52)
    store.add_argument("--format", default="html,csv")
    store.add_argument("--keep", type=Path, help="folder to keep (and reuse) the store in")
    store.add_argument("--reads-only", action="store_true", help="only compare the SQLite and Parquet reads")
    args = parser.parse_args()
    log(f"load average {os.getloadavg()[0]:.1f} at start (2 cores shared with other jobs)")
    if args.what == "demo":
        bench_demo(args.people, args.weeks, args.repeat)
    else:
        bench_store(args.mailboxes, args.weeks, args.keep, args.format, run_report=not args.reads_only)
    log(f"load average {os.getloadavg()[0]:.1f} at end")


if __name__ == "__main__":
    main()

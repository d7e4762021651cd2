"""The local SQLite store, filled by ``calendar-audit sync`` through ``calendarView/delta``.

Per mailbox it keeps the events (frame fields only: no bodies), working hours and time zone, the last sync's
failure, and one delta link per window. A first sync pages through delta to the ``@odata.deltaLink``; later syncs
apply only the changes (``@removed`` deletions, which may lie outside the window, updates, additions). An expired
or unknown token (410 Gone, ``syncStateNotFound``, ``resyncRequired``) falls back to a full resync of that mailbox.
Each mailbox is written in one transaction as soon as all its pages have arrived (mailboxes are read a bounded
number at a time, so they finish one after another), so an interrupted sync keeps every mailbox finished so far
and leaves the one in progress as it was. On Linux a forked writer process decodes each mailbox's pages, maps
them to rows and runs those transactions (~20 ms of CPU per 1,000 events, which would otherwise hold the event
loop and the requests waiting on it: the loop reads only each page's links); it dies
with its parent (parent-death signal, and EOF on a pipe only the parent holds open) and keeps none of the parent's
terminal or pipes open.

The file is created owner-only (0600, in a 0700 folder): it holds meeting subjects. An existing file's mode is
never changed (looser permissions get a warning). Reading commands open it read-only (``mode=ro``: no chmod, no
write, no migration). Every SQLite fault becomes one :class:`StoreError` line: locked (after
``store.busy_timeout_seconds``, naming the process holding it when /proc shows it), read-only, disk full, corrupt
(``PRAGMA quick_check`` on opening for a sync), or a writer process that was killed.
"""

from __future__ import annotations

import asyncio
import ctypes
import json
import logging
import multiprocessing
import multiprocessing.connection
import os
import signal
import sqlite3
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import msgspec
import numpy as np
import pandas as pd
import platformdirs
from kiota_abstractions.authentication import AccessTokenProvider

from .. import frame
from ..errors import InputError, SourceError, StoreError
from ..frame import MailboxFailure, SourceData, WorkingHours
from ..logging_setup import redact
from ..private import create_private, warn_if_shared
from ..settings import Settings, TeamSettings
from ..window import Window
from .auth import APP_NAME
from .graph import (
    UTC_PREFER,
    Progress,
    failure_reason,
    graph_time,
    mailbox_settings,
    merge_hours,
    prefer,
    read_each,
    team_people,
    user_path,
)
from .graph_adapter import GraphEvent, decode_page, events_to_columns, versions_of
from .graph_client import GraphClient, GraphRequestError, Sleep, paused_gc
from .schema import check_version, migrate
from .versions import write_versions

RESYNC_CODES = frozenset({"syncStateNotFound", "resyncRequired", "SyncStateNotFound", "ResyncRequired"})
EVENT_COLUMNS = (
    "person", "event_id", "series_id", "ical_uid", "subject", "start_ns", "end_ns", "is_all_day", "show_as",
    "response", "is_cancelled", "is_optional", "attendee_count", "organizer", "outlook_categories", "is_online",
    "location", "sensitivity", "has_agenda", "attendees",
)
INSERT_EVENT = f"INSERT OR REPLACE INTO events VALUES ({','.join('?' * len(EVENT_COLUMNS))})"
NOT_SYNCED = "not synced for this window"
FULL_ROUND_TRIES = 2  # a full read that Graph answers 410 (sync state lost) is restarted once
log = logging.getLogger(__name__)


@dataclass
class MailboxSync:
    """What one mailbox's sync did."""

    person: str
    mode: str  # "full" or "delta"
    events: int = 0  # events in the mailbox's pages
    upserted: int = 0
    removed: int = 0
    requests: int = 0


@dataclass
class SyncResult:
    """Counts per mailbox, and the mailboxes that failed."""

    mailboxes: dict[str, MailboxSync] = field(default_factory=dict)
    failures: list[MailboxFailure] = field(default_factory=list)
    requests: int = 0
    retries: int = 0
    path: Path | None = None
    lowest_concurrency: int = 0  # requests allowed in flight, at its lowest (below graph.max_concurrency: 429s)
    request_seconds: float = 0.0  # summed time from sending each request to its reply


def store_path(settings: Settings) -> Path:
    """The SQLite file: settings.store.path, else the user's data folder."""
    if settings.store.path:
        return settings.resolve_path(settings.store.path) if not Path(settings.store.path).is_absolute() \
            else Path(settings.store.path)
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "store.sqlite3"


# --- opening, and faults as one line ---------------------------------------------------------------------------
def holders(path: Path) -> list[str]:
    """Other processes that have the store open (Linux /proc; empty elsewhere), as "pid 123 (sqlite3 ...)"."""
    proc = Path("/proc")
    if not proc.is_dir():
        return []
    target = str(path.resolve())
    names = {target, f"{target}-wal", f"{target}-shm", f"{target}-journal"}
    ours = {os.getpid(), *_OURS}  # this sync's own processes (the parent and its writer) are not "another"
    found = []
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) in ours:
            continue
        try:
            links = [os.readlink(entry / "fd" / fd) for fd in os.listdir(entry / "fd")]
        except OSError:
            continue
        if names.intersection(links):
            try:
                cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace").strip()
            except OSError:
                cmd = ""
            cmd = " ".join(redact(cmd).split())
            found.append(f"pid {entry.name}" + (f" ({cmd[:80]})" if cmd else ""))
    return found


def store_error(exc: BaseException, path: Path | str, doing: str, waited: float = 0.0) -> StoreError:
    """One clear line for a SQLite fault: what happened to the store, and what to do."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    text = str(exc)
    where = f"store {path}"
    if name.startswith("SQLITE_BUSY") or name.startswith("SQLITE_LOCKED") or "locked" in text:
        who = holders(Path(path))
        by = f" by {', '.join(who)}" if who else " by another process"
        return StoreError(f"{where}: locked{by} (waited {waited:g} s while {doing}); try again when it has "
                          "finished, or raise store.busy_timeout_seconds")
    if name.startswith("SQLITE_READONLY") or "readonly" in text or "read-only" in text:
        return StoreError(f"{where}: read-only (the file or its file system) while {doing}; nothing was written. "
                          "Make it writable for sync and purge, or point store.path at a writable file")
    if name == "SQLITE_FULL" or "disk is full" in text:
        return StoreError(f"{where}: disk full while {doing}; that transaction was rolled back and everything "
                          "committed before it is kept. Free some space and run the command again")
    if name in ("SQLITE_CORRUPT", "SQLITE_NOTADB") or "malformed" in text or "not a database" in text:
        return StoreError(f"{where}: corrupt ({text}); move it aside and run 'calendar-audit sync' to build a "
                          "new one from Microsoft 365")
    if name.startswith("SQLITE_IOERR"):
        return StoreError(f"{where}: disk I/O error while {doing} ({text}: disk full or failing?); that "
                          "transaction was rolled back")
    if name.startswith("SQLITE_CANTOPEN") or "unable to open" in text:
        return StoreError(f"{where}: cannot open it ({text}); check the folder exists and is readable")
    return StoreError(f"{where}: {text} while {doing}")


def _open(path: Path, readonly: bool, timeout: float) -> sqlite3.Connection:
    if readonly:
        conn = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True, isolation_level=None,
                               timeout=timeout)
        try:
            conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
        except sqlite3.OperationalError as exc:
            # A WAL store on a read-only file system: SQLite cannot make the shared-memory file a reader needs.
            # Nothing can write there either, so reading it as immutable (no locks) is safe.
            if not str(getattr(exc, "sqlite_errorname", "")).startswith("SQLITE_CANTOPEN") or \
                    os.access(path.parent, os.W_OK):
                conn.close()
                raise
            conn.close()
            conn = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro&immutable=1", uri=True,
                                   isolation_level=None, timeout=timeout)
        return conn
    return sqlite3.connect(path, isolation_level=None, timeout=timeout)  # transactions are explicit: BEGIN ...


@contextmanager
def connect(path: Path, *, readonly: bool = False, busy_timeout: float = 30.0,
            check: bool = False) -> Iterator[sqlite3.Connection]:
    """Open the store with the schema in place; every SQLite fault inside becomes one StoreError line.

    Writing: a new file is created 0600 in 0700 folders; an existing one is not chmod-ed (a warning when others may
    read it); missing schema steps are applied. ``check`` runs ``PRAGMA quick_check`` (sync and purge ask for it: it
    reads the whole file, ~0.4 s per 500,000 events, too much for each page the service serves). Reading
    (``readonly``): ``mode=ro``, nothing written; a store at an older schema version is read as it is.
    """
    doing = "reading" if readonly else "opening it"
    if not readonly:
        if path.exists() and not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)):
            raise StoreError(f"store {path}: read-only (the file or its file system); nothing was written. Make it "
                             "writable for sync and purge, or point store.path at a writable file")
        if create_private(path):
            log.debug("store %s: created (0600)", path)
        else:
            warn_if_shared(path, "meeting subjects")
    elif path.is_file():
        warn_if_shared(path, "meeting subjects")
    try:
        conn = _open(path, readonly, busy_timeout)
    except sqlite3.Error as exc:
        raise store_error(exc, path, doing, busy_timeout) from None
    try:
        if readonly:
            version = check_version(conn, f"store {path}")  # reading: a newer store refused, an older one read
            if version == 0:
                raise InputError(f"store {path}: empty (no sync has written to it yet); run 'calendar-audit sync' "
                                 "first")
        else:
            if check:
                _quick_check(conn, path)
            # WAL with synchronous=NORMAL: a commit per mailbox without an fsync that stalls the event loop;
            # a crash can lose the last commits but never corrupts the store (the next sync fetches them again).
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            migrate(conn, f"store {path}")
        yield conn
    except sqlite3.Error as exc:
        raise store_error(exc, path, doing, busy_timeout) from None
    finally:
        conn.close()


def _quick_check(conn: sqlite3.Connection, path: Path) -> None:
    """StoreError when SQLite finds the file damaged (``PRAGMA quick_check``: pages and structure, not indexes)."""
    problems = [r[0] for r in conn.execute("PRAGMA quick_check").fetchall()]
    if problems != ["ok"]:
        raise StoreError(f"store {path}: corrupt ({problems[0]}); move it aside and run 'calendar-audit sync' "
                         "to build a new one from Microsoft 365")


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def rows_of(columns: dict[str, list[Any]]) -> list[tuple[Any, ...]]:
    """Store rows from adapter columns (times as UTC nanoseconds; lists as JSON)."""
    # The adapter writes times as uniform naive-UTC "YYYY-MM-DDTHH:MM:SS": numpy parses those in C (~8x pandas).
    starts, ends = (
        (np.array(columns[k], dtype="datetime64[s]").astype("int64") * 1_000_000_000).tolist() for k in ("start", "end")
    )
    encode = msgspec.json.encode  # whole columns at a time (bools stay bools: sqlite stores them as 0/1)
    categories = [encode(c).decode() if c else "[]" for c in columns["outlook_categories"]]
    attendees = [encode(a).decode() if a else "[]" for a in columns["attendees"]]
    return list(zip(
        columns["person"], columns["event_id"], columns["series_id"], columns["ical_uid"], columns["subject"],
        starts, ends, columns["is_all_day"], columns["show_as"], columns["response"], columns["is_cancelled"],
        columns["is_optional"], columns["attendee_count"], columns["organizer"], categories, columns["is_online"],
        columns["location"], columns["sensitivity"], columns["has_agenda"], attendees, strict=True,
    ))


def _hours_json(wh: WorkingHours | None) -> str | None:
    if wh is None:
        return None
    return json.dumps({"days": list(wh.days), "start": wh.start.isoformat(), "end": wh.end.isoformat(), "tz": wh.tz})


def _hours_from_json(text: str | None) -> WorkingHours | None:
    if not text:
        return None
    d = json.loads(text)
    return WorkingHours(tuple(d["days"]), pd.Timestamp(f"2000-01-01T{d['start']}").time(),
                        pd.Timestamp(f"2000-01-01T{d['end']}").time(), d.get("tz"))


# --- sync -------------------------------------------------------------------------------------------------------
@dataclass
class _Round:
    """A finished delta round for one mailbox: its pages as they arrived, decoded and applied by the writer."""

    mode: str
    pages: list[bytes]
    delta_link: str
    requests: int


class _Links(msgspec.Struct, gc=False):
    """All the event loop reads of a delta page: where the round goes next (the events are skipped in C)."""

    next_link: str | None = msgspec.field(default=None, name="@odata.nextLink")
    delta_link: str | None = msgspec.field(default=None, name="@odata.deltaLink")


_LINKS = msgspec.json.Decoder(_Links)


def _links(content: bytes) -> _Links:
    try:
        return _LINKS.decode(content)
    except (msgspec.DecodeError, msgspec.ValidationError):  # unusual JSON (e.g. NaN): the tolerant parser
        body = json.loads(content or b"{}")
        links = _Links()
        if isinstance(body, dict):
            links.next_link = str(body["@odata.nextLink"]) if body.get("@odata.nextLink") else None
            links.delta_link = str(body["@odata.deltaLink"]) if body.get("@odata.deltaLink") else None
        return links


async def _delta_round(client: GraphClient, settings: Settings, url: str) -> _Round:
    """Page through one delta round to its deltaLink, keeping each page's bytes for the writer.

    Only the links are decoded here: decoding and mapping the events (~10 ms per 1,000) happen in the writer
    process, on the other core, so the event loop keeps the requests going.
    """
    headers = prefer(f"odata.maxpagesize={settings.graph.page_size}", UTC_PREFER,
                     'outlook.body-content-type="text"')
    pages: list[bytes] = []
    delta_link = ""
    next_url: str | None = url
    while next_url:
        content = await client.get_bytes(next_url, headers)
        client.stats.pages += 1
        pages.append(content)
        links = _links(content)
        delta_link = links.delta_link or delta_link
        next_url = links.next_link
    if not delta_link:
        raise GraphRequestError(200, "noDeltaLink", "delta round ended without @odata.deltaLink", "")
    return _Round("", pages, delta_link, len(pages))


def round_rows(
    person: str, pages: list[bytes], read_agenda: bool
) -> tuple[list[tuple[Any, ...]], set[str], list[tuple[str, str, bool]]]:
    """Store rows, removed ids and event versions (changeKey) from a round's pages, in order: later items override
    earlier ones (replays)."""
    latest: dict[str, GraphEvent] = {}
    removed: set[str] = set()
    unset = msgspec.UNSET
    with paused_gc():
        for content in pages:
            for item in decode_page(content).value or ():
                event_id = item.id
                if not event_id:
                    continue
                if item.removed is not unset:
                    removed.add(event_id)
                    latest.pop(event_id, None)
                else:
                    removed.discard(event_id)
                    latest[event_id] = item
        rows = rows_of(events_to_columns(person, list(latest.values()), read_agenda=read_agenda)) if latest else []
    return rows, removed, versions_of(latest.values())


def _delta_link(conn: sqlite3.Connection, person: str, start: str, end: str) -> tuple[str] | None:
    return conn.execute(
        "SELECT link FROM delta_links WHERE person=? AND window_start=? AND window_end=?", (person, start, end)
    ).fetchone()


def _needs_resync(error: GraphRequestError) -> bool:
    return error.status == 410 or error.code in RESYNC_CODES


async def _full_round(client: GraphClient, settings: Settings, url: str) -> _Round:
    """A full read of the window; Graph losing the sync state part-way (410) restarts it once from the start."""
    for attempt in range(FULL_ROUND_TRIES):
        try:
            result = await _delta_round(client, settings, url)
        except GraphRequestError as exc:
            if not _needs_resync(exc) or attempt + 1 == FULL_ROUND_TRIES:
                raise
            log.debug("full read restarted after %s", exc.reason)
            continue
        result.mode = "full"
        return result
    raise AssertionError("unreachable")  # the loop returns or raises


@dataclass
class _Fetched:
    """One mailbox's finished delta round and settings, waiting to be mapped and saved."""

    person: str
    result: _Round
    timezone: str | None
    hours: WorkingHours | None


async def fetch_mailbox(
    client: GraphClient, conn: sqlite3.Connection, settings: Settings, person: str, window: Window
) -> _Fetched:
    """Read one mailbox's changes (its delta link), else all of the window; and its mailbox settings."""
    start, end = graph_time(window.start), graph_time(window.end)
    row = _delta_link(conn, person, start, end)
    full_url = f"{user_path(person)}/calendarView/delta?startDateTime={start}&endDateTime={end}"
    hours_task = asyncio.create_task(mailbox_settings(client, person, window, False))
    try:
        result = None
        if row:
            try:
                result = await _delta_round(client, settings, row[0])
                result.mode = "delta"
            except GraphRequestError as exc:
                if not _needs_resync(exc):
                    raise
        if result is None:
            result = await _full_round(client, settings, full_url)
    except BaseException:
        hours_task.cancel()
        raise
    hours = await hours_task
    return _Fetched(person, result, hours.timezone, hours.working_hours)


async def save_mailbox(fetched: _Fetched, settings: Settings, window: Window, writer: Executor | None,
                       path: Path) -> MailboxSync:
    """Decode, map and write a fetched mailbox in one transaction (in the writer process when there is one)."""
    person, result = fetched.person, fetched.result
    args = (person, (window.start.value, window.end.value), (graph_time(window.start), graph_time(window.end)),
            result.mode, result.pages, result.delta_link, fetched.timezone, _hours_json(fetched.hours),
            settings.graph.read_agenda)
    result.pages = []  # the writer has its own copy
    events, removed = await _write(writer, path, _apply_round, *args)
    return MailboxSync(person, result.mode, events, events, removed, result.requests)


_WRITER: dict[str, sqlite3.Connection] = {}  # the writer process's own connection, per store
_OURS: set[int] = set()  # the other process of this sync: the writer (in the parent), the parent (in the writer)
_BUSY_TIMEOUT = [30.0]  # set by the parent before the fork: the writer's wait for a lock


async def _write(writer: Executor | None, path: Path, fn: Any, *args: Any) -> Any:
    """Run one store transaction: in the writer process when there is one, else here; faults as StoreError."""
    if writer is None:
        return fn(str(path), *args)
    try:  # decoding, mapping and SQLite (~20 ms per 1,000 events) are paid by the writer process, on another core
        return await asyncio.get_running_loop().run_in_executor(writer, fn, str(path), *args)
    except BrokenProcessPool:
        raise StoreError(f"store {path}: the writer process stopped (killed?) before it finished a mailbox; "
                         "that mailbox was rolled back, every mailbox saved before it is kept. Run sync again") \
            from None


def _writer_conn(path: str) -> sqlite3.Connection:
    conn = _WRITER.get(path)
    if conn is None:
        conn = _WRITER[path] = sqlite3.connect(path, isolation_level=None, timeout=_BUSY_TIMEOUT[0])
        conn.execute("PRAGMA synchronous=NORMAL")
    return conn


def _apply_round(
    path: str, person: str, window_ns: tuple[int, int], window_text: tuple[str, str], mode: str,
    pages: list[bytes], delta_link: str, timezone: str | None, hours: str | None, read_agenda: bool,
) -> tuple[int, int]:
    """Apply one mailbox's finished round in one transaction (runs in the writer process); (events, removed)."""
    rows, removed, versions = round_rows(person, pages, read_agenda)
    try:
        conn = _writer_conn(path)
        with transaction(conn):
            if mode == "full":  # a full round is the whole truth for the window
                conn.execute("DELETE FROM events WHERE person=? AND start_ns<? AND end_ns>?",
                             (person, window_ns[1], window_ns[0]))
            conn.executemany("DELETE FROM events WHERE person=? AND event_id=?",
                             [(person, e) for e in sorted(removed)])
            conn.executemany(INSERT_EVENT, rows)
            write_versions(conn, person, sorted(removed), versions)
            conn.execute("INSERT OR REPLACE INTO delta_links VALUES (?,?,?,?)", (person, *window_text, delta_link))
            conn.execute("INSERT OR REPLACE INTO mailboxes VALUES (?,?,?,NULL)", (person, timezone, hours))
    except sqlite3.Error as exc:  # a StoreError (one line, picklable) crosses the process boundary
        raise store_error(exc, path, f"saving {person}", _BUSY_TIMEOUT[0]) from None
    return len(rows), len(removed)


def _record_failure(path: str, person: str, reason: str) -> None:
    """Record why a mailbox failed, as soon as it did (its stored events are left alone)."""
    try:
        conn = _writer_conn(path)
        with transaction(conn):
            conn.execute("INSERT INTO mailboxes (person, last_error) VALUES (?, ?) "
                         "ON CONFLICT(person) DO UPDATE SET last_error=excluded.last_error", (person, reason))
    except sqlite3.Error as exc:
        raise store_error(exc, path, f"recording the failure of {person}", _BUSY_TIMEOUT[0]) from None


def _close_writer() -> None:
    """Close the writer process's connections (a checkpointed, tidy WAL)."""
    while _WRITER:
        _WRITER.popitem()[1].close()


def _ready() -> None:
    """A no-op that makes the pool start its worker now (before the parent opens the store)."""


async def sync_async(
    settings: Settings,
    team: TeamSettings | None,
    window: Window,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    progress: Progress | None = None,
    tokens: AccessTokenProvider | None = None,
    sleep: Sleep = asyncio.sleep,
) -> SyncResult:
    """Sync the team's mailboxes into the store; failed mailboxes are recorded and their data left alone."""
    path = store_path(settings)
    team = team or settings.team(None)
    _BUSY_TIMEOUT[0] = settings.store.busy_timeout_seconds  # before the fork: the writer waits as long
    writer = _writer_pool()
    if writer is None:
        try:
            return await _sync_with(settings, team, window, path, None, transport, progress, tokens, sleep)
        finally:
            _close_writer()
    with writer:
        writer.submit(_ready).result()  # the fork happens now, before the parent opens the store
        writer_pids = set(getattr(writer, "_processes", None) or ())
        _OURS.update(writer_pids)
        try:
            return await _sync_with(settings, team, window, path, writer, transport, progress, tokens, sleep)
        finally:
            with suppress(BrokenProcessPool):  # a dead writer has nothing to close; its error is already raised
                writer.submit(_close_writer).result()
            _OURS.difference_update(writer_pids)


def _writer_pool() -> ProcessPoolExecutor | None:
    """One writer process for the store, on Linux (fork: it starts at once and imports nothing, where spawn would
    re-import pandas, ~1 s of CPU); None elsewhere (macOS and Windows write on the event loop, as one process)."""
    if not sys.platform.startswith("linux"):
        return None
    return ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"), initializer=_writer_init,
                               initargs=(os.getpid(),))


PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _writer_init(parent: int) -> None:
    """Set up the writer process: it never outlives the parent, and holds none of the parent's terminal or pipes.

    - the kernel kills it when the parent dies, however it dies (``PR_SET_PDEATHSIG``, also after ``kill -9``);
    - a thread watches the pipe only the parent holds open, and ends the process at EOF (where prctl is missing);
    - stdin, stdout and stderr become /dev/null, so a pipe, cron or supervisor reading the parent's output sees
      EOF as soon as the parent is gone;
    - Ctrl-C is the parent's to handle: the writer finishes (or rolls back) the transaction it is in. A writer
      killed mid-transaction loses only that transaction (SQLite rolls it back on the next open).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _OURS.add(parent)
    with suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.close(devnull)
    threading.Thread(target=_exit_with_parent, name="parent-watch", daemon=True).start()


def _exit_with_parent() -> None:
    """End the writer when the parent's end of the process pipe closes (the parent exited or was killed)."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return
    multiprocessing.connection.wait([parent.sentinel])
    os._exit(1)


async def _sync_with(
    settings: Settings,
    team: TeamSettings,
    window: Window,
    path: Path,
    writer: Executor | None,
    transport: httpx.AsyncBaseTransport | None,
    progress: Progress | None,
    tokens: AccessTokenProvider | None,
    sleep: Sleep,
) -> SyncResult:
    """The body of :func:`sync_async`, with the store's writer (a process, or None to write on the loop)."""
    with connect(path, busy_timeout=settings.store.busy_timeout_seconds, check=True) as conn:
        async with GraphClient(settings, transport=transport, tokens=tokens, sleep=sleep) as client:
            people = await team_people(client, settings, team, False)
            with transaction(conn):
                conn.execute("DELETE FROM team_members WHERE team=?", (team.name,))
                conn.executemany("INSERT INTO team_members VALUES (?,?,?)",
                                 [(team.name, p, i) for i, p in enumerate(people)])

            async def fetch(person: str) -> _Fetched:
                try:
                    return await fetch_mailbox(client, conn, settings, person, window)
                except GraphRequestError as exc:
                    if exc.status != 401 and not exc.unreachable:  # fatal ones end the sync instead
                        await _write(writer, path, _record_failure, person, failure_reason(exc))
                    raise

            async def save(person: str, fetched: _Fetched) -> MailboxSync:
                return await save_mailbox(fetched, settings, window, writer, path)

            # a mailbox gives its place to the next as soon as its pages are in; it is saved meanwhile
            done, failures = await read_each(client, people, fetch, progress, save)
        return SyncResult({p: done[p] for p in people if p in done}, failures, client.stats.requests,
                          client.stats.retries, path, client.throttle.lowest, client.stats.request_seconds)


def sync(
    settings: Settings,
    team: TeamSettings | None,
    window: Window,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    progress: Progress | None = None,
) -> SyncResult:
    """Synchronous wrapper of :func:`sync_async`."""
    return asyncio.run(sync_async(settings, team, window, transport=transport, progress=progress))


# --- read -------------------------------------------------------------------------------------------------------
def read_store(settings: Settings, team: TeamSettings | None, window: Window) -> SourceData:
    """The team's events in the window from the store (no network); unsynced or failed mailboxes are failures."""
    path = store_path(settings)
    if not path.is_file():
        raise SourceError(f"store {path}: not found; run 'calendar-audit sync' first")
    team = team or settings.team(None)
    start, end = graph_time(window.start), graph_time(window.end)
    with connect(path, readonly=True, busy_timeout=settings.store.busy_timeout_seconds) as conn:
        people = [r[0] for r in conn.execute(
            "SELECT person FROM team_members WHERE team=? ORDER BY position", (team.name,))]
        if not people:
            people = [m.strip().lower() for m in team.members if m.strip()]
        failures: list[MailboxFailure] = []
        readable: list[str] = []
        found_hours: dict[str, WorkingHours | None] = {}
        for person in people:
            box = conn.execute("SELECT working_hours, last_error FROM mailboxes WHERE person=?", (person,)).fetchone()
            covered = conn.execute(
                "SELECT 1 FROM delta_links WHERE person=? AND window_start<=? AND window_end>=?", (person, start, end)
            ).fetchone()
            if box and box[1]:
                failures.append(MailboxFailure(person, f"last sync failed: {box[1]}"))
            elif not covered:
                failures.append(MailboxFailure(person, f"{NOT_SYNCED}; run 'calendar-audit sync' "
                                                       f"--from {window.first} --to {window.last}"))
            else:
                readable.append(person)
                found_hours[person] = _hours_from_json(box[0]) if box else None
        if people and not readable and len(_never_synced(failures)) == len(people):
            raise InputError(f"store {path}: no mailbox of team {team.name!r} has been synced for {window.first} "
                             f"to {window.last}; run 'calendar-audit sync --from {window.first} --to {window.last}'"
                             " first")
        events = _read_events(conn, readable, window)
    return SourceData(events, people=people, working_hours=merge_hours(settings, found_hours), failures=failures,
                      window=window)


def _never_synced(failures: list[MailboxFailure]) -> list[str]:
    return [f.person for f in failures if f.reason.startswith(NOT_SYNCED)]


#: The events query, one row per mailbox: each column of the mailbox's events in the window as one JSON array
#: built by SQLite (the list columns embedded as JSON, not as strings), so Python decodes a few long documents per
#: mailbox in C instead of making a tuple and two ``json.loads`` per event (5.5 M events: ~124 CPU s and ~13 GB that
#: way). The arrays of one row come from the same scan, so they line up; their order is sorted afterwards.
_LIST_COLUMNS = ("outlook_categories", "attendees")
_BOOLS = ("is_all_day", "is_cancelled", "is_optional", "is_online")
_TEXTS = tuple(c for c in EVENT_COLUMNS if frame.COLUMNS.get(c) == "string")


def _array_of(column: str) -> str:
    if column in _LIST_COLUMNS:  # stored as JSON arrays already: joined, not parsed again
        return f"'['||group_concat(ifnull({column},'[]'))||']'"
    if column in _BOOLS:
        return f"json_group_array(ifnull({column},0))"  # NULL read as False, as bool(None)
    if column == "has_agenda":
        return f"json_group_array(ifnull({column},2))"  # 2: not read (<NA>)
    if column in _TEXTS:
        return f"json_group_array(ifnull({column},''))"
    return f"json_group_array({column})"


# Only the keys go through the sort; the rows are then read by rowid in that order.
READ_EVENTS = (f"SELECT count(*),{','.join(_array_of(c) for c in EVENT_COLUMNS[1:])} FROM (SELECT rowid AS r FROM "
               "events WHERE person=? AND start_ns<? AND end_ns>? ORDER BY start_ns, event_id) s JOIN events e "
               "ON e.rowid=s.r")
_DECODE_LISTS = msgspec.json.Decoder(list[tuple]).decode
_DECODE = msgspec.json.Decoder(list).decode


def _read_events(conn: sqlite3.Connection, people: list[str], window: Window) -> pd.DataFrame:
    """The events of ``people`` (in that order) in the window, sorted by person, start and event id."""
    cols: dict[str, list[Any]] = {name: [] for name in EVENT_COLUMNS[1:]}
    counts: list[int] = []
    with paused_gc():  # millions of acyclic strings and tuples: nothing for the collector to find
        for person in people:
            count, *arrays = conn.execute(READ_EVENTS, (person, window.end.value, window.start.value)).fetchone()
            counts.append(count)
            if count:
                for name, text in zip(EVENT_COLUMNS[1:], arrays, strict=True):
                    cols[name].extend((_DECODE_LISTS if name in _LIST_COLUMNS else _DECODE)(text))
    if not sum(counts):
        return frame.empty_frame()
    position = np.repeat(np.arange(len(people)), counts)
    starts = np.array(cols["start_ns"], dtype="int64")
    event_ids = np.array(cols["event_id"], dtype=object)
    # Each mailbox's events come in (start, event id) order in practice, but SQLite does not promise an aggregate's
    # order: check it, and sort when it is not.
    later, same = position[1:] > position[:-1], position[1:] == position[:-1]
    in_order = bool(np.all(later | same & (starts[1:] > starts[:-1])
                           | same & (starts[1:] == starts[:-1]) & (event_ids[1:] > event_ids[:-1])))
    order = None if in_order else np.lexsort((event_ids, starts, position))

    def column(values: Any) -> Any:
        if order is None:
            return values
        return values.take(order)

    agenda = np.array(cols.pop("has_agenda"), dtype="int8")
    data: dict[str, Any] = {
        "person": column(np.array(people, dtype=object)[position]),
        "start": column(pd.DatetimeIndex(starts.view("datetime64[ns]"), tz="UTC")),
        "end": column(pd.DatetimeIndex(np.array(cols.pop("end_ns"), dtype="int64").view("datetime64[ns]"), tz="UTC")),
        "has_agenda": column(pd.arrays.BooleanArray(agenda == 1, agenda == 2)),
    }
    for name in _BOOLS:
        data[name] = column(np.array(cols.pop(name), dtype=bool))
    for name in _LIST_COLUMNS:  # tuples already (the decoder's type): an object array, taken as it is
        data[name] = column(np.fromiter(cols.pop(name), dtype=object, count=len(position)))
    for name in _TEXTS:
        if name != "person":
            data[name] = column(pd.array(cols.pop(name), dtype=frame.COLUMNS[name]))
    data["attendee_count"] = column(np.array(cols.pop("attendee_count"), dtype="int64"))
    return frame.from_columns(data)


# --- purge ------------------------------------------------------------------------------------------------------
def purge(settings: Settings, before: pd.Timestamp) -> int:
    """Delete stored events that start before ``before`` (UTC), and the delta links of windows reaching back
    before it (so a report there says "not synced" rather than showing a gap); returns the events deleted.

    The file is vacuumed afterwards: SQLite otherwise keeps deleted rows in free pages.
    """
    path = store_path(settings)
    if not path.is_file():
        raise SourceError(f"store {path}: not found; nothing to purge")
    cutoff = pd.Timestamp(before).tz_convert("UTC")
    with connect(path, busy_timeout=settings.store.busy_timeout_seconds, check=True) as conn:
        with transaction(conn):
            deleted = conn.execute("DELETE FROM events WHERE start_ns < ?", (cutoff.value,)).rowcount
            conn.execute("DELETE FROM delta_links WHERE window_start < ?", (graph_time(cutoff),))
        conn.execute("VACUUM")
    return deleted

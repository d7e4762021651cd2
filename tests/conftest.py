"""Shared fixtures: hand-made events frames and settings without any file or environment leaking in."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from calendar_audit.frame import COLUMNS, from_records

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
LONDON = ZoneInfo("Europe/London")


def local(text: str, tz: ZoneInfo = LONDON) -> pd.Timestamp:
    """'2026-10-19 10:00' in a local zone -> UTC timestamp."""
    return pd.Timestamp(datetime.fromisoformat(text).replace(tzinfo=tz)).tz_convert("UTC")


def day(text: str) -> pd.Timestamp:
    """An all-day date at 00:00 UTC (the frame's convention)."""
    return pd.Timestamp(text, tz="UTC")


@pytest.fixture
def make_events() -> Callable[..., pd.DataFrame]:
    """Build an events frame from short dicts: start/end as local 'YYYY-MM-DD HH:MM' strings."""

    def build(*rows: dict[str, Any], person: str = "sam@council.gov.uk") -> pd.DataFrame:
        """Keys that are not frame columns (category, statutory, ...) become extra columns."""
        records = []
        for i, row in enumerate(rows):
            rec = {"person": person, "event_id": f"e{i}", **row}
            if rec.get("is_all_day"):
                rec["start"], rec["end"] = day(rec["start"]), day(rec["end"])
            else:
                rec["start"], rec["end"] = local(rec["start"]), local(rec["end"])
            records.append(rec)
        frame = from_records(records)
        extra = sorted({k for r in records for k in r} - set(COLUMNS))
        for key in extra:
            values = [r.get(key) for r in records]
            if key == "statutory":
                values = [bool(v) for v in values]
            frame[key] = values
        return frame

    return build


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No CALENDAR_AUDIT_* variable from the developer's machine leaks into a test."""
    import os

    for key in list(os.environ):
        if key.startswith("CALENDAR_AUDIT_"):
            monkeypatch.delenv(key)


@pytest.fixture
def in_tmp(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Run the test in an empty folder (no ./calendar-audit.toml)."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


# --- a real browser ------------------------------------------------------------------------------------------------
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
SCREENSHOTS = REPO / "tests" / "screenshots"  # git-ignored; the tests leave their pictures here to look at


def chromium_path() -> str | None:
    import shutil

    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def need(what: str, present: bool) -> None:
    """Skip a test whose tool is missing on a developer's machine; in CI (CI set) fail it instead."""
    import os

    if present:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{what} is missing in CI: .ci/run must provide it")
    pytest.skip(f"{what} is missing on this machine")


@pytest.fixture
def shared_fixtures() -> Path:
    """../shared/fixtures (real ICS and Graph files, read where they lie): skipped locally without it, failed in CI."""
    folder = SHARED / "fixtures"
    need("../shared/fixtures", folder.is_dir())
    return folder


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under `make mutation`, run a mutant's tests fastest first: mutmut stops at the first failure (-x), so a mutant
    a quick test kills costs that test, not the slow ones before it. The durations are mutmut's own, recorded in
    mutmut-stats.json when it collected which tests reach which function. Outside a mutation run nothing changes."""
    if "__mutmut_" not in os.environ.get("MUTANT_UNDER_TEST", ""):
        return
    stats = Path("mutmut-stats.json")
    if not stats.exists():
        return
    took = json.loads(stats.read_text(encoding="utf-8")).get("duration_by_test", {})
    items.sort(key=lambda item: took.get(item.nodeid, float("inf")))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """A closing line with the skip count, so `make test` shows "skipped: 0" (CI must skip nothing)."""
    skipped = len(terminalreporter.stats.get("skipped", []))
    terminalreporter.write_line(f"skipped: {skipped}")


@pytest.fixture
def page_at() -> Any:
    """Open a fresh page in Debian's headless Chromium at a width (1400 desktop, 390 phone), driven by Playwright.

    The browser starts at the first call, not at setup: Playwright's sync API keeps an event loop running in this
    thread while it is open, so a test runs the product (which calls asyncio.run) before it opens a page, and the
    browser is closed after every test.
    """
    path = chromium_path()
    need("chromium", path is not None)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        need("playwright", False)
    state: dict[str, Any] = {}

    def open_page(width: int = 1400, height: int = 900) -> Any:
        if "browser" not in state:
            state["pw"] = sync_playwright().start()
            state["browser"] = state["pw"].chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        context = state["browser"].new_context(viewport={"width": width, "height": height})
        return context.new_page()

    yield open_page
    if "browser" in state:
        state["browser"].close()
        state["pw"].stop()

"""Shared fixtures: hand-made events frames and settings without any file or environment leaking in."""

from __future__ import annotations

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

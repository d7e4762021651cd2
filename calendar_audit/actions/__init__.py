"""Calendar writes (all I/O out to Graph). Dry run by default: nothing is sent without ``--apply``.

Every write attempted is recorded in an append-only audit log (JSON lines, created owner-only):
time, mailbox, action, event id, transaction id, outcome.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import platformdirs

from ..settings import Settings

APP_NAME = "calendar-audit"


def default_audit_log(settings: Settings) -> Path:
    """The settings' audit_log, else audit.jsonl in the user's data folder."""
    if settings.audit_log:
        return settings.resolve_path(settings.audit_log)
    return Path(platformdirs.user_data_dir(APP_NAME)) / "audit.jsonl"


@dataclass
class AuditLog:
    """Append-only JSON-lines record of calendar writes; the file is created with mode 0600."""

    path: Path
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    def record(self, *, mailbox: str, action: str, event_id: str = "", transaction_id: str = "",
               outcome: str, **extra: Any) -> None:
        entry = {"time": self.clock().isoformat(), "mailbox": mailbox, "action": action, "event_id": event_id,
                 "transaction_id": transaction_id, "outcome": outcome, **extra}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(entry, ensure_ascii=False) + "\n")

    def entries(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines() if line.strip()]

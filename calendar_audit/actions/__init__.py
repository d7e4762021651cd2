"""Calendar writes (all I/O out to Graph). Dry run by default: nothing is sent without ``--apply``.

Every write attempted is recorded in an append-only audit log (JSON lines, created 0600 from its first byte in a
0700 folder; an existing log that others may read gets a warning, not a silent chmod): time, mailbox, action,
event id, transaction id, outcome. Batched writes are journalled before they are sent (outcome ``intent``), so a
run interrupted before Graph answered leaves a trace of what may have been created.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import platformdirs

from ..private import append_private, warn_if_shared
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
    _checked: bool = field(default=False, repr=False)

    def record(self, *, mailbox: str, action: str, event_id: str = "", transaction_id: str = "",
               outcome: str, **extra: Any) -> None:
        self.record_all([{"mailbox": mailbox, "action": action, "event_id": event_id,
                          "transaction_id": transaction_id, "outcome": outcome, **extra}])

    def record_all(self, entries: list[dict[str, Any]]) -> None:
        """Append entries in one write (each gets the time; missing standard fields are empty)."""
        if not entries:
            return
        if not self._checked:
            self._checked = True
            warn_if_shared(self.path, "the record of calendar writes")
        now = self.clock().isoformat()
        lines = []
        for entry in entries:
            full = {"time": now, "mailbox": "", "action": "", "event_id": "", "transaction_id": "", "outcome": "",
                    **entry}
            lines.append(json.dumps(full, ensure_ascii=False) + "\n")
        append_private(self.path, "".join(lines))

    def entries(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines() if line.strip()]

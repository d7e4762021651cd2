"""The audit log of calendar writes: append-only JSON lines, owner-only."""

from __future__ import annotations

import stat
from datetime import UTC, datetime

from calendar_audit.actions import AuditLog


def test_audit_log_appends_json_lines_owner_only(tmp_path):
    log = AuditLog(tmp_path / "sub" / "audit.jsonl", clock=lambda: datetime(2026, 11, 2, 9, 0, tzinfo=UTC))
    log.record(mailbox="sam@council.gov.uk", action="create_hold", event_id="AAA", transaction_id="t1",
               outcome="created")
    log.record(mailbox="sam@council.gov.uk", action="decline", event_id="BBB", outcome="failed: 403")
    assert [e["action"] for e in log.entries()] == ["create_hold", "decline"]
    assert log.entries()[0] == {"time": "2026-11-02T09:00:00+00:00", "mailbox": "sam@council.gov.uk",
                                "action": "create_hold", "event_id": "AAA", "transaction_id": "t1",
                                "outcome": "created"}
    assert stat.S_IMODE(log.path.stat().st_mode) == 0o600

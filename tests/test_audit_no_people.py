"""An audit in which every mailbox failed (a store nobody has synced yet) reports nothing rather than crashing."""

from __future__ import annotations

from datetime import date

from calendar_audit.audit import audit
from calendar_audit.frame import MailboxFailure, SourceData, empty_frame
from calendar_audit.rules import load_rules
from calendar_audit.settings import Settings
from calendar_audit.window import Window


def test_audit_with_every_mailbox_failed_reports_the_failures_and_no_rows():
    settings = Settings()
    window = Window(date(2026, 10, 5), date(2026, 10, 18), "Europe/London")
    data = SourceData(empty_frame(), people=["amy@x.org"], failures=[MailboxFailure("amy@x.org", "not synced")],
                      window=window)
    result = audit(data, load_rules(settings.rule_paths()), window, settings)
    assert len(result.person_week) == 0
    assert [f.person for f in result.failures] == ["amy@x.org"]

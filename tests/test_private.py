"""Secrets at rest and in logs: owner-only files from the first byte, 0700 folders, no silent chmod, delta and skip
tokens redacted in --verbose."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest

from calendar_audit.actions import AuditLog
from calendar_audit.logging_setup import configure_logging, redact
from calendar_audit.private import private_dir, write_private
from calendar_audit.sources.auth import PersistedTokenCache


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def loose_umask():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_created_folders_are_0700_whatever_the_umask(tmp_path, loose_umask):
    private_dir(tmp_path / "a" / "b" / "c")
    assert [mode(tmp_path / p) for p in ("a", "a/b", "a/b/c")] == [0o700] * 3
    (tmp_path / "shared").mkdir(mode=0o755)
    private_dir(tmp_path / "shared" / "mine")
    assert mode(tmp_path / "shared") == 0o755 and mode(tmp_path / "shared" / "mine") == 0o700  # existing: untouched


def test_an_existing_loose_token_cache_is_replaced_not_rewritten_in_place(tmp_path, loose_umask, caplog):
    path = tmp_path / "cache" / "msal_token_cache.json"
    path.parent.mkdir()
    path.write_text("{}")
    os.chmod(path, 0o644)
    inode = path.stat().st_ino
    cache = PersistedTokenCache(path)
    assert f"{path} is readable by others (mode 644) and holds sign-in tokens" in caplog.text
    cache.has_state_changed = True
    cache.save()
    assert mode(path) == 0o600
    assert path.stat().st_ino != inode  # a new 0600 file renamed over it: never 0644 with tokens in it
    assert [p.name for p in path.parent.iterdir()] == ["msal_token_cache.json"]  # no temporary file left


def test_write_private_creates_0600_file_in_0700_folders(tmp_path, loose_umask):
    write_private(tmp_path / "new" / "secret.json", "{}")
    assert mode(tmp_path / "new" / "secret.json") == 0o600 and mode(tmp_path / "new") == 0o700


def test_the_audit_log_is_0600_in_a_new_0700_folder_and_a_loose_one_is_warned_about(tmp_path, loose_umask, caplog):
    log = AuditLog(tmp_path / "logs" / "audit.jsonl")
    log.record(mailbox="a@x", action="book_hold", outcome="created")
    assert mode(log.path) == 0o600 and mode(log.path.parent) == 0o700
    os.chmod(log.path, 0o640)
    AuditLog(log.path).record(mailbox="a@x", action="book_hold", outcome="created")
    assert mode(log.path) == 0o640  # the owner's choice stands
    assert "readable by others (mode 640) and holds the record of calendar writes" in caplog.text
    assert len(log.entries()) == 2


@pytest.mark.parametrize("line", [
    "GET https://graph.microsoft.com/v1.0/users/a%40b/calendarView/delta?$deltatoken=LztZwWjo5IivWBhyxw5rACKxf7m"
    "Pm0oW6JZZ7fvKxYPS_67JnEYmfQQMPccy6FRun0DWJF5775dvuXxlZnMYhBubC1v4SBVT9ZjO8f7acZI8.04u1OYXtIYcE8cIyWDXyc0 "
    '"HTTP/1.1 200 OK"',
    "nextLink=https://graph.microsoft.com/v1.0/users/a/calendarView/delta?$skiptoken=R0usmcCM996atia_s&$top=10",
    "url=/users/a/calendarView/delta?%24skiptoken%3DR0usmcCM996atia_s",
])
def test_delta_and_skip_tokens_are_redacted(line):
    out = redact(line)
    assert "[redacted]" in out
    assert "LztZwWjo5" not in out and "R0usmcCM996atia_s" not in out
    assert "calendarView/delta" in out and ("$top=10" in out or "$top" not in line)


def test_verbose_log_of_an_httpx_request_hides_the_delta_token(caplog):
    configure_logging(True)
    with caplog.at_level(logging.INFO):
        logging.getLogger("httpx").info('HTTP Request: %s %s "%s"', "GET",
                                        "https://graph.microsoft.com/v1.0/users/a/calendarView/delta?$deltatoken=abc123",
                                        "HTTP/1.1 200 OK")
    assert "abc123" not in caplog.text and "$deltatoken=[redacted]" in caplog.text


def test_report_folders_the_product_creates_are_owner_only_whatever_the_umask(tmp_path: Path) -> None:
    from calendar_audit.cli import main
    from calendar_audit.commands.options import Context

    old = os.umask(0o022)
    try:
        code = main(["demo", "--out", str(tmp_path / "reports" / "demo"), "--format", "csv"], Context())
    finally:
        os.umask(old)
    assert code == 0
    assert stat.S_IMODE((tmp_path / "reports").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "reports" / "demo").stat().st_mode) == 0o700
    assert (tmp_path / "reports" / "demo" / "person_week.csv").is_file()

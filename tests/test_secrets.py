"""A recognisable client secret never appears in any output, log, report, store or error, with --verbose on."""

from __future__ import annotations

import io
import logging
from datetime import date
from pathlib import Path

import pytest
import respx
from rich.console import Console
from sources.graph_fake import FakeGraph, graph_event

from calendar_audit.cli import main
from calendar_audit.commands.options import Context
from calendar_audit.logging_setup import REDACTED, configure_logging, redact

DATA = Path(__file__).resolve().parent / "data"
SAM = DATA / "ics" / "uk_social_worker" / "sam.jones@council.gov.uk.ics"
SLOTS = DATA / "slots" / "mornings.toml"
CANARY = "S3CRET-canary-9f8e7d"
TOKEN = "fake-token"  # what the fake identity platform hands out
AMY, BEN = "amy.lee@council.gov.uk", "ben.ode@council.gov.uk"


def files_text(folder: Path) -> bytes:
    return b"\n".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


@pytest.fixture
def graph_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Settings for a two-person team; the secret comes from the environment, as in production."""
    monkeypatch.setenv("CALENDAR_AUDIT_GRAPH__CLIENT_SECRET", CANARY)
    config = tmp_path / "config" / "calendar-audit.toml"
    config.parent.mkdir()
    config.write_text(f"""
[graph]
tenant_id = "contoso-tenant"
client_id = "app-id"
[store]
path = "{tmp_path / 'data' / 'store.sqlite3'}"
[[teams]]
name = "evolve"
members = ["{AMY}", "{BEN}"]
""")
    return config


def fake_graph() -> FakeGraph:
    fake = FakeGraph(fail={BEN: (403, "ErrorAccessDenied")})  # a failure message must not carry it either
    for i in range(3):
        fake.put(AMY, graph_event(f"amy-{i}", f"2026-10-{19 + i}T09:00:00", f"2026-10-{19 + i}T10:00:00"))
    return fake


def commands(tmp: Path, config: Path) -> list[list[str]]:
    ics = ["--ics", str(SAM), "--from", "2026-10-19", "--to", "2026-10-25"]
    graph = ["--config", str(config), "--from", "2026-10-19", "--to", "2026-10-25"]
    out = str(tmp / "data" / "out")
    return [
        ["demo", "--out", out, "--people", "3", "--weeks", "1"],
        ["report", *ics, "--out", out, "--format", "html,csv,xlsx,json"],
        ["explain", *ics],
        ["rules", "check"],
        ["slots", "check", *ics, "--slots", str(SLOTS), "--out", out],
        ["suggest", "--ics", str(SAM), "--from", "2026-10-19", "--out", out],
        ["sync", *graph],
        ["report", *graph, "--source", "store", "--out", out, "--format", "html,csv,xlsx,json"],
        ["report", *graph, "--source", "graph", "--out", out, "--format", "json"],
        ["report", "--config", str(config), "--source", "graph", "--team", "nobody"],  # an error path
    ]


def test_no_command_leaks_the_client_secret_or_a_token(tmp_path: Path, graph_config: Path,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    fake = fake_graph()
    seen = []
    for argv in commands(tmp_path, graph_config):
        out, err = io.StringIO(), io.StringIO()
        ctx = Context(today=date(2026, 10, 26), console=Console(file=out, width=200),
                      err=Console(file=err, width=200))
        with respx.mock(assert_all_called=False) as router:
            router.route().mock(side_effect=fake.respond)
            code = main(["--verbose", *argv], ctx)
        seen.append((argv[0], code))
        text = out.getvalue() + err.getvalue()
        assert CANARY not in text, argv
        assert TOKEN not in text, argv
    assert [c for _, c in seen] == [0, 0, 0, 0, 0, 0, 3, 3, 3, 2]
    assert any(r.name.startswith("httpx") for r in caplog.records)  # --verbose did log the HTTP traffic
    logged = caplog.text + "\n".join(r.getMessage() for r in caplog.records)
    assert CANARY not in logged and TOKEN not in logged
    assert CANARY.encode() not in files_text(tmp_path / "data")  # reports, CSVs, XLSX, JSON, the store
    assert any(r.url.path.endswith("/token") for r in fake.requests)  # the secret was really used to sign in


@pytest.mark.parametrize("line", [
    "Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl",
    "headers={'Authorization': 'Bearer fake-token', 'Accept': 'application/json'}",
    "POST /token client_id=app&client_secret=S3CRET-canary-9f8e7d&grant_type=client_credentials",
    '{"token_type": "Bearer", "access_token": "fake-token", "refresh_token": "rt-123"}',
    "client_assertion=eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJhcHAifQ.sig",
])
def test_redact_removes_credentials(line: str) -> None:
    cleaned = redact(line)
    for secret in ("eyJhbGciOiJSUzI1NiJ9", "fake-token", CANARY, "rt-123"):
        assert secret not in cleaned
    assert REDACTED in cleaned


def test_redaction_keeps_the_rest_of_the_message() -> None:
    assert redact("GET https://graph.microsoft.com/v1.0/users/amy/calendarView 200 OK") == (
        "GET https://graph.microsoft.com/v1.0/users/amy/calendarView 200 OK")
    assert redact("HTTP Request: POST https://login/x/oauth2/v2.0/token?client_secret=abc \"200\"") == (
        "HTTP Request: POST https://login/x/oauth2/v2.0/token?client_secret=[redacted] \"200\"")


def test_every_logger_is_redacted_once_logging_is_configured(caplog: pytest.LogCaptureFixture) -> None:
    configure_logging(verbose=True)
    caplog.set_level(logging.DEBUG)
    logging.getLogger("msal.application").debug("sending %s", {"Authorization": f"Bearer {TOKEN}"})
    assert TOKEN not in caplog.text and REDACTED in caplog.text

"""The service against the product's default endpoints over real HTTPS (no respx): a local TLS server for
login.microsoftonline.com and graph.microsoft.com behind HTTPS_PROXY, trusted through SSL_CERT_FILE and
REQUESTS_CA_BUNDLE, as behind a council's inspecting proxy."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from fake_entra import AMY, BOSS, FakeEntra, fill
from service_helpers import Clock, csrf_of, text_of
from sources.graph_fake import FakeGraph
from test_service_store import BASE, config_text
from tls_world import TlsWorld

from calendar_audit.cli import main
from calendar_audit.commands.options import Context
from calendar_audit.service.scheduler import Scheduler
from calendar_audit.service.state import ServiceState
from calendar_audit.settings import load_settings

NOW = datetime(2026, 10, 21, 8, 0, tzinfo=UTC)


@pytest.fixture
def tls(tmp_path, monkeypatch):
    entra = FakeEntra(FakeGraph())
    fill(entra.graph)
    world = TlsWorld(tmp_path, entra.respond)
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", world.proxy_url)
    monkeypatch.setenv("SSL_CERT_FILE", str(world.ca))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(world.ca))
    yield entra, world
    world.close()


def test_sign_in_sync_team_page_and_a_delegated_decline_over_https(tls, tmp_path, in_tmp, client_for, loop):
    entra, world = tls
    path = tmp_path / "calendar-audit.toml"
    path.write_text(config_text(tmp_path), encoding="utf-8")
    state = ServiceState(load_settings(path), clock=Clock(NOW))
    scheduler = Scheduler(state)
    assert loop.run_until_complete(scheduler.run_once()) == "ok"  # a scheduled sync fills the store over HTTPS
    assert any(s.startswith("GET https://graph.microsoft.com/v1.0/users/") for s in world.served)

    def sign_in(user: str):
        c = client_for(state, base_url=BASE, scheduler=scheduler)
        start = c.get("/signin/microsoft")
        back = c.get("/auth/callback", params=entra.authorize(start.headers["location"], user))
        assert back.headers["location"] == "/", back.text
        return c

    boss = sign_in(BOSS)
    served = boss.get("/teams/evolve/person_week.csv?from=2026-10-05&to=2026-10-18").content
    out = tmp_path / "report"
    assert main(["report", "--config", str(path), "--source", "store", "--from", "2026-10-05", "--to", "2026-10-18",
                 "--out", str(out), "--format", "csv"], Context(today=NOW.date())) == 0
    assert served == (out / "person_week.csv").read_bytes()

    amy = sign_in(AMY)
    home = amy.get("/")
    event = re.search(r'name="event_id" value="([^"]+)"', home.text).group(1)
    for _ in range(2):
        amy.post("/answer", data={"csrf": csrf_of(home.text), "event_id": event, "answer": "decline"})
    assert [(e, a, t) for e, a, t, _ in entra.replies] == [(event, "decline", "access-uid-amy.lee-eyJraWQ")]
    assert "Declined." in text_of(amy.get("/").text)
    assert "POST https://login.microsoftonline.com/contoso-tenant/oauth2/v2.0/token" in world.served

"""Sign-in works against a server that serves only the documented token endpoint (no discovery document)."""

from __future__ import annotations

import httpx
import respx

from calendar_audit.settings import Settings
from calendar_audit.sources.auth import build_app

TENANT = "11111111-2222-3333-4444-555555555555"


def test_token_endpoint_alone_is_enough_for_app_sign_in():
    settings = Settings(graph={"tenant_id": TENANT, "client_id": "app-id", "client_secret": "not-a-real-secret"})
    with respx.mock(assert_all_called=False) as router:
        router.get(url__regex=r".*openid-configuration$").mock(return_value=httpx.Response(404))
        token = router.post(f"https://login.microsoftonline.com/{TENANT}/oauth2/v2.0/token").mock(
            return_value=httpx.Response(200, json={"token_type": "Bearer", "expires_in": 3599,
                                                   "access_token": "eyJ0eXAi.fake.token"}))
        app = build_app(settings)
        result = app.acquire_token_for_client(scopes=["https://graph.microsoft.com/.default"])
    assert result["access_token"] == "eyJ0eXAi.fake.token"
    assert token.call_count == 1
    form = token.calls[0].request.content.decode()
    assert "grant_type=client_credentials" in form and "scope=https%3A%2F%2Fgraph.microsoft.com%2F.default" in form

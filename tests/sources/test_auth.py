"""Sign-in: msal with a secret, a certificate and device code; national clouds; TLS/proxy from the environment."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
import logging
import ssl
import stat
from urllib.parse import parse_qs

import httpx
import pytest
import respx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from graph_fake import FakeGraph, graph_event
from test_graph import AMY, SECRET, WINDOW, Sleeps, make_settings

from calendar_audit.errors import ConfigError, SourceError
from calendar_audit.sources import auth
from calendar_audit.sources.graph import read_graph_async
from calendar_audit.sources.graph_client import http_client


def self_signed(tmp_path) -> tuple[str, x509.Certificate]:
    """A throwaway key and certificate in one PEM file, as an app registration would use."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "calendar-audit-test")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .not_valid_after(now + dt.timedelta(days=1)).sign(key, hashes.SHA256()))
    path = tmp_path / "app.pem"
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()) + cert.public_bytes(serialization.Encoding.PEM))
    return str(path), cert


def token_requests(fake: FakeGraph) -> list[dict[str, str]]:
    return [{k: v[0] for k, v in parse_qs(r.content.decode()).items()} for r in fake.requests
            if r.url.path.endswith("/oauth2/v2.0/token")]


def acquire(settings, fake: FakeGraph, me: bool = False) -> str:
    with respx.mock(assert_all_called=False) as router:
        router.route().mock(side_effect=fake.respond)
        provider = auth.token_provider(settings, me=me)
        provider.prompt = fake.prompts.append if hasattr(fake, "prompts") else print
        return asyncio.run(provider.get_authorization_token("https://graph.microsoft.com/v1.0/me"))


def test_client_secret_sign_in_asks_for_the_default_scope(tmp_path):
    fake = FakeGraph()
    token = acquire(make_settings(tmp_path), fake)
    assert token == "fake-token"
    (body,) = token_requests(fake)
    assert body["grant_type"] == "client_credentials"
    assert body["scope"] == "https://graph.microsoft.com/.default"
    assert body["client_id"] == "app-id"
    assert fake.requests[-1].url.host == "login.microsoftonline.com"
    assert fake.requests[-1].url.path == "/contoso-tenant/oauth2/v2.0/token"


def test_certificate_sign_in_sends_a_signed_assertion_and_no_secret(tmp_path):
    path, cert = self_signed(tmp_path)
    fake = FakeGraph()
    settings = make_settings(tmp_path, client_secret="", certificate_path=path)
    assert acquire(settings, fake) == "fake-token"
    (body,) = token_requests(fake)
    assert "client_secret" not in body
    assert body["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    part = body["client_assertion"].split(".")[0]
    header = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    expected = base64.urlsafe_b64encode(cert.fingerprint(hashes.SHA256())).decode().rstrip("=")
    assert header["x5t#S256"].rstrip("=") == expected
    assert header["alg"] == "PS256"


def test_certificate_file_without_a_key_is_refused_naming_the_setting(tmp_path):
    _, cert = self_signed(tmp_path)
    only_cert = tmp_path / "cert.pem"
    only_cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    settings = make_settings(tmp_path, client_secret="", certificate_path=str(only_cert))
    with pytest.raises(ConfigError, match=r"graph\.certificate_path"):
        auth.build_app(settings)


def test_refused_sign_in_names_the_error_but_never_the_secret(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    fake = FakeGraph()
    refusal = {"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided.\r\n"
               "Trace ID: 0000", "error_codes": [7000215]}
    original = fake._identity
    fake._identity = lambda r: (httpx.Response(401, json=refusal) if r.url.path.endswith("/token")
                                else original(r))
    with pytest.raises(SourceError) as raised:
        acquire(make_settings(tmp_path), fake)
    assert str(raised.value) == "sign-in refused: invalid_client: AADSTS7000215: Invalid client secret provided."
    assert SECRET not in caplog.text and SECRET not in repr(raised.value)


def test_missing_credentials_say_what_to_set(tmp_path):
    with pytest.raises(ConfigError, match="certificate_path or client_secret"):
        auth.build_app(make_settings(tmp_path, client_secret=""))


def test_secret_setting_is_hidden_in_reprs(tmp_path):
    settings = make_settings(tmp_path)
    assert SECRET not in repr(settings) and SECRET not in str(settings.graph)


@pytest.mark.parametrize(("cloud", "login", "graph"), [
    ("global", "login.microsoftonline.com", "graph.microsoft.com"),
    ("usgov", "login.microsoftonline.us", "graph.microsoft.us"),
    ("usgov-dod", "login.microsoftonline.us", "dod-graph.microsoft.us"),
    ("china", "login.chinacloudapi.cn", "microsoftgraph.chinacloudapi.cn"),
])
def test_national_clouds_sign_in_and_read_at_their_own_hosts(tmp_path, cloud, login, graph):
    fake = FakeGraph()
    fake.put(AMY, graph_event("a", "2026-10-19T09:00:00", "2026-10-19T10:00:00"))
    settings = make_settings(tmp_path, members=[AMY], cloud=cloud)
    with respx.mock(assert_all_called=False) as router:
        router.route().mock(side_effect=fake.respond)
        data = asyncio.run(read_graph_async(settings, settings.teams[0], WINDOW, sleep=Sleeps()))
    assert len(data.events) == 1
    hosts = {r.url.host for r in fake.requests}
    assert hosts == {login, graph}
    (body,) = token_requests(fake)
    assert body["scope"] == f"https://{graph}/.default"


def test_device_code_sign_in_prompts_and_keeps_an_owner_only_cache(tmp_path):
    fake = FakeGraph()
    fake.prompts = []
    cache = tmp_path / "data" / "msal_token_cache.json"
    settings = make_settings(tmp_path, client_secret="", token_cache=str(cache))
    assert acquire(settings, fake, me=True) == "fake-token"
    assert "ABCD-EFGH" in fake.prompts[0]
    body = token_requests(fake)[0]
    assert body["grant_type"] == "urn:ietf:params:oauth:grant-type:device_code"
    (start,) = [r for r in fake.requests if r.url.path.endswith("/devicecode")]
    assert set(parse_qs(start.content.decode())["scope"][0].split()) >= {"https://graph.microsoft.com/Calendars.Read",
                                          "https://graph.microsoft.com/MailboxSettings.Read"}
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
    assert "fake-token" in cache.read_text()


def test_token_cache_defaults_to_the_user_data_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(auth.platformdirs, "user_data_dir", lambda app, appauthor: str(tmp_path / app))
    settings = make_settings(tmp_path)
    assert auth.token_cache_path(settings) == tmp_path / "calendar-audit" / "msal_token_cache.json"


def _pool(client: httpx.AsyncClient):
    """The httpcore pool a Graph request to graph.microsoft.com would go through, under msgraph-sdk's middleware."""
    transport = client._transport_for_url(httpx.URL("https://graph.microsoft.com/v1.0/me"))
    return transport.transport._pool


def _ca_file(tmp_path) -> tuple[str, x509.Certificate]:
    _, cert = self_signed(tmp_path)
    ca = tmp_path / "corporate-ca.pem"
    ca.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return str(ca), cert


def _subjects(context: ssl.SSLContext) -> list[str]:
    return [dict(x[0] for x in c["subject"]).get("commonName", "") for c in context.get_ca_certs()]


def test_requests_ca_bundle_is_trusted_for_sign_in(tmp_path):
    ca, _ = _ca_file(tmp_path)
    context = auth.msal_verify({"REQUESTS_CA_BUNDLE": ca})
    assert isinstance(context, ssl.SSLContext)
    assert _subjects(context) == ["calendar-audit-test"]


def test_ssl_cert_file_is_trusted_for_graph_calls(tmp_path):
    ca, _ = _ca_file(tmp_path)
    settings = make_settings(tmp_path)
    client = http_client(settings, env={"SSL_CERT_FILE": ca})
    assert _subjects(_pool(client)._ssl_context) == ["calendar-audit-test"]
    without = http_client(settings, env={})
    assert "calendar-audit-test" not in _subjects(_pool(without)._ssl_context)


def test_without_variables_the_system_trust_store_and_certifi_are_both_trusted(tmp_path, monkeypatch):
    """A CA installed in the system store (OpenSSL's default paths, here pointed at by the process environment)
    is trusted, and so is every certifi root."""
    import certifi

    ca, _ = _ca_file(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", ca)  # what OpenSSL's default verify paths read
    subjects = _subjects(auth.graph_verify({}))
    assert "calendar-audit-test" in subjects
    assert len(subjects) > 100  # certifi's roots as well
    assert len(ssl.create_default_context(cafile=certifi.where()).get_ca_certs()) <= len(subjects)


def test_https_proxy_is_used_for_graph_and_sign_in(tmp_path):
    settings = make_settings(tmp_path)
    env = {"HTTPS_PROXY": "http://proxy.council.local:8080"}
    pool = _pool(http_client(settings, env=env))
    assert str(pool._proxy_url.host, "ascii") == "proxy.council.local" and pool._proxy_url.port == 8080
    msal_client = auth.msal_http_client(settings, env=env)
    sign_in = msal_client.client._transport_for_url(httpx.URL("https://login.microsoftonline.com/t"))
    assert sign_in._pool._proxy_url.port == 8080


def test_unreadable_ca_bundle_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="REQUESTS_CA_BUNDLE"):
        auth.msal_verify({"REQUESTS_CA_BUNDLE": str(tmp_path / "missing.pem")})


@pytest.mark.parametrize(("lifetime", "second_grant"), [(3599, []), (60, ["refresh_token"])],
                         ids=["token-still-valid", "token-expired-refreshed"])
def test_device_code_sign_in_reuses_the_persisted_cache_silently_on_the_next_run(tmp_path, lifetime, second_grant):
    fake = FakeGraph(token_lifetime=lifetime)
    fake.prompts = []
    settings = make_settings(tmp_path, client_secret="", token_cache=str(tmp_path / "msal_token_cache.json"))
    assert acquire(settings, fake, me=True) == "fake-token"
    assert fake.token_grants == ["urn:ietf:params:oauth:grant-type:device_code"]
    first = len(fake.requests)
    # a new run: a fresh msal application that knows only the cache file
    assert acquire(settings, fake, me=True) == "fake-token"
    assert len(fake.prompts) == 1  # no second device-code prompt
    assert not [r for r in fake.requests[first:] if r.url.path.endswith("/devicecode")]
    assert fake.token_grants[1:] == second_grant  # from the cache, or refreshed with its refresh token

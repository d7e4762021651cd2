"""Sign-in to Microsoft Graph with msal, plugged into msgraph-sdk as a kiota ``AccessTokenProvider``.

Three ways in: app-only with a certificate (PEM holding the private key and certificate; the recommended way) or
a client secret, and delegated device-code sign-in for one practitioner's own calendar (``--me``), whose msal
token cache is persisted owner-only (0600 from its first byte, in a 0700 folder) in the user's data folder. The
national cloud decides both the authority host and the Graph endpoint; ``graph.endpoint`` and ``graph.login_host``
point them elsewhere (a reverse proxy, or a local server), the scopes staying the cloud's.

TLS and proxies come from the standard environment: msal talks through an httpx client that trusts
``REQUESTS_CA_BUNDLE`` (as requests-based msal would), else ``SSL_CERT_FILE``, and uses ``HTTPS_PROXY``.
Secrets never reach a message: errors carry msal's error code and the setting's name, never its value.
"""

from __future__ import annotations

import asyncio
import os
import ssl
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import certifi
import httpx
import msal
import platformdirs
from kiota_abstractions.authentication import (
    AccessTokenProvider,
    AllowedHostsValidator,
    BaseBearerTokenAuthenticationProvider,
)

from ..errors import ConfigError, SourceError
from ..private import warn_if_shared, write_private
from ..settings import Settings

APP_NAME = "calendar-audit"


@dataclass(frozen=True)
class Cloud:
    """Where a national cloud signs in and where its Graph lives."""

    login_host: str
    graph_endpoint: str  # scheme and host, no version

    @property
    def graph_host(self) -> str:
        return self.graph_endpoint.removeprefix("https://")


CLOUDS: dict[str, Cloud] = {
    "global": Cloud("login.microsoftonline.com", "https://graph.microsoft.com"),
    "usgov": Cloud("login.microsoftonline.us", "https://graph.microsoft.us"),
    "usgov-dod": Cloud("login.microsoftonline.us", "https://dod-graph.microsoft.us"),
    "china": Cloud("login.chinacloudapi.cn", "https://microsoftgraph.chinacloudapi.cn"),
}

#: delegated scopes for --me: read one's own calendar and working hours.
DELEGATED_SCOPES = ("Calendars.Read", "MailboxSettings.Read")


def cloud_for(settings: Settings) -> Cloud:
    """The authority host and Graph endpoint of the configured national cloud."""
    return CLOUDS[settings.graph.cloud]


def graph_base(settings: Settings) -> str:
    """Where Graph requests go (scheme and host): ``graph.endpoint``, else the cloud's Graph endpoint."""
    return settings.graph.endpoint or cloud_for(settings).graph_endpoint


def login_host(settings: Settings) -> str:
    """Where sign-in goes: ``graph.login_host``, else the cloud's authority host."""
    return settings.graph.login_host or cloud_for(settings).login_host


def authority_url(settings: Settings) -> str:
    """The msal authority for the configured tenant in the configured cloud."""
    tenant = settings.graph.tenant_id.strip()
    if not tenant:
        raise ConfigError("graph.tenant_id: not set (the Entra ID tenant id; or $CALENDAR_AUDIT_GRAPH__TENANT_ID)")
    return f"https://{login_host(settings)}/{tenant}"


def app_scopes(settings: Settings) -> list[str]:
    """App-only scopes: the application permissions granted to the app registration."""
    return [f"{cloud_for(settings).graph_endpoint}/.default"]


def delegated_scopes(settings: Settings) -> list[str]:
    """Delegated scopes for device-code sign-in, qualified by the cloud's Graph endpoint."""
    endpoint = cloud_for(settings).graph_endpoint
    return [f"{endpoint}/{scope}" for scope in DELEGATED_SCOPES]


def msal_verify(env: Mapping[str, str]) -> ssl.SSLContext:
    """TLS trust for sign-in: ``REQUESTS_CA_BUNDLE``, else ``SSL_CERT_FILE``/``SSL_CERT_DIR``, else the defaults."""
    bundle = env.get("REQUESTS_CA_BUNDLE") or env.get("CURL_CA_BUNDLE")
    if bundle:
        path = Path(bundle)
        try:
            if path.is_dir():
                return ssl.create_default_context(capath=str(path))
            return ssl.create_default_context(cafile=str(path))
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(f"REQUESTS_CA_BUNDLE: cannot read CA bundle {bundle}: {exc}") from None
    return graph_verify(env)


def graph_verify(env: Mapping[str, str]) -> ssl.SSLContext:
    """TLS trust for Graph calls: ``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` when set, else the system's trust store
    (where a council's IT installs its inspecting proxy's CA) together with certifi's bundle."""
    cafile, capath = env.get("SSL_CERT_FILE"), env.get("SSL_CERT_DIR")
    if not cafile and not capath:
        context = ssl.create_default_context()  # OpenSSL's default paths: the system store
        context.load_verify_locations(cafile=certifi.where())
        return context
    try:
        return ssl.create_default_context(cafile=cafile or None, capath=capath or None)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"SSL_CERT_FILE: cannot read CA file {cafile or capath}: {exc}") from None


def proxy_for(env: Mapping[str, str]) -> str | None:
    """The HTTPS proxy from the standard environment, if any."""
    return env.get("HTTPS_PROXY") or env.get("https_proxy") or env.get("ALL_PROXY") or env.get("all_proxy") or None


OPENID_SUFFIX = "/v2.0/.well-known/openid-configuration"


def documented_openid_configuration(url: str, request: httpx.Request) -> httpx.Response:
    """The Entra ID discovery document as Microsoft documents it, for a sign-in server that serves only the
    token and device-code endpoints (some inspecting proxies and test servers); msal needs its endpoint names."""
    base = url.removesuffix(OPENID_SUFFIX)
    return httpx.Response(200, request=request, json={
        "issuer": f"{base}/v2.0",
        "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
        "token_endpoint": f"{base}/oauth2/v2.0/token",
        "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
    })


class MsalHttpClient:
    """The requests-like client msal expects, over httpx.

    msal hands form values over as bytes (the signed client assertion); requests encodes them as text, httpx
    would write ``b'...'``, so they are decoded here.
    """

    def __init__(self, client: httpx.Client) -> None:
        self.client = client

    def post(self, url: str, params: Any = None, data: Any = None, headers: Any = None, **kw: Any) -> httpx.Response:
        if isinstance(data, Mapping):
            data = {k: v.decode("utf-8") if isinstance(v, bytes) else v for k, v in data.items()}
        return self.client.post(url, params=params, data=data, headers=headers, timeout=kw.get("timeout"))

    def get(self, url: str, params: Any = None, headers: Any = None, **kw: Any) -> httpx.Response:
        response = self.client.get(url, params=params, headers=headers, timeout=kw.get("timeout"))
        if response.status_code >= 400 and url.endswith(OPENID_SUFFIX):
            return documented_openid_configuration(url, response.request)
        return response

    def close(self) -> None:
        self.client.close()


def msal_http_client(settings: Settings, env: Mapping[str, str] | None = None) -> MsalHttpClient:
    """The HTTP client msal signs in through (httpx, so proxies and CA bundles follow the environment)."""
    env = os.environ if env is None else env
    return MsalHttpClient(httpx.Client(
        verify=msal_verify(env),
        proxy=proxy_for(env),
        timeout=settings.graph.timeout_seconds,
        trust_env=False,  # the environment is read above, explicitly, so tests can pass their own
    ))


def token_cache_path(settings: Settings) -> Path:
    """Where the device-code token cache lives: settings.graph.token_cache, else the user's data folder."""
    if settings.graph.token_cache:
        return Path(settings.graph.token_cache).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "msal_token_cache.json"


class PersistedTokenCache(msal.SerializableTokenCache):
    """An msal token cache kept in an owner-only file."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        if path.is_file():
            warn_if_shared(path, "sign-in tokens")
            self.deserialize(path.read_text(encoding="utf-8"))

    def save(self) -> None:
        """Write the cache back when msal changed it."""
        if self.has_state_changed:
            write_private(self.path, self.serialize())
            self.has_state_changed = False


def certificate_credential(path_value: str) -> dict[str, str]:
    """msal's credential for a PEM file holding the private key and the certificate."""
    path = Path(path_value).expanduser()
    try:
        pem = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"graph.certificate_path: cannot read {path}: {exc.__class__.__name__}") from None
    if "PRIVATE KEY-----" not in pem or "BEGIN CERTIFICATE-----" not in pem:
        raise ConfigError(f"graph.certificate_path: {path} must hold both the PEM private key and the certificate")
    start = pem.index("-----BEGIN CERTIFICATE-----")
    end = pem.index("-----END CERTIFICATE-----", start) + len("-----END CERTIFICATE-----")
    # msal derives the SHA-256 thumbprint (PS256) and the x5c header from the certificate.
    return {"private_key": pem, "public_certificate": pem[start:end]}


def require_sign_in_settings(settings: Settings, *, me: bool = False) -> None:
    """ConfigError naming the first sign-in setting that is missing, before anything is started or sent."""
    graph = settings.graph
    authority_url(settings)  # the tenant
    if not graph.client_id.strip():
        raise ConfigError("graph.client_id: not set (the app registration's id; or $CALENDAR_AUDIT_GRAPH__CLIENT_ID)")
    if not me and not graph.certificate_path and not graph.client_secret.get_secret_value():
        raise ConfigError(
            "graph: set certificate_path or client_secret (or $CALENDAR_AUDIT_GRAPH__CLIENT_SECRET) "
            "for app-only sign-in, or use --me for device-code sign-in"
        )


def build_app(
    settings: Settings, *, me: bool = False, http_client: MsalHttpClient | None = None,
    token_cache: msal.TokenCache | None = None,
) -> msal.ClientApplication:
    """The msal application: confidential (certificate or secret) or public (device code, for --me).

    ``token_cache``: the confidential application's cache (the service keeps one per signed-in session).
    """
    graph = settings.graph
    require_sign_in_settings(settings, me=me)
    http = http_client or msal_http_client(settings)
    common: dict[str, Any] = {
        "authority": authority_url(settings),
        "http_client": http,
        "timeout": graph.timeout_seconds,
    }
    if graph.login_host:  # a host the operator chose (a proxy or a local server): no discovery at Microsoft's
        common["instance_discovery"] = False
    try:
        if me:
            return msal.PublicClientApplication(
                graph.client_id, token_cache=PersistedTokenCache(token_cache_path(settings)), **common
            )
        credential: Any = (certificate_credential(graph.certificate_path) if graph.certificate_path
                           else graph.client_secret.get_secret_value())  # one of them: checked above
        return msal.ConfidentialClientApplication(graph.client_id, client_credential=credential,
                                                  token_cache=token_cache, **common)
    except ValueError as exc:  # msal refuses a malformed authority, key or certificate
        raise ConfigError(f"graph: msal refused the sign-in settings ({exc.__class__.__name__})") from None
    except (httpx.HTTPError, OSError) as exc:  # authority discovery failed
        raise SourceError(f"sign-in: cannot reach {authority_url(settings)} ({exc.__class__.__name__})") from None


def _failure(result: Mapping[str, Any] | None) -> SourceError:
    """A sign-in refusal, naming msal's error code and the first line of its description (never a secret)."""
    result = result or {}
    code = result.get("error", "no token")
    first = str(result.get("error_description", "")).splitlines()[0:1]
    return SourceError(f"sign-in refused: {code}" + (f": {first[0]}" if first else ""))


def stderr_prompt(message: str) -> None:
    """Show the device-code instructions to the practitioner."""
    print(message, file=sys.stderr, flush=True)


class MsalTokenProvider(AccessTokenProvider):
    """kiota access-token provider backed by msal; acquisition runs in a thread so the event loop never blocks."""

    def __init__(
        self,
        app: msal.ClientApplication,
        scopes: list[str],
        allowed_hosts: list[str],
        *,
        prompt: Callable[[str], None] = stderr_prompt,
    ) -> None:
        self.app = app
        self.scopes = scopes
        self.prompt = prompt
        self._validator = AllowedHostsValidator(allowed_hosts)
        self._lock = asyncio.Lock()
        self._last = ""  # the token handed out last
        self._refused = ""  # a token Graph refused (401): the next acquisition skips msal's cache

    def get_allowed_hosts_validator(self) -> AllowedHostsValidator:
        return self._validator

    async def get_authorization_token(
        self, uri: str, additional_authentication_context: dict[str, Any] | None = None
    ) -> str:
        """A bearer token for ``uri`` (empty for hosts outside the Graph endpoint, so none leaks elsewhere)."""
        if not self._validator.is_url_host_valid(uri):
            return ""
        async with self._lock:  # one sign-in at a time; later callers hit msal's cache
            self._last = await asyncio.to_thread(self.acquire)
            return self._last

    def forget(self, token: str) -> None:
        """Graph refused ``token`` (401): acquire a fresh one next time. Requests that carried an older token
        (refused in the same burst) do not cause another acquisition."""
        if token and token == self._last:
            self._refused = token

    def acquire(self) -> str:
        """Acquire a token synchronously: from msal's cache, else from the identity platform."""
        app = self.app
        if self._refused:  # drop the refused access token from msal's cache (a refresh token stays)
            cache = app.token_cache
            for item in list(cache.search(msal.TokenCache.CredentialType.ACCESS_TOKEN)):
                if item.get("secret") == self._refused:
                    cache.remove_at(item)
            self._refused = ""
        try:
            if isinstance(app, msal.ConfidentialClientApplication):
                result = app.acquire_token_for_client(scopes=self.scopes)
            else:
                result = self._delegated(app)
        except (httpx.HTTPError, OSError) as exc:
            raise SourceError(f"sign-in: cannot reach the identity platform ({exc.__class__.__name__})") from None
        finally:
            cache = getattr(app, "token_cache", None)
            if isinstance(cache, PersistedTokenCache):
                cache.save()
        if not result or "access_token" not in result:
            raise _failure(result)
        return str(result["access_token"])

    def _delegated(self, app: msal.ClientApplication) -> Mapping[str, Any] | None:
        accounts = app.get_accounts()
        if accounts:
            result = app.acquire_token_silent(self.scopes, account=accounts[0])
            if result and "access_token" in result:
                return result
        assert isinstance(app, msal.PublicClientApplication)
        flow = app.initiate_device_flow(scopes=self.scopes)
        if "user_code" not in flow:
            return flow
        self.prompt(str(flow["message"]))
        return app.acquire_token_by_device_flow(flow)


def token_provider(
    settings: Settings, *, me: bool = False, http_client: MsalHttpClient | None = None
) -> MsalTokenProvider:
    """The token provider for the configured sign-in (app-only, or device code with ``me``)."""
    app = build_app(settings, me=me, http_client=http_client)
    scopes = delegated_scopes(settings) if me else app_scopes(settings)
    return MsalTokenProvider(app, scopes, [httpx.URL(graph_base(settings)).host])


def auth_provider(provider: AccessTokenProvider) -> BaseBearerTokenAuthenticationProvider:
    """msgraph-sdk's authentication provider around a token provider."""
    return BaseBearerTokenAuthenticationProvider(provider)

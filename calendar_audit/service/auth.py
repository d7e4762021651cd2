"""Sign-in, sessions and CSRF for the service.

A session is a row in the store found by the SHA-256 of a 256-bit random cookie value: the cookie itself is never
stored, so a copy of the store signs no one in, and a tampered or unknown cookie finds nothing (the request is then
signed out). The cookie is HttpOnly, SameSite=Lax, and Secure when ``service.base_url`` is https. Each session
carries its CSRF token (every form posts it back) and, after Microsoft sign-in, its msal token cache: the only
place a token is kept. Signing in replaces the session (a new id: no fixation); signing out deletes the row.

Microsoft sign-in is msal's authorization-code flow with PKCE (``initiate_auth_code_flow`` /
``acquire_token_by_auth_code_flow``) for the delegated scopes User.Read and Calendars.ReadWrite; the pending
flow (state, nonce, PKCE verifier) waits in the signed-out session that started it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import sqlite3
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import msal
from kiota_abstractions.authentication import AccessTokenProvider, AllowedHostsValidator

from ..errors import SourceError
from ..settings import Settings
from ..sources.auth import build_app, cloud_for

COOKIE = "calendar_audit_session"
SIGN_IN_SCOPES = ("User.Read", "Calendars.ReadWrite")
PENDING_MINUTES = 15  # a signed-out session (a sign-in page, a flow under way) lasts this long


@dataclass
class Session:
    """One browser's session: signed out (person None) or signed in."""

    id_hash: str
    person: str | None
    roles: list[str]
    csrf: str
    expires: datetime
    flow: dict[str, Any] | None = None
    token_cache: str | None = None


def _hash(cookie: str) -> str:
    return hashlib.sha256(cookie.encode()).hexdigest()


def new_session(conn: sqlite3.Connection, now: datetime, lifetime: timedelta, *, person: str | None = None,
                roles: list[str] | None = None, flow: dict[str, Any] | None = None,
                token_cache: str | None = None) -> tuple[str, Session]:
    """A new session row; returns the cookie value (shown once, never stored) and the session."""
    cookie = secrets.token_urlsafe(32)
    session = Session(_hash(cookie), person, list(roles or []), secrets.token_urlsafe(32), now + lifetime, flow,
                      token_cache)
    conn.execute("INSERT INTO sessions VALUES (?,?,?,?,?,?,?,?)", (
        session.id_hash, person, json.dumps(session.roles), session.csrf, now.isoformat(),
        session.expires.isoformat(), json.dumps(flow) if flow is not None else None, token_cache))
    return cookie, session


def load_session(conn: sqlite3.Connection, cookie: str | None, now: datetime) -> Session | None:
    """The live session for a cookie value; None for no cookie, an unknown or tampered one, or an expired one."""
    if not cookie or len(cookie) > 100:
        return None
    conn.execute("DELETE FROM sessions WHERE expires <= ?", (now.isoformat(),))
    row = conn.execute("SELECT id_hash, person, roles, csrf, expires, flow, token_cache FROM sessions "
                       "WHERE id_hash=?", (_hash(cookie),)).fetchone()
    if row is None:
        return None
    return Session(row[0], row[1], json.loads(row[2]), row[3], datetime.fromisoformat(row[4]),
                   json.loads(row[5]) if row[5] else None, row[6])


def end_session(conn: sqlite3.Connection, session: Session) -> None:
    """Sign out: the row goes, and with it the token cache."""
    conn.execute("DELETE FROM sessions WHERE id_hash=?", (session.id_hash,))


def save_token_cache(conn: sqlite3.Connection, session: Session, cache: msal.SerializableTokenCache) -> None:
    if cache.has_state_changed:
        session.token_cache = cache.serialize()
        conn.execute("UPDATE sessions SET token_cache=? WHERE id_hash=?", (session.token_cache, session.id_hash))


def csrf_ok(session: Session | None, sent: str | None) -> bool:
    """Whether a form's CSRF token is the session's."""
    return bool(session and sent and hmac.compare_digest(session.csrf.encode(), str(sent).encode()))


def cookie_header(value: str, settings: Settings, max_age: int) -> str:
    """The Set-Cookie value: HttpOnly, SameSite=Lax, Path=/, Secure behind https."""
    secure = "; Secure" if settings.service.base_url.startswith("https://") else ""
    return f"{COOKIE}={value}; Max-Age={max_age}; Path=/; HttpOnly; SameSite=Lax{secure}"


def base_url(settings: Settings) -> str:
    s = settings.service
    return s.base_url or f"http://{s.host}:{s.port}"


def redirect_uri(settings: Settings) -> str:
    """The reply address to register on the app registration."""
    return f"{base_url(settings)}/auth/callback"


# --- Microsoft sign-in ------------------------------------------------------------------------------------------
def _app(settings: Settings, cache: msal.SerializableTokenCache | None, http: Any) -> msal.ClientApplication:
    return build_app(settings, http_client=http, token_cache=cache)


def start_sign_in(settings: Settings, http: Any = None) -> tuple[str, dict[str, Any]]:
    """The address to send the browser to, and the flow to keep until it comes back (PKCE S256 by msal)."""
    app = _app(settings, None, http)
    # The reply comes back in the query: a form_post reply is a cross-site POST, which a SameSite=Lax session
    # cookie does not travel with, so the pending flow could not be found. The code is single-use, bound to the
    # PKCE verifier kept server-side, and access-log lines drop query strings.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="response_mode='form_post' is recommended")
        flow = app.initiate_auth_code_flow(list(SIGN_IN_SCOPES), redirect_uri=redirect_uri(settings),
                                           response_mode="query")
    if "auth_uri" not in flow:
        raise SourceError(f"sign-in: msal could not start the flow ({flow.get('error', 'unknown error')})")
    return str(flow["auth_uri"]), dict(flow)


@dataclass(frozen=True)
class SignedIn:
    person: str
    roles: list[str]
    token_cache: str


def finish_sign_in(settings: Settings, flow: dict[str, Any], reply: Mapping[str, str], http: Any = None) -> SignedIn:
    """Redeem the authorization code (msal checks state, nonce and sends the PKCE verifier); SourceError if refused."""
    cache = msal.SerializableTokenCache()
    app = _app(settings, cache, http)
    try:
        result = app.acquire_token_by_auth_code_flow(flow, dict(reply))
    except ValueError:  # msal: the state does not match, or the reply is not for this flow
        raise SourceError("sign-in refused: the reply does not belong to this sign-in") from None
    if "error" in result or "id_token_claims" not in result:
        raise SourceError(f"sign-in refused: {result.get('error', 'no id token')}")
    claims = result["id_token_claims"]
    person = str(claims.get("preferred_username") or claims.get("email") or claims.get("upn") or "").strip().lower()
    if not person:
        raise SourceError("sign-in refused: the id token names no account")
    roles = [str(r) for r in claims.get("roles", []) if isinstance(r, str)]
    return SignedIn(person, roles, cache.serialize())


class SessionTokens(AccessTokenProvider):
    """The signed-in person's own delegated token, from their session's msal cache (refreshed silently)."""

    def __init__(self, settings: Settings, session: Session, http: Any = None) -> None:
        self.settings = settings
        self.cache = msal.SerializableTokenCache()
        if session.token_cache:
            self.cache.deserialize(session.token_cache)
        self.http = http
        self._validator = AllowedHostsValidator([cloud_for(settings).graph_host])

    def get_allowed_hosts_validator(self) -> AllowedHostsValidator:
        return self._validator

    async def get_authorization_token(self, uri: str, additional_authentication_context: dict[str, Any] | None = None
                                      ) -> str:
        if not self._validator.is_url_host_valid(uri):
            return ""
        import asyncio

        return await asyncio.to_thread(self.acquire)

    def acquire(self) -> str:
        app = _app(self.settings, self.cache, self.http)
        accounts = app.get_accounts()
        result = app.acquire_token_silent(list(SIGN_IN_SCOPES), account=accounts[0]) if accounts else None
        if not result or "access_token" not in result:
            raise SourceError("your sign-in has expired: sign out and sign in again")
        return str(result["access_token"])

"""A fake Entra ID (authorization-code + PKCE) in front of the fake Graph, and a small synced team to serve.

Documented shapes: the authorize request carries ``code_challenge`` (S256) and ``nonce``; the token request for
``grant_type=authorization_code`` must carry the ``code_verifier`` whose SHA-256 is that challenge and the same
``redirect_uri``; the id token names the user (``preferred_username``), echoes the nonce, and may carry app roles.
Delegated replies (``POST /me/events/{id}/decline``) are recorded with the bearer token they came with.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import httpx
from sources.graph_fake import FakeGraph, graph_event

LOGIN = "https://login.microsoftonline.com"
TENANT = "contoso-tenant"
CLIENT_ID = "app-id"
SECRET = "s3cr3t-Value~that-must-not-leak"
AMY, BEN, CARA = "amy.lee@council.gov.uk", "ben.ode@council.gov.uk", "cara.ng@council.gov.uk"
BOSS = "head.of.service@council.gov.uk"


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


@dataclass
class FakeEntra:
    graph: FakeGraph
    users: dict[str, list[str]] = field(default_factory=dict)  # address -> app roles
    codes: dict[str, dict[str, str]] = field(default_factory=dict)  # code -> what the authorize request said
    replies: list[tuple[str, str, str, dict[str, Any]]] = field(default_factory=list)  # (event, action, token, body)
    refused: list[str] = field(default_factory=list)
    issued: list[str] = field(default_factory=list)  # every access and refresh token handed out
    refuse_replies: set[str] = field(default_factory=set)  # event ids whose reply the organiser's server refuses

    def authorize(self, auth_uri: str, user: str) -> dict[str, str]:
        """What the browser does at the authorize endpoint: the user signs in; the reply goes to redirect_uri."""
        query = {k: v[0] for k, v in parse_qs(urlsplit(auth_uri).query).items()}
        assert auth_uri.startswith(f"{LOGIN}/{TENANT}/oauth2/v2.0/authorize?")
        assert query["code_challenge_method"] == "S256" and query["response_type"] == "code"
        code = f"code-{len(self.codes) + 1}"
        self.codes[code] = {**query, "user": user}
        return {"code": code, "state": query["state"], "session_state": "fake-session-state"}

    def respond(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if url.host == "login.microsoftonline.com" and url.path.endswith("/oauth2/v2.0/token"):
            form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
            if form.get("grant_type") == "authorization_code":
                self.graph.requests.append(request)
                return self._redeem(form)
        m = re.fullmatch(r"/v1\.0/me/events/([^/]+)/(decline|tentativelyAccept)", url.path)
        if m and request.method == "POST":
            token = request.headers.get("authorization", "").removeprefix("Bearer ")
            if unquote(m.group(1)) in self.refuse_replies:
                return httpx.Response(403, json={"error": {"code": "ErrorAccessDenied",
                                                           "message": "Access is denied."}})
            self.replies.append((unquote(m.group(1)), m.group(2), token, json.loads(request.content)))
            return httpx.Response(202)
        return self.graph.respond(request)

    def _redeem(self, form: dict[str, str]) -> httpx.Response:
        asked = self.codes.pop(form.get("code", ""), None)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(form.get("code_verifier", "").encode()).digest())
        if (asked is None or challenge.decode().rstrip("=") != asked["code_challenge"]
                or form.get("redirect_uri") != asked["redirect_uri"] or form.get("client_secret") != SECRET):
            self.refused.append(form.get("code", ""))
            return httpx.Response(400, json={"error": "invalid_grant", "error_description": "AADSTS70008: bad code"})
        user = asked["user"]
        uid, utid = f"uid-{user.split('@')[0]}", "9188040d-6c67-4c5b-b112-36a304b66dad"
        claims = {"iss": f"{LOGIN}/{TENANT}/v2.0", "sub": user, "aud": CLIENT_ID, "oid": uid, "tid": utid,
                  "preferred_username": user, "name": user, "iat": 1790000000, "exp": 4102444800,
                  "nonce": asked["nonce"], "roles": self.users.get(user, [])}
        access, refresh = f"access-{uid}-eyJraWQ", f"refresh-{uid}"
        self.issued += [access, refresh]
        return httpx.Response(200, json={
            "token_type": "Bearer", "expires_in": 3599, "scope": asked["scope"], "access_token": access,
            "refresh_token": refresh, "client_info": _b64({"uid": uid, "utid": utid}),
            "id_token": f"{_b64({'typ': 'JWT', 'alg': 'none'})}.{_b64(claims)}."})


def invitation(event_id: str, start: str, end: str, subject: str, attendees: list[str], **fields: Any
               ) -> dict[str, Any]:
    """A meeting someone else organised, with attendees (the person has not answered)."""
    return graph_event(
        event_id, start, end, subject=subject,
        organizer={"emailAddress": {"address": BOSS, "name": "Head of Service"}},
        attendees=[{"type": "required", "status": {"response": "none", "time": "0001-01-01T00:00:00Z"},
                    "emailAddress": {"address": a, "name": a}} for a in attendees],
        responseStatus={"response": "notResponded", "time": "0001-01-01T00:00:00Z"}, **fields)


def fill(graph: FakeGraph) -> None:
    """Three weeks back and two ahead of Wed 21 Oct 2026 for three practitioners: visits, meetings, catch-ups."""
    team = [AMY, BEN, CARA]
    for n, person in enumerate(team):
        for day in (5, 6, 7, 8, 9, 12, 13, 14, 15, 16, 19, 20, 21, 22, 23, 26, 27, 28, 29, 30):
            graph.put(person, graph_event(f"{person[:3]}-visit-{day}", f"2026-10-{day:02d}T{9 + n:02d}:00:00",
                                          f"2026-10-{day:02d}T{10 + n:02d}:30:00", subject="Home visit - A.B."))
            if day % 2:
                graph.put(person, invitation(f"{person[:3]}-catchup-{day}", f"2026-10-{day:02d}T14:00:00",
                                             f"2026-10-{day:02d}T15:00:00", "Catch up", [p for p in team]))
        graph.put(person, invitation(f"{person[:3]}-fyi", "2026-10-22T16:00:00", "2026-10-22T17:30:00",
                                     "Quick sync", [*team, *(f"guest{i}@partner.org" for i in range(9))]))
        graph.settings[person] = {"timeZone": "GMT Standard Time", "workingHours": {
            "daysOfWeek": ["monday", "tuesday", "wednesday", "thursday", "friday"],
            "startTime": "09:00:00.0000000", "endTime": "17:00:00.0000000",
            "timeZone": {"name": "GMT Standard Time"}}}

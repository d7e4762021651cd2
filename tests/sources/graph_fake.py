"""A fake Microsoft Graph v1.0 + identity platform, speaking the documented shapes (tests and the benchmark).

Use ``FakeGraph.handler`` as a respx side effect or an ``httpx.MockTransport`` handler. It serves calendarView
(paged by ``$top``), calendarView/delta (paged by ``Prefer: odata.maxpagesize``, rounds ending in a deltaLink,
changes since a token, ``@removed`` for deletions and for changed events outside the window), mailboxSettings,
group transitiveMembers (paged), /me, and the token endpoint. Failures and throttling are scripted per mailbox.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

import httpx
import pandas as pd

GRAPH = "https://graph.microsoft.com/v1.0"
LOGIN = "https://login.microsoftonline.com"


def error_body(code: str, message: str = "") -> dict[str, Any]:
    return {"error": {"code": code, "message": message or code,
                      "innerError": {"request-id": "8d3c5d2b-0000-4000-8000-000000000000",
                                     "date": "2026-10-19T09:00:00"}}}


def _ts(value: dict[str, Any]) -> pd.Timestamp:
    return pd.Timestamp(value["dateTime"][:19], tz="UTC")


@dataclass
class FakeGraph:
    """In-memory mailboxes behind Graph's URLs."""

    events: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    settings: dict[str, dict[str, Any]] = field(default_factory=dict)
    groups: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    group_mail: dict[str, str] = field(default_factory=dict)
    fail: dict[str, tuple[int, str]] = field(default_factory=dict)  # person -> (status, code)
    throttle: list[tuple[str, int, str | None]] = field(default_factory=list)  # (path regex, status, Retry-After)
    expired: dict[str, tuple[int, str]] = field(default_factory=dict)  # deltatoken -> (status, code)
    latency: float = 0.0
    member_page: int = 2
    me: str = ""
    requests: list[httpx.Request] = field(default_factory=list)
    token_lifetime: int = 3599  # seconds; msal treats a token within 5 minutes of expiry as expired
    token_grants: list[str] = field(default_factory=list)
    device_scope: str = ""
    version: int = 0
    changes: dict[str, dict[str, int]] = field(default_factory=dict)  # person -> event id -> version changed
    _snapshots: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    _tokens: dict[str, tuple[str, str, str, int]] = field(default_factory=dict)

    # --- scripting --------------------------------------------------------------------------------------------
    def put(self, person: str, event: dict[str, Any]) -> None:
        """Add or replace an event in a mailbox (a change delta will report)."""
        box = self.events.setdefault(person, [])
        box[:] = [e for e in box if e["id"] != event["id"]] + [event]
        self.version += 1
        self.changes.setdefault(person, {})[event["id"]] = self.version

    def remove(self, person: str, event_id: str) -> None:
        self.events[person] = [e for e in self.events.get(person, []) if e["id"] != event_id]
        self.version += 1
        self.changes.setdefault(person, {})[event_id] = self.version

    def paths(self) -> list[str]:
        return [r.url.path for r in self.requests]

    # --- serving ----------------------------------------------------------------------------------------------
    async def handler(self, request: httpx.Request) -> httpx.Response:
        if self.latency:
            await asyncio.sleep(self.latency)
        return self.respond(request)

    def respond(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        url = request.url
        if url.host.startswith("login."):
            return self._identity(request)
        path = unquote(url.path).removeprefix("/v1.0/")
        target = f"{path}?{unquote(url.query.decode())}"  # a pattern may pick a page by its skip/delta token
        for i, (pattern, status, after) in enumerate(self.throttle):
            if re.search(pattern, path) or re.search(pattern, target):
                del self.throttle[i]
                headers = {"Retry-After": after} if after is not None else {}
                return httpx.Response(status, headers=headers, json=error_body(
                    "TooManyRequests" if status == 429 else "ServiceUnavailable", "Please retry again later."))
        query = {k: v[0] for k, v in parse_qs(urlsplit(str(url)).query, keep_blank_values=True).items()}
        if path == "me":
            return httpx.Response(200, json={"mail": self.me, "userPrincipalName": self.me})
        if path == "groups":
            mail = query["$filter"].split("'")[1]
            found = [{"id": gid, "mail": m} for gid, m in self.group_mail.items() if m == mail]
            return httpx.Response(200, json={"value": found})
        m = re.fullmatch(r"groups/([^/]+)/transitiveMembers/microsoft\.graph\.user", path)
        if m:
            return self._members(m.group(1), query)
        m = re.fullmatch(r"users/([^/]+)/(calendarView|calendarView/delta|mailboxSettings)", path)
        if not m:
            return httpx.Response(404, json=error_body("ResourceNotFound", f"no route {path}"))
        person, what = m.group(1).lower(), m.group(2)
        if person in self.fail:
            status, code = self.fail[person]
            return httpx.Response(status, json=error_body(code, "Access is denied. Check credentials and try again."))
        if person not in self.events and person not in self.settings:
            return httpx.Response(404, json=error_body("ErrorItemNotFound", "The mailbox was not found."))
        if what == "mailboxSettings":
            return httpx.Response(200, json=self.settings.get(person, {"timeZone": "UTC"}))
        if what == "calendarView":
            return self._calendar_view(person, query, str(url))
        return self._delta(person, query, request)

    def _identity(self, request: httpx.Request) -> httpx.Response:
        tenant = request.url.path.split("/")[1]
        host = request.url.host
        if request.url.path.endswith("/discovery/instance"):  # msal's instance discovery (documented shape)
            return httpx.Response(200, json={
                "tenant_discovery_endpoint": f"https://{host}/{tenant}/v2.0/.well-known/openid-configuration",
                "api-version": "1.1",
                "metadata": [{"preferred_network": host, "preferred_cache": host, "aliases": [host]}]})
        if request.url.path.endswith("openid-configuration"):
            return httpx.Response(200, json=openid_configuration(f"https://{request.url.host}", tenant))
        if request.url.path.endswith("/devicecode"):
            # the token reply names the scopes granted; a device-code grant request carries none of its own
            self.device_scope = parse_qs(request.content.decode()).get("scope", [""])[0]
            return httpx.Response(200, json={
                "device_code": "dev-code", "user_code": "ABCD-EFGH", "interval": 0, "expires_in": 900,
                "verification_uri": "https://microsoft.com/devicelogin",
                "message": "To sign in, use a web browser to open https://microsoft.com/devicelogin "
                           "and enter the code ABCD-EFGH to authenticate."})
        form = parse_qs(request.content.decode())
        grant = form.get("grant_type", [""])[0]
        self.token_grants.append(grant)
        body: dict[str, Any] = {"token_type": "Bearer", "expires_in": self.token_lifetime,
                                "access_token": "fake-token"}
        if grant != "client_credentials":  # delegated sign-in: the documented id_token, client_info, refresh token
            body.update(delegated_tokens(host, tenant, form.get("scope", [self.device_scope])[0]))
        return httpx.Response(200, json=body)

    def _members(self, gid: str, query: dict[str, str]) -> httpx.Response:
        members = self.groups.get(gid, [])
        skip = int(query.get("$skiptoken", "0"))
        page = members[skip : skip + self.member_page]
        body: dict[str, Any] = {"@odata.context": f"{GRAPH}/$metadata#users", "value": page}
        if skip == 0:
            body["@odata.count"] = len(members)
        if skip + self.member_page < len(members):
            body["@odata.nextLink"] = (f"{GRAPH}/groups/{gid}/transitiveMembers/microsoft.graph.user?"
                                       f"$count=true&$skiptoken={skip + self.member_page}")
        return httpx.Response(200, json=body)

    def _window(self, person: str, start: str, end: str) -> list[dict[str, Any]]:
        lo, hi = pd.Timestamp(start), pd.Timestamp(end)
        return [e for e in self.events.get(person, []) if _ts(e["start"]) < hi and _ts(e["end"]) > lo]

    def _calendar_view(self, person: str, query: dict[str, str], url: str) -> httpx.Response:
        top = int(query.get("$top", "10"))
        skip = int(query.get("$skip", "0"))
        items = self._window(person, query["startDateTime"], query["endDateTime"])
        fields = query.get("$select", "").split(",")
        page = [{k: v for k, v in e.items() if k in fields} for e in items[skip : skip + top]] if fields != [""] \
            else items[skip : skip + top]
        body: dict[str, Any] = {"@odata.context": f"{GRAPH}/$metadata#users('{person}')/calendarView", "value": page}
        if skip + top < len(items):
            base = re.sub(r"&\$skip=\d+", "", url)
            body["@odata.nextLink"] = f"{base}&$skip={skip + top}"
        return httpx.Response(200, json=body)

    def _delta(self, person: str, query: dict[str, str], request: httpx.Request) -> httpx.Response:
        match = re.search(r"odata\.maxpagesize=(\d+)", request.headers.get("prefer", ""))
        size = int(match.group(1)) if match else 10
        if "$skiptoken" in query:
            state, offset = query["$skiptoken"].rsplit("-", 1)
            return self._delta_page(person, state, int(offset), size)
        if "$deltatoken" in query:
            token = query["$deltatoken"]
            if token in self.expired:
                status, code = self.expired[token]
                headers = {"Location": f"{GRAPH}/users/{person}/calendarView/delta"} if status == 410 else {}
                return httpx.Response(status, headers=headers, json=error_body(code, "sync state expired"))
            _, start, end, since = self._tokens[token]
            lo, hi = pd.Timestamp(start), pd.Timestamp(end)
            current = {e["id"]: e for e in self.events.get(person, [])}
            items = []
            for event_id, changed in self.changes.get(person, {}).items():
                if changed <= since:
                    continue
                e = current.get(event_id)
                if e is not None and _ts(e["start"]) < hi and _ts(e["end"]) > lo:
                    items.append(e)
                else:  # deleted, or changed outside the window: Graph reports both as removed
                    items.append({"@odata.type": "#microsoft.graph.event", "id": event_id,
                                  "@removed": {"reason": "deleted"}})
        else:
            start, end = query["startDateTime"], query["endDateTime"]
            items = self._window(person, start, end)
        state = f"s{len(self._snapshots)}"
        self._snapshots[state] = items
        self._tokens[f"d{state}"] = (person, query.get("startDateTime", start), query.get("endDateTime", end),
                                     self.version)
        return self._delta_page(person, state, 0, size)

    def _delta_page(self, person: str, state: str, offset: int, size: int) -> httpx.Response:
        items = self._snapshots[state]
        body: dict[str, Any] = {"@odata.context": f"{GRAPH}/$metadata#Collection(event)",
                                "value": items[offset : offset + size]}
        base = f"{GRAPH}/users/{quote(person, safe='@')}/calendarView/delta"
        if offset + size < len(items):
            body["@odata.nextLink"] = f"{base}?$skiptoken={state}-{offset + size}"
        else:
            body["@odata.deltaLink"] = f"{base}?$deltatoken=d{state}"
        return httpx.Response(200, json=body)


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def delegated_tokens(host: str, tenant: str, scope: str) -> dict[str, Any]:
    """What a delegated grant adds (an unsigned id_token: msal reads its claims, it does not verify them)."""
    uid, utid = "00000000-0000-0000-66f3-3332eca7ea81", "9188040d-6c67-4c5b-b112-36a304b66dad"
    claims = {"iss": f"https://{host}/{utid}/v2.0", "sub": "practitioner", "aud": "app-id", "oid": uid, "tid": utid,
              "preferred_username": "amy.lee@council.gov.uk", "name": "Amy Lee", "iat": 1790000000,
              "exp": 4102444800}
    return {"scope": scope, "refresh_token": "fake-refresh-token", "client_info": _b64({"uid": uid, "utid": utid}),
            "id_token": f"{_b64({'typ': 'JWT', 'alg': 'none'})}.{_b64(claims)}."}


def openid_configuration(login: str, tenant: str) -> dict[str, Any]:
    """The identity platform's documented discovery document (the fields msal reads)."""
    host = login.removeprefix("https://")
    return {
        "token_endpoint": f"{login}/{tenant}/oauth2/v2.0/token",
        "authorization_endpoint": f"{login}/{tenant}/oauth2/v2.0/authorize",
        "device_authorization_endpoint": f"{login}/{tenant}/oauth2/v2.0/devicecode",
        "issuer": f"https://{host}/{tenant}/v2.0",
        "jwks_uri": f"{login}/{tenant}/discovery/v2.0/keys",
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
    }


def graph_event(event_id: str, start: str, end: str, **fields: Any) -> dict[str, Any]:
    """A Graph event in the documented shape (times in UTC, as with Prefer outlook.timezone="UTC")."""
    event = {
        "@odata.etag": f'W/"{event_id}"', "id": event_id, "type": "singleInstance", "seriesMasterId": None,
        "iCalUId": f"uid-{event_id}", "subject": f"Meeting {event_id}",
        "start": {"dateTime": f"{start}.0000000", "timeZone": "UTC"},
        "end": {"dateTime": f"{end}.0000000", "timeZone": "UTC"},
        "isAllDay": False, "showAs": "busy", "responseStatus": {"response": "organizer",
                                                                "time": "0001-01-01T00:00:00Z"},
        "isCancelled": False, "attendees": [], "organizer": None, "categories": [], "isOnlineMeeting": False,
        "location": {"displayName": ""}, "sensitivity": "normal", "bodyPreview": "",
        "body": {"contentType": "text", "content": ""},
    }
    event.update(fields)
    return event


def load(name: str) -> Any:
    from pathlib import Path

    return json.loads((Path(__file__).resolve().parents[1] / "data" / "graph" / name).read_text(encoding="utf-8"))

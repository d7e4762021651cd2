"""A polite Microsoft Graph client: msgraph-sdk's request adapter for auth and middleware, raw JSON bytes out.

Every request goes through msgraph-sdk's ``GraphRequestAdapter`` (authentication, redirects, user agent,
telemetry) and comes back as the native response, so pages are ``json.loads``-ed rather than built into typed
models (~400x faster). msgraph-sdk's own ``RetryHandler`` is left out of the middleware: it sleeps where tests
cannot reach and caps retries on its own terms, so this module owns retrying instead: 429/503/504 honour
``Retry-After`` (fractional seconds too), else capped exponential backoff with jitter, always with an injectable
``await sleep``. A :class:`Throttle` bounds requests in flight: at most 4 for one mailbox (Outlook's limit per
app and mailbox) and ``graph.max_concurrency`` in all, halved when Graph answers 429 and raised by one again after
a run of successes (additive increase, multiplicative decrease). Each request has a timeout. Reads, writes and
``$batch`` (at most 20 per batch, each sub-response checked on its own) share it. A 401 re-acquires the token
once and resends; a network failure that outlasts the retries names the host ("could not reach ...").
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from kiota_abstractions.authentication import AccessTokenProvider
from kiota_abstractions.method import Method
from kiota_abstractions.native_response_handler import NativeResponseHandler
from kiota_abstractions.request_information import RequestInformation
from kiota_http.kiota_client_factory import KiotaClientFactory
from kiota_http.middleware import RetryHandler
from kiota_http.middleware.options import ResponseHandlerOption, UrlReplaceHandlerOption
from msgraph import GraphRequestAdapter
from msgraph_core import GraphClientFactory

from ..settings import Settings
from .auth import auth_provider, graph_base, graph_verify, proxy_for, token_provider

RETRY_STATUS = frozenset({429, 503, 504})
MAX_BATCH = 20
BACKOFF_BASE = 1.0
BACKOFF_CAP = 60.0
PER_MAILBOX = 4  # Outlook runs at most 4 requests at once per app and mailbox
GROW_AFTER = 20  # successes in a row before the allowed concurrency is raised by one again

Sleep = Callable[[float], Awaitable[None]]


class GraphRequestError(Exception):
    """A Graph request that failed for good: status, Graph error ``code`` and the request path (no query, no token)."""

    def __init__(self, status: int, code: str, message: str, path: str) -> None:
        super().__init__(f"HTTP {status} {code or 'error'} on {path}" + (f": {message}" if message else ""))
        self.status = status
        self.code = code
        self.message = message
        self.path = path
        self.location = ""  # a 410 Gone may say where to start again

    @property
    def reason(self) -> str:
        """A short reason for reports: status and Graph error code (or, with no reply at all, what went wrong)."""
        if self.status == 0 and self.message:
            return self.message
        return f"HTTP {self.status} {self.code}".strip()

    @property
    def unreachable(self) -> bool:
        """No reply because the network or the host failed (not a slow reply): no other mailbox would fare better."""
        return self.status == 0 and self.code == UNREACHABLE


UNREACHABLE, NO_REPLY = "unreachable", "timeout"


def transport_failure(exc: BaseException, url: str, timeout: float) -> GraphRequestError:
    """A request that got no reply, in plain words naming the host: "could not reach graph.microsoft.com: ..."."""
    host = httpx.URL(url).host
    if isinstance(exc, httpx.ReadTimeout | httpx.WriteTimeout | httpx.PoolTimeout | TimeoutError):
        return GraphRequestError(0, NO_REPLY, f"no reply from {host} within {timeout:g} s", _path(url))
    text = str(exc).lower()
    if isinstance(exc, httpx.ProxyError):
        what = "the proxy refused the connection"
    elif isinstance(exc, httpx.ConnectTimeout):
        what = "connection timed out"
    elif "reset" in text:
        what = "connection reset"
    elif "refused" in text:
        what = "connection refused"
    elif "name or service" in text or "nodename" in text or "getaddrinfo" in text or "name resolution" in text:
        what = "host name not found"
    elif "certificate" in text or "ssl" in text:
        what = "TLS certificate not trusted (see SSL_CERT_FILE)"
    elif isinstance(exc, httpx.RemoteProtocolError):
        what = "connection closed without a reply"
    else:
        what = "connection failed"
    return GraphRequestError(0, UNREACHABLE, f"could not reach {host}: {what}", _path(url))


@dataclass
class GraphStats:
    """Counters the progress bar and the benchmark read."""

    requests: int = 0
    retries: int = 0
    events: int = 0
    pages: int = 0
    reauthorised: int = 0  # 401s answered by acquiring a fresh token
    request_seconds: float = 0.0  # summed time from sending to the reply (over wall time: mean in flight)
    by_status: dict[int, int] = field(default_factory=dict)


def error_of(status: int, content: bytes, path: str) -> GraphRequestError:
    """A GraphRequestError from an error body (``{"error": {"code", "message"}}``), tolerant of any body."""
    code = message = ""
    try:
        err = json.loads(content or b"{}").get("error") or {}
        code = str(err.get("code") or "")
        message = str(err.get("message") or "")[:200]
    except (ValueError, AttributeError):
        pass
    return GraphRequestError(status, code, message, path)


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds the server asked us to wait (``Retry-After`` may be fractional, e.g. 2.128); None when absent."""
    value = headers.get("retry-after") or headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        return None  # an HTTP date: fall back to backoff rather than read the clock


def backoff(attempt: int, rng: Callable[[], float]) -> float:
    """Capped exponential backoff with full jitter, for attempt 0, 1, 2, ..."""
    return rng() * min(BACKOFF_CAP, BACKOFF_BASE * 2**attempt)


class Throttle:
    """How many requests may be in flight: at most ``per_mailbox`` for one mailbox, ``limit`` in all.

    ``limit`` starts at the ceiling (``graph.max_concurrency``), is halved (down to 1) when Graph answers 429, and
    rises by one after ``grow_after`` successes in a row. Replies to requests sent before a cut do not cut again,
    so one burst of 429s halves it once. Mailboxes are started only while fewer are in progress than ``limit``:
    each one then gets the slots it needs and finishes (and is saved) early, instead of all sharing the slots in
    rotation and finishing together at the end.
    """

    def __init__(self, ceiling: int, per_mailbox: int = PER_MAILBOX, grow_after: int = GROW_AFTER) -> None:
        self.ceiling = ceiling
        self.limit = ceiling
        self.lowest = ceiling
        self.per_mailbox = per_mailbox
        self.grow_after = grow_after
        self.in_flight = 0
        self.mailboxes = 0  # mailboxes in progress
        self._by_mailbox: dict[str, int] = {}
        self._epoch = 0
        self._streak = 0
        self._cond = asyncio.Condition()

    @asynccontextmanager
    async def slot(self, mailbox: str | None) -> AsyncIterator[int]:
        """Hold one request slot (and one of the mailbox's); yields the epoch to report a 429 against."""
        def free() -> bool:
            return self.in_flight < self.limit and (mailbox is None or self._by_mailbox.get(mailbox, 0) <
                                                    self.per_mailbox)

        async with self._cond:
            await self._cond.wait_for(free)
            self.in_flight += 1
            if mailbox is not None:
                self._by_mailbox[mailbox] = self._by_mailbox.get(mailbox, 0) + 1
        try:
            yield self._epoch
        finally:
            async with self._cond:
                self.in_flight -= 1
                if mailbox is not None:
                    left = self._by_mailbox[mailbox] - 1
                    if left:
                        self._by_mailbox[mailbox] = left
                    else:
                        del self._by_mailbox[mailbox]
                self._cond.notify_all()

    def throttled(self, epoch: int) -> None:
        """Graph answered 429 to a request sent in ``epoch``: halve the limit, once per burst."""
        self._streak = 0
        if epoch != self._epoch:
            return
        self._epoch += 1
        self.limit = max(1, self.limit // 2)
        self.lowest = min(self.lowest, self.limit)

    def succeeded(self) -> None:
        self._streak += 1
        if self._streak >= self.grow_after and self.limit < self.ceiling:
            self._streak = 0
            self.limit += 1
            self._wake()

    def _wake(self) -> None:
        async def notify() -> None:
            async with self._cond:
                self._cond.notify_all()

        asyncio.get_running_loop().create_task(notify())

    async def mailbox_room(self) -> None:
        """Wait until another mailbox may start, then count it as in progress (``mailbox_done`` ends it)."""
        async with self._cond:
            await self._cond.wait_for(lambda: self.mailboxes < self.limit)
            self.mailboxes += 1

    async def mailbox_done(self) -> None:
        async with self._cond:
            self.mailboxes -= 1
            self._cond.notify_all()


def mailbox_of(url: str) -> str | None:
    """The mailbox a Graph URL addresses (``users/{id}/...`` or ``me/...``), for the per-mailbox limit."""
    path = httpx.URL(url).path
    at = path.find("/users/")
    if at >= 0:
        return path[at + 7 :].split("/", 1)[0].lower()
    return "me" if "/me/" in path or path.endswith("/me") else None


def _path(url: str) -> str:
    """The URL's path only: query strings hold skip/delta tokens, which are credentials of a kind."""
    return httpx.URL(url).path


def http_client(
    settings: Settings, transport: httpx.AsyncBaseTransport | None = None, env: Mapping[str, str] | None = None
) -> httpx.AsyncClient:
    """The httpx client Graph calls go through, with msgraph-sdk's middleware minus its RetryHandler."""
    env = os.environ if env is None else env
    graph = settings.graph
    limits = httpx.Limits(max_connections=graph.max_concurrency * 2, max_keepalive_connections=graph.max_concurrency)
    if transport is not None:
        client = httpx.AsyncClient(transport=transport, timeout=graph.timeout_seconds, trust_env=False)
    else:
        client = httpx.AsyncClient(
            verify=graph_verify(env), proxy=proxy_for(env), timeout=graph.timeout_seconds, limits=limits,
            trust_env=False,  # read explicitly above: SSL_CERT_FILE / SSL_CERT_DIR and HTTPS_PROXY
        )
    client.base_url = httpx.URL(f"{graph_base(settings)}/v1.0")
    options = {UrlReplaceHandlerOption.get_key(): UrlReplaceHandlerOption(enabled=False)}
    middleware = [m for m in KiotaClientFactory.get_default_middleware(options) if not isinstance(m, RetryHandler)]
    return GraphClientFactory.create_with_custom_middleware(middleware, client=client)


class GraphClient:
    """Authenticated, throttling-aware Graph calls returning parsed JSON; use as ``async with``."""

    def __init__(
        self,
        settings: Settings,
        *,
        me: bool = False,
        transport: httpx.AsyncBaseTransport | None = None,
        tokens: AccessTokenProvider | None = None,
        sleep: Sleep = asyncio.sleep,
        rng: Callable[[], float] = random.random,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.settings = settings
        self.base = f"{graph_base(settings)}/v1.0"
        self.sleep = sleep
        self.rng = rng
        self.stats = GraphStats()
        self._tokens = tokens
        self._me = me
        self._transport = transport
        self._env = env
        self.throttle = Throttle(settings.graph.max_concurrency)
        self._token_provider: AccessTokenProvider | None = None
        self._adapter: GraphRequestAdapter | None = None
        self._client: httpx.AsyncClient | None = None

    async def __aenter__(self) -> GraphClient:
        self._client = http_client(self.settings, self._transport, self._env)
        tokens = self._tokens or token_provider(self.settings, me=self._me)
        self._token_provider = tokens
        self._adapter = GraphRequestAdapter(auth_provider(tokens), client=self._client)
        self._adapter.base_url = self.base
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def url(self, path_or_url: str) -> str:
        """An absolute URL from a path relative to /v1.0 (nextLink and deltaLink are already absolute)."""
        if path_or_url.startswith("https://") or path_or_url.startswith("http://"):
            return path_or_url
        return f"{self.base}/{path_or_url.lstrip('/')}"

    # --- one request, retried ---------------------------------------------------------------------------
    async def request(
        self, method: str, url: str, *, headers: Mapping[str, str] | None = None, body: Any = None
    ) -> httpx.Response:
        """Send one request, retrying throttling and transient failures; raise GraphRequestError otherwise."""
        url = self.url(url)
        retries = self.settings.graph.max_retries
        mailbox = mailbox_of(url)
        attempt = 0
        reauthorised = False
        while True:
            try:
                async with self.throttle.slot(mailbox) as epoch:
                    response = await self._send_once(method, url, headers, body)
            except (httpx.TimeoutException, httpx.TransportError, TimeoutError) as exc:
                if attempt >= retries:
                    raise transport_failure(exc, url, self.settings.graph.timeout_seconds) from None
                await self._wait(backoff(attempt, self.rng))
                attempt += 1
                continue
            status = response.status_code
            self.stats.by_status[status] = self.stats.by_status.get(status, 0) + 1
            if status == 429:
                self.throttle.throttled(epoch)
            elif status < 400:
                self.throttle.succeeded()
                return response
            if status == 401 and not reauthorised:  # the token expired or was revoked mid-run: a fresh one, once
                reauthorised = True
                self._forget_token(response)
                self.stats.reauthorised += 1
                continue
            if status in RETRY_STATUS and attempt < retries:
                wait = retry_after(response.headers)
                await self._wait(wait if wait is not None else backoff(attempt, self.rng))
                attempt += 1
                continue
            error = error_of(status, response.content, _path(url))
            error.location = response.headers.get("location", "")
            raise error

    def _forget_token(self, response: httpx.Response) -> None:
        """Tell the token provider the token this request carried was refused (it acquires a new one next)."""
        try:
            sent = response.request.headers.get("authorization", "")
        except RuntimeError:  # a response built without its request
            sent = ""
        forget = getattr(self._token_provider, "forget", None)
        if callable(forget):
            forget(sent.removeprefix("Bearer ").strip())

    async def _wait(self, seconds: float) -> None:
        self.stats.retries += 1
        await self.sleep(seconds)

    async def _send_once(
        self, method: str, url: str, headers: Mapping[str, str] | None, body: Any
    ) -> httpx.Response:
        assert self._adapter is not None, "use GraphClient as 'async with GraphClient(...)'"
        info = RequestInformation(Method(method.upper()))
        info.url = url
        for name, value in (headers or {}).items():
            info.headers.add(name, value)
        if body is not None:
            info.set_stream_content(json.dumps(body).encode("utf-8"), "application/json")
        # The native handler hands back the httpx response, so status, headers and raw bytes stay ours.
        info.add_request_options([ResponseHandlerOption(NativeResponseHandler())])
        self.stats.requests += 1
        sent = time.perf_counter()
        try:
            response = await asyncio.wait_for(
                self._adapter.send_primitive_async(info, "bytes", None), self.settings.graph.timeout_seconds
            )
        finally:
            self.stats.request_seconds += time.perf_counter() - sent
        assert isinstance(response, httpx.Response)
        return response

    # --- JSON helpers -----------------------------------------------------------------------------------
    async def get_bytes(self, url: str, headers: Mapping[str, str] | None = None) -> bytes:
        return (await self.request("GET", url, headers=headers)).content

    async def get_json(self, url: str, headers: Mapping[str, str] | None = None) -> Any:
        return _json(await self.request("GET", url, headers=headers))

    async def post_json(self, url: str, body: Any, headers: Mapping[str, str] | None = None) -> Any:
        return _json(await self.request("POST", url, headers=headers, body=body))

    async def patch_json(self, url: str, body: Any, headers: Mapping[str, str] | None = None) -> Any:
        return _json(await self.request("PATCH", url, headers=headers, body=body))

    async def delete(self, url: str, headers: Mapping[str, str] | None = None) -> None:
        await self.request("DELETE", url, headers=headers)

    async def pages(self, url: str, headers: Mapping[str, str] | None = None) -> AsyncIterator[dict[str, Any]]:
        """Every page of a collection, following ``@odata.nextLink`` (sending the same headers) to the end."""
        next_url: str | None = url
        while next_url:
            page = await self.get_json(next_url, headers)
            self.stats.pages += 1
            yield page
            next_url = page.get("@odata.nextLink")

    async def batch(self, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Send requests through ``$batch`` (20 at a time), retrying throttled sub-requests; responses in order.

        Each sub-response is checked on its own: a failed one comes back with its status and body for the caller
        to judge; a throttled one (429/503/504) is resent, honouring its own ``Retry-After``.
        """
        results: dict[str, dict[str, Any]] = {}
        ids = [str(r["id"]) for r in requests]
        if len(set(ids)) != len(ids):
            raise ValueError("batch: request ids must be unique")
        pending = list(requests)
        attempt = 0
        while pending:
            throttled: list[dict[str, Any]] = []
            waits: list[float] = []
            for start in range(0, len(pending), MAX_BATCH):
                chunk = pending[start : start + MAX_BATCH]
                reply = await self.post_json("$batch", {"requests": chunk})
                by_id = {r["id"]: r for r in chunk}
                for sub in (reply or {}).get("responses", []):
                    sid = str(sub.get("id"))
                    status = int(sub.get("status", 0))
                    if status in RETRY_STATUS and attempt < self.settings.graph.max_retries and sid in by_id:
                        throttled.append(by_id[sid])
                        wait = retry_after({k.lower(): str(v) for k, v in (sub.get("headers") or {}).items()})
                        waits.append(wait if wait is not None else backoff(attempt, self.rng))
                    else:
                        results[sid] = sub
            pending = throttled
            if pending:
                await self._wait(max(waits))
                attempt += 1
        missing = [i for i in ids if i not in results]
        for i in missing:  # a malformed reply must not pass silently as success
            results[i] = {"id": i, "status": 0, "body": {"error": {"code": "missingResponse", "message": ""}}}
        return [results[i] for i in ids]


@contextmanager
def paused_gc() -> Iterator[None]:
    """Hold the cyclic garbage collector while a page becomes Python objects.

    A 1,000-event page is ~50,000 acyclic dicts and lists; each batch of allocations would otherwise trigger
    collections that walk every page still held (measured: ~25% of sync CPU). Reference counting still frees them.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _json(response: httpx.Response) -> Any:
    """The parsed body, or None for 202/204 and other empty replies."""
    if not response.content:
        return None
    with paused_gc():
        return json.loads(response.content)

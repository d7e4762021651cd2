"""The service in-process: the ASGI app through httpx's ASGI transport, signed in as whoever a test needs."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from calendar_audit.service.app import create_app
from calendar_audit.service.demo import demo_settings
from calendar_audit.service.state import ServiceState
from calendar_audit.settings import Settings

MANAGER = "sarah.okafor@demo-council.gov.uk"  # the demo team's manager
PRACTITIONER = "priya.shah@demo-council.gov.uk"  # the demo's practitioner with every decline reason
OTHER = "daniel.hughes@demo-council.gov.uk"
ADMIN = "rhys.morgan@demo-council.gov.uk"  # the demo team's last person


class Client:
    """A browser-like client of the app (keeps cookies), synchronous for tests."""

    def __init__(self, app: Any, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:8000")
        self.pages: list[str] = []  # every body seen (the secrets test reads them)

    def get(self, url: str, **kw: Any) -> httpx.Response:
        response = self.loop.run_until_complete(self.http.get(url, **kw))
        self.pages.append(response.text)
        return response

    def post(self, url: str, data: Any = None, **kw: Any) -> httpx.Response:
        response = self.loop.run_until_complete(self.http.post(url, data=data, **kw))
        self.pages.append(response.text)
        return response

    def csrf(self, url: str = "/") -> str:
        return csrf_of(self.get(url).text)

    def sign_in_demo(self, person: str) -> httpx.Response:
        token = csrf_of(self.get("/signin").text)
        return self.post("/signin/demo", data={"csrf": token, "person": person})

    @property
    def cookie(self) -> str | None:
        return self.http.cookies.get("calendar_audit_session")

    def close(self) -> None:
        self.loop.run_until_complete(self.http.aclose())


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field on the page"
    return found.group(1)


def text_of(html: str) -> str:
    """The page's visible text, one space between words."""
    import html as html_lib

    html = re.sub(r"<style>.*?</style>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", html_lib.unescape(re.sub(r"<[^>]+>", " ", html))).strip()


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


@pytest.fixture
def demo_state(tmp_path: Path, in_tmp: Path) -> ServiceState:
    settings = demo_settings(Settings(), tmp_path)
    return ServiceState(settings, demo=True, clock=Clock(datetime(2026, 12, 2, 9, 0, tzinfo=UTC)))


@pytest.fixture
def client_for(loop: asyncio.AbstractEventLoop) -> Iterator[Any]:
    made: list[Client] = []

    def make(state: ServiceState, **kw: Any) -> Client:
        client = Client(create_app(state, **kw), loop)
        made.append(client)
        return client

    yield make
    for c in made:
        c.close()


@pytest.fixture
def demo_client(demo_state: ServiceState, client_for: Any) -> Any:
    """A fresh client of the demo app, signed out; several may share one app (``client_for(state)``)."""
    return lambda: client_for(demo_state)

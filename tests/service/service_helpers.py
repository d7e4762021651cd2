"""Helpers for the service's tests: a synchronous client of the ASGI app, the demo team's roles, page text."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime
from typing import Any

import httpx

MANAGER = "sarah.okafor@demo-council.gov.uk"  # the demo team's manager
PRACTITIONER = "priya.shah@demo-council.gov.uk"  # the demo's practitioner with every decline reason
OTHER = "daniel.hughes@demo-council.gov.uk"
ADMIN = "rhys.morgan@demo-council.gov.uk"  # the demo team's last person


class Client:
    """A browser-like client of the app (keeps cookies), synchronous for tests."""

    def __init__(self, app: Any, loop: asyncio.AbstractEventLoop, base_url: str = "http://127.0.0.1:8000") -> None:
        self.loop = loop
        self.http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url)
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

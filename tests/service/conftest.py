"""The service in-process: the ASGI app through httpx's ASGI transport, signed in as whoever a test needs."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from service_helpers import Client, Clock

from calendar_audit.service.app import create_app
from calendar_audit.service.demo import demo_settings
from calendar_audit.service.state import ServiceState
from calendar_audit.settings import Settings


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

    def make(state: ServiceState, base_url: str = "http://127.0.0.1:8000", **kw: Any) -> Client:
        client = Client(create_app(state, **kw), loop, base_url)
        made.append(client)
        return client

    yield make
    for c in made:
        c.close()


@pytest.fixture
def demo_client(demo_state: ServiceState, client_for: Any) -> Any:
    """A fresh client of the demo app, signed out; several may share one app (``client_for(state)``)."""
    return lambda: client_for(demo_state)

"""Benchmark: `sync` against a local fake Graph with simulated latency, and the typed-model path for contrast.

    .venv/bin/python bench/bench_sync.py                    # 40 mailboxes x 1 year (under a minute)
    .venv/bin/python bench/bench_sync.py --mailboxes 200    # the issue's full size

Reports requests made, wall time, CPU seconds per 1,000 events (this process and the store's writer process), and
the ratio to the ideal (requests x latency / allowed concurrency). No network: the fake Graph is an httpx MockTransport.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from urllib.parse import unquote

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "sources"))  # the fake Graph shared with the tests

from graph_fake import FakeGraph, graph_event  # noqa: E402
from kiota_abstractions.authentication import AccessTokenProvider, AllowedHostsValidator  # noqa: E402

from calendar_audit.settings import Settings  # noqa: E402
from calendar_audit.sources.store import sync_async  # noqa: E402
from calendar_audit.window import Window  # noqa: E402


class StaticTokens(AccessTokenProvider):
    """A fixed bearer token: sign-in is not what is measured here."""

    async def get_authorization_token(self, uri: str, additional_authentication_context=None) -> str:
        return "bench-token"

    def get_allowed_hosts_validator(self) -> AllowedHostsValidator:
        return AllowedHostsValidator(["graph.microsoft.com"])


def team_calendar(person: str, per_mailbox: int, attendees: list[str]) -> list[dict]:
    """A year of realistic events: 4-5 meetings a working day, some with attendees, categories, locations."""
    out = []
    day = 0
    for i in range(per_mailbox):
        if i % 5 == 0:
            day += 1
        d = date.fromordinal(date(2025, 1, 1).toordinal() + (day * 7 // 5) % 364)
        hour = 8 + (i % 5) * 2
        out.append(graph_event(
            f"{person[:8]}-{i:05d}", f"{d}T{hour:02d}:00:00", f"{d}T{hour + 1:02d}:00:00",
            subject=f"Meeting {i}", categories=["Meeting"] if i % 3 else [],
            organizer={"emailAddress": {"name": "Org", "address": attendees[i % len(attendees)]}},
            attendees=[{"type": "required", "status": {"response": "accepted", "time": "2025-01-01T00:00:00Z"},
                        "emailAddress": {"name": a, "address": a}} for a in attendees[: 2 + i % 6]],
            location={"displayName": "Room 1", "locationType": "default"}, isOnlineMeeting=bool(i % 2),
            body={"contentType": "text", "content": "Agenda: review the plan. " * 8},
            bodyPreview="Agenda: review the plan."))
    return out


class PageServer:
    """A cheap fake Graph for timing the client: every reply's bytes are built before the clock starts.

    The delta round of each mailbox is cut into pages by FakeGraph's own shapes (nextLink ... deltaLink);
    serving a request is a dict look-up plus ``await asyncio.sleep(latency)``, so the figures measure the client.
    """

    def __init__(self, events: dict[str, list[dict]], settings: dict[str, dict], page_size: int, latency: float):
        self.latency = latency
        self.replies: dict[str, bytes] = {}
        self.requests = 0
        for person, items in events.items():
            base = f"/v1.0/users/{person}/calendarView/delta"
            chunks = [items[i : i + page_size] for i in range(0, len(items), page_size)] or [[]]
            for n, chunk in enumerate(chunks):
                body: dict = {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#Collection(event)",
                              "value": chunk}
                if n + 1 < len(chunks):
                    body["@odata.nextLink"] = f"https://graph.microsoft.com{base}?$skiptoken={n + 1}"
                else:
                    body["@odata.deltaLink"] = f"https://graph.microsoft.com{base}?$deltatoken=bench"
                self.replies[f"{base}?{n}" if n else base] = json.dumps(body).encode()
            self.replies[f"/v1.0/users/{person}/mailboxSettings"] = json.dumps(settings[person]).encode()
        self.page_bytes = next(iter(self.replies.values()))

    async def handler(self, request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(self.latency)
        self.requests += 1
        skip = request.url.params.get("$skiptoken")
        key = unquote(request.url.path) + (f"?{skip}" if skip else "")
        return httpx.Response(200, content=self.replies[key], headers={"Content-Type": "application/json"})


def children_cpu() -> float:
    """CPU seconds of this process's finished children (the store's writer process, once the sync is over)."""
    times = os.times()
    return times.children_user + times.children_system


def typed_cpu_per_event(page: bytes) -> float:
    """CPU seconds per event when msgraph-sdk's typed models deserialise one page."""
    from kiota_serialization_json.json_parse_node_factory import JsonParseNodeFactory
    from msgraph.generated.models.event_collection_response import EventCollectionResponse

    JsonParseNodeFactory().get_root_parse_node("application/json", b'{"value": []}').get_object_value(
        EventCollectionResponse)  # warm up: imports are not per-event cost
    start = time.process_time()
    node = JsonParseNodeFactory().get_root_parse_node("application/json", page)
    value = node.get_object_value(EventCollectionResponse)
    return (time.process_time() - start) / max(len(value.value or []), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mailboxes", type=int, default=40)
    parser.add_argument("--events", type=int, default=1200, help="events per mailbox per year")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per request")
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()

    people = [f"worker{i:03d}@council.gov.uk" for i in range(args.mailboxes)]
    fake = FakeGraph(latency=args.latency)
    for person in people:
        fake.events[person] = team_calendar(person, args.events, people[:8])
        fake.settings[person] = {"timeZone": "GMT Standard Time", "workingHours": {
            "daysOfWeek": ["monday", "friday"], "startTime": "09:00:00.0000000", "endTime": "17:00:00.0000000",
            "timeZone": {"name": "GMT Standard Time"}}}
    server = PageServer(fake.events, fake.settings, args.page_size, args.latency)
    del fake  # only the replies' bytes are served: the event dicts would only give the collector work to do
    gc.collect()
    window = Window(date(2025, 1, 1), date(2025, 12, 31), "Europe/London")
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            graph={"tenant_id": "t", "client_id": "c", "client_secret": "x", "page_size": args.page_size,
                   "max_concurrency": args.concurrency},
            teams=[{"name": "bench", "members": people}], store={"path": str(Path(tmp) / "store.sqlite3")})
        wall0, cpu0, kids0 = time.perf_counter(), time.process_time(), children_cpu()
        result = asyncio.run(sync_async(settings, settings.teams[0], window,
                                        transport=httpx.MockTransport(server.handler), tokens=StaticTokens()))
        wall, loop_cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        cpu = loop_cpu + children_cpu() - kids0  # the store's writer process (Linux) counts too
    events = sum(m.events for m in result.mailboxes.values())
    requests = server.requests
    pages = sum(m.requests for m in result.mailboxes.values())
    # Ideal: every request's latency, perfectly packed into the allowed concurrency.
    ideal = requests * args.latency / args.concurrency
    typed = typed_cpu_per_event(server.page_bytes)
    figures = {
        "mailboxes": args.mailboxes, "events": events, "requests": requests, "delta_pages": pages,
        "failures": len(result.failures), "latency_s": args.latency, "concurrency": args.concurrency,
        "wall_s": round(wall, 2), "ideal_s": round(ideal, 2), "ratio_to_ideal": round(wall / ideal, 2),
        "cpu_s": round(cpu, 2), "cpu_s_event_loop_process": round(loop_cpu, 2),
        "cpu_s_per_1000_events": round(cpu / events * 1000, 4),
        "typed_model_cpu_s_per_1000_events": round(typed * 1000, 2),
        "typed_vs_raw": round(typed * 1000 / max(cpu / events * 1000, 1e-9), 1),
        "load_average_1m": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()

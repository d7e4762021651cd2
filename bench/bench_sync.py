"""Benchmark: `sync` over real HTTPS against a local server with injected latency (TLS and HTTP parsing are paid).

    nice -n 10 .venv/bin/python bench/bench_sync.py --mailboxes 40 --latency 0.3     # the issue's target case
    nice -n 10 .venv/bin/python bench/bench_sync.py --mailboxes 200 --latency 0.05

The server runs in its own process on 127.0.0.1 with a self-signed certificate made at start (trusted through
``SSL_CERT_FILE``, the documented way), and serves pages serialised before the clock starts: a request costs it a
dict look-up, ``time.sleep(latency)`` and the TLS write. The client is the real thing: ``graph.endpoint`` pointed
at the server, msgraph-sdk's request adapter, page decoding, the adapter, the throttle, the store's writer process.
Sign-in is not measured (a fixed token). Reports wall time, the ideal (requests x latency / allowed concurrency),
their ratio, and client CPU seconds (this process and the writer) per 1,000 events.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import multiprocessing
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs, unquote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "sources"))  # the fake Graph and local server shared with the tests

from graph_fake import graph_event  # noqa: E402
from graph_server import LocalGraph, make_certificate  # noqa: E402
from kiota_abstractions.authentication import AccessTokenProvider, AllowedHostsValidator  # noqa: E402

from calendar_audit.settings import Settings  # noqa: E402
from calendar_audit.sources.store import sync_async  # noqa: E402
from calendar_audit.window import Window  # noqa: E402


class StaticTokens(AccessTokenProvider):
    """A fixed bearer token: sign-in is not what is measured here."""

    async def get_authorization_token(self, uri: str, additional_authentication_context=None) -> str:
        return "bench-token"

    def get_allowed_hosts_validator(self) -> AllowedHostsValidator:
        return AllowedHostsValidator(["127.0.0.1"])


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


def serialise(people: list[str], per_mailbox: int, page_size: int, base: str) -> dict[str, bytes]:
    """Every reply's bytes, keyed by path (and ``?n`` for the n-th delta page): delta pages in the documented
    nextLink ... deltaLink shape, and mailbox settings."""
    settings = json.dumps({"timeZone": "GMT Standard Time", "workingHours": {
        "daysOfWeek": ["monday", "friday"], "startTime": "09:00:00.0000000", "endTime": "17:00:00.0000000",
        "timeZone": {"name": "GMT Standard Time"}}}).encode()
    replies: dict[str, bytes] = {}
    for person in people:
        items = team_calendar(person, per_mailbox, people[:8])
        path = f"/v1.0/users/{person}/calendarView/delta"
        chunks = [items[i : i + page_size] for i in range(0, len(items), page_size)] or [[]]
        for n, chunk in enumerate(chunks):
            body: dict = {"@odata.context": f"{base}/v1.0/$metadata#Collection(event)", "value": chunk}
            if n + 1 < len(chunks):
                body["@odata.nextLink"] = f"{base}{path}?$skiptoken={n + 1}"
            else:
                body["@odata.deltaLink"] = f"{base}{path}?$deltatoken=bench"
            replies[f"{path}?{n}" if n else path] = json.dumps(body).encode()
        replies[f"/v1.0/users/{person}/mailboxSettings"] = settings
    return replies


def responder(replies: dict[str, bytes]):
    headers = {"Content-Type": "application/json"}

    def respond(method: str, target: str, _headers: dict[str, str], _body: bytes) -> tuple[int, dict, bytes]:
        path, _, query = target.partition("?")
        skip = parse_qs(query).get("$skiptoken")
        key = unquote(path) + (f"?{skip[0]}" if skip else "")
        content = replies.get(key)
        if content is None:
            return 404, headers, b'{"error": {"code": "ResourceNotFound", "message": "no such page"}}'
        return 200, headers, content

    return respond


def children_cpu() -> float:
    """CPU seconds of this process's finished children (the store's writer process, once the sync is over)."""
    times = os.times()
    return times.children_user + times.children_system


def typed_cpu_per_event(page: bytes) -> float:
    """CPU seconds per event when msgraph-sdk's typed models deserialise one page (``--typed``: ~10 s of CPU)."""
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
    parser.add_argument("--latency", type=float, default=0.3, help="seconds the server waits per request")
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=16, help="graph.max_concurrency")
    parser.add_argument("--typed", action="store_true", help="also time msgraph-sdk's typed models on one page")
    args = parser.parse_args()

    people = [f"worker{i:03d}@council.gov.uk" for i in range(args.mailboxes)]
    with tempfile.TemporaryDirectory() as tmp:
        cert = make_certificate(Path(tmp) / "tls")
        os.environ["SSL_CERT_FILE"] = str(cert[0])  # how a council trusts its inspecting proxy: the same path
        os.environ.pop("SSL_CERT_DIR", None)
        replies: dict[str, bytes] = {}
        server = LocalGraph(responder(replies), cert, delay=args.latency)  # binds now: its address is known
        replies.update(serialise(people, args.events, args.page_size, server.base))
        first_page = replies[f"/v1.0/users/{people[0]}/calendarView/delta"]
        serving = multiprocessing.get_context("fork").Process(target=server.server.serve_forever, daemon=True)
        serving.start()
        server.server.socket.close()  # the server process has its own copy
        replies.clear()  # this process only measures the client from here on
        gc.collect()
        window = Window(date(2025, 1, 1), date(2025, 12, 31), "Europe/London")
        settings = Settings(
            graph={"tenant_id": "t", "client_id": "c", "client_secret": "x", "page_size": args.page_size,
                   "max_concurrency": args.concurrency, "endpoint": server.base},
            teams=[{"name": "bench", "members": people}], store={"path": str(Path(tmp) / "store.sqlite3")})
        load0 = os.getloadavg()[0]
        wall0, cpu0, kids0 = time.perf_counter(), time.process_time(), children_cpu()
        result = asyncio.run(sync_async(settings, settings.teams[0], window, tokens=StaticTokens()))
        wall, loop_cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        cpu = loop_cpu + children_cpu() - kids0  # the store's writer process (Linux) counts too
        serving.terminate()
        serving.join()
    events = sum(m.events for m in result.mailboxes.values())
    ideal = result.requests * args.latency / args.concurrency  # every request's latency, perfectly packed
    figures = {
        "mailboxes": args.mailboxes, "events": events, "requests": result.requests,
        "delta_pages": sum(m.requests for m in result.mailboxes.values()), "failures": len(result.failures),
        "latency_s": args.latency, "concurrency": args.concurrency, "lowest_concurrency": result.lowest_concurrency,
        "wall_s": round(wall, 2), "ideal_s": round(ideal, 2), "ratio_to_ideal": round(wall / ideal, 2),
        "mean_in_flight": round(result.request_seconds / wall, 1),
        "mean_request_s": round(result.request_seconds / max(result.requests, 1), 3),
        "cpu_s": round(cpu, 2), "cpu_s_event_loop_process": round(loop_cpu, 2),
        "cpu_s_per_1000_events": round(cpu / max(events, 1) * 1000, 4),
        "load_average_1m_before": round(load0, 2), "load_average_1m_after": round(os.getloadavg()[0], 2),
    }
    if args.typed:
        typed = typed_cpu_per_event(first_page)
        figures["typed_model_cpu_s_per_1000_events"] = round(typed * 1000, 2)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()

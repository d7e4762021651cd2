"""Sync as an unattended service needs it (respx fake Graph): mailboxes a few at a time and each saved as it
finishes, the throttle that halves on 429 and grows back, 410 and 401 mid-run, a network outage named plainly."""

from __future__ import annotations

import asyncio
import io
import sqlite3
from datetime import date

import httpx
import pytest
import respx
from graph_fake import FakeGraph, error_body, graph_event
from rich.console import Console
from test_graph import AMY, BEN, WINDOW, Sleeps, make_settings, week_of_events
from test_store import do_sync

from calendar_audit.cli import main
from calendar_audit.commands.options import Context
from calendar_audit.errors import SourceError
from calendar_audit.sources.graph_client import Throttle
from calendar_audit.sources.store import read_store, store_path, sync_async

WORKERS = [f"worker{i:02d}@council.gov.uk" for i in range(8)]


def team(fake: FakeGraph, people: list[str], n: int = 5) -> None:
    for person in people:
        for i in range(n):
            fake.put(person, graph_event(f"{person[:8]}-{i}", f"2026-10-{19 + i % 5}T09:00:00",
                                         f"2026-10-{19 + i % 5}T09:30:00"))


def requests_of(fake: FakeGraph, person: str) -> list[int]:
    return [i for i, r in enumerate(fake.requests) if f"/users/{person}/" in r.url.path]


def stored_people(settings) -> set[str]:
    with sqlite3.connect(store_path(settings)) as conn:
        return {r[0] for r in conn.execute("SELECT person FROM delta_links")}


def test_mailboxes_are_read_a_few_at_a_time_so_the_first_finish_before_later_ones_start(tmp_path):
    fake = FakeGraph()
    team(fake, WORKERS)
    settings = make_settings(tmp_path, members=WORKERS, page_size=2, max_concurrency=4)
    result = do_sync(fake, settings)
    assert len(result.mailboxes) == 8 and not result.failures
    first_wave_done = min(max(requests_of(fake, p)) for p in WORKERS[:4])
    assert min(requests_of(fake, WORKERS[4])) > first_wave_done  # the 5th waited for a finished mailbox
    assert min(requests_of(fake, WORKERS[7])) > first_wave_done


def test_a_sync_that_stops_part_way_keeps_every_finished_mailbox_and_a_rerun_completes_the_rest(tmp_path):
    fake = FakeGraph(fail={WORKERS[6]: (401, "InvalidAuthenticationToken")})  # refused even with a new token
    team(fake, WORKERS)
    settings = make_settings(tmp_path, members=WORKERS, page_size=2, max_concurrency=4)
    with pytest.raises(SourceError, match="Graph refused the access token"):
        do_sync(fake, settings)
    kept = stored_people(settings)
    assert set(WORKERS[:2]) <= kept and WORKERS[6] not in kept  # the 7th could start only after two had finished
    fake.fail = {}
    result = do_sync(fake, settings)
    assert {p for p, m in result.mailboxes.items() if m.mode == "delta"} == kept
    assert {p for p, m in result.mailboxes.items() if m.mode == "full"} == set(WORKERS) - kept
    assert len(read_store(settings, settings.teams[0], WINDOW).events) == 40


def test_throttle_halves_on_429_once_per_burst_and_grows_back_by_one_after_a_run_of_successes():
    async def scenario() -> list[int]:
        throttle = Throttle(8, grow_after=3)
        seen = [throttle.limit]
        async with throttle.slot("a@x") as epoch:
            pass
        throttle.throttled(epoch)
        throttle.throttled(epoch)  # a reply to a request sent before the cut: no second cut
        seen.append(throttle.limit)
        async with throttle.slot("a@x") as later:
            pass
        throttle.throttled(later)
        seen.append(throttle.limit)
        for _ in range(3):
            throttle.succeeded()
        seen.append(throttle.limit)
        return [*seen, throttle.lowest]

    assert asyncio.run(scenario()) == [8, 4, 2, 3, 2]


def test_throttle_never_lets_more_than_four_requests_run_for_one_mailbox():
    async def scenario() -> int:
        throttle = Throttle(16)
        running = peak = 0

        async def request() -> None:
            nonlocal running, peak
            async with throttle.slot("amy"):
                running += 1
                peak = max(peak, running)
                await asyncio.sleep(0.001)
                running -= 1

        await asyncio.gather(*(request() for _ in range(12)))
        return peak

    assert asyncio.run(scenario()) == 4


def test_a_429_lowers_the_requests_in_flight_and_the_sync_says_so(tmp_path):
    fake = FakeGraph()
    team(fake, WORKERS)
    fake.throttle = [(r"users/worker00.*/calendarView/delta", 429, "0")]
    config = tmp_path / "calendar-audit.toml"
    members = ", ".join(f'"{p}"' for p in WORKERS)
    config.write_text(f'[graph]\ntenant_id = "t"\nclient_id = "app-id"\nclient_secret = "x"\nmax_concurrency = 8\n'
                      f'[store]\npath = "{tmp_path / "s.sqlite3"}"\n'
                      f'[[teams]]\nname = "evolve"\nmembers = [{members}]\n')
    out, err = io.StringIO(), io.StringIO()
    ctx = Context(today=date(2026, 10, 21), console=Console(file=out, width=300), err=Console(file=err, width=300))
    with respx.mock(assert_all_called=False) as router:
        router.route().mock(side_effect=fake.respond)
        code = main(["sync", "--config", str(config), "--from", "2026-10-19", "--to", "2026-10-25"], ctx)
    assert code == 0, err.getvalue()
    assert ("Graph throttled the sync (429): requests in flight were lowered to 4 of graph.max_concurrency 8"
            in out.getvalue())


def respond_once(fake: FakeGraph, match: str, reply: httpx.Response, times: int = 1):
    """fake.respond, except that the first ``times`` requests whose URL contains ``match`` get ``reply``."""
    left = [times]

    def respond(request: httpx.Request) -> httpx.Response:
        if left[0] and match in str(request.url):
            left[0] -= 1
            fake.requests.append(request)
            return reply
        return fake.respond(request)

    return respond


def sync_with(respond, settings):
    with respx.mock(assert_all_called=False) as router:
        router.route().mock(side_effect=respond)
        return asyncio.run(sync_async(settings, settings.teams[0], WINDOW, sleep=Sleeps()))


GONE = httpx.Response(410, json=error_body("syncStateNotFound", "The sync state generation is not found."))


def test_a_410_during_a_first_full_read_restarts_that_mailbox_once(tmp_path):
    fake = FakeGraph()
    week_of_events(fake, AMY, 5)
    week_of_events(fake, BEN, 2)
    settings = make_settings(tmp_path, members=[AMY, BEN], page_size=2)
    result = sync_with(respond_once(fake, "amy.lee@council.gov.uk/calendarView/delta?$skiptoken", GONE), settings)
    assert not result.failures
    assert result.mailboxes[AMY].mode == "full" and result.mailboxes[AMY].events == 5
    starts = [r for r in fake.requests if AMY in r.url.path and "startDateTime" in str(r.url)]
    assert len(starts) == 2  # the first round and its restart
    assert len(read_store(settings, settings.teams[0], WINDOW).events) == 7


def test_a_second_410_in_the_restarted_read_fails_only_that_mailbox(tmp_path):
    fake = FakeGraph()
    week_of_events(fake, AMY, 5)
    week_of_events(fake, BEN, 2)
    settings = make_settings(tmp_path, members=[AMY, BEN], page_size=2)
    result = sync_with(respond_once(fake, "amy.lee@council.gov.uk/calendarView/delta?$skiptoken", GONE, 2),
                       settings)
    assert [(f.person, f.reason) for f in result.failures] == [(AMY, "HTTP 410 syncStateNotFound")]
    assert list(result.mailboxes) == [BEN]


def test_a_401_part_way_acquires_a_new_token_once_and_the_sync_completes(tmp_path):
    fake = FakeGraph()
    week_of_events(fake, AMY, 5)
    settings = make_settings(tmp_path, members=[AMY], page_size=2)
    expired = httpx.Response(401, json=error_body("InvalidAuthenticationToken", "Access token has expired."))
    result = sync_with(respond_once(fake, "$skiptoken", expired), settings)
    assert not result.failures and result.mailboxes[AMY].events == 5
    assert fake.token_grants == ["client_credentials", "client_credentials"]  # msal's cached token was dropped


def test_a_network_outage_names_the_host_plainly_and_exits_1(tmp_path):
    config = tmp_path / "calendar-audit.toml"
    config.write_text(f'[graph]\ntenant_id = "t"\nclient_id = "app-id"\nclient_secret = "x"\nmax_retries = 1\n'
                      f'[store]\npath = "{tmp_path / "s.sqlite3"}"\n[[teams]]\nname = "evolve"\nmembers = ["{AMY}"]\n')
    fake = FakeGraph()

    def respond(request: httpx.Request) -> httpx.Response:
        if request.url.host == "graph.microsoft.com":
            raise httpx.ReadError("[Errno 104] Connection reset by peer")
        return fake.respond(request)

    out, err = io.StringIO(), io.StringIO()
    ctx = Context(today=date(2026, 10, 21), console=Console(file=out, width=300), err=Console(file=err, width=300))
    with respx.mock(assert_all_called=False) as router:
        router.route().mock(side_effect=respond)
        code = main(["sync", "--config", str(config), "--from", "2026-10-19", "--to", "2026-10-25"], ctx)
    assert code == 1
    assert err.getvalue().splitlines()[-1] == ("calendar-audit: error: could not reach graph.microsoft.com: "
                                               "connection reset; check the network (or HTTPS_PROXY) and try again")
    assert "RemoteProtocolError" not in err.getvalue() and "HTTP 0" not in err.getvalue()

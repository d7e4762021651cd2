"""`sync` + `report --source store` against a fake Graph gives the same person_week.csv as the .ics exports.

The same two calendars live in tests/data/parity/*.ics (Outlook exports, Windows zone "GMT Standard Time") and
tests/data/graph/parity_team.json (calendarView/delta items with occurrences expanded, and mailboxSettings): a weekly
series with a moved and a cancelled occurrence, declined meetings, all-day OOF leave, the 25 Oct 2026 clock change,
and a part-timer (Mon-Thu 08:00-16:00: mailbox settings on the Graph side, [people] settings on the .ics side).
Default global cloud: the token endpoint on login.microsoftonline.com is answered by the fake too (respx).
"""

from __future__ import annotations

import copy
import csv
import sys
from datetime import date
from pathlib import Path

import pytest
import respx
from rich.console import Console

sys.path.insert(0, str(Path(__file__).resolve().parent / "sources"))
from graph_fake import FakeGraph, graph_event, load

from calendar_audit.cli import main
from calendar_audit.commands.options import Context

PARITY = Path(__file__).resolve().parent / "data" / "parity"
SAM, TOM, BEN = "sam.jones@council.gov.uk", "tom.hill@council.gov.uk", "ben.ode@council.gov.uk"
SECRET = "parity-S3cret~never-printed"
WINDOW = ("--from", "2026-10-12", "--to", "2026-11-08")


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = Console(record=True, width=200), Console(record=True, width=200, stderr=True)
    code = main(list(argv), Context(today=date(2026, 11, 25), console=out, err=err))
    return code, out.export_text(), err.export_text()


def person_week(folder: Path) -> list[dict[str, str]]:
    with (folder / "person_week.csv").open(newline="", encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


def fake_team(*extra: str) -> FakeGraph:
    doc = load("parity_team.json")
    fake = FakeGraph()
    for person, events in doc["calendarView"].items():
        fake.settings[person] = doc["mailboxSettings"][person]
        for event in events:
            fake.put(person, copy.deepcopy(event))
    for person in extra:
        fake.settings[person] = {"timeZone": "GMT Standard Time"}
    return fake


def graph_config(tmp_path: Path, members: list[str]) -> Path:
    config = tmp_path / "graph.toml"
    config.write_text(f"""
[graph]
tenant_id = "contoso-tenant"
client_id = "app-id"
client_secret = "{SECRET}"
page_size = 4
[store]
path = "{tmp_path / 'store.sqlite3'}"
[[teams]]
name = "family-support"
members = {members!r}
""".replace("'", '"'))
    return config


@pytest.fixture(scope="module")
def from_ics(tmp_path_factory) -> list[dict[str, str]]:
    folder = tmp_path_factory.mktemp("ics")
    config = folder / "ics.toml"
    config.write_text(f"""
[people."{SAM}".working_hours]
days = ["mon", "tue", "wed", "thu"]
start = "08:00"
end = "16:00"
""")
    code, _, err = run_cli("report", "--config", str(config), "--ics", str(PARITY / f"{SAM}.ics"),
                           str(PARITY / f"{TOM}.ics"), *WINDOW, "--out", str(folder), "--format", "csv")
    assert (code, err) == (0, "")
    return person_week(folder)


def sync_and_report(fake: FakeGraph, config: Path, out: Path) -> tuple[tuple[int, str, str], tuple[int, str, str]]:
    with respx.mock(assert_all_called=False) as router:
        router.route().mock(side_effect=fake.respond)
        synced = run_cli("sync", "--config", str(config), *WINDOW)
    # the report reads the store alone: any request now would be an error
    with respx.mock(assert_all_called=False) as router:
        router.route().respond(599)
        reported = run_cli("report", "--config", str(config), "--source", "store", *WINDOW, "--out", str(out),
                           "--format", "csv")
    return synced, reported


def test_sync_then_store_report_matches_the_ics_exports_even_when_throttled(tmp_path, from_ics):
    fake = fake_team()
    # throttled on the first delta page, on a later page (picked by its skip token) and on mailbox settings
    fake.throttle = [(r"users/sam.*calendarView/delta$", 429, "0.01"), (r"skiptoken=s\d+-4", 429, "0.02"),
                     (r"users/tom.*mailboxSettings", 429, "0")]
    (code, out, err), (rcode, _, rerr) = sync_and_report(fake, graph_config(tmp_path, [SAM, TOM]), tmp_path)
    assert code == 0
    assert "failed" not in err and "error" not in err  # stderr carries only the progress bar
    assert "3 retries" in out
    assert [r.url.host for r in fake.requests if "/token" in r.url.path] == ["login.microsoftonline.com"]
    assert sum(1 for r in fake.requests if r.url.host == "graph.microsoft.com") > 6  # paged: 4 events a page
    assert fake.throttle == []  # every scripted 429 was met, and retried
    assert (rcode, rerr) == (0, "")
    assert person_week(tmp_path) == from_ics
    assert SECRET not in out + err
    # the data carry the cases: the part-timer's 4-day week with leave, and the clock-change weekend
    sam = {r["week_start"]: r for r in from_ics if r["person"] == SAM}
    assert (sam["2026-10-19"]["working_hours"], sam["2026-10-26"]["working_hours"]) == ("24", "32")


def test_inaccessible_mailbox_exits_3_named_with_everyone_elses_rows(tmp_path, from_ics):
    fake = fake_team(BEN)
    fake.fail[BEN] = (403, "ErrorAccessDenied")
    (code, _, err), (rcode, _, rerr) = sync_and_report(fake, graph_config(tmp_path, [SAM, BEN, TOM]), tmp_path)
    assert code == 3
    assert f"mailbox failed: {BEN}: HTTP 403 ErrorAccessDenied" in err
    assert SAM not in err and TOM not in err
    assert rcode == 3 and BEN in rerr
    assert [r for r in person_week(tmp_path) if r["person"] != BEN] == from_ics


def test_second_sync_requests_only_deltas_and_applies_removal_decline_and_new_event(tmp_path):
    fake = fake_team()
    config = graph_config(tmp_path, [SAM, TOM])
    (code, _, _), (rcode, _, _) = sync_and_report(fake, config, tmp_path / "before")
    assert (code, rcode) == (0, 0)
    before = {(r["person"], r["week_start"]): r for r in person_week(tmp_path / "before")}

    first_round = len(fake.requests)
    fake.remove(TOM, "tom-court")  # Thu 5 Nov 09:30-13:00: deleted
    declined = next(e for e in fake.events[SAM] if e["id"] == "sam-cg-m")  # Wed 21 Oct 14:00-15:00 BST
    fake.put(SAM, {**declined, "responseStatus": {"response": "declined", "time": "2026-10-26T10:00:00Z"}})
    fake.put(TOM, graph_event("tom-hv-l", "2026-11-02T13:00:00", "2026-11-02T14:00:00",
                              subject="Home visit - L family",
                              organizer={"emailAddress": {"name": "Tom Hill", "address": TOM}}))
    (code, out, _), (rcode, _, _) = sync_and_report(fake, config, tmp_path / "after")
    assert (code, rcode) == (0, 0)
    assert "(0 full, 2 by changes only)" in out

    deltas = [str(r.url) for r in fake.requests[first_round:] if r.url.path.endswith("/calendarView/delta")]
    assert len(deltas) == 2
    assert all("$deltatoken=" in u and "startDateTime" not in u for u in deltas)
    delta_replies = [r for r in fake.requests[first_round:] if r.url.host == "graph.microsoft.com"]
    assert all(r.url.path.endswith(("/calendarView/delta", "/mailboxSettings")) for r in delta_replies)

    after = {(r["person"], r["week_start"]): r for r in person_week(tmp_path / "after")}
    changed = {k for k in before if before[k] != after[k]}
    assert changed == {(SAM, "2026-10-19"), (TOM, "2026-11-02")}
    busy = lambda rows, key: float(rows[key]["busy_hours"])  # noqa: E731
    assert busy(before, (SAM, "2026-10-19")) - busy(after, (SAM, "2026-10-19")) == 1.0  # the declined core group
    assert (busy(before, (TOM, "2026-11-02")), busy(after, (TOM, "2026-11-02"))) == (3.5, 1.0)  # court out, visit in
    assert float(after[(TOM, "2026-11-02")]["direct_work_hours"]) == 1.0


def test_live_graph_report_matches_the_ics_exports(tmp_path, from_ics):
    fake = fake_team()
    with respx.mock(assert_all_called=False) as router:
        router.route().mock(side_effect=fake.respond)
        code, _, err = run_cli("report", "--config", str(graph_config(tmp_path, [SAM, TOM])), "--source", "graph",
                               *WINDOW, "--out", str(tmp_path), "--format", "csv")
    assert (code, err) == (0, "")
    assert {r.url.path.rsplit("/", 1)[-1] for r in fake.requests if r.url.host == "graph.microsoft.com"} == {
        "calendarView", "mailboxSettings"}
    assert person_week(tmp_path) == from_ics

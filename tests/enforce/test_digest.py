"""`calendar-audit digest` against a fake Graph: one message per practitioner and manager with report's figures,
no subject and no other practitioner's name, sent once per week; a preview rendered in headless Chromium."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

import respx
from httpx import Response
from rich.console import Console
from test_enforce_cli import AMY, BEN, CHAIR, OUTSIDER, attendee, graph_fake, invite

from calendar_audit.cli import main
from calendar_audit.commands.options import Context
from calendar_audit.writers.summary import fixed
from tests.conftest import SCREENSHOTS

MANAGER = "mo.khan@council.gov.uk"
SENDER = "calendar-audit@council.gov.uk"
TODAY_NOW = ("2026-11-02", "2026-11-02T07:00:00+00:00")  # Monday: the digest reports the week of 26 October
SUBJECT_WORDS = ("Jayden", "Smith", "Panel", "Home visit", "Catch up", "Team meeting")


def fake_team() -> Any:
    fake = graph_fake.FakeGraph()
    own = {"response": "organizer", "organizer": AMY}
    for ev in (
        invite(AMY, "hv-1", "2026-10-20T10:00:00", "2026-10-20T11:00:00", "Home visit", **own),
        invite(AMY, "hv-2", "2026-10-27T13:00:00", "2026-10-27T15:00:00", "Home visit - Jayden Smith", **own),
        invite(AMY, "tm-1", "2026-10-28T14:00:00", "2026-10-28T15:00:00", "Team meeting", response="accepted"),
        invite(AMY, "pn-1", "2026-10-29T10:00:00", "2026-10-29T11:00:00", "Panel for Jayden Smith",
               response="accepted", organizer=OUTSIDER),
        invite(AMY, "cu-1", "2026-11-04T10:00:00", "2026-11-04T10:30:00", "Catch up re Jayden Smith"),
    ):
        fake.put(AMY, ev)
    fake.put(BEN, invite(BEN, "b-1", "2026-10-29T10:00:00", "2026-10-29T11:30:00", "Catch up", response="accepted",
                         organizer=AMY) | {"attendees": [attendee(AMY), attendee(BEN)]})
    fake.put(BEN, invite(BEN, "b-2", "2026-10-28T14:00:00", "2026-10-28T15:00:00", "Team meeting",
                         response="accepted", organizer=CHAIR))
    return fake


def write_config(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "calendar-audit.toml"
    path.write_text(
        f'output_dir = "{(tmp_path / "out").as_posix()}"\n'
        f'audit_log = "{(tmp_path / "audit.jsonl").as_posix()}"\n'
        '[graph]\ntenant_id = "contoso-tenant"\nclient_id = "app-id"\nclient_secret = "s3cr3t"\n'
        f'[store]\npath = "{(tmp_path / "store.sqlite3").as_posix()}"\n'
        f'[digest]\nsender = "{SENDER}"\n[service]\nbase_url = "https://calendar-audit.council.gov.uk"\n'
        f'[[teams]]\nname = "evolve"\nmembers = ["{AMY}", "{BEN}"]\nmanagers = ["{MANAGER}"]\n'
        '[[teams.protected_slots]]\nname = "direct-work-mornings"\ndays = ["tue", "thu"]\nstart = "09:30"\n'
        'end = "12:30"\nallow = ["direct_work", "statutory"]\n' + extra, encoding="utf-8")
    return path


def cli(tmp_path: Path, fake: Any, *args: str, mails: list | None = None, extra: str = "") -> tuple[int, str, str]:
    from datetime import date, datetime

    out, err = Console(record=True, width=200), Console(record=True, width=200)
    ctx = Context(today=date.fromisoformat(TODAY_NOW[0]), console=out, err=err,
                  now=lambda: datetime.fromisoformat(TODAY_NOW[1]))

    def send_mail(request: Any) -> Response:
        assert mails is not None
        mails.append((request.url.path, json.loads(request.content)))
        return Response(202)

    with respx.mock(assert_all_called=False) as router:
        router.post(url__regex=r"https://graph\.microsoft\.com/v1\.0/users/[^/]+/sendMail$").mock(
            side_effect=send_mail)
        router.route().mock(side_effect=fake.respond)
        code = main([args[0], "--config", str(write_config(tmp_path, extra)), *args[1:]], ctx)
    return code, out.export_text(), err.export_text()


def prepared(tmp_path: Path) -> Any:
    fake = fake_team()
    code, _, err = cli(tmp_path, fake, "sync")
    assert code == 0, err
    return fake


def test_dry_run_writes_one_message_each_with_reports_figures_and_no_subject_or_colleague(tmp_path):
    fake = prepared(tmp_path)
    code, out, err = cli(tmp_path, fake, "digest", "--out", str(tmp_path / "digest"))
    assert code == 0, err
    files = sorted(p.name for p in (tmp_path / "digest").iterdir())
    assert files == [f"{AMY}-practitioner.eml", f"{AMY}-practitioner.html", f"{BEN}-practitioner.eml",
                     f"{BEN}-practitioner.html", f"{MANAGER}-manager.eml", f"{MANAGER}-manager.html"]
    assert "Digest preview (dry run: nothing is sent; add --apply to send) for the week of 2026-10-26" in out
    amy = (tmp_path / "digest" / f"{AMY}-practitioner.html").read_text(encoding="utf-8")
    ben = (tmp_path / "digest" / f"{BEN}-practitioner.html").read_text(encoding="utf-8")
    boss = (tmp_path / "digest" / f"{MANAGER}-manager.html").read_text(encoding="utf-8")
    # the week's figures are report's, for the same week
    code, _, _ = cli(tmp_path, fake, "report", "--source", "store", "--from", "2026-09-28", "--to", "2026-11-08",
                     "--out", str(tmp_path / "report"))
    assert code == 0
    rows = {(r["person"], r["week_start"]): r for r in csv.DictReader(
        (tmp_path / "report" / "person_week.csv").open(encoding="utf-8-sig"))}
    for who, html in ((AMY, amy), (BEN, ben)):
        row = rows[(who, "2026-10-26")]
        for column in ("direct_work_hours", "meeting_hours", "visit_ready_hours"):
            assert f"<td align=\"right\" style=\"border-bottom:1px solid #e5e7eb;text-align:right;\">" \
                   f"{fixed(float(row[column]), 1)} h</td>" in html, (who, column)
    assert float(rows[(AMY, "2026-10-26")]["direct_work_hours"]) == 2.0  # the hand-worked value
    # her usual: the mean of the four weeks before (1 h of direct work on 20 October, none in the three before)
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", amy)
    assert cells[:3] == ["Direct work", "2.0 h", "0.3 h"]
    # next week's suggestion: when, length, reason; the link to the service's page
    assert "Wed 04 Nov 10:00-10:30" in amy and "no clear purpose" in amy
    assert 'href="https://calendar-audit.council.gov.uk/"' in amy
    # no subject anywhere, no colleague's name in a practitioner's digest, no practitioner in the manager's
    for html in (amy, ben, boss):
        assert not any(word.lower() in html.lower() for word in SUBJECT_WORDS)
        assert "<script" not in html.lower() and "<img" not in html.lower() and "<link" not in html.lower()
    assert BEN not in amy and AMY not in ben
    assert AMY not in boss and BEN not in boss
    # the manager: team figures withheld (2 people < 5), who booked into protected time: the outside organiser
    assert "Team figures are withheld: the team has 2 people, fewer than the minimum group size of 5" in boss
    assert OUTSIDER in boss and "team members" in boss


def test_apply_sends_one_message_per_practitioner_and_manager_once_a_week(tmp_path):
    fake = prepared(tmp_path)
    mails: list = []
    code, out, err = cli(tmp_path, fake, "digest", "--apply", mails=mails)
    assert code == 0, err
    assert [p for p, _ in mails] == [f"/v1.0/users/{SENDER}/sendMail"] * 3
    to = [b["message"]["toRecipients"][0]["emailAddress"]["address"] for _, b in mails]
    assert to == [AMY, BEN, MANAGER]
    assert all(b["message"]["body"]["contentType"] == "HTML" and b["saveToSentItems"] is False for _, b in mails)
    again: list = []
    code, out, _ = cli(tmp_path, fake, "digest", "--apply", mails=again)
    assert code == 0 and again == []
    assert out.count("sent already this week") == 3


def test_apply_without_a_sender_is_refused_naming_the_setting(tmp_path):
    fake = prepared(tmp_path)
    config = write_config(tmp_path)
    config.write_text(config.read_text().replace(f'sender = "{SENDER}"', 'sender = ""'))
    out, err = Console(record=True), Console(record=True)
    with respx.mock(assert_all_called=False) as router:
        router.route().mock(side_effect=fake.respond)
        code = main(["digest", "--config", str(config), "--apply"], Context(console=out, err=err))
    assert code == 2
    assert "digest.sender: set the mailbox the digest is sent from" in err.export_text()


def test_a_digest_renders_in_headless_chromium(tmp_path, page_at):
    fake = prepared(tmp_path)
    cli(tmp_path, fake, "digest", "--out", str(tmp_path / "digest"))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for name, width in ((f"{AMY}-practitioner", 700), (f"{MANAGER}-manager", 390)):
        page = page_at(width)
        page.goto((tmp_path / "digest" / f"{name}.html").as_uri())
        assert page.locator("h1").inner_text().endswith("26 October to 1 November 2026")
        shot = SCREENSHOTS / f"digest-{name.split('-')[-1]}.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000


def test_what_enforcement_did_that_week_is_in_the_practitioners_digest(tmp_path):
    import pandas as pd

    from calendar_audit.enforce import journal
    from calendar_audit.enforce.engine import Decision
    from calendar_audit.sources.store import connect

    fake = prepared(tmp_path)
    base = dict(person=AMY, change_key="ck", series_id="", slot="direct-work-mornings",
                start=pd.Timestamp("2026-10-29T10:00Z"), end=pd.Timestamp("2026-10-29T11:00Z"), organizer=CHAIR,
                policy="decline", preference="")
    with connect(tmp_path / "store.sqlite3") as conn:
        journal.record(conn, [Decision(event_id="x1", action="decline", outcome="sent", **base),
                              Decision(event_id="x2", action="notify", why="preference", outcome="noted", **base)],
                       pd.Timestamp("2026-10-27T09:00Z"))
        journal.record(conn, [Decision(event_id="x3", action="decline", outcome="sent", **base)],
                       pd.Timestamp("2026-11-02T06:00Z"))  # this week: in next week's digest
    cli(tmp_path, fake, "digest", "--out", str(tmp_path / "digest"))
    amy = (tmp_path / "digest" / f"{AMY}-practitioner.html").read_text(encoding="utf-8")
    ben = (tmp_path / "digest" / f"{BEN}-practitioner.html").read_text(encoding="utf-8")
    assert ("Declined 1 and answered 0 tentatively for you; 1 more noted for you to decide; 0 undone by you."
            in amy)
    assert "Enforcement answered nothing and noted nothing for you this week." in ben


def test_the_scheduler_sends_last_weeks_digest_once_the_configured_day_and_time_have_passed():
    import pandas as pd

    from calendar_audit.digest import scheduled_week
    from calendar_audit.settings import Settings

    settings = Settings(digest={"enabled": True, "day": "mon", "time": "08:00"})
    # Mon 2 Nov 2026, GMT: 07:59 is too early, 08:00 sends the week of 26 October, and so does Wednesday
    assert scheduled_week(settings, pd.Timestamp("2026-11-02T07:59Z")) is None
    assert str(scheduled_week(settings, pd.Timestamp("2026-11-02T08:00Z"))) == "2026-10-26"
    assert str(scheduled_week(settings, pd.Timestamp("2026-11-04T12:00Z"))) == "2026-10-26"
    # British Summer Time: 08:00 local is 07:00 UTC
    assert str(scheduled_week(settings, pd.Timestamp("2026-10-19T07:00Z"))) == "2026-10-12"
    assert scheduled_week(Settings(), pd.Timestamp("2026-11-04T12:00Z")) is None  # digest.enabled is off


def test_a_large_enough_team_shows_the_manager_its_figures_and_kept_time_week_by_week(tmp_path):
    fake = prepared(tmp_path)
    cli(tmp_path, fake, "digest", "--out", str(tmp_path / "digest"), extra="[privacy]\nmin_group_size = 2\n")
    boss = (tmp_path / "digest" / f"{MANAGER}-manager.html").read_text(encoding="utf-8")
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", boss)
    # direct work 2 h of 80 working hours; meetings: Amy 1 h (team) + 1 h (panel), Ben 1 h + 1.5 h = 4.5 of 80
    assert cells[:3] == ["Direct work, share of working hours", "3%", "0%"]
    assert cells[3:6] == ["Meetings, share of working hours", "6%", "0%"]
    # kept: Tue 27 and Thu 29 mornings, 3 h each, for two people = 12 h; Amy's panel takes 1 h, Ben's catch-up 1.5 h
    assert cells[cells.index("26 Oct"):cells.index("26 Oct") + 2] == ["26 Oct", "79%"]
    assert AMY not in boss and BEN not in boss

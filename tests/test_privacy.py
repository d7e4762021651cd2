"""Privacy defaults: pseudonyms, the minimum group size, subjects left out, purge, owner-only files."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import os
import re
import sqlite3
import stat
import zipfile
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from rich.console import Console

from calendar_audit.actions import AuditLog
from calendar_audit.cli import main
from calendar_audit.commands.options import Context
from calendar_audit.errors import ConfigError
from calendar_audit.frame import SourceData, WorkingHours, from_records
from calendar_audit.privacy import pseudonym, pseudonymise
from calendar_audit.settings import load_settings
from calendar_audit.sources import store
from calendar_audit.sources.auth import PersistedTokenCache

DATA = Path(__file__).resolve().parent / "data"
SAM = DATA / "ics" / "uk_social_worker" / "sam.jones@council.gov.uk.ics"
SALT = "a-long-random-team-secret"
ADDRESS = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")

CHILD = "Home visit to Kayden Okafor"  # a subject naming a child: never in a team output by default


def cli(*argv: str | Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    ctx = Context(today=date(2026, 11, 1), console=Console(file=out, width=200), err=Console(file=err, width=200))
    code = main([str(a) for a in argv], ctx)
    return code, out.getvalue(), err.getvalue()


def ics(path: Path, *events: tuple[str, str, str]) -> Path:
    """A minimal export: (subject, start, end) in UTC, each organised by the person with one colleague invited."""
    person = path.stem
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:test"]
    for i, (subject, start, end) in enumerate(events):
        lines += ["BEGIN:VEVENT", f"UID:{person}-{i}", f"SUMMARY:{subject}", f"DTSTART:{start}", f"DTEND:{end}",
                  f"ORGANIZER:mailto:{person}", "ATTENDEE;PARTSTAT=ACCEPTED:mailto:kim.baxter@council.gov.uk",
                  "END:VEVENT"]
    path.write_text("\r\n".join([*lines, "END:VCALENDAR"]) + "\r\n", encoding="utf-8")
    return path


def team(tmp_path: Path, n: int) -> list[Path]:
    names = ["ali.khan", "bea.moss", "cal.reid", "dee.shah", "eve.tran", "fay.ubah"][:n]
    return [ics(tmp_path / f"{name}@council.gov.uk.ics", (CHILD, "20261020T090000Z", "20261020T110000Z"),
                ("Team meeting", "20261021T090000Z", "20261021T100000Z")) for name in names]


def outputs(folder: Path) -> str:
    """Every output file as text (the XLSX's XML parts included)."""
    texts = []
    for path in sorted(folder.iterdir()):
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as z:
                texts += [z.read(name).decode("utf-8") for name in z.namelist()]
        else:
            texts.append(path.read_text(encoding="utf-8"))
    return "\n".join(texts)


# --- pseudonyms ---------------------------------------------------------------------------------------------------

def test_pseudonym_is_hmac_sha256_of_the_lower_cased_address_under_the_salt() -> None:
    expected = "person-" + hmac.new(SALT.encode(), b"sam.jones@council.gov.uk", hashlib.sha256).hexdigest()[:8]
    assert pseudonym("Sam.Jones@Council.gov.uk ", SALT) == expected
    # the same value written out (computed once with hmac outside the product): a change of the scheme shows here
    assert pseudonym("sam.jones@council.gov.uk", SALT) == "person-ec14d16f"
    assert pseudonym("sam.jones@council.gov.uk", "another salt") != expected


def test_pseudonymise_replaces_person_organizer_attendees_hours_failures_and_notes() -> None:
    events = from_records([{"person": "sam@x.uk", "event_id": "e1", "start": pd.Timestamp("2026-10-20 09:00Z"),
                            "end": pd.Timestamp("2026-10-20 10:00Z"), "organizer": "kim@x.uk",
                            "attendees": ("kim@x.uk", "lee@y.uk")}])
    hours = WorkingHours((0, 1), tz="Europe/London")
    data = SourceData(events, people=["sam@x.uk", "gone@x.uk"], working_hours={"sam@x.uk": hours},
                      notes=["/exports/sam@x.uk.ics: skipped VEVENT u1: ends before it starts"])
    data.failures.append(store.MailboxFailure("gone@x.uk", "mailbox gone@x.uk not found"))
    out = pseudonymise(data, SALT, {"lee@y.uk": hours})
    p = {a: pseudonym(a, SALT) for a in ("sam@x.uk", "kim@x.uk", "lee@y.uk", "gone@x.uk")}
    row = out.events.iloc[0]
    assert (row["person"], row["organizer"], row["attendees"]) == (
        p["sam@x.uk"], p["kim@x.uk"], (p["kim@x.uk"], p["lee@y.uk"]))
    assert out.people == [p["sam@x.uk"], p["gone@x.uk"]]
    assert out.working_hours == {p["sam@x.uk"]: hours, p["lee@y.uk"]: hours}
    assert out.failures[0].person == p["gone@x.uk"] and "gone@x.uk" not in out.failures[0].reason
    assert out.notes == [f"/exports/{p['sam@x.uk']}.ics: skipped VEVENT u1: ends before it starts"]
    assert data.events.iloc[0]["person"] == "sam@x.uk"  # the input is left alone


def test_with_pseudonyms_on_no_name_or_address_appears_in_any_output(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALENDAR_AUDIT_PRIVACY__PSEUDONYMISE", "true")
    monkeypatch.setenv("CALENDAR_AUDIT_PRIVACY__PSEUDONYM_SALT", SALT)
    files = [SAM, *team(tmp_path, 5)]
    code, out, err = cli("report", "--ics", *files, "--from", "2026-10-19", "--to", "2026-10-25",
                         "--out", tmp_path / "out", "--format", "html,csv,xlsx,json")
    assert code == 0, err
    names = {a.lower() for f in files for a in ADDRESS.findall(f.read_text(encoding="utf-8"))}
    names |= {f.stem.lower() for f in files} | {f.stem.split("@")[0].lower() for f in files}
    everything = (outputs(tmp_path / "out") + out + err).lower()
    assert len(names) > 8
    assert [n for n in names if n in everything] == []
    assert pseudonym("sam.jones@council.gov.uk", SALT) in everything


def test_pseudonyms_without_a_salt_are_refused_naming_the_setting(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALENDAR_AUDIT_PRIVACY__PSEUDONYMISE", "true")
    code, _, err = cli("report", "--ics", *team(tmp_path, 5), "--out", tmp_path / "out")
    assert code == 2
    assert "privacy.pseudonym_salt: privacy.pseudonymise is on but no salt is set" in err


def test_pseudonyms_and_subjects_together_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALENDAR_AUDIT_PRIVACY__PSEUDONYMISE", "true")
    monkeypatch.setenv("CALENDAR_AUDIT_PRIVACY__PSEUDONYM_SALT", SALT)
    code, _, err = cli("report", "--ics", *team(tmp_path, 5), "--out", tmp_path / "out", "--include-subjects")
    assert code == 2
    assert "--include-subjects: not with privacy.pseudonymise on" in err


def test_salt_never_appears_in_a_settings_error(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text(f'[privacy]\npseudonym_salt = "{SALT}"\nmin_group_size = 0\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    assert "privacy.min_group_size" in str(caught.value) and SALT not in str(caught.value)


# --- minimum group size ---------------------------------------------------------------------------------------------

def test_team_of_three_gets_no_team_aggregate_without_the_override(tmp_path: Path) -> None:
    code, out, _ = cli("report", "--ics", *team(tmp_path, 3), "--from", "2026-10-19", "--to", "2026-10-25",
                       "--out", tmp_path / "out", "--format", "html,csv,xlsx,json")
    assert code == 0
    result = json.loads((tmp_path / "out" / "report.json").read_text())
    assert result["team_week"] == []
    assert {k: v for k, v in result["summary"].items() if k not in ("people", "weeks")} == dict.fromkeys(
        [k for k in result["summary"] if k not in ("people", "weeks")])
    reason = ("Team totals and comparisons are withheld: this audit covers 3 people, fewer than the minimum group "
              "size of 5 (privacy.min_group_size)")
    assert result["notes"][0].startswith(reason)
    assert reason in (tmp_path / "out" / "report.html").read_text()
    assert reason in " ".join(out.split())
    # each person's own figures are still there: 2 h of direct work each
    person_week = pd.read_csv(tmp_path / "out" / "person_week.csv")
    assert list(person_week["direct_work_hours"]) == [2.0, 2.0, 2.0]
    assert not (tmp_path / "out" / "team_week.csv").exists()


def test_team_of_three_gets_team_aggregate_with_the_override(tmp_path: Path) -> None:
    code, _, _ = cli("report", "--ics", *team(tmp_path, 3), "--from", "2026-10-19", "--to", "2026-10-25",
                     "--out", tmp_path / "out", "--format", "json", "--allow-small-team")
    assert code == 0
    result = json.loads((tmp_path / "out" / "report.json").read_text())
    assert result["summary"]["direct_work_hours"] == 6.0
    assert len(result["team_week"]) == 1
    assert not any("withheld" in n for n in result["notes"])


def test_team_of_five_gets_team_aggregate(tmp_path: Path) -> None:
    code, _, _ = cli("report", "--ics", *team(tmp_path, 5), "--from", "2026-10-19", "--to", "2026-10-25",
                     "--out", tmp_path / "out", "--format", "json")
    assert code == 0
    assert json.loads((tmp_path / "out" / "report.json").read_text())["summary"]["direct_work_hours"] == 10.0


# --- subjects -------------------------------------------------------------------------------------------------------

def test_subjects_are_absent_from_every_team_output_by_default(tmp_path: Path) -> None:
    code, out, err = cli("report", "--ics", *team(tmp_path, 5), "--from", "2026-10-19", "--to", "2026-10-25",
                         "--out", tmp_path / "out", "--format", "html,csv,xlsx,json")
    assert code == 0
    text = outputs(tmp_path / "out") + out + err
    assert "Kayden" not in text and "Okafor" not in text
    assert "Team meeting" not in text


def test_suggest_team_view_shows_no_subject(tmp_path: Path) -> None:
    code, out, err = cli("suggest", "--ics", *team(tmp_path, 5), "--from", "2026-10-19", "--out", tmp_path / "out")
    assert code == 0, err
    text = outputs(tmp_path / "out") + out + err
    assert "Kayden" not in text and "Team meeting" not in text


# --- purge and owner-only files -------------------------------------------------------------------------------------

def _store(tmp_path: Path) -> tuple[Path, object]:
    path = tmp_path / "store.sqlite3"
    settings = load_settings(None, store={"path": str(path)})
    with store.connect(path) as conn:
        for i, day in enumerate(["2026-09-01", "2026-09-30", "2026-10-01", "2026-10-20"]):
            start = pd.Timestamp(f"{day} 09:00", tz="Europe/London").tz_convert("UTC")
            conn.execute(f"INSERT INTO events (person, event_id, start_ns, end_ns, subject) VALUES "
                         f"('sam@x.uk', 'e{i}', {start.value}, {start.value + 3600 * 10**9}, '{CHILD}')")
        conn.execute("INSERT INTO delta_links VALUES ('sam@x.uk', '2026-08-31T23:00:00Z', '2026-10-31T00:00:00Z', "
                     "'https://graph/delta?token=1')")
        conn.execute("INSERT INTO delta_links VALUES ('sam@x.uk', '2026-10-01T00:00:00Z', '2026-10-31T00:00:00Z', "
                     "'https://graph/delta?token=2')")
    return path, settings


def test_purge_deletes_events_before_the_date_and_the_windows_reaching_back(tmp_path: Path,
                                                                             in_tmp: Path) -> None:
    path, _ = _store(tmp_path)
    (tmp_path / "calendar-audit.toml").write_text(f'[store]\npath = "{path}"\n')
    code, out, err = cli("purge", "--before", "2026-10-01")
    assert (code, err) == (0, "")
    assert f"deleted 2 stored events from before 2026-10-01 from {path}" in " ".join(out.split())
    with sqlite3.connect(path) as conn:
        assert [r[0] for r in conn.execute("SELECT event_id FROM events ORDER BY event_id")] == ["e2", "e3"]
        assert [r[0] for r in conn.execute("SELECT link FROM delta_links")] == ["https://graph/delta?token=2"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_purge_leaves_no_deleted_subject_in_the_file(tmp_path: Path) -> None:
    path, settings = _store(tmp_path)
    assert store.purge(settings, pd.Timestamp("2027-01-01", tz="UTC")) == 4
    assert CHILD.encode() not in path.read_bytes()  # vacuumed, not just unlinked pages


def test_purge_refuses_a_bad_date(tmp_path: Path, in_tmp: Path) -> None:
    code, _, err = cli("purge", "--before", "last week")
    assert code == 2 and "--before: 'last week' is not a date" in err


@pytest.fixture
def loose_umask():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_store_is_created_owner_only(tmp_path: Path, loose_umask: None) -> None:
    path, _ = _store(tmp_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_token_cache_is_created_owner_only(tmp_path: Path, loose_umask: None) -> None:
    cache = PersistedTokenCache(tmp_path / "cache" / "msal.json")
    cache.add({"client_id": "c", "scope": ["s"], "token_endpoint": "https://login/x/oauth2/v2.0/token",
               "response": {"access_token": "at", "token_type": "Bearer", "expires_in": 3600}})
    cache.save()
    assert stat.S_IMODE((tmp_path / "cache" / "msal.json").stat().st_mode) == 0o600


def test_audit_log_is_created_owner_only(tmp_path: Path, loose_umask: None) -> None:
    log = AuditLog(tmp_path / "audit.jsonl")
    log.record(mailbox="sam@x.uk", action="decline", outcome="ok")
    assert stat.S_IMODE((tmp_path / "audit.jsonl").stat().st_mode) == 0o600

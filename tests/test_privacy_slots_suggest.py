"""Privacy in `slots check`, `suggest` and the writes they lead to: pseudonyms everywhere, small teams withheld."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from calendar_audit.actions import AuditLog
from calendar_audit.cli import main
from calendar_audit.commands.options import Context
from calendar_audit.privacy import Pseudonyms, pseudonym, pseudonymise
from calendar_audit.sources import demo_data
from calendar_audit.sources.demo import generate
from tests.actions import test_holds as holds
from tests.actions import test_responses as responses

DATA = Path(__file__).resolve().parent / "data"
SAM = DATA / "ics" / "uk_social_worker" / "sam.jones@council.gov.uk.ics"
MORNINGS = DATA / "slots" / "mornings.toml"  # tue, thu 09:30-12:30, allows direct work and statutory meetings
SALT = "a-long-random-team-secret"
ADDRESS = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
PRIYA = f"priya.shah@{demo_data.DOMAIN}"  # the demo practitioner whose last week triggers every reason
CHAIR = "chair@council.gov.uk"
WITHHELD = ("Team totals and comparisons are withheld: this audit covers 3 people, fewer than the minimum group "
            "size of 5 (privacy.min_group_size)")


def cli(*argv: str | Path, today: date = date(2026, 11, 1)) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    ctx = Context(today=today, console=Console(file=out, width=250), err=Console(file=err, width=250))
    code = main([str(a) for a in argv], ctx)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def pseudonyms(monkeypatch: pytest.MonkeyPatch, in_tmp: Path) -> Path:
    monkeypatch.setenv("CALENDAR_AUDIT_PRIVACY__PSEUDONYMISE", "true")
    monkeypatch.setenv("CALENDAR_AUDIT_PRIVACY__PSEUDONYM_SALT", SALT)
    return in_tmp


def ics(path: Path, person: str) -> Path:
    """One person's week of 19 Oct 2026: a home visit (Tue 10:00-12:00 BST, their own) and a chair's meeting they
    accepted (Thu 10:00-11:00 BST), both inside the protected mornings."""
    rows = [("visit", "Home visit to Kayden Okafor", "20261020T090000Z", "20261020T110000Z", person),
            ("panel", "Panel for Kayden Okafor", "20261022T090000Z", "20261022T100000Z", CHAIR)]
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:test"]
    for uid, subject, start, end, organizer in rows:
        lines += ["BEGIN:VEVENT", f"UID:{person}-{uid}", f"SUMMARY:{subject}", f"DTSTART:{start}", f"DTEND:{end}",
                  f"ORGANIZER;CN=Chair Person:mailto:{organizer}",
                  f"ATTENDEE;CN=Someone;PARTSTAT=ACCEPTED:mailto:{person}",
                  "ATTENDEE;CN=Kim Baxter;PARTSTAT=ACCEPTED:mailto:kim.baxter@council.gov.uk", "END:VEVENT"]
    path.write_text("\r\n".join([*lines, "END:VCALENDAR"]) + "\r\n", encoding="utf-8")
    return path


def team(folder: Path, n: int) -> list[Path]:
    names = ["ali.khan", "bea.moss", "cal.reid", "dee.shah", "eve.tran"][:n]
    return [ics(folder / f"{name}@council.gov.uk.ics", f"{name}@council.gov.uk") for name in names]


def everything(folder: Path, *streams: str) -> str:
    """Every file written under ``folder`` and the given terminal text."""
    files = [p.read_text(encoding="utf-8") for p in sorted(folder.rglob("*")) if p.is_file()]
    return "\n".join([*files, *streams])


def demo_names_in(text: str) -> list[str]:
    """Demo people's names and addresses, and the families' names its subjects use, found in ``text``."""
    team_words = {w.lower() for first, last in demo_data.TEAM for w in (first, last)}
    found = [a for a in ADDRESS.findall(text)]
    found += [w for w in team_words if re.search(rf"\b{w}\b", text, re.IGNORECASE)]
    found += [w for w in (*demo_data.FIRST_NAMES, *demo_data.LAST_NAMES) if re.search(rf"\b{re.escape(w)}\b", text)]
    return found


def ics_names_in(text: str, files: list[Path]) -> list[str]:
    """Addresses, file stems and the local parts of addresses from the exports, found in ``text`` (any case)."""
    names = {a.lower() for f in files for a in ADDRESS.findall(f.read_text(encoding="utf-8"))}
    names |= {f.stem.lower() for f in files} | {f.stem.split("@")[0].lower() for f in files}
    names |= {a.split("@")[0] for a in list(names)}
    assert len(names) > 8
    return [n for n in names if n in text.lower()] + ADDRESS.findall(text)


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


# --- pseudonyms: the demo team ------------------------------------------------------------------------------------

def test_slots_check_on_the_demo_with_pseudonyms_names_no_one(pseudonyms: Path) -> None:
    code, out, err = cli("slots", "check", "--out", "out")
    assert code == 0, err
    assert demo_names_in(everything(pseudonyms / "out", out, err)) == []
    compliance = rows(pseudonyms / "out" / "slot_compliance.csv")
    violations = rows(pseudonyms / "out" / "slot_violations.csv")
    assert {r["person"] for r in compliance} == {pseudonym(f"{first}.{last}@{demo_data.DOMAIN}", SALT)
                                                 for first, last in demo_data.TEAM}
    assert violations and all(r["person"].startswith("person-") and r["organizer"].startswith("person-")
                              for r in violations)
    # the head of service who books over protected mornings is still recognisable, as a pseudonym
    assert pseudonym(demo_data.HEAD_OF_SERVICE, SALT) in {r["organizer"] for r in violations}
    assert pseudonym(PRIYA, SALT) in out


def test_suggest_person_on_the_demo_accepts_the_real_address_or_the_pseudonym(pseudonyms: Path) -> None:
    code, out, err = cli("--verbose", "suggest", "--person", PRIYA, "--out", "real")
    assert code == 0, err
    assert demo_names_in(everything(pseudonyms / "real", out, err)) == []
    found = rows(pseudonyms / "real" / "suggestions.csv")
    assert found and {r["person"] for r in found} == {pseudonym(PRIYA, SALT)}
    assert out.startswith(f"{pseudonym(PRIYA, SALT)}, 2026-10-26 to 2026-11-01")
    as_json = json.loads((pseudonyms / "real" / "suggestions.json").read_text(encoding="utf-8"))
    assert {s["person"] for s in as_json["suggestions"]} == {pseudonym(PRIYA, SALT)}

    code, out, err = cli("suggest", "--person", pseudonym(PRIYA, SALT).upper(), "--out", "shown", "--json")
    assert code == 0, err
    assert demo_names_in(out + err) == []
    assert rows(pseudonyms / "shown" / "suggestions.csv") == found


def test_suggest_team_view_on_the_demo_with_pseudonyms_names_no_one(pseudonyms: Path) -> None:
    code, out, err = cli("suggest", "--out", "out")
    assert code == 0, err
    assert demo_names_in(everything(pseudonyms / "out", out, err)) == []
    table = rows(pseudonyms / "out" / "suggestions_team.csv")
    assert len(table) == 12 and all(r["person"].startswith("person-") for r in table)
    total = sum(int(r["suggestions"]) for r in table)
    assert f"Team: {total} meetings could be declined" in out  # 12 people: the team total is shown


def test_the_names_check_finds_demo_names_and_addresses_but_not_pseudonyms() -> None:
    # the checks above would pass vacuously if the checker never found anything
    assert sorted(demo_names_in(f"Sarah met Patel at sarah.okafor@{demo_data.DOMAIN}")) == sorted(
        [f"sarah.okafor@{demo_data.DOMAIN}", "sarah", "okafor", "Patel"])
    assert demo_names_in(pseudonym(PRIYA, SALT)) == []


def test_pseudonymising_the_demo_team_learns_people_not_its_2000_uids() -> None:
    # each UID looks like an address; learning them made every later replacement slower (2 minutes a run)
    data = generate(tz="Europe/London")
    names = Pseudonyms(SALT)
    out = pseudonymise(data, SALT, names=names)
    people = {*data.events["person"], *data.events["organizer"], *(a for row in data.events["attendees"] for a in row)}
    assert set(names.known) == {p.lower() for p in people if p}
    uids = data.events["ical_uid"]
    assert out.events["ical_uid"].nunique() == uids.nunique() == 1658
    assert out.events["ical_uid"].iloc[0] == pseudonym(uids.iloc[0], SALT)


# --- pseudonyms: .ics exports -------------------------------------------------------------------------------------

def test_slots_check_and_suggest_on_ics_exports_with_pseudonyms_name_no_one(pseudonyms: Path) -> None:
    (pseudonyms / "exports").mkdir()
    files = [SAM, *team(pseudonyms / "exports", 5)]
    window = ["--from", "2026-10-19", "--to", "2026-10-25"]
    results = [cli("slots", "check", "--ics", *files, *window, "--slots", MORNINGS, "--out", "check"),
               cli("suggest", "--ics", *files, "--from", "2026-10-19", "--days", "7", "--slots", MORNINGS,
                   "--out", "team"),
               cli("--verbose", "suggest", "--ics", *files, "--from", "2026-10-19", "--days", "7", "--slots",
                   MORNINGS, "--person", "Ali.Khan@council.gov.uk", "--out", "ali"),
               cli("suggest", "--ics", *files, "--from", "2026-10-19", "--days", "7", "--slots", MORNINGS,
                   "--person", "ali.khan@council.gov.uk", "--respond", "decline", "--out", "reply")]
    for code, _, err in results:
        assert code == 0, err
    written = [pseudonyms / folder for folder in ("check", "team", "ali", "reply")]
    text = "\n".join(everything(folder) for folder in written) + "".join(out + err for _, out, err in results)
    assert ics_names_in(text, files) == []
    violations = rows(pseudonyms / "check" / "slot_violations.csv")
    ali = pseudonym("ali.khan@council.gov.uk", SALT)
    assert (ali, pseudonym(CHAIR, SALT), "60") in {(r["person"], r["organizer"], r["overlap_minutes"])
                                                   for r in violations}
    assert [r["person"] for r in rows(pseudonyms / "ali" / "suggestions.csv")] == [ali]
    assert f"would send POST /users/{ali}/events/" in results[3][1]


def test_the_names_check_finds_what_the_exports_hold(tmp_path: Path) -> None:
    # the check above would pass vacuously if it found nothing in a text naming the people
    files = team(tmp_path, 5)
    assert sorted(ics_names_in("bea.moss sent it to Cal.Reid@Council.gov.uk", files)) == sorted(
        ["bea.moss", "cal.reid", "cal.reid@council.gov.uk", "Cal.Reid@Council.gov.uk"])


# --- minimum group size -------------------------------------------------------------------------------------------

def test_slots_check_for_a_team_of_three_withholds_the_team_line(in_tmp: Path) -> None:
    code, out, err = cli("slots", "check", "--ics", *team(in_tmp, 3), "--from", "2026-10-19", "--to", "2026-10-25",
                         "--slots", MORNINGS, "--out", "out")
    assert code == 0, err
    flat = " ".join(out.split())
    assert WITHHELD in flat and "Team:" not in out
    # each person's own row stays: 6 h of protected time, 5 h kept (the chair's hour broke Thursday's)
    assert [(r["slot_hours"], r["slot_kept_hours"]) for r in rows(in_tmp / "out" / "slot_compliance.csv")] == [
        ("6", "5"), ("6", "5"), ("6", "5")]


def test_slots_check_for_a_team_of_three_shows_the_team_line_with_the_override(in_tmp: Path) -> None:
    code, out, err = cli("slots", "check", "--ics", *team(in_tmp, 3), "--from", "2026-10-19", "--to", "2026-10-25",
                         "--slots", MORNINGS, "--out", "out", "--allow-small-team")
    assert code == 0, err
    assert "Team: 15.0 of 18.0 protected hours kept (83.3%); 3 violations" in out
    assert "withheld" not in out


def test_slots_check_for_a_team_of_five_shows_the_team_line(in_tmp: Path) -> None:
    code, out, _ = cli("slots", "check", "--ics", *team(in_tmp, 5), "--from", "2026-10-19", "--to", "2026-10-25",
                       "--slots", MORNINGS, "--out", "out")
    assert code == 0
    assert "Team: 25.0 of 30.0 protected hours kept (83.3%); 5 violations" in out


def test_suggest_team_view_for_a_team_of_three_withholds_the_total(in_tmp: Path) -> None:
    files = team(in_tmp, 3)
    args = ["suggest", "--ics", *files, "--from", "2026-10-19", "--days", "7", "--slots", MORNINGS, "--out", "out"]
    code, out, err = cli(*args)
    assert code == 0, err
    assert WITHHELD in " ".join(out.split()) and "Team:" not in out
    assert [r["suggestions"] for r in rows(in_tmp / "out" / "suggestions_team.csv")] == ["1", "1", "1"]
    code, out, _ = cli(*args, "--allow-small-team")
    assert code == 0
    assert "Team: 3 meetings could be declined, 3.00 hours freed" in out


def sections(folder: Path) -> dict[str, dict[str, Any]]:
    report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    return {s["title"]: s for s in report["sections"]}


def captions(section: dict[str, Any]) -> list[str]:
    return [t["caption"] if isinstance(t, dict) else t[0] for t in section["tables"]]


def test_report_policy_sections_for_a_team_of_three_withhold_team_figures(in_tmp: Path) -> None:
    code, _, err = cli("demo", "--people", "3", "--out", "out", "--format", "json,html")
    assert code == 0, err
    found = sections(in_tmp / "out")
    slots, change = found["Protected direct-work slots"], found["Before and after the policy"]
    assert WITHHELD in slots["intro"] and WITHHELD in change["intro"]
    assert captions(slots) == ["People whose slots were overrun most often",
                               "Organisers whose meetings overran slots most"]
    assert captions(change) == ["Change per person (after minus before)"]
    assert "protected hours" not in slots["intro"] and "95% interval" not in change["intro"]
    html = (in_tmp / "out" / "report.html").read_text(encoding="utf-8")
    assert "Kept rate per week" not in html and "mean per person before and after" not in html


def test_report_policy_sections_for_a_team_of_three_show_team_figures_with_the_override(in_tmp: Path) -> None:
    code, _, err = cli("demo", "--people", "3", "--out", "out", "--format", "json", "--allow-small-team")
    assert code == 0, err
    found = sections(in_tmp / "out")
    slots, change = found["Protected direct-work slots"], found["Before and after the policy"]
    assert "withheld" not in slots["intro"] + change["intro"]
    assert "Kept rate per week" in captions(slots)
    assert "Team: mean per person before and after, change and 95% interval" in captions(change)


# --- writes: real mailboxes to Graph and the audit log, pseudonyms on the terminal ---------------------------------

def test_suggest_respond_apply_with_pseudonyms_answers_the_real_mailbox_and_prints_the_pseudonym(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALENDAR_AUDIT_PRIVACY__PSEUDONYMISE", "true")
    monkeypatch.setenv("CALENDAR_AUDIT_PRIVACY__PSEUDONYM_SALT", SALT)
    code, sent, text = responses.run_cli(tmp_path, responses.fake_team(), "--respond", "decline", "--apply")
    assert code == 0, text
    assert sorted(responses.answered(sent)) == [("AAMk-catch", "decline"), ("AAMk-opt=", "decline")]
    assert all(r.url.path.startswith(f"/v1.0/users/{responses.AMY}/events/") for r in sent)
    log = AuditLog(tmp_path / "audit.jsonl").entries()
    assert sorted((e["mailbox"], e["event_id"]) for e in log) == [(responses.AMY, "AAMk-catch"),
                                                                   (responses.AMY, "AAMk-opt=")]
    amy = pseudonym(responses.AMY, SALT)
    assert f"sent POST /users/{amy}/events/AAMk-catch/decline" in text
    assert ADDRESS.findall(text) == []
    assert ADDRESS.findall(everything(tmp_path / "out")) == []
    # a second run finds the real mailbox in the log and sends nothing
    code, sent, text = responses.run_cli(tmp_path, responses.fake_team(), "--respond", "decline", "--apply")
    assert (code, sent) == (0, [])
    assert f"skipped POST /users/{amy}/events/AAMk-catch/decline: already answered" in text


def test_slots_book_with_pseudonyms_books_the_real_mailboxes_and_prints_pseudonyms(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALENDAR_AUDIT_PRIVACY__PSEUDONYMISE", "true")
    monkeypatch.setenv("CALENDAR_AUDIT_PRIVACY__PSEUDONYM_SALT", SALT)
    setup = tmp_path
    (setup / "slots.toml").write_text(holds.SLOTS, encoding="utf-8")
    (setup / "calendar-audit.toml").write_text(
        f'audit_log = "{setup / "audit.jsonl"}"\n'
        '[graph]\ntenant_id = "contoso-tenant"\nclient_id = "app-id"\nclient_secret = "s3cr3t"\n'
        f'[[teams]]\nname = "evolve"\nmembers = ["{holds.AMY}", "{holds.BEN}", "{holds.CARA}"]\n',
        encoding="utf-8")
    fake = holds.HoldsGraph()
    code, out, err = holds.book(setup, fake, "--apply")
    assert code == 0, err
    people = (holds.AMY, holds.BEN, holds.CARA)
    assert {mailbox for _, mailbox in fake.writes} == set(people)
    assert {e["mailbox"] for e in holds.log_of(setup)} == set(people)
    assert ADDRESS.findall(out + err) == []
    assert all(pseudonym(p, SALT) in out for p in people)
    code, out, err = holds.run(setup, fake, "unbook", "--apply")
    assert code == 0, err
    assert ADDRESS.findall(out + err) == []
    assert f"{pseudonym(holds.AMY, SALT)}: 4 holds removed" in out

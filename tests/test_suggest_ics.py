"""Suggestions on Outlook .ics exports (Windows zone, three people): each reason fires on its meeting, via the CLI.

tests/data/suggest_ics holds one export per person: Sam (whose meetings are ranked) and two teammates, Tom and Ann.
Sam's fortnight, 12-25 October 2026 (British Summer Time), has one meeting built for each reason, one built for
three, a clean meeting with no reason, and a statutory, a self-organised and a declined meeting (each of which would
otherwise have reasons). Tom accepted the planning review in his own file (same UID and start as Sam's copy) and
an occurrence of the clean panel at another time; Ann is tentative on one meeting and declined another.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from rich.console import Console

from calendar_audit.audit import prepare_events
from calendar_audit.cli import main
from calendar_audit.commands.options import Context
from calendar_audit.rules import load_rules
from calendar_audit.settings import Settings
from calendar_audit.sources import SourceRequest, load_source
from calendar_audit.suggest import candidates, team_wide

DATA = Path(__file__).resolve().parent / "data" / "suggest_ics"
SAM = "sam.jones@council.gov.uk"
FILES = sorted(DATA.glob("*.ics"))
FIRST = date(2026, 10, 12)

#: per reason, the meetings (UIDs) in Sam's export built for it
EXPECTED = {
    "in_protected_slot": {"slot-1", "multi-1"},  # Tue/Thu 09:30-12:30 local, not direct work or statutory
    "no_clear_purpose": {"vague-1", "multi-1"},  # "Catch up", "Quick sync": vague titles, no agenda
    "optional": {"optional-1", "multi-1"},  # ROLE=OPT-PARTICIPANT
    "large": {"large-1"},  # 9 others besides Sam, more than the default 8
    "teammate_attending": {"teammate-1"},  # Tom ACCEPTED the same UID and start in his own file
    "double_booked": {"double-1"},  # overlaps Sam's home visit
    "recurring_heavy": {"recurring-1"},  # a weekly 90-minute series: 3 h in 14 days, 6.4 h a month
    "after_hours": {"late-1"},  # 17:30-18:30 BST: 16:30 UTC, so only the local zone puts it after hours
}
EXEMPT = {"statutory-1": "statutory", "own-1": "self_organised", "declined-1": "declined",
          "visit-1": "self_organised"}


def uid(event_id: str) -> str:
    """The export's UID of an occurrence's event id ("uid/start")."""
    return event_id.split("/")[0]


@pytest.fixture(scope="module")
def rows(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[dict[str, str]]]:
    """suggestions.csv of `calendar-audit suggest` on the exports, run once for the module."""
    out = tmp_path_factory.mktemp("suggest_ics")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(out)  # no ./calendar-audit.toml
        console = Console(record=True, width=200)
        code = main(["suggest", "--ics", *map(str, FILES), "--rules", str(DATA / "rules.toml"), "--person", SAM,
                     "--from", FIRST.isoformat(), "--days", "14", "--slots", str(DATA / "slots.toml"),
                     "--out", str(out)], Context(today=date(2026, 10, 1), console=console, err=console))
        assert code == 0, console.export_text()
    with open(out / "suggestions.csv", newline="", encoding="utf-8-sig") as fh:
        yield list(csv.DictReader(fh))


def fired(rows: list[dict[str, str]], code: str) -> set[str]:
    return {uid(r["event_id"]) for r in rows if code in r["reasons"].split(";")}


def test_suggestions_csv_has_the_design_columns_then_local_times(rows):
    assert list(rows[0]) == ["person", "event_id", "start", "end", "score", "reasons", "reply", "start_local",
                             "end_local"]


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_each_reason_fires_on_the_ics_meeting_built_for_it_and_nothing_else(rows, code):
    assert fired(rows, code) == EXPECTED[code]


def test_only_meetings_with_a_reason_are_suggested(rows):
    assert {uid(r["event_id"]) for r in rows} == set().union(*EXPECTED.values())
    assert {r["person"] for r in rows} == {SAM}
    # both occurrences of the weekly series in the fortnight, each in its own row
    assert sorted(r["start"] for r in rows if uid(r["event_id"]) == "recurring-1") == [
        "2026-10-12T10:00:00+00:00", "2026-10-19T10:00:00+00:00"]


def test_statutory_self_organised_and_declined_ics_meetings_are_never_suggested(rows):
    settings = Settings()
    loaded = load_source(SourceRequest(ics=FILES, first=FIRST, last=date(2026, 10, 25)), settings, FIRST)
    events = prepare_events(loaded.data.events, load_rules([DATA / "rules.toml"]), loaded.window, settings)
    why = candidates(events, SAM, loaded.window)
    exempt = {uid(e): w for e, w in zip(why["event_id"], why["exempt"], strict=True) if w}
    assert exempt == EXEMPT  # each is read from the export and held back for its own reason
    assert not set(EXEMPT) & {uid(r["event_id"]) for r in rows}


def test_a_multi_reason_ics_meeting_ranks_above_every_single_reason_one(rows):
    assert uid(rows[0]["event_id"]) == "multi-1"
    assert rows[0]["reasons"] == "in_protected_slot;no_clear_purpose;optional"
    assert float(rows[0]["score"]) == pytest.approx(1.8 + 1.6 + 1.5)
    singles = [float(r["score"]) for r in rows if ";" not in r["reasons"]]
    assert len(singles) == len(rows) - 1
    assert float(rows[0]["score"]) > max(singles)
    assert [float(r["score"]) for r in rows] == sorted((float(r["score"]) for r in rows), reverse=True)


def test_times_are_utc_and_replies_quote_no_subject(rows):
    late = next(r for r in rows if uid(r["event_id"]) == "late-1")
    assert (late["start"], late["end"]) == ("2026-10-22T16:30:00+00:00", "2026-10-22T17:30:00+00:00")
    for r in rows:
        for word in ("Quick sync", "Catch up", "panel", "forum", "Planning", "briefing", "J.S."):
            assert word.lower() not in r["reply"].lower()


@pytest.mark.parametrize(("on_it", "team_size", "wide"), [
    (2, 3, False),  # a team of three: two on a meeting can still be represented by one
    (2, 2, False),
    (3, 4, True),
    (3, 6, False),
    (4, 6, True),
])
def test_team_wide_needs_more_than_half_the_team_and_more_than_two_people(on_it, team_size, wide):
    assert team_wide(on_it, team_size) is wide

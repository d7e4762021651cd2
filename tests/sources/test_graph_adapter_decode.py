"""Typed page decoding (msgspec) and its tolerant fallback give the same frame columns on the same pages."""

from __future__ import annotations

import json
from pathlib import Path

import msgspec
import pytest

from calendar_audit.sources.graph_adapter import GraphPage, decode_page, events_to_columns, page_from_dict

DATA = Path(__file__).resolve().parents[1] / "data" / "graph"
AMY = "amy.lee@council.gov.uk"
GOOD = {"id": "good", "subject": "Supervision", "start": {"dateTime": "2026-10-19T09:00:00.0000000", "timeZone": "UTC"},
        "end": {"dateTime": "2026-10-19T10:00:00.0000000", "timeZone": "UTC"}, "showAs": "busy"}


def typed(content: bytes) -> GraphPage:
    """The typed decode alone (no fallback): the page must decode as declared."""
    return msgspec.json.decode(content, type=GraphPage)


def both_ways(content: bytes, read_agenda: bool = False, person: str = AMY) -> tuple[dict, dict]:
    fast = events_to_columns(person, typed(content).value or (), read_agenda=read_agenda)
    slow = events_to_columns(person, page_from_dict(json.loads(content)).value or (), read_agenda=read_agenda)
    return fast, slow


def fixture_pages() -> list[tuple[str, bytes]]:
    """(mailbox, page bytes) for every events page in the Graph fixtures."""
    pages = [(AMY, (DATA / "calendarview_edge_cases.json").read_bytes())]
    team = json.loads((DATA / "parity_team.json").read_text(encoding="utf-8"))["calendarView"]
    return pages + [(person, json.dumps({"value": events}).encode()) for person, events in team.items()]


@pytest.mark.parametrize("read_agenda", [False, True])
def test_typed_and_fallback_paths_map_fixture_pages_identically(read_agenda: bool) -> None:
    pages = fixture_pages()
    assert len(pages) == 3
    for person, content in pages:
        fast, slow = both_ways(content, read_agenda, person)
        assert fast["event_id"]  # the page has rows: equality below is not of two empty column sets
        assert fast == slow


def test_typed_and_fallback_paths_agree_with_the_dict_input_of_events_to_columns() -> None:
    content = (DATA / "calendarview_edge_cases.json").read_bytes()
    fast, _ = both_ways(content)
    assert fast == events_to_columns(AMY, json.loads(content)["value"])


def test_a_number_where_text_belongs_falls_back_for_the_page_and_keeps_every_event() -> None:
    odd = {**GOOD, "id": "odd", "subject": 5, "categories": ["Team", 7, None], "isAllDay": "no"}
    content = json.dumps({"value": [odd, GOOD], "@odata.deltaLink": "https://x/delta?$deltatoken=1"}).encode()
    with pytest.raises(msgspec.ValidationError):
        typed(content)
    page = decode_page(content)
    assert page.delta_link == "https://x/delta?$deltatoken=1"
    cols = events_to_columns(AMY, page.value or ())
    assert cols["event_id"] == ["odd", "good"]
    assert cols["subject"] == ["5", "Supervision"]
    assert cols["outlook_categories"] == [("Team", "7"), ()]
    assert cols["is_all_day"] == [False, False]  # "no" is not true


def test_a_null_item_and_nan_fall_back_to_json_loads() -> None:
    content = b'{"value": [null, {"id": "nan", "subject": NaN}], "@odata.nextLink": "https://x/next"}'
    page = decode_page(content)
    assert [e.id for e in page.value or ()] == ["nan"]
    assert page.next_link == "https://x/next"


def test_removed_items_are_marked_even_with_a_null_reason() -> None:
    content = json.dumps({"value": [{"id": "gone", "@removed": None}, {"id": "left", "@removed": {"reason": "deleted"}},
                                    GOOD]}).encode()
    for page in (typed(content), page_from_dict(json.loads(content))):
        assert [e.id for e in page.value or () if e.removed is not msgspec.UNSET] == ["gone", "left"]
        assert events_to_columns(AMY, page.value or ())["event_id"] == ["good"]


def test_a_page_that_is_not_an_object_or_is_empty_has_no_events_and_no_links() -> None:
    for content in (b"[1, 2]", b"", b"null", b'{"value": 5}'):
        page = decode_page(content)
        assert (page.value or (), page.next_link, page.delta_link) == ((), None, None)


def test_json_that_no_decoder_accepts_raises_value_error() -> None:
    with pytest.raises(ValueError):
        decode_page(b'{"value": [')


def test_unreadable_events_are_counted_for_a_note_and_removed_ones_are_not():
    from calendar_audit.sources.graph_adapter import events_to_columns

    ok = {"id": "ok", "start": {"dateTime": "2026-10-19T09:00:00.0000000", "timeZone": "UTC"},
          "end": {"dateTime": "2026-10-19T10:00:00.0000000", "timeZone": "UTC"}}
    backwards = {**ok, "id": "backwards", "end": {"dateTime": "2026-10-19T08:00:00.0000000", "timeZone": "UTC"}}
    no_id = {**ok, "id": None}
    removed = {"id": "gone", "@removed": {"reason": "deleted"}}
    skipped: list[str] = []
    columns = events_to_columns("amy@x.gov.uk", [ok, backwards, no_id, removed, 42], skipped=skipped)
    assert columns["event_id"] == ["ok"]
    assert skipped == ["backwards", "(no id)", "(not an event)"]

"""Graph JSON -> events frame and working hours, on hand-made pages in the documented shapes."""

from __future__ import annotations

import asyncio
from datetime import time

import httpx
import pandas as pd
import respx
from graph_fake import load

from calendar_audit.settings import Settings
from calendar_audit.sources.graph_adapter import events_to_frame, working_hours_from
from calendar_audit.sources.graph_client import GraphClient

AMY = "amy.lee@council.gov.uk"


def edge_cases(read_agenda: bool = False) -> pd.DataFrame:
    page = load("calendarview_edge_cases.json")
    return events_to_frame("Amy.Lee@council.gov.uk", page["value"], read_agenda=read_agenda).set_index("event_id")


def test_meeting_row_maps_every_field():
    row = edge_cases().loc["AAMkAGI2-team-meeting"]
    assert row["person"] == AMY
    assert row["series_id"] == "AAMkAGI2-team-series"
    assert row["start"] == pd.Timestamp("2026-10-19T09:00:00Z") and row["end"] == pd.Timestamp("2026-10-19T10:00Z")
    assert row["is_optional"]  # Amy's own entry is optional
    assert row["attendee_count"] == 2  # Ben (listed twice) and the organizer Sam; Amy and the room excluded
    assert row["attendees"] == ("ben.ode@council.gov.uk", "sam.patel@council.gov.uk")
    assert row["organizer"] == "sam.patel@council.gov.uk"
    assert row["outlook_categories"] == ("Team", "Meeting")
    assert (row["show_as"], row["response"], row["is_online"], row["location"]) == ("busy", "accepted", True,
                                                                                    "Room 2.14")


def test_all_day_event_keeps_its_dates_at_midnight_utc():
    row = edge_cases().loc["AAMkAGI2-annual-leave"]
    assert row["is_all_day"] and row["show_as"] == "oof" and row["sensitivity"] == "private"
    assert (row["start"], row["end"]) == (pd.Timestamp("2026-10-20T00:00Z"), pd.Timestamp("2026-10-21T00:00Z"))
    assert row["attendee_count"] == 0 and row["response"] == "organizer"


def test_nulls_and_unknown_enum_values_take_defaults():
    row = edge_cases().loc["AAMkAGI2-nulls"]
    assert (row["subject"], row["series_id"], row["ical_uid"], row["organizer"], row["location"]) == ("",) * 5
    assert (row["show_as"], row["response"], row["sensitivity"]) == ("unknown", "none", "unknown")
    assert not row["is_all_day"] and not row["is_cancelled"] and not row["is_online"]
    assert row["outlook_categories"] == () and row["attendees"] == ()


def test_case_is_normalised_and_a_zone_the_server_kept_is_converted():
    row = edge_cases().loc["AAMkAGI2-declined-teams"]
    assert (row["show_as"], row["response"], row["sensitivity"]) == ("free", "declined", "normal")
    assert row["is_cancelled"]
    assert row["start"] == pd.Timestamp("2026-10-21T08:00Z")  # 09:00 BST
    assert row["attendee_count"] == 1  # the external organizer; the nameless attendee has no address


def test_series_masters_and_events_without_times_are_skipped():
    assert sorted(edge_cases().index) == ["AAMkAGI2-annual-leave", "AAMkAGI2-declined-teams", "AAMkAGI2-nulls",
                                          "AAMkAGI2-team-meeting"]


def test_agenda_from_body_preview_ignores_online_meeting_boilerplate():
    frame = edge_cases(read_agenda=True)
    assert frame.loc["AAMkAGI2-team-meeting", "has_agenda"]
    assert not frame.loc["AAMkAGI2-declined-teams", "has_agenda"]
    assert not frame.loc["AAMkAGI2-nulls", "has_agenda"]


def test_custom_time_zone_matching_uk_rules_becomes_europe_london():
    wh, _ = working_hours_from(load("mailboxsettings_custom.json"), 2026)
    assert wh is not None and wh.tz == "Europe/London" and (wh.start, wh.end) == (time(9), time(17))


def test_custom_time_zone_with_no_match_falls_back_to_the_team_zone():
    body = {"workingHours": {"daysOfWeek": ["monday"], "startTime": "09:00:00", "endTime": "17:00:00",
                             "timeZone": {"@odata.type": "#microsoft.graph.customTimeZone", "bias": -200,
                                          "name": "Customized Time Zone"}}}
    wh, _ = working_hours_from(body, 2026)
    assert wh is not None and wh.tz is None


def test_missing_working_hours_give_none():
    assert working_hours_from({"timeZone": "GMT Standard Time"}, 2026) == (None, "Europe/London")
    assert working_hours_from(None, 2026) == (None, None)


def test_batch_checks_each_sub_response_and_retries_throttled_ones():
    calls: list[list[str]] = []

    def reply(request: httpx.Request) -> httpx.Response:
        ids = [r["id"] for r in __import__("json").loads(request.content)["requests"]]
        calls.append(ids)
        out = []
        for i in ids:
            if i == "2" and len(calls) == 1:
                out.append({"id": i, "status": 429, "headers": {"Retry-After": "1.5"}, "body": {}})
            elif i == "3":
                out.append({"id": i, "status": 403, "body": {"error": {"code": "ErrorAccessDenied", "message": ""}}})
            else:
                out.append({"id": i, "status": 202, "body": None})
        return httpx.Response(200, json={"responses": list(reversed(out))})  # any order, as documented

    waits: list[float] = []

    async def sleep(s: float) -> None:
        waits.append(s)

    class Tokens:
        async def get_authorization_token(self, uri, ctx=None):
            return "t"

        def get_allowed_hosts_validator(self):
            from kiota_abstractions.authentication import AllowedHostsValidator
            return AllowedHostsValidator(["graph.microsoft.com"])

    requests = [{"id": str(i), "method": "POST", "url": f"/users/a/events/{i}/decline", "body": {}}
                for i in range(1, 24)]

    async def go():
        async with GraphClient(Settings(), transport=httpx.MockTransport(reply), tokens=Tokens(), sleep=sleep) as c:
            return await c.batch(requests)

    with respx.mock(assert_all_called=False):
        results = asyncio.run(go())
    assert [len(c) for c in calls] == [20, 3, 1]  # at most 20 a batch; then the throttled one again
    assert calls[2] == ["2"] and waits == [1.5]
    assert [r["id"] for r in results] == [str(i) for i in range(1, 24)]
    assert results[2]["status"] == 403 and results[1]["status"] == 202

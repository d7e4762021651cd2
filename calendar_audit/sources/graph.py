"""Read a team's calendars live from Microsoft Graph: resolve the team, read each mailbox concurrently.

Mailboxes are read a bounded number at a time (as many as the client's throttle allows requests in flight), so
each finishes early rather than all at the end. A mailbox that cannot be read (403 ``ErrorAccessDenied``,
``MailboxNotEnabledForRESTAPI``, 404, retries exhausted) becomes a :class:`MailboxFailure`; everyone else's rows
are complete. Sign-in failures and an unreachable Graph are fatal (:class:`SourceError`): no other mailbox would
fare better.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import quote

import httpx
import pandas as pd
from kiota_abstractions.authentication import AccessTokenProvider

from .. import frame
from ..errors import ConfigError, SourceError
from ..frame import MailboxFailure, SourceData, WorkingHours
from ..settings import Settings, TeamSettings
from ..window import Window
from .graph_adapter import GraphEvent, GraphPage, decode_page, events_to_columns, select_fields, working_hours_from
from .graph_client import GraphClient, GraphRequestError, Sleep, paused_gc

GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)
UTC_PREFER = 'outlook.timezone="UTC"'


class Progress(Protocol):
    """What a progress display is told: how many mailboxes, then each one finished."""

    def start(self, total: int) -> None: ...

    def advance(self, person: str, events: int, retries: int) -> None: ...


@dataclass
class MailboxData:
    """One mailbox's rows and working hours, as read."""

    person: str
    columns: dict[str, list[Any]]
    working_hours: WorkingHours | None = None
    timezone: str | None = None
    notes: list[str] = field(default_factory=list)


def graph_time(ts: pd.Timestamp) -> str:
    """A window bound as Graph wants it: ISO 8601 in UTC with a Z."""
    return ts.tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


def user_path(person: str, me: bool = False) -> str:
    """The Graph path of a mailbox."""
    return "me" if me else f"users/{quote(person, safe='@')}"


def prefer(*values: str) -> dict[str, str]:
    return {"Prefer": ", ".join(values)}


def failure_reason(error: GraphRequestError) -> str:
    """A reason a person can act on, for stderr and the report."""
    hints = {
        "ErrorAccessDenied": "access denied (is the mailbox in the app's application access policy?)",
        "MailboxNotEnabledForRESTAPI": "mailbox not enabled for the REST API (on-premises or inactive mailbox)",
        "ResourceNotFound": "mailbox not found",
        "ErrorItemNotFound": "mailbox not found",
    }
    hint = hints.get(error.code) or ("mailbox not found" if error.status == 404 else "")
    if error.status in (429, 503, 504):
        hint = "still throttled after all retries"
    return f"{error.reason}: {hint}" if hint else error.reason


def check_fatal(error: GraphRequestError) -> None:
    """Re-raise errors that no other mailbox would escape: a rejected token, an unreachable Graph."""
    if error.status == 401:
        raise SourceError(f"Graph refused the access token, also after acquiring a new one ({error.reason}); "
                          "check the app's credentials") from None
    if error.unreachable:
        raise SourceError(f"{error.reason}; check the network (or HTTPS_PROXY) and try again") from None


# --- team resolution ----------------------------------------------------------------------------------------
async def group_id(client: GraphClient, group: str) -> str:
    """The Entra ID object id of a group named by id or mail address."""
    if GUID.match(group):
        return group
    address = group.replace("'", "''")
    reply = await client.get_json(f"groups?$filter=mail eq '{address}'&$select=id,mail")
    found = (reply or {}).get("value") or []
    if not found:
        raise ConfigError(f"teams.group: no Entra ID group has the mail address {group!r}")
    return str(found[0]["id"])


async def group_members(client: GraphClient, group: str) -> list[str]:
    """Transitive user members of a group (mail, else user principal name), lower-cased, paged to the end."""
    gid = await group_id(client, group)
    # The cast needs ConsistencyLevel: eventual and $count; headers are not carried into nextLink by Graph,
    # so every page is sent with them again.
    url = f"groups/{gid}/transitiveMembers/microsoft.graph.user?$select=id,mail,userPrincipalName&$count=true&$top=999"
    people: list[str] = []
    async for page in client.pages(url, {"ConsistencyLevel": "eventual"}):
        for member in page.get("value") or ():
            kind = str(member.get("@odata.type") or "#microsoft.graph.user")
            if kind != "#microsoft.graph.user":
                continue
            address = str(member.get("mail") or member.get("userPrincipalName") or "").strip().lower()
            if address and address not in people:
                people.append(address)
    return people


async def team_people(client: GraphClient, settings: Settings, team: TeamSettings | None, me: bool) -> list[str]:
    """The mailboxes to read: the signed-in user for --me, else the team's group members and listed members."""
    if me:
        user = await client.get_json("me?$select=mail,userPrincipalName")
        return [str(user.get("mail") or user.get("userPrincipalName") or "me").lower()]
    team = team or settings.team(None)
    people = [m.strip().lower() for m in team.members if m.strip()]
    if team.group:
        try:
            members = await group_members(client, team.group)
        except GraphRequestError as exc:
            check_fatal(exc)
            raise SourceError(f"team {team.name!r}: cannot read group {team.group!r} ({exc.reason})") from None
        people += [p for p in members if p not in people]
    if not people:
        raise ConfigError(f"teams: team {team.name!r} has no members (set group or members)")
    return people


async def event_pages(
    client: GraphClient, url: str, headers: Mapping[str, str] | None = None
) -> AsyncIterator[GraphPage]:
    """Every page of an events collection as typed events, following ``@odata.nextLink`` to the end."""
    next_url: str | None = url
    while next_url:
        content = await client.get_bytes(next_url, headers)
        await asyncio.sleep(0)  # let a request waiting for the slot just freed go out before this page's CPU work
        with paused_gc():
            page = decode_page(content)
        client.stats.pages += 1
        yield page
        next_url = page.next_link


# --- one mailbox ---------------------------------------------------------------------------------------------
async def mailbox_settings(client: GraphClient, person: str, window: Window, me: bool) -> MailboxData:
    """Working hours and time zone of one mailbox; a refusal leaves the defaults and a note."""
    data = MailboxData(person, {})
    try:
        body = await client.get_json(f"{user_path(person, me)}/mailboxSettings?$select=timeZone,workingHours")
    except GraphRequestError as exc:
        check_fatal(exc)
        data.notes.append(f"{person}: working hours not read ({exc.reason}); using settings")
        return data
    data.working_hours, data.timezone = working_hours_from(body, window.first.year)
    return data


async def read_mailbox(client: GraphClient, settings: Settings, person: str, window: Window, me: bool) -> MailboxData:
    """Every occurrence in the window (calendarView, paged to the end) plus the mailbox's working hours."""
    read_agenda = settings.graph.read_agenda
    url = (
        f"{user_path(person, me)}/calendarView?startDateTime={graph_time(window.start)}"
        f"&endDateTime={graph_time(window.end)}&$select={select_fields(read_agenda)}&$top={settings.graph.page_size}"
    )
    headers = prefer(UTC_PREFER, 'outlook.body-content-type="text"') if read_agenda else prefer(UTC_PREFER)
    events: list[GraphEvent] = []
    hours_task = asyncio.create_task(mailbox_settings(client, person, window, me))
    try:
        async for page in event_pages(client, url, headers):
            events.extend(page.value or ())
    except BaseException:
        hours_task.cancel()
        raise
    data = await hours_task
    skipped: list[str] = []
    data.columns = events_to_columns(person, events, read_agenda=read_agenda, skipped=skipped)
    if skipped:
        shown = ", ".join(skipped[:5]) + (f" and {len(skipped) - 5} more" if len(skipped) > 5 else "")
        data.notes.append(f"{person}: skipped {len(skipped)} event(s) with no id or unreadable times: {shown}")
    client.stats.events += len(data.columns["person"])
    return data


def merge_hours(settings: Settings, found: Mapping[str, WorkingHours | None]) -> dict[str, WorkingHours]:
    """Working hours per person: settings' per-person entries win over mailbox settings."""
    out = {p: wh for p, wh in found.items() if wh is not None}
    for person, wh in settings.person_hours().items():
        if person in found:
            out[person] = wh
    return out


async def read_each(
    client: GraphClient,
    people: list[str],
    read: Callable[[str], Any],
    progress: Progress | None,
    finish: Callable[[str, Any], Any] | None = None,
) -> tuple[dict[str, Any], list[MailboxFailure]]:
    """Run ``read(person)`` for every mailbox, a bounded number at a time (``client.throttle``); mailbox failures
    are collected, not raised. A fatal error (sign-in, store, network) cancels the mailboxes in progress and is
    raised as itself; mailboxes already finished stay finished.

    ``finish(person, read_result)`` (e.g. saving it) runs after the mailbox has given its place to the next one,
    so slow saving does not leave request slots idle; at most ``graph.max_concurrency`` wait to be finished.
    """
    if progress:
        progress.start(len(people))
    results: dict[str, Any] = {}
    failures: list[MailboxFailure] = []
    throttle = client.throttle
    finishing = asyncio.Semaphore(throttle.ceiling)

    async def one(person: str) -> None:
        try:
            results[person] = await read(person)
        except GraphRequestError as exc:
            check_fatal(exc)
            failures.append(MailboxFailure(person, failure_reason(exc)))
        finally:
            await throttle.mailbox_done()
        if finish is not None and person in results:
            async with finishing:
                results[person] = await finish(person, results[person])
        if progress:
            got = results.get(person)
            progress.advance(person, _count(got), client.stats.retries)

    try:
        async with asyncio.TaskGroup() as group:
            for person in people:
                await throttle.mailbox_room()
                group.create_task(one(person))
    except BaseExceptionGroup as errors:  # the first real error, as itself (the CLI maps it to one line)
        raise next((e for e in errors.exceptions if not isinstance(e, asyncio.CancelledError)),
                   errors.exceptions[0]) from None
    failures.sort(key=lambda f: people.index(f.person))
    return results, failures


def _count(result: Any) -> int:
    if isinstance(result, MailboxData):
        return len(result.columns.get("person", ()))
    return int(getattr(result, "events", 0) or 0)


async def read_graph_async(
    settings: Settings,
    team: TeamSettings | None,
    window: Window,
    *,
    me: bool = False,
    transport: httpx.AsyncBaseTransport | None = None,
    progress: Progress | None = None,
    tokens: AccessTokenProvider | None = None,
    sleep: Sleep = asyncio.sleep,
) -> SourceData:
    """Read the team's calendars live: the events frame, working hours, and the mailboxes that failed."""
    async with GraphClient(settings, me=me, transport=transport, tokens=tokens, sleep=sleep) as client:
        people = await team_people(client, settings, team, me)
        results, failures = await read_each(
            client, people, lambda p: read_mailbox(client, settings, p, window, me), progress
        )
    columns: dict[str, list[Any]] = {name: [] for name in frame.COLUMNS}
    notes: list[str] = []
    for person in people:
        data = results.get(person)
        if data is None:
            continue
        for name in columns:
            columns[name].extend(data.columns[name])
        notes.extend(data.notes)
    events = frame.from_columns(columns) if columns["person"] else frame.empty_frame()
    hours = merge_hours(settings, {p: results[p].working_hours for p in results})
    return SourceData(events, people=people, working_hours=hours, failures=failures, notes=notes, window=window)


def read_graph(
    settings: Settings,
    team: TeamSettings | None,
    window: Window,
    *,
    me: bool = False,
    transport: httpx.AsyncBaseTransport | None = None,
    progress: Progress | None = None,
) -> SourceData:
    """Synchronous wrapper of :func:`read_graph_async` for the CLI and scripts."""
    return asyncio.run(read_graph_async(settings, team, window, me=me, transport=transport, progress=progress))

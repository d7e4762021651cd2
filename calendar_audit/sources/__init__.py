"""Calendar sources (all I/O in): each turns its input into the events frame, wrapped in SourceData."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from ..errors import InputError, NoMailboxReadable
from ..frame import SourceData
from ..settings import Settings
from ..window import Window

DEFAULT_WEEKS = 8


@dataclass
class SourceRequest:
    """Which calendars to read, as the command line or a caller says."""

    ics: list[Path] = field(default_factory=list)
    source: str | None = None  # graph | store; None with no --ics: the demo team
    team: str | None = None
    me: bool = False
    first: date | None = None
    last: date | None = None
    demo_people: int = 12
    demo_weeks: int = 8
    demo_seed: int = 7

    def kind(self, settings: Settings) -> str:
        """ics with --ics; else --source; else graph when the settings name a team; else the demo team."""
        if self.ics and self.source:
            raise InputError("--ics and --source: choose one source")
        if self.ics:
            return "ics"
        if self.source:
            return self.source
        return "graph" if (settings.teams or self.me) else "demo"


@dataclass
class Loaded:
    data: SourceData
    window: Window
    label: str


def resolve_window(first: date | None, last: date | None, natural: Window | None, tz: str, today: date) -> Window:
    """The user's dates; a missing end is filled from the other (8 weeks), else the source's own window,
    else the last 8 complete weeks before today."""
    span = timedelta(days=7 * DEFAULT_WEEKS - 1)
    if first and last:
        return Window(first, last, tz)
    if first:
        return Window(first, first + span, tz)
    if last:
        return Window(last - span, last, tz)
    if natural is not None:
        return Window(natural.first, natural.last, tz)
    this_monday = today - timedelta(days=today.weekday())
    return Window(this_monday - timedelta(days=7 * DEFAULT_WEEKS), this_monday - timedelta(days=1), tz)


def load_source(request: SourceRequest, settings: Settings, today: date) -> Loaded:
    """Read the calendars the request names, over the window it gives (or the source's natural one)."""
    tz = settings.timezone
    kind = request.kind(settings)
    if kind == "demo":
        from .demo import generate

        data = generate(people=request.demo_people, weeks=request.demo_weeks, seed=request.demo_seed, tz=tz)
        window = resolve_window(request.first, request.last, data.window, tz, today)
        return Loaded(data, window, f"demo team ({len(data.people)} people)")
    if kind == "ics":
        from .ics import expand_folders, read_ics

        files = expand_folders(request.ics)  # a folder stands for its .ics files; a missing file is named by read_ics
        given = resolve_window(request.first, request.last, None, tz, today) if request.first or request.last else None
        data = read_ics(files, given, tz, today)
        window = given or data.window or resolve_window(None, None, None, tz, today)
        n = len(files)
        return Loaded(data, window, f"{n} .ics file{'s' if n != 1 else ''}")
    window = resolve_window(request.first, request.last, None, tz, today)
    team = None if request.me else settings.team(request.team)
    if kind == "graph":
        from .graph import read_graph

        data = read_graph(settings, team, window, me=request.me)
        label = "Microsoft 365 (your calendar)" if request.me else f"Microsoft 365 (team {team.name})"
        return Loaded(require_readable(data, settings, label), window, label)
    if kind == "store":
        from .store import read_store

        data = read_store(settings, team, window)  # a window never synced for anyone: InputError (exit 2)
        label = f"synced store (team {team.name})"
        return Loaded(require_readable(data, settings, label), window, label)
    raise InputError(f"--source {kind!r}: unknown source (use graph or store)")


def require_readable(data: SourceData, settings: Settings, label: str) -> SourceData:
    """The data, unless every mailbox failed: then NoMailboxReadable (exit 3) naming each one and why.

    Names are shown as the report would show them (pseudonymised when privacy.pseudonymise is on).
    """
    failed = {f.person for f in data.failures}
    if not data.people or any(p not in failed for p in data.people):
        return data
    from ..privacy import apply_privacy

    shown = apply_privacy(data, settings).failures
    lines = [f"no mailbox could be read from {label} ({len(shown)} failed), so there is nothing to report"]
    lines += [f"calendar-audit: mailbox failed: {f.person}: {f.reason}" for f in shown]
    raise NoMailboxReadable("\n".join(lines))

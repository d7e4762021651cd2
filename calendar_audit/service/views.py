"""Views: each turns a request's viewer (and form) into template context, through the library the commands use."""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from ..enforce import journal
from ..enforce.engine import WRITES
from ..errors import SlotError
from ..privacy import group_withheld, names_of
from ..settings import TeamSettings
from ..slots import FieldProblem, Slot, validate_slots
from ..slots.policy import DAY_NAMES, ENFORCE_LEVELS, STATUTORY
from ..slots.sections import compliance_section, slot_result
from ..sources.store import transaction
from ..suggest import LABELS
from ..writers.html import column_label, frame_view, report_context, section_view
from . import records
from .roles import Viewer
from .state import ServiceState

ANSWERS = {"decline": "decline", "tentative": "tentativelyAccept", "keep": "keep"}
ANSWER_WORDS = {"decline": "Declined", "tentativelyAccept": "Answered tentative", "keep": "Kept"}
ENFORCED_WORDS = {"decline": "Declined", "tentative": "Answered tentative"}
WEEK_COLUMNS = ("week_start", "working_hours", "direct_work_hours", "meeting_hours", "statutory_meeting_hours",
                "training_hours", "travel_hours", "admin_hours", "other_hours", "after_hours_hours",
                "direct_work_pct", "meeting_pct")


def team_named(state: ServiceState, name: str) -> TeamSettings | None:
    return next((t for t in state.settings.teams if t.name == name), None)


def policy_of(state: ServiceState, conn: sqlite3.Connection, team: TeamSettings) -> tuple[list[Slot], int]:
    """The team's policy in force (the newest saved version, else the settings' seed) and its version (0: none)."""
    with transaction(conn):  # two first visitors must not both seed version 1
        version = records.current(conn, state.settings, team, state.demo, state.now())
    if version is None:
        return [], 0
    assert state.rules is not None
    return version.slots(state.rules.categories), version.version


# --- / ------------------------------------------------------------------------------------------------------------
def home(state: ServiceState, conn: sqlite3.Connection, viewer: Viewer) -> dict[str, Any]:
    """Your own weeks by purpose, your protected slots kept, and the meetings you could decline.

    Your figures are your rows of the team's audit (a person's partition does not depend on anyone else's, so they
    equal an audit of you alone), which is built once per sync for everyone rather than once per visitor.
    """
    if not viewer.member_of:
        return {"team": None}
    team = team_named(state, viewer.member_of[0])
    assert team is not None
    window = state.past_window()
    slots, version = policy_of(state, conn, team)
    result, measured = state.team_slots(team, window, slots, version)
    shown_as = names_of(state.settings)(viewer.person).lower()  # the team's result may hold pseudonyms
    tz = window.tz
    pw = result.person_week[result.person_week["person"].str.lower() == shown_as]
    totals = {c: float(pw[c].sum()) for c in WEEK_COLUMNS if c.endswith("_hours") and c in pw}
    working = totals.get("working_hours", 0.0)
    totals["direct_work_pct"] = 100 * totals["direct_work_hours"] / working if working else float("nan")
    totals["meeting_pct"] = 100 * totals["meeting_hours"] / working if working else float("nan")
    weeks = frame_view("Your hours by purpose, week by week", pw, tz,
                       columns=[c for c in WEEK_COLUMNS if c in pw.columns])
    kept = None
    if measured is not None:
        c = measured.compliance
        mine = c[c["person"].str.lower() == shown_as]
        per_week = mine.groupby("week_start", sort=True)[["slot_hours", "slot_kept_hours"]].sum().reset_index()
        per_week["kept_pct"] = 100 * per_week["slot_kept_hours"] / per_week["slot_hours"].where(
            per_week["slot_hours"] > 0)
        total, kept_hours = float(per_week["slot_hours"].sum()), float(per_week["slot_kept_hours"].sum())
        kept = {"hours": total, "kept": kept_hours, "pct": 100 * kept_hours / total if total else float("nan"),
                "table": frame_view("Protected time kept, week by week", per_week, tz),
                "slots": [s.describe() for s in slots]}
    from .enforcement import home_section

    enforcement = home_section(state, conn, viewer.person, slots)  # first: the demo's run is made here
    return {"team": team, "window": window, "totals": totals, "weeks": weeks, "kept": kept,
            "suggestions": suggestions(state, conn, team, viewer.person, slots, version), "enforcement": enforcement}


def enforcement_entries(state: ServiceState, conn: sqlite3.Connection, viewer: Viewer) -> list[Any]:
    """What enforcement did for the viewer (their own entries only), as ``/`` lists them."""
    from .enforcement import home_section

    team = team_named(state, viewer.member_of[0])
    assert team is not None
    slots, _ = policy_of(state, conn, team)
    return list(home_section(state, conn, viewer.person, slots)["items"])


@dataclass
class Suggestion:
    event_id: str
    when: str
    purpose: str
    reasons: list[str]
    reply: str
    hours: float
    answer: str = ""  # what was done already (words), empty when open
    failed: str = ""


def suggestions(state: ServiceState, conn: sqlite3.Connection, team: TeamSettings, person: str,
                slots: list[Slot], version: int) -> dict[str, Any]:
    window = state.upcoming_window()
    found = state.suggestions(team, person, window, slots, version)
    if found is None:
        return {"window": window, "items": [], "missing": True}
    done = records.answered(conn, person)
    by_enforcement = {e.event_id: e.action for e in journal.entries(conn, person)
                      if e.action in WRITES and e.outcome in journal.SENT and not e.undone}
    items = []
    for row in found.itertuples(index=False):
        s, e = row.start.tz_convert(window.tz), row.end.tz_convert(window.tz)
        purpose = f"{column_label(str(row.category) + '_hours').removesuffix(' h')}"
        if not str(row.rule).startswith("default:"):
            purpose += f" ({row.rule})"
        action, outcome = done.get(str(row.event_id), ("", ""))
        item = Suggestion(str(row.event_id), f"{s:%a} {s.day} {s:%b %H:%M}-{e:%H:%M}", purpose,
                          [LABELS[c] for c in str(row.reasons).split(";") if c], str(row.reply), float(row.hours))
        if str(row.event_id) in by_enforcement:  # answered for you under the policy (listed further down)
            item.answer = f"{ENFORCED_WORDS[by_enforcement[str(row.event_id)]]} for you by enforcement"
        elif action and not outcome.startswith("failed"):
            item.answer = ANSWER_WORDS.get(action, action)
        elif outcome.startswith("failed"):
            item.failed = outcome
        items.append(item)
    return {"window": window, "items": items, "missing": False}


# --- /teams/{name} ----------------------------------------------------------------------------------------------
def team_page(state: ServiceState, conn: sqlite3.Connection, team: TeamSettings, window: Any = None,
              render: Any = None) -> dict[str, Any]:
    """The report's sections for the team, from the store, with the policy in force.

    ``render(context)`` turns the report's context into the sections' HTML; it is kept with the result (it holds
    no one's session), so a page opened again before the next sync is not laid out again.
    """
    window = window or state.past_window()
    slots, version = policy_of(state, conn, team)

    def build() -> dict[str, Any]:
        context = report_context(state.team_result(team, window, slots, version))
        return {"window": window, "label": context["r"].source_label, "summary": context["summary"],
                "toc": [(s["id"], s["title"]) for s in context["sections"]],
                "body": render(context) if render else ""}

    return {**state.cached(("team-page", team.name, window, version), build), "team": team,
            "policy_version": version}


def team_csv(state: ServiceState, conn: sqlite3.Connection, team: TeamSettings, window: Any = None) -> bytes:
    """The team page's person_week.csv, byte for byte as ``report`` writes it."""
    from ..writers.tables import person_week_table, table_csv_bytes

    window = window or state.past_window()
    slots, version = policy_of(state, conn, team)
    result = state.team_result(team, window, slots, version)
    return table_csv_bytes(person_week_table(result.person_week))


# --- /teams/{name}/policy -------------------------------------------------------------------------------------
FIELDS = ("name", "days", "start", "end", "allow", "since", "until", "people", "enforce")


@dataclass
class SlotForm:
    """One slot's fields as the form shows them, with the problems placed on them."""

    index: int
    name: str = ""
    days: list[str] = field(default_factory=list)
    start: str = ""
    end: str = ""
    allow: list[str] = field(default_factory=list)
    since: str = ""
    until: str = ""
    people: str = ""
    enforce: str = ""  # "" (a version saved before the field existed): the default level
    errors: dict[str, list[str]] = field(default_factory=dict)

    def raw(self) -> dict[str, Any]:
        """The [[slot]] table these fields make (empty fields left out, so a missing one is named)."""
        table: dict[str, Any] = {}
        for key in ("name", "start", "end", "since", "until"):
            value = getattr(self, key).strip()
            if value:
                table[key] = value
        table["days"] = list(self.days)
        table["allow"] = list(self.allow)
        people = [p for p in re.split(r"[\s,;]+", self.people) if p]
        if people:
            table["people"] = people
        if self.enforce.strip():
            table["enforce"] = self.enforce.strip()
        return table

    @property
    def blank(self) -> bool:
        return not (self.name.strip() or self.days or self.start.strip() or self.end.strip() or self.allow
                    or self.since.strip() or self.until.strip() or self.people.strip())


def forms_of_raw(raw: list[dict[str, Any]]) -> list[SlotForm]:
    out = []
    for i, table in enumerate(raw, start=1):
        out.append(SlotForm(i, str(table.get("name", "")), [str(d)[:3].lower() for d in table.get("days", [])],
                            str(table.get("start", "")), str(table.get("end", "")),
                            [str(a) for a in table.get("allow", [])], str(table.get("since", "") or ""),
                            str(table.get("until", "") or ""), "\n".join(table.get("people", []) or []),
                            str(table.get("enforce", "") or "")))
    return out


def forms_of_post(form: Any) -> list[SlotForm]:
    """The slots posted by the policy form (``slot-N-field``); blank and removed rows are dropped."""
    numbers = sorted({int(m.group(1)) for k in form for m in [re.fullmatch(r"slot-(\d{1,3})-\w+", k)] if m})
    out = []
    for n in numbers:
        get = lambda f, n=n: str(form.get(f"slot-{n}-{f}", "") or "")[:500]  # noqa: E731
        if get("remove"):
            continue
        slot = SlotForm(0, get("name"), [d for d in form.getlist(f"slot-{n}-days") if d in DAY_NAMES],
                        get("start"), get("end"), [str(a)[:40] for a in form.getlist(f"slot-{n}-allow")],
                        get("since"), get("until"), get("people"), get("enforce"))
        if not slot.blank:
            slot.index = len(out) + 1
            out.append(slot)
    return out


def validate_forms(state: ServiceState, team: TeamSettings, forms: list[SlotForm]) -> tuple[list[Slot], list[str]]:
    """Validate as a slot file is validated; problems are placed on their fields. Returns (slots, general)."""
    assert state.rules is not None
    placed: list[FieldProblem] = []
    general: list[str] = []
    try:
        slots = validate_slots([f.raw() for f in forms], f"team {team.name!r} policy", state.rules.categories,
                               fields=placed)
    except SlotError:
        slots = []
    by_index = {f.index: f for f in forms}
    for p in placed:
        target = by_index.get(p.slot)
        name = p.field.split("[", 1)[0]
        if target is None or name not in FIELDS:
            general.append(p.message)
            continue
        target.errors.setdefault(name, []).append(p.message)
    if not forms:
        general.append("The policy has no slots: add one, or keep the current version.")
    return slots, general


def preview(state: ServiceState, team: TeamSettings, slots: list[Slot]) -> dict[str, Any] | None:
    """Last four complete weeks' compliance had the draft been in force (its since date set aside)."""
    if not slots:
        return None
    window = state.last_weeks(4)
    result = state.team_result(team, window, [], -1)  # the audit only: the draft is measured here
    measured = slot_result(result, slots, ignore_since=True)
    withheld = group_withheld(list(dict.fromkeys(result.person_week["person"])), state.settings.privacy.min_group_size)
    section = compliance_section(measured, slots, withheld)
    c = measured.compliance
    total, kept = float(c["slot_hours"].sum()), float(c["slot_kept_hours"].sum())
    return {"window": window, "section": section_view(section, window.tz, 0), "withheld": withheld,
            "hours": total, "kept": kept, "pct": 100 * kept / total if total else float("nan"),
            "violations": len(measured.violations)}


def policy_page(state: ServiceState, conn: sqlite3.Connection, team: TeamSettings,
                forms: list[SlotForm] | None = None, general: list[str] | None = None,
                draft: list[Slot] | None = None, saved: int = 0) -> dict[str, Any]:
    assert state.rules is not None
    with transaction(conn):
        current = records.current(conn, state.settings, team, state.demo, state.now())
    if forms is None:
        forms = forms_of_raw(current.raw) if current else []
    blank = SlotForm(len(forms) + 1)
    return {
        "team": team, "forms": [*forms, blank], "general": general or [], "days": DAY_NAMES,
        "allow": [*state.rules.categories, STATUTORY], "current": current,
        "versions": records.versions(conn, team.name), "preview": preview(state, team, draft) if draft else None,
        "saved": saved, "tz": state.settings.timezone, "levels": ENFORCE_LEVELS,
    }


# --- /status ----------------------------------------------------------------------------------------------------------
def status_page(state: ServiceState, conn: sqlite3.Connection, scheduler: Any) -> dict[str, Any]:
    """Sync runs and mailboxes from the store; the last enforcement and digest runs (newest first) from the
    scheduler (the demo: its one enforcement run)."""
    steps = list(getattr(scheduler, "steps", []))
    if state.demo:
        from .enforcement import ensure_demo_enforced

        steps = [ensure_demo_enforced(state)]
    return {"runs": records.runs(conn), "mailboxes": records.mailbox_status(conn),
            "next_run": getattr(scheduler, "next_run", None), "running": getattr(scheduler, "running", False),
            "interval": state.settings.sync.interval_minutes, "steps": steps[::-1],
            "digest_enabled": state.settings.digest.enabled}



"""Digest messages: figures -> Outlook-safe HTML (tables, inline styles, no scripts or images) and .eml files."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from ..writers.summary import fixed
from .figures import ManagerDigest, Measure, PersonDigest

TEMPLATES = Path(__file__).resolve().parent / "templates"
FOOTER = ("Sent each week by calendar-audit from your calendar. Meeting titles are never included. "
          "You can change what calendar-audit does for you on its page.")
MANAGER_FOOTER = ("Sent each week by calendar-audit from your team's calendars. Meeting titles and practitioners' "
                  "names are never included.")


@dataclass(frozen=True)
class Message:
    """One digest mail: to whom, in which role, the subject line and the HTML body."""

    to: str
    role: str  # practitioner | manager
    subject: str
    html: str


def _env() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["j2", "html"]),
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def week_text(week: date) -> str:
    end = week + timedelta(days=6)
    return f"{week.day} {week:%B} to {end.day} {end:%B %Y}"


def value_text(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    return f"{fixed(value, 0)}%" if unit == "%" else f"{fixed(value, 1)} h"


def measure_rows(measures: list[Measure]) -> list[list[str]]:
    return [[m.label, value_text(m.week, m.unit), value_text(m.usual, m.unit)] for m in measures]


def _page(**context: Any) -> str:
    return _env().get_template("digest.html.j2").render(**{"footer": FOOTER, **context})


def link_to(base_url: str) -> str:
    return base_url.rstrip("/") + "/" if base_url else ""


def person_message(digest: PersonDigest, base_url: str, tz: str) -> Message:
    """A practitioner's digest: their week against their previous four, enforcement, next week's suggestions."""
    done = digest.enforcement
    acted = (f"Declined {done['declined']} and answered {done['tentative']} tentatively for you; "
             f"{done['noted']} more noted for you to decide; {done['undone']} undone by you.")
    if not any(done.values()):
        acted = "Enforcement answered nothing and noted nothing for you this week."
    suggestions = [[f"{s.start.tz_convert(tz):%a %d %b %H:%M}-{s.end.tz_convert(tz):%H:%M}", f"{fixed(s.hours, 1)} h",
                    s.reason] for s in digest.suggestions]
    sections = [
        {"title": "Your week", "text": "", "headers": ["", "This week", "Your usual (previous 4 weeks)"],
         "rows": measure_rows(digest.measures)},
        {"title": "What enforcement did", "text": acted, "headers": [], "rows": []},
        {"title": "Next week: meetings you could decline", "text": "" if suggestions else
         "Nothing stands out next week.", "headers": ["When", "Length", "Why"], "rows": suggestions},
    ]
    html = _page(title="Your week", heading=f"Your week, {week_text(digest.week)}",
                 intro="Where your working time went, against your own previous four weeks.", sections=sections,
                 link=link_to(base_url), link_text="Open your page to answer or change your settings")
    return Message(digest.person, "practitioner", f"Your week in calendar-audit: {week_text(digest.week)}", html)


def manager_message(digest: ManagerDigest, base_url: str) -> Message:
    """A manager's digest: the team summary (or why it is withheld), slot kept per week, who overran slots."""
    if digest.withheld:
        summary = {"title": f"Team {digest.team}", "text": digest.withheld, "headers": [], "rows": []}
        kept = {"title": "Protected time kept, week by week", "text": "Withheld with the team figures.",
                "headers": [], "rows": []}
    else:
        summary = {"title": f"Team {digest.team} ({digest.people} people)", "text": "",
                   "headers": ["", "This week", "Previous 4 weeks"], "rows": measure_rows(digest.measures)}
        kept = {"title": "Protected time kept, week by week", "text": "", "headers": ["Week starting", "Kept"],
                "rows": [[f"{w.day} {w:%b}", value_text(v, "%")] for w, v in digest.kept_by_week]}
    organisers = {"title": "Who booked into protected time most", "text": "" if digest.organisers else
                  "Nobody booked others into protected time this week.", "headers": ["Organiser", "Meetings",
                                                                                     "Hours"],
                  "rows": [[who, str(n), f"{fixed(h, 1)} h"] for who, n, h in digest.organisers]}
    html = _page(title="Team week", heading=f"Team {digest.team}, {week_text(digest.week)}",
                 intro="The team's time and protected slots this week.", sections=[summary, kept, organisers],
                 link=link_to(base_url) + f"teams/{digest.team}" if base_url else "", link_text="Open the team page",
                 footer=MANAGER_FOOTER)
    return Message(digest.manager, "manager", f"Team {digest.team} in calendar-audit: {week_text(digest.week)}",
                   html)


def to_eml(message: Message, sender: str) -> bytes:
    """The message as an .eml file (what Outlook would show), HTML only."""
    mail = EmailMessage()
    mail["From"] = sender or "calendar-audit"
    mail["To"] = message.to
    mail["Subject"] = message.subject
    mail.set_content(message.html, subtype="html")
    return bytes(mail)


def send_mail_body(message: Message) -> dict[str, Any]:
    """Graph sendMail's body for the message (not kept in Sent Items: the digest is personal data)."""
    return {"message": {"subject": message.subject, "body": {"contentType": "HTML", "content": message.html},
                        "toRecipients": [{"emailAddress": {"address": message.to}}]},
            "saveToSentItems": False}

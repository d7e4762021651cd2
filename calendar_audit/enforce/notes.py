"""The notes enforcement sends with a decline or a tentative answer: courteous, naming the team's policy.

A note is built from templates (``enforce.templates`` in the settings, else the defaults here) and only these
values: the slot's name as the policy (``{policy}``), and a proposed time (``{time}``, in the team's zone).
Nothing from the invitation is ever put in: no subject, attendee, organiser or location, so a note cannot carry a
child's name.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from .engine import Decision

DEFAULT_TEMPLATES: dict[str, str] = {
    "decline": (
        "Thank you for the invitation. This time is protected for direct work with children and families under "
        "our team's {policy}, so I am not able to attend. {proposal}"
    ),
    "tentative": (
        "Thank you for the invitation. This time is protected for direct work with children and families under "
        "our team's {policy}, so I may not be able to attend. {proposal}"
    ),
    "proposed": "I have proposed another time that is free in my calendar; I hope it suits you.",
    "named_time": "Could we meet on {time} instead? I am free then.",
    "no_time": "I am happy to find another time, or to send my input in advance.",
}


def policy_name(slot: str) -> str:
    return f'protected-slot policy ("{slot}")'


def when_text(start: pd.Timestamp, end: pd.Timestamp, tz: str) -> str:
    """'Tuesday 27 October, 14:00-15:00' in the team's zone."""
    s, e = start.tz_convert(tz), end.tz_convert(tz)
    return f"{s:%A} {s.day} {s:%B}, {s:%H:%M}-{e:%H:%M}"


def note_for(decision: Decision, tz: str, templates: Mapping[str, str] | None = None) -> str:
    """The note for a decision (a notify decision gets the note a decline would carry: the person may send it)."""
    text = {**DEFAULT_TEMPLATES, **(templates or {})}
    if decision.proposed_start is None or decision.proposed_end is None:
        proposal = text["no_time"]
    elif decision.proposal_sent:
        proposal = text["proposed"]
    else:
        proposal = text["named_time"].format(time=when_text(decision.proposed_start, decision.proposed_end, tz))
    kind = "tentative" if decision.action == "tentative" else "decline"
    return " ".join(text[kind].format(policy=policy_name(decision.slot), proposal=proposal).split())

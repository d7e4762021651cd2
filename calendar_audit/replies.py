"""Reply drafts for declined meetings: one short, courteous template per main reason, offering an alternative.

A draft is the template text and nothing else: no subject, time, attendee or case detail is ever put into it,
so a reply cannot leak a child's name. Templates come from ``suggest.templates`` in the settings (keyed by
reason code), falling back to the defaults here; they are used verbatim (no placeholders).
"""

from __future__ import annotations

from collections.abc import Mapping

from .errors import ConfigError

DEFAULT_TEMPLATES: dict[str, str] = {
    "in_protected_slot": (
        "Thank you for the invitation. This time is protected for direct work with children and families, so I "
        "won't be able to attend. I'm happy to send my input in advance, or to read the notes afterwards."
    ),
    "double_booked": (
        "Thank you for the invitation. I already have a commitment at this time that I can't move, so I won't be "
        "able to attend. I can send my input in advance or ask a colleague to join in my place."
    ),
    "no_clear_purpose": (
        "Thank you for the invitation. I'm not sure what I could add to this one, so I'll step back for now. "
        "If there is something you need from me, let me know and I'll send my input in advance."
    ),
    "optional": (
        "Thanks for including me. As my attendance is optional, I'll give this one a miss to keep time for "
        "direct work. I'd be grateful for the notes afterwards."
    ),
    "teammate_attending": (
        "Thanks for the invitation. A colleague from our team is already attending and can represent us, so I'll "
        "step back and pick up any actions from them afterwards."
    ),
    "recurring_heavy": (
        "Thank you for the invitation. To protect time for direct work I'm cutting back on regular meetings, so "
        "I won't attend this one. I'm happy to send updates in advance and to read the notes."
    ),
    "large": (
        "Thanks for the invitation. With so many colleagues attending I'll step back from this one; I'm happy to "
        "send any input in advance and to read the notes."
    ),
    "after_hours": (
        "Thanks for the invitation. This falls outside my working hours, so I won't be able to attend. I'm happy "
        "to send my input in advance or to read the notes afterwards."
    ),
}


def check_templates(templates: Mapping[str, str]) -> None:
    """ConfigError naming a template for an unknown reason or an empty one."""
    for code, text in templates.items():
        if code not in DEFAULT_TEMPLATES:
            raise ConfigError(f"suggest.templates.{code}: unknown reason (use {', '.join(DEFAULT_TEMPLATES)})")
        if not str(text).strip():
            raise ConfigError(f"suggest.templates.{code}: empty reply template")


def draft_reply(main_reason: str, templates: Mapping[str, str] | None = None) -> str:
    """The reply for a suggestion whose highest-weight reason is ``main_reason``."""
    templates = templates or {}
    check_templates(templates)
    return " ".join(str(templates.get(main_reason) or DEFAULT_TEMPLATES[main_reason]).split())

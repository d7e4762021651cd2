"""The rule model: the categories the reports know, a validated rule and a rule set."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..frame import SHOW_AS

#: the categories the person-week table reports, in the default precedence order
CATEGORIES: tuple[str, ...] = ("direct_work", "meeting", "training", "travel", "admin", "other")
DEFAULT_WITH_ATTENDEES = "meeting"
DEFAULT_ALONE = "other"
MAX_PATTERN_LENGTH = 500

RULE_KEYS = (
    "name", "category", "subject", "statutory", "never_decline", "description", "outlook_categories",
    "min_attendees", "max_attendees", "min_minutes", "max_minutes", "show_as", "online", "location",
    "organizer_domain", "recurring",
)  # fmt: skip
MATCHER_KEYS = (
    "subject", "outlook_categories", "min_attendees", "max_attendees", "min_minutes", "max_minutes",
    "show_as", "online", "location", "organizer_domain", "recurring",
)  # fmt: skip
TOP_KEYS = ("categories", "defaults", "rule")
DOMAIN = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$")
SHOW_AS_BY_LOWER = {s.lower(): s for s in SHOW_AS}


@dataclass(frozen=True)
class Rule:
    """One validated purpose rule; empty tuples and ``None`` mean the matcher was not given."""

    name: str
    category: str
    subject: tuple[re.Pattern[str], ...] = ()
    statutory: bool = False
    never_decline: bool = False
    outlook_categories: tuple[str, ...] = ()  # case-folded
    min_attendees: int | None = None
    max_attendees: int | None = None
    min_minutes: float | None = None
    max_minutes: float | None = None
    show_as: tuple[str, ...] = ()  # canonical spelling, e.g. "workingElsewhere"
    online: bool | None = None
    location: tuple[re.Pattern[str], ...] = ()
    organizer_domain: tuple[str, ...] = ()  # lower case, no "@"
    recurring: bool | None = None
    description: str = ""
    source: str = ""  # the rule file, as given


@dataclass(frozen=True)
class RuleSet:
    """Rules from one or more files, in the order they are tried, with the precedence order and defaults."""

    categories: tuple[str, ...] = CATEGORIES
    with_attendees: str = DEFAULT_WITH_ATTENDEES
    alone: str = DEFAULT_ALONE
    rules: tuple[Rule, ...] = ()

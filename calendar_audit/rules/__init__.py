"""Purpose rules: TOML rule files -> a validated :class:`RuleSet`; :func:`classify` gives events a category.

A rule file holds an optional ``[categories]`` table (``order``: the precedence used when counted events
overlap), an optional ``[defaults]`` table (the category of an event no rule matched, with and without other
attendees) and ``[[rule]]`` tables. Every matcher a rule gives must hold; the first rule that matches, in file
order, decides. Several files are read in the order given, as if their rules were one list.

Decisions the design left open
- ``[categories]`` and ``[defaults]``: the first file that states a value sets it; a later file may repeat the
  same value but not contradict it (a different order would silently change earlier files' meaning).
- Only the six categories of the person-week table are allowed (its columns are fixed); an order may leave
  some out (no rule may then use them) but may not repeat or add one.
- Messages name rules as ``rule "name"`` or, when the name is missing, ``rule #N`` (N counts the file's
  ``[[rule]]`` tables from 1); list items as ``field[i]`` (i counts from 0, as in TOML/JSON paths).
- Strict by default: every problem in every file is collected and raised together, one per line.
- Patterns are searched case-insensitively with Python's ``re``. A pattern that matches the empty string,
  is longer than :data:`MAX_PATTERN_LENGTH` or nests one repeat inside another (``(a+)+``, which can take
  exponential time on a long subject) is refused.
"""

from __future__ import annotations

from .classify import classify
from .loader import check_files, load_rules, parse_rules
from .model import CATEGORIES, DEFAULT_ALONE, DEFAULT_WITH_ATTENDEES, MAX_PATTERN_LENGTH, Rule, RuleSet
from .patterns import pattern_problem

__all__ = [
    "CATEGORIES", "DEFAULT_ALONE", "DEFAULT_WITH_ATTENDEES", "MAX_PATTERN_LENGTH", "Rule", "RuleSet",
    "check_files", "classify", "load_rules", "parse_rules", "pattern_problem",
]

"""Static checks on a rule's regular expressions: refused before they can meet a hostile subject."""

from __future__ import annotations

import re
from re import _parser as sre_parser  # the stdlib's own regex parser; used for the static backtracking check
from typing import Any

from ..tomlcheck import quote
from .model import MAX_PATTERN_LENGTH


def pattern_problem(pattern: str) -> str | None:
    """Why a subject/location pattern is refused, or None when it is fine."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        return f"pattern is {len(pattern)} characters long (at most {MAX_PATTERN_LENGTH})"
    try:
        compiled = re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        return f"bad regular expression {quote(pattern)}: {exc.msg}"
    if _nested_repeat(sre_parser.parse(pattern, re.IGNORECASE)):
        return (
            f'{quote(pattern)} repeats a group that itself repeats (like "(a+)+"), which can take '
            "exponential time on a long subject; rewrite it without the nested repeat"
        )
    if _repeated_alternation(sre_parser.parse(pattern, re.IGNORECASE)):
        return (
            f'{quote(pattern)} repeats a group of alternatives (like "(a|aa)+"), which can take exponential time on '
            "a long subject; rewrite it without the repeat, or with a character class such as [ab]+"
        )
    if compiled.search("") is not None:
        return f"{quote(pattern)} matches an empty subject, so it would match every event"
    return None


_REPEATS = {sre_parser.MAX_REPEAT, sre_parser.MIN_REPEAT, sre_parser.POSSESSIVE_REPEAT}


def _repeated_alternation(items: Any, inside_repeat: bool = False) -> bool:
    """True when alternatives sit under a repeat that may match more than once (static check).

    Subjects come from whoever sent the invitation. Single-character alternatives ("(\\s|-)+") are already a
    character class once parsed, so only the ones that can backtrack remain.
    """
    for op, av in items:
        if op in _REPEATS:
            if _repeated_alternation(av[2], inside_repeat or av[1] > 1):
                return True
        elif op == sre_parser.BRANCH:
            if inside_repeat or any(_repeated_alternation(b, inside_repeat) for b in av[1]):
                return True
        elif op == sre_parser.SUBPATTERN:
            if _repeated_alternation(av[3], inside_repeat):
                return True
        elif op in (sre_parser.ASSERT, sre_parser.ASSERT_NOT):
            if _repeated_alternation(av[1], inside_repeat):
                return True
        elif op == sre_parser.ATOMIC_GROUP and _repeated_alternation(av, inside_repeat):
            return True
    return False


def _nested_repeat(items: Any, inside_repeat: bool = False) -> bool:
    """True when a repeat that may match more than once contains another such repeat (static check)."""
    for op, av in items:
        if op in _REPEATS:
            _low, high, body = av
            many = high > 1
            if many and inside_repeat:
                return True
            if _nested_repeat(body, inside_repeat or many):
                return True
        elif op == sre_parser.SUBPATTERN:
            if _nested_repeat(av[3], inside_repeat):
                return True
        elif op == sre_parser.BRANCH:
            if any(_nested_repeat(b, inside_repeat) for b in av[1]):
                return True
        elif op in (sre_parser.ASSERT, sre_parser.ASSERT_NOT):
            if _nested_repeat(av[1], inside_repeat):
                return True
        elif op == sre_parser.ATOMIC_GROUP:
            if _nested_repeat(av, inside_repeat):
                return True
        elif op == sre_parser.GROUPREF_EXISTS and any(
            b is not None and _nested_repeat(b, inside_repeat) for b in av[1:]
        ):
            return True
    return False

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

import re
import tomllib
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from re import _parser as sre_parser  # the stdlib's own regex parser; used for the static backtracking check
from typing import Any

import numpy as np
import pandas as pd

from .errors import RuleError
from .frame import SHOW_AS
from .tomlcheck import quote, quote_list, type_name, unknown_key

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
_DOMAIN = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$")
_SHOW_AS = {s.lower(): s for s in SHOW_AS}


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


# --- loading and validation ---------------------------------------------------------------------------


@dataclass
class _Loader:
    """Accumulates rules, settings and problems across files, in order."""

    categories: tuple[str, ...] | None = None
    categories_from: str = ""
    defaults: dict[str, str] = field(default_factory=dict)
    defaults_from: dict[str, str] = field(default_factory=dict)
    rules: list[Rule] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)  # name -> where it was first defined, for messages
    problems: list[str] = field(default_factory=list)
    summaries: list[str] = field(default_factory=list)

    @property
    def order(self) -> tuple[str, ...]:
        return self.categories if self.categories is not None else CATEGORIES

    def add_file(self, source: str, text: str) -> None:
        """Parse and validate one file's text, adding its rules and problems."""
        try:
            doc = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            self.problems.append(f"{source}: TOML syntax error: {exc}")
            return
        before = len(self.rules)
        for key in doc:
            if key not in TOP_KEYS:
                self.problems.append(f"{source}: {unknown_key(key, TOP_KEYS)}")
        if "categories" in doc:
            self._categories(source, doc["categories"])
        if "defaults" in doc:
            self._defaults(source, doc["defaults"])
        raw_rules = doc.get("rule", [])
        if not isinstance(raw_rules, list) or not all(isinstance(r, dict) for r in raw_rules):
            self.problems.append(f"{source}: rule: expected [[rule]] tables")
            raw_rules = []
        for number, raw in enumerate(raw_rules, start=1):
            rule = self._rule(source, number, raw)
            if rule is not None:
                self.rules.append(rule)
        added = self.rules[before:]
        statutory = sum(r.statutory for r in added)
        never = sum(r.never_decline for r in added)
        self.summaries.append(
            f"{source}: {len(added)} rule{'s' if len(added) != 1 else ''} ({statutory} statutory, "
            f"{never} never_decline); categories {', '.join(self.order)}; "
            f"defaults with_attendees={self.defaults.get('with_attendees', DEFAULT_WITH_ATTENDEES)}, "
            f"alone={self.defaults.get('alone', DEFAULT_ALONE)}"
        )

    def _categories(self, source: str, table: Any) -> None:
        if not isinstance(table, dict):
            self.problems.append(f"{source}: categories: expected a table [categories]")
            return
        for key in table:
            if key != "order":
                self.problems.append(f"{source}: categories: {unknown_key(key, ('order',))}")
        if "order" not in table:
            return
        order = table["order"]
        if not isinstance(order, list) or not order:
            self.problems.append(f"{source}: categories.order: expected a non-empty list of category names")
            return
        ok = True
        seen: set[str] = set()
        for i, name in enumerate(order):
            where = f"{source}: categories.order[{i}]"
            if not isinstance(name, str):
                self.problems.append(f"{where}: expected a string, got {type_name(name)}")
                ok = False
            elif name not in CATEGORIES:
                self.problems.append(
                    f"{where}: unknown category {quote(name)} (reports have columns for: {', '.join(CATEGORIES)})"
                )
                ok = False
            elif name in seen:
                self.problems.append(f"{where}: {quote(name)} is listed twice")
                ok = False
            else:
                seen.add(name)
        if not ok:
            return
        if self.categories is None:
            self.categories = tuple(order)
            self.categories_from = source
        elif tuple(order) != self.categories:
            self.problems.append(
                f"{source}: categories.order: {quote_list(order)} contradicts {quote_list(self.categories)} "
                f"set by {self.categories_from} (state the order once, in the first file)"
            )

    def _defaults(self, source: str, table: Any) -> None:
        if not isinstance(table, dict):
            self.problems.append(f"{source}: defaults: expected a table [defaults]")
            return
        for key, value in table.items():
            where = f"{source}: defaults.{key}"
            if key not in ("with_attendees", "alone"):
                self.problems.append(f"{source}: defaults: {unknown_key(key, ('with_attendees', 'alone'))}")
            elif not isinstance(value, str):
                self.problems.append(f"{where}: expected a string, got {type_name(value)}")
            elif value not in self.order:
                self.problems.append(f"{where}: unknown category {quote(value)} (use one of {', '.join(self.order)})")
            elif key not in self.defaults:
                self.defaults[key] = value
                self.defaults_from[key] = source
            elif self.defaults[key] != value:
                self.problems.append(
                    f"{where}: {quote(value)} contradicts {quote(self.defaults[key])} set by {self.defaults_from[key]}"
                )

    def _rule(self, source: str, number: int, raw: dict[str, Any]) -> Rule | None:
        name = raw.get("name")
        label = f"{source}: rule {quote(name)}" if isinstance(name, str) and name else f"{source}: rule #{number}"
        problems: list[str] = []

        def bad(fld: str, message: str) -> None:
            problems.append(f"{label}: {fld}: {message}")

        for key in raw:
            if key not in RULE_KEYS:
                problems.append(f"{label}: {unknown_key(key, RULE_KEYS)}")
        if "name" not in raw:
            bad("name", "missing (every rule needs a unique name)")
        elif not isinstance(name, str) or not name.strip():
            bad("name", f"expected a non-empty string, got {type_name(name)}")
        elif name.startswith("default:"):
            bad("name", '"default:" names are reserved for events no rule matched')
        elif name in self.names:
            bad("name", f"duplicate rule name: {self.names[name]} already uses it")
        else:
            self.names[name] = f"rule #{number} in {source}"

        category = raw.get("category")
        if "category" not in raw:
            bad("category", f"missing (use one of {', '.join(self.order)})")
        elif not isinstance(category, str):
            bad("category", f"expected a string, got {type_name(category)}")
        elif category not in self.order:
            bad("category", f"unknown category {quote(category)} (use one of {', '.join(self.order)})")

        if not any(key in raw for key in MATCHER_KEYS):
            problems.append(
                f"{label}: no matchers: the rule would match every event "
                f"(give at least one of {', '.join(MATCHER_KEYS)})"
            )

        values: dict[str, Any] = {}
        for key in ("subject", "location"):
            if key in raw:
                values[key] = _patterns(raw[key], lambda m, k=key: bad(k, m), lambda i, m, k=key: bad(f"{k}[{i}]", m))
        if "outlook_categories" in raw:
            items = _strings(raw["outlook_categories"], lambda m: bad("outlook_categories", m))
            values["outlook_categories"] = tuple(s.casefold() for s in items)
        if "show_as" in raw:
            items = _strings(raw["show_as"], lambda m: bad("show_as", m))
            shows = []
            for i, s in enumerate(items):
                if s.lower() in _SHOW_AS:
                    shows.append(_SHOW_AS[s.lower()])
                else:
                    bad(f"show_as[{i}]", f"unknown value {quote(s)} (use one of {', '.join(SHOW_AS)})")
            values["show_as"] = tuple(shows)
        if "organizer_domain" in raw:
            items = _strings(raw["organizer_domain"], lambda m: bad("organizer_domain", m))
            domains = []
            for i, s in enumerate(items):
                d = s.strip().lower().lstrip("@")
                if _DOMAIN.match(d):
                    domains.append(d)
                else:
                    bad(f"organizer_domain[{i}]", f'not a domain name: {quote(s)} (e.g. "council.gov.uk")')
            values["organizer_domain"] = tuple(domains)
        for key in ("statutory", "never_decline", "online", "recurring"):
            if key in raw:
                if isinstance(raw[key], bool):
                    values[key] = raw[key]
                else:
                    bad(key, f"expected true or false, got {type_name(raw[key])}")
        if "description" in raw:
            if isinstance(raw["description"], str):
                values["description"] = raw["description"]
            else:
                bad("description", f"expected a string, got {type_name(raw['description'])}")
        for key, kinds, what in (
            ("min_attendees", (int,), "a whole number"),
            ("max_attendees", (int,), "a whole number"),
            ("min_minutes", (int, float), "a number"),
            ("max_minutes", (int, float), "a number"),
        ):
            if key in raw:
                v = raw[key]
                if isinstance(v, bool) or not isinstance(v, kinds):
                    bad(key, f"expected {what}, got {type_name(v)}")
                elif v < 0 or v != v:
                    bad(key, f"must not be negative, got {v}")
                else:
                    values[key] = v
        for low, high in (("min_attendees", "max_attendees"), ("min_minutes", "max_minutes")):
            if low in values and high in values and values[low] > values[high]:
                bad(low, f"{low} = {values[low]} is more than {high} = {values[high]}: the rule can never match")

        self.problems.extend(problems)
        if problems:
            return None
        return Rule(name=name, category=category, source=source, **values)

    def result(self) -> RuleSet:
        """The rule set, or a RuleError listing every problem found."""
        if self.problems:
            raise RuleError("\n".join(self.problems))
        return RuleSet(
            categories=self.order,
            with_attendees=self.defaults.get("with_attendees", DEFAULT_WITH_ATTENDEES),
            alone=self.defaults.get("alone", DEFAULT_ALONE),
            rules=tuple(self.rules),
        )










def _strings(value: Any, bad: Callable[[str], None]) -> list[str]:
    """A non-empty list of non-empty strings, or [] after reporting why not."""
    if not isinstance(value, list):
        bad(f"expected a list of strings, got {type_name(value)}")
        return []
    if not value:
        bad("empty list: give at least one value or leave the key out")
        return []
    if not all(isinstance(v, str) and v for v in value):
        bad("expected a list of non-empty strings")
        return []
    return list(value)


def _patterns(
    value: Any, bad: Callable[[str], None], bad_item: Callable[[int, str], None]
) -> tuple[re.Pattern[str], ...]:
    """Compile a list of case-insensitive regular expressions, reporting each bad one by index."""
    if not isinstance(value, list):
        bad(f"expected a list of regular expressions, got {type_name(value)}")
        return ()
    if not value:
        bad("empty list: give at least one pattern or leave the key out")
        return ()
    compiled = []
    for i, pattern in enumerate(value):
        if not isinstance(pattern, str):
            bad_item(i, f"expected a string, got {type_name(pattern)}")
            continue
        problem = pattern_problem(pattern)
        if problem:
            bad_item(i, problem)
        else:
            compiled.append(re.compile(pattern, re.IGNORECASE))
    return tuple(compiled)


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


def _read(path: Path) -> str:
    """A rule file's text; a RuleError naming the file when it cannot be read."""
    try:
        return path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise RuleError(f"{path}: cannot read the rule file: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise RuleError(f"{path}: not UTF-8 text (save the rule file as UTF-8)") from None


def _load(paths: Sequence[Path]) -> _Loader:
    loader = _Loader()
    for path in paths:
        try:
            text = _read(Path(path))
        except RuleError as exc:
            loader.problems.append(str(exc))
            continue
        loader.add_file(str(path), text)
    return loader


def load_rules(paths: Sequence[Path]) -> RuleSet:
    """Read and validate rule files in order; raise RuleError listing every problem in them."""
    return _load(paths).result()


def parse_rules(text: str, source: str = "<rules>") -> RuleSet:
    """Validate one rule file's text (no file access); ``source`` names it in messages."""
    loader = _Loader()
    loader.add_file(source, text)
    return loader.result()


def check_files(paths: Sequence[Path]) -> list[str]:
    """One summary line per rule file for ``calendar-audit rules check``; RuleError when any is malformed."""
    loader = _load(paths)
    loader.result()
    return loader.summaries


# --- classification -------------------------------------------------------------------------------------


class _Columns:
    """The frame's columns as the matchers need them, each derived once and only when a rule asks."""

    def __init__(self, events: pd.DataFrame) -> None:
        self.events = events

    def _text(self, column: str) -> tuple[np.ndarray, pd.Series]:
        # Recurring series repeat the same subject many times: search each distinct text once.
        codes, uniques = pd.factorize(self.events[column].astype(object).fillna("").astype(str))
        return codes, pd.Series(uniques, dtype=object)

    @cached_property
    def subject(self) -> tuple[np.ndarray, pd.Series]:
        return self._text("subject")

    @cached_property
    def location(self) -> tuple[np.ndarray, pd.Series]:
        return self._text("location")

    @cached_property
    def minutes(self) -> np.ndarray:
        return ((self.events["end"] - self.events["start"]) / pd.Timedelta(minutes=1)).to_numpy(
            dtype=float, na_value=np.nan
        )

    @cached_property
    def attendees(self) -> np.ndarray:
        return self.events["attendee_count"].to_numpy(dtype="int64")

    @cached_property
    def show_as(self) -> pd.Series:
        return self.events["show_as"].astype(object).fillna("").reset_index(drop=True)

    @cached_property
    def online(self) -> np.ndarray:
        return self.events["is_online"].to_numpy(dtype=bool)

    @cached_property
    def recurring(self) -> np.ndarray:
        return (self.events["series_id"].astype(object).fillna("") != "").to_numpy(dtype=bool)

    @cached_property
    def domain(self) -> pd.Series:
        org = self.events["organizer"].astype(object).fillna("").astype(str).reset_index(drop=True)
        parts = org.str.strip().str.rstrip(">").str.rpartition("@")
        return parts[2].where(parts[1] == "@", "").str.lower()

    @cached_property
    def outlook_categories(self) -> pd.Series:
        # one row per (event, category), indexed by the event's position
        cats = self.events["outlook_categories"].reset_index(drop=True).explode()
        return cats.dropna().astype(str).str.casefold()


_GLOBAL_FLAGS = re.compile(r"\(\?[aiLmsux]+\)")


def _combinable(pattern: re.Pattern[str]) -> bool:
    """Whether a pattern means the same inside ``(?:...)|(?:...)``: no global flags, named groups, backrefs."""
    if pattern.groupindex or _GLOBAL_FLAGS.match(pattern.pattern):
        return False
    return not _has_groupref(sre_parser.parse(pattern.pattern, pattern.flags))


def _has_groupref(items: Any) -> bool:
    for op, av in items:
        if op in (sre_parser.GROUPREF, sre_parser.GROUPREF_EXISTS):
            return True
        if isinstance(av, sre_parser.SubPattern) and _has_groupref(av):
            return True
        if isinstance(av, tuple | list):
            for part in av:
                if isinstance(part, sre_parser.SubPattern) and _has_groupref(part):
                    return True
                if isinstance(part, list) and any(
                    isinstance(b, sre_parser.SubPattern) and _has_groupref(b) for b in part
                ):
                    return True
    return False


def _merged(patterns: tuple[re.Pattern[str], ...]) -> list[re.Pattern[str]]:
    """The rule's patterns as few searches as possible: one alternation of every pattern that allows it."""
    simple = [p for p in patterns if _combinable(p)]
    rest = [p for p in patterns if not _combinable(p)]
    if len(simple) > 1:
        simple = [re.compile("|".join(f"(?:{p.pattern})" for p in simple), re.IGNORECASE)]
    return simple + rest


def _search(
    columns: tuple[np.ndarray, pd.Series], patterns: tuple[re.Pattern[str], ...], rows: np.ndarray
) -> np.ndarray:
    """Which of ``rows`` have a text any pattern matches; each distinct text is searched once."""
    codes, uniques = columns
    wanted = np.zeros(len(uniques), dtype=bool)
    wanted[codes[rows]] = True
    texts = uniques[wanted]
    hit = np.zeros(len(texts), dtype=bool)
    with warnings.catch_warnings():
        # pandas warns that groups are not extracted; rules use groups for alternation only
        warnings.filterwarnings("ignore", "This pattern is interpreted as a regular expression", UserWarning)
        for pattern in _merged(patterns):
            hit |= texts.str.contains(pattern, regex=True).to_numpy(dtype=bool)
    found = np.zeros(len(uniques), dtype=bool)
    found[np.flatnonzero(wanted)[hit]] = True
    return found[codes]


def _mask(rule: Rule, cols: _Columns, candidates: np.ndarray) -> np.ndarray:
    """Which of the candidate events a rule's matchers all hold for; cheap matchers first, regexes last."""
    mask = candidates.copy()
    n = len(mask)
    if rule.min_attendees is not None:
        mask &= cols.attendees >= rule.min_attendees
    if rule.max_attendees is not None:
        mask &= cols.attendees <= rule.max_attendees
    if rule.min_minutes is not None:
        mask &= cols.minutes >= rule.min_minutes
    if rule.max_minutes is not None:
        mask &= cols.minutes <= rule.max_minutes
    if rule.show_as:
        mask &= cols.show_as.isin(rule.show_as).to_numpy(dtype=bool)
    if rule.online is not None:
        mask &= cols.online == rule.online
    if rule.recurring is not None:
        mask &= cols.recurring == rule.recurring
    if rule.organizer_domain:
        dom = cols.domain
        hit = np.zeros(n, dtype=bool)
        for d in rule.organizer_domain:
            hit |= (dom.eq(d) | dom.str.endswith("." + d)).to_numpy(dtype=bool)
        mask &= hit
    if rule.outlook_categories:
        cats = cols.outlook_categories
        positions = cats.index[cats.isin(rule.outlook_categories).to_numpy()].to_numpy(dtype="int64")
        hit = np.zeros(n, dtype=bool)
        hit[positions] = True
        mask &= hit
    # regexes only on the events still in question: earlier rules and cheaper matchers have ruled others out
    if rule.location and mask.any():
        mask &= _search(cols.location, rule.location, mask)
    if rule.subject and mask.any():
        mask &= _search(cols.subject, rule.subject, mask)
    return mask


def classify(events: pd.DataFrame, rules: RuleSet) -> pd.DataFrame:
    """A copy of the events frame plus category, rule, statutory, never_decline and matched columns."""
    out = events.copy()
    n = len(out)
    chosen = np.full(n, -1, dtype=np.int64)  # index of the first rule that matched, -1 for none
    cols = _Columns(out)
    for i, rule in enumerate(rules.rules):  # a loop over rules; each step is vectorised over all events
        open_ = chosen < 0
        if not open_.any():
            break
        chosen[_mask(rule, cols, open_)] = i
    matched = chosen >= 0
    pick = np.where(matched, chosen, 0)
    alone = out["attendee_count"].to_numpy(dtype="int64") < 1 if n else np.zeros(0, dtype=bool)
    default_cat = np.where(alone, rules.alone, rules.with_attendees)
    default_rule = np.where(alone, "default:alone", "default:with_attendees")
    if rules.rules:
        cat_of = np.array([r.category for r in rules.rules], dtype=object)
        name_of = np.array([r.name for r in rules.rules], dtype=object)
        stat_of = np.array([r.statutory for r in rules.rules], dtype=bool)
        never_of = np.array([r.never_decline for r in rules.rules], dtype=bool)
        category = np.where(matched, cat_of[pick], default_cat)
        rule_name = np.where(matched, name_of[pick], default_rule)
        statutory = matched & stat_of[pick]
        never = matched & never_of[pick]
    else:
        category, rule_name = default_cat, default_rule
        statutory = never = np.zeros(n, dtype=bool)
    out["category"] = pd.Series(category, index=out.index, dtype=object).astype("string")
    out["rule"] = pd.Series(rule_name, index=out.index, dtype=object).astype("string")
    out["statutory"] = pd.Series(statutory, index=out.index, dtype=bool)
    out["never_decline"] = pd.Series(never, index=out.index, dtype=bool)
    out["matched"] = pd.Series(matched, index=out.index, dtype=bool)
    return out

"""Rule files -> a validated RuleSet, every problem in every file collected and raised together."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import RuleError
from ..frame import SHOW_AS
from ..tomlcheck import quote, quote_list, type_name, unknown_key
from .model import (
    CATEGORIES,
    DEFAULT_ALONE,
    DEFAULT_WITH_ATTENDEES,
    DOMAIN,
    MATCHER_KEYS,
    RULE_KEYS,
    SHOW_AS_BY_LOWER,
    TOP_KEYS,
    Rule,
    RuleSet,
)
from .patterns import pattern_problem


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
                if s.lower() in SHOW_AS_BY_LOWER:
                    shows.append(SHOW_AS_BY_LOWER[s.lower()])
                else:
                    bad(f"show_as[{i}]", f"unknown value {quote(s)} (use one of {', '.join(SHOW_AS)})")
            values["show_as"] = tuple(shows)
        if "organizer_domain" in raw:
            items = _strings(raw["organizer_domain"], lambda m: bad("organizer_domain", m))
            domains = []
            for i, s in enumerate(items):
                d = s.strip().lower().lstrip("@")
                if DOMAIN.match(d):
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

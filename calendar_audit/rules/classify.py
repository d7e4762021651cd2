"""Vectorised classification: one boolean mask per rule over the frame, first match wins; no loop per event."""

from __future__ import annotations

import functools
import re
from functools import cached_property
from re import _parser as sre_parser  # the stdlib's own regex parser; used for the static backtracking check
from typing import Any

import numpy as np
import pandas as pd

from .model import Rule, RuleSet


class _Columns:
    """The frame's columns as the matchers need them, each derived once and only when a rule asks."""

    def __init__(self, events: pd.DataFrame) -> None:
        self.events = events

    def _text(self, column: str) -> tuple[np.ndarray, np.ndarray]:
        # Recurring series repeat the same subject many times: search each distinct text once (a missing text
        # is searched as "")
        codes, uniques = pd.factorize(self.events[column], use_na_sentinel=True)
        texts = np.array([*(str(u) for u in uniques), ""], dtype=object)
        return np.where(codes < 0, len(texts) - 1, codes), texts

    @cached_property
    def subject(self) -> tuple[np.ndarray, np.ndarray]:
        return self._text("subject")

    @cached_property
    def location(self) -> tuple[np.ndarray, np.ndarray]:
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


@functools.lru_cache(maxsize=4096)  # a rule's patterns are merged once, not on every classify (~50 ms a call)
def _merged(patterns: tuple[re.Pattern[str], ...]) -> list[re.Pattern[str]]:
    """The rule's patterns as few searches as possible: one alternation of every pattern that allows it."""
    simple = [p for p in patterns if _combinable(p)]
    rest = [p for p in patterns if not _combinable(p)]
    if len(simple) > 1:
        simple = [re.compile("|".join(f"(?:{p.pattern})" for p in simple), re.IGNORECASE)]
    return simple + rest


def _search(
    columns: tuple[np.ndarray, np.ndarray], patterns: tuple[re.Pattern[str], ...], rows: np.ndarray
) -> np.ndarray:
    """Which of ``rows`` have a text any pattern matches; each distinct text is searched once."""
    codes, uniques = columns
    wanted = np.zeros(len(uniques), dtype=bool)
    wanted[codes[rows]] = True
    positions = np.flatnonzero(wanted)
    texts = uniques[positions]
    hit = np.zeros(len(texts), dtype=bool)
    for pattern in _merged(patterns):
        search = pattern.search
        hit |= np.fromiter((search(t) is not None for t in texts), dtype=bool, count=len(texts))
    found = np.zeros(len(uniques), dtype=bool)
    found[positions[hit]] = True
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

"""Privacy defaults applied once, before anything else sees the data: pseudonyms and the minimum group size.

Pseudonyms are ``person-`` + the first 8 hex digits of HMAC-SHA256(secret salt, lower-cased address or file stem):
stable across runs with the same salt, so a person can be followed week to week, and not reversible by someone
who lacks the salt (a plain hash of an address is: addresses are guessable). Pure: no files, no environment.

Every command that reads calendars applies the same step right after loading (``audit`` for ``report``,
:func:`private` for ``slots check`` and ``suggest``), so every file and terminal line they write shows pseudonyms.
Write commands (``slots book/unbook``, ``suggest --respond``) still talk to Microsoft 365 with the real mailbox and
record it in the audit log (an operational record kept owner-only, not a shared output): :meth:`Pseudonyms.real`
turns a pseudonym back into the address it stands for, and only what they print goes through the pseudonyms.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Protocol

import pandas as pd

from .errors import ConfigError
from .frame import MailboxFailure, SourceData, WorkingHours
from .settings import Settings

PREFIX = "person-"
ADDRESS = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")


def pseudonym(who: str, salt: str) -> str:
    """The stable pseudonym of an address or ICS file stem under ``salt``."""
    digest = hmac.new(salt.encode(), who.strip().lower().encode(), hashlib.sha256).hexdigest()
    return PREFIX + digest[:8]


def salt_of(settings: Settings) -> str:
    """The pseudonym salt; refused when pseudonyms are asked for without one (the message never holds it)."""
    salt = settings.privacy.pseudonym_salt.get_secret_value()
    if not salt.strip():
        raise ConfigError("privacy.pseudonym_salt: privacy.pseudonymise is on but no salt is set; set a long random "
                          "secret (e.g. CALENDAR_AUDIT_PRIVACY__PSEUDONYM_SALT) and keep it to show the same "
                          "pseudonyms next time")
    return salt


class Names(Protocol):
    """How people are shown: as pseudonyms, or as they are."""

    def __call__(self, who: str) -> str: ...
    def text(self, value: str) -> str: ...
    def real(self, shown: str) -> str: ...
    def given(self, who: str) -> str: ...


class AsTheyAre:
    """Names shown unchanged (pseudonyms off): the same interface as :class:`Pseudonyms`."""

    def __call__(self, who: str) -> str:
        return who

    def text(self, value: str) -> str:
        return value

    def real(self, shown: str) -> str:
        return shown

    def given(self, who: str) -> str:
        return who


class Pseudonyms:
    """Replaces every address and person name it is given, in values, tuples and free text."""

    def __init__(self, salt: str) -> None:
        self.salt = salt
        self.known: dict[str, str] = {}  # people, organisers and attendees only: what real() can map back
        self._pattern: tuple[int, re.Pattern[str]] | None = None

    def __call__(self, who: str) -> str:
        key = str(who).strip().lower()
        if not key:
            return ""
        if key not in self.known:
            self.known[key] = pseudonym(key, self.salt)
        return self.known[key]

    def text(self, value: str) -> str:
        """Free text (a note, a failure reason, a UID) with every known name and any address replaced."""
        if self.known:
            value = self._known_pattern().sub(lambda m: self.known[m.group(0).lower()], value)
        # an address found in text is not learnt: UIDs look like addresses, and learning each one made every
        # later call slower (minutes for the demo team's 2,000 UIDs)
        return ADDRESS.sub(lambda m: self.known.get(m.group(0).lower()) or pseudonym(m.group(0), self.salt), value)

    def _known_pattern(self) -> re.Pattern[str]:
        """One alternation of the known names, longest first ("jo.smith@x" before "jo.smith"), rebuilt as it grows."""
        if self._pattern is None or self._pattern[0] != len(self.known):
            keys = sorted(self.known, key=len, reverse=True)
            self._pattern = (len(self.known), re.compile("|".join(map(re.escape, keys)), re.IGNORECASE))
        return self._pattern[1]

    def real(self, shown: str) -> str:
        """``shown`` (a pseudonym, or an event id with one inside) with every pseudonym replaced by the
        lower-cased address or stem it stands for: what a Graph write needs."""
        reverse = {v: k for k, v in self.known.items()}
        return re.sub(re.escape(PREFIX) + r"[0-9a-f]{8}", lambda m: reverse.get(m.group(0), m.group(0)), shown)

    def given(self, who: str) -> str:
        """What a user typed (a real address or stem, or a pseudonym) as it is shown: its pseudonym."""
        key = who.strip().lower()
        return key if key in self.known.values() else self(key)


def pseudonymise(data: SourceData, salt: str, person_hours: Mapping[str, WorkingHours] | None = None, *,
                 names: Pseudonyms | None = None) -> SourceData:
    """``data`` with person, organizer and attendees replaced by pseudonyms everywhere (frame, people, working
    hours, failures, notes). ``person_hours`` (settings' per-person hours, keyed by real address) are merged in
    under the pseudonyms, as they would have been matched by address. ``names``, when given, learns every name
    (so a write command can map pseudonyms back to mailboxes)."""
    names = names if names is not None else Pseudonyms(salt)
    for who in [*data.people, *(f.person for f in data.failures)]:
        names(who)
    events = data.events.copy()
    if len(events):
        for who in events["person"].unique():
            names(who)
        events["person"] = events["person"].map(names).astype("string")
        events["organizer"] = events["organizer"].map(names).astype("string")
        events["attendees"] = pd.Series([tuple(names(a) for a in row) for row in events["attendees"]],
                                        index=events.index, dtype=object)
        for column in ("event_id", "series_id", "ical_uid"):  # some UIDs carry an address ("123-sam@host")
            has_address = events[column].str.contains("@", regex=False).to_numpy(bool)
            if has_address.any():
                values = events.loc[has_address, column]
                events.loc[has_address, column] = values.map({v: names.text(v) for v in values.unique()})
    hours = {names(k): v for k, v in data.working_hours.items()}
    hours.update({names(k): v for k, v in (person_hours or {}).items()})
    return replace(
        data,
        events=events,
        people=[names(p) for p in data.people],
        working_hours=hours,
        failures=[MailboxFailure(names(f.person), names.text(f.reason)) for f in data.failures],
        notes=[names.text(n) for n in data.notes],
    )


def names_of(settings: Settings) -> Names:
    """How these settings show people: pseudonyms under the salt, or as they are."""
    return Pseudonyms(salt_of(settings)) if settings.privacy.pseudonymise else AsTheyAre()


def private(data: SourceData, settings: Settings) -> tuple[SourceData, Names]:
    """The privacy step every reading command applies right after loading: the data its outputs may see, and
    the names used (to show a typed address as its pseudonym, or to map a pseudonym back for a Graph write)."""
    names = names_of(settings)
    if not isinstance(names, Pseudonyms):
        return data, names
    return pseudonymise(data, names.salt, settings.person_hours(), names=names), names


def apply_privacy(data: SourceData, settings: Settings) -> SourceData:
    """Pseudonymise when the settings ask for it; otherwise ``data`` unchanged."""
    return private(data, settings)[0]


def group_withheld(people: Iterable[str], min_group_size: int, allow_small: bool = False) -> str:
    """Why team aggregates are withheld ("" when they may be shown): fewer people than the minimum group size."""
    n = len(set(people))
    if allow_small or n >= min_group_size:
        return ""
    return (f"Team totals and comparisons are withheld: this audit covers {n} "
            f"{'person' if n == 1 else 'people'}, fewer than the minimum group size of {min_group_size} "
            "(privacy.min_group_size), so a team figure would reveal individuals. Per-person figures are shown; "
            "run with --allow-small-team to show team figures anyway.")

"""Who may see what: practitioners themselves, managers their teams, admins everything.

Roles come from the settings (``[[teams]] managers``, ``[admins] people``); Entra app roles in the id token may add
to them (``CalendarAudit.Admin``: an admin; ``CalendarAudit.Manager``: the manager of the teams one belongs to),
never take away. Addresses are compared lower-cased.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..settings import Settings, TeamSettings

ADMIN_ROLE = "CalendarAudit.Admin"
MANAGER_ROLE = "CalendarAudit.Manager"


@dataclass(frozen=True)
class Viewer:
    """A signed-in person and what they may see."""

    person: str  # lower-cased address
    admin: bool
    manages: frozenset[str]  # team names
    member_of: tuple[str, ...]  # team names, in the settings' order

    def can_see_team(self, team: str) -> bool:
        return self.admin or team in self.manages

    @property
    def teams(self) -> list[str]:
        """The teams whose pages this person may open."""
        return sorted(self.manages) if not self.admin else []

    @property
    def role(self) -> str:
        return "admin" if self.admin else "manager" if self.manages else "practitioner"


def members(team: TeamSettings, stored: Iterable[str] = ()) -> set[str]:
    """A team's members: its settings' list and the members the last sync found in its group."""
    return {m.strip().lower() for m in [*team.members, *stored] if m.strip()}


def viewer_for(settings: Settings, person: str, entra_roles: Iterable[str] = (),
               stored_members: dict[str, list[str]] | None = None) -> Viewer:
    """The viewer for a signed-in address; ``stored_members`` maps a team to the members synced into the store."""
    person = person.strip().lower()
    roles = set(entra_roles)
    admin = person in {p.strip().lower() for p in settings.admins.people} or ADMIN_ROLE in roles
    stored_members = stored_members or {}
    member_of = tuple(t.name for t in settings.teams if person in members(t, stored_members.get(t.name, ())))
    manages = {t.name for t in settings.teams if person in {m.strip().lower() for m in t.managers}}
    if MANAGER_ROLE in roles:
        manages |= set(member_of)
    if admin:
        manages |= {t.name for t in settings.teams}
    return Viewer(person, admin, frozenset(manages), member_of)

"""`serve --demo`: the demo team behind a "demo sign-in, no password" page, with nothing sent to Microsoft.

Who is who is decided once, from the demo team's own order: its team manager (the demo's first person) manages the
team, and its last person is the admin; everyone is a practitioner. The pages read the demo source through the same
library calls as the store (it is deterministic and generated in a second, so nothing is copied into a store);
sessions, policy versions and the demo journal of Decline / Tentative / Keep live in a store in a temporary folder.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import ConfigError
from ..settings import AdminSettings, Settings, StoreSettings, TeamSettings
from ..sources.demo import generate

DEMO_TEAM = "demo"


def refuse_with_tenant(settings: Settings) -> None:
    """Demo sign-in has no password: it is never offered where a real tenant is configured."""
    if settings.graph.tenant_id.strip():
        raise ConfigError("--demo: refused because graph.tenant_id is set (demo sign-in has no password); run "
                          "without --demo to sign in with Microsoft, or without a tenant in the settings")


def demo_settings(settings: Settings, folder: Path) -> Settings:
    """``settings`` with the demo team (manager and admin chosen from it) and a store in ``folder``."""
    refuse_with_tenant(settings)
    people = generate(tz=settings.timezone).people
    team = TeamSettings(name=DEMO_TEAM, members=list(people), managers=[people[0]])
    out = settings.model_copy(update={
        "teams": [team],
        "admins": AdminSettings(people=[people[-1]]),
        "store": StoreSettings(path=str(folder / "demo-store.sqlite3")),
        "audit_log": str(folder / "demo-audit.jsonl"),
    })
    return out

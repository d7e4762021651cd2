"""Protected slots enforced as invitations arrive (issue 11): the engine (pure), notes, journal, and the run.

Library API for the command and the service (see ``run``): ``enforce``/``enforce_async``, ``undo``/``undo_async``,
``get_preference``, ``set_preference``, ``actions_for``.
"""

from __future__ import annotations

from .engine import Decision, lower
from .run import (
    EnforcementRun,
    actions_for,
    enforce,
    enforce_async,
    get_preference,
    set_preference,
    undo,
    undo_async,
)

__all__ = ["Decision", "EnforcementRun", "actions_for", "enforce", "enforce_async", "get_preference", "lower",
           "set_preference", "undo", "undo_async"]

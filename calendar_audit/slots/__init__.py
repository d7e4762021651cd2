"""Protected direct-work slots: the policy, its occurrences, compliance and violations, before/after evidence."""

from __future__ import annotations

from .occurrences import OCCURRENCE_COLUMNS, slot_occurrences
from .policy import STATUTORY, FieldProblem, Slot, load_slots, parse_slots, slots_from_team, validate_slots

__all__ = [
    "OCCURRENCE_COLUMNS", "STATUTORY", "FieldProblem", "Slot", "load_slots", "parse_slots", "slot_occurrences",
    "slots_from_team", "validate_slots",
]

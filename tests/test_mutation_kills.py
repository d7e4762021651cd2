"""Tests added to kill surviving mutants of the core (`make mutation`): each pins a value worked out by hand."""

from __future__ import annotations

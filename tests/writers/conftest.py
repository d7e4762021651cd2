"""Fixtures for the writers' tests: the hand-made AuditResult of sample.py."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from calendar_audit.metrics import AuditResult
from tests.writers.sample import sample_result


@pytest.fixture
def make_result() -> Callable[..., AuditResult]:
    """Build the hand-made result; keyword arguments override its fields."""
    return sample_result

"""calendar-audit: win back time for direct work with children and families."""

from __future__ import annotations

__version__ = "0.1.0"

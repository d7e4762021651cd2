"""The weekly digest (issue 11): figures (pure), Outlook-safe rendering, and the run that writes or sends it."""

from __future__ import annotations

from .run import DigestRun, digest, digest_async, scheduled_week

__all__ = ["DigestRun", "digest", "digest_async", "scheduled_week"]

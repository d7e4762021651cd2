"""Nothing skips in CI: a missing tool or fixture folder skips a test on a developer's machine and fails it in CI."""

from __future__ import annotations

import pytest

from tests.conftest import need


def test_a_missing_tool_skips_on_a_developers_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="chromium is missing on this machine"):
        need("chromium", False)


def test_a_missing_tool_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=r"\.\./shared/fixtures is missing in CI: \.ci/run must provide it"):
        need("../shared/fixtures", False)


def test_a_present_tool_neither_skips_nor_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    need("chromium", True)

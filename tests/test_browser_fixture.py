"""The shared browser fixture drives a real Chromium: a page at phone width renders and reports its width."""

from __future__ import annotations

from typing import Any


def test_page_at_phone_width_renders_text(page_at: Any) -> None:
    page = page_at(390)
    page.set_content("<!doctype html><meta name=viewport content='width=device-width'><h1>Direct work</h1>")
    assert page.inner_text("h1") == "Direct work"
    assert page.evaluate("document.documentElement.clientWidth") == 390


def test_the_product_runs_asyncio_after_a_browser_test() -> None:
    """Playwright's sync API must not leave its event loop behind for the tests after it (sync uses asyncio.run)."""
    import asyncio

    assert asyncio.run(asyncio.sleep(0, "ran")) == "ran"

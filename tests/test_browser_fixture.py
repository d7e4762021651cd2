"""The shared browser fixture drives a real Chromium: a page at phone width renders and reports its width."""

from __future__ import annotations

from typing import Any


def test_page_at_phone_width_renders_text(page_at: Any) -> None:
    page = page_at(390)
    page.set_content("<!doctype html><meta name=viewport content='width=device-width'><h1>Direct work</h1>")
    assert page.inner_text("h1") == "Direct work"
    assert page.evaluate("document.documentElement.clientWidth") == 390

"""The demo report in a real headless Chromium, at 1400 px and on a 390 px phone: what a reader sees.

The screenshots land in tests/screenshots/ (report_1400.png, report_390.png) to look at.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from calendar_audit.cli import main
from calendar_audit.commands.options import Context
from tests.conftest import SCREENSHOTS

PHONE, DESKTOP = 390, 1400

#: every element with text of its own (HTML and SVG, ::before labels included): its colour against the background
#: it is drawn on (the stack of ancestors' background colours, composited), as WCAG 2 contrast ratios
CONTRAST_JS = """
() => {
  const parse = (c) => {
    const m = c && c.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const p = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number);
    return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1};
  };
  const channel = (v) => { v /= 255; return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
  const lum = (c) => 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b);
  const over = (top, bottom) => ({r: top.r * top.a + bottom.r * (1 - top.a), g: top.g * top.a + bottom.g * (1 - top.a),
                                  b: top.b * top.a + bottom.b * (1 - top.a), a: 1});
  const background = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      if (e instanceof SVGElement && !(e instanceof SVGSVGElement)) continue;  // text is drawn over the svg's box
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; }
    }
    return layers.reverse().reduce((bg, layer) => over(layer, bg), {r: 255, g: 255, b: 255, a: 1});
  };
  const ratio = (fg, bg) => {
    const [a, b] = [lum(over(fg, bg)), lum(bg)];
    return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  };
  const out = [];
  const check = (el, colour, text) => {
    const bg = background(el);
    const fg = parse(colour);
    if (!fg) { out.push({text, ratio: 0, colour, background: 'unparsed'}); return; }
    out.push({text: text.slice(0, 40), ratio: ratio(fg, bg), colour, background: `rgb(${bg.r},${bg.g},${bg.b})`,
              tag: el.tagName});
  };
  for (const el of document.querySelectorAll('body *')) {
    if (!el.getClientRects().length) continue;  // not displayed
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden') continue;
    const own = [...el.childNodes].filter(n => n.nodeType === 3).map(n => n.textContent).join('').trim();
    if (own) check(el, el instanceof SVGElement ? style.fill : style.color, own);
    const before = getComputedStyle(el, '::before');
    if (before.content && before.content !== 'none' && before.content !== 'normal' && before.content !== '""')
      check(el, before.color, before.content);
  }
  return out;
}
"""


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    ctx = Context(console=Console(file=io.StringIO(), width=120), err=Console(file=io.StringIO()))
    code = main(["demo", "--out", str(out)], ctx)  # as `make demo` writes it: its slots and before/after included
    assert code == 0
    return out / "report.html"


def opened(page_at: Any, demo_report: Path, width: int) -> Any:
    page = page_at(width)
    page.goto(demo_report.as_uri())
    return page


@pytest.mark.parametrize("width", [DESKTOP, PHONE])
def test_no_horizontal_page_scroll_and_a_screenshot(page_at: Any, demo_report: Path, width: int) -> None:
    page = opened(page_at, demo_report, width)
    SCREENSHOTS.mkdir(exist_ok=True)
    shot = SCREENSHOTS / f"report_{width}.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 50_000
    scroll, client = page.evaluate("[document.scrollingElement.scrollWidth, document.scrollingElement.clientWidth]")
    assert scroll <= client == width


@pytest.mark.parametrize("width", [DESKTOP, PHONE])
def test_every_summary_card_is_in_view_with_its_whole_figure(page_at: Any, demo_report: Path, width: int) -> None:
    page = opened(page_at, demo_report, width)
    cards = page.evaluate("""() => [...document.querySelectorAll('#summary .kpi')].map(k => {
        const r = k.getBoundingClientRect(), v = k.querySelector('.value');
        return {label: k.querySelector('.label').textContent, left: r.left, right: r.right, width: r.width,
                clipped: v.scrollWidth > v.clientWidth};
    })""")
    assert [c["label"] for c in cards] == ["Working hours", "Direct work", "Meetings", "Statutory meetings",
                                           "After hours", "Double-booked"]
    for card in cards:
        assert card["left"] >= 0 and card["right"] <= width and card["width"] > 100, card
        assert not card["clipped"], card


def test_phone_shows_each_person_with_their_shares(page_at: Any, demo_report: Path) -> None:
    page = opened(page_at, demo_report, PHONE)
    rows = page.evaluate("""() => [...document.querySelectorAll('table.people tbody tr')].map(tr => {
        const cells = [...tr.querySelectorAll('td')].slice(0, 5).map(td => td.getBoundingClientRect());
        return {person: tr.querySelector('td.person').innerText, cells: cells.map(r => [r.left, r.right])};
    })""")
    assert len(rows) == 12
    for row in rows:
        person, direct_pct = row["cells"][0], row["cells"][1]
        assert person[0] >= 0 and direct_pct[1] <= PHONE, row  # the name and the direct-work share, together
        assert row["person"] and "@" not in row["person"]  # the shared domain is said once, above the table
    headers = page.evaluate("[...document.querySelectorAll('table.people thead tr:last-child th')]"
                            ".slice(0, 2).map(th => th.innerText.replace(/\\s+/g, ' '))")
    assert headers == ["Person", "% of working time"]
    # scrolled sideways, the name stays (sticky) beside the meeting share
    page.evaluate("document.querySelector('table.people').parentElement.scrollLeft = 10000")
    person, meeting = page.evaluate("""() => { const tr = document.querySelector('table.people tbody tr');
        return [tr.querySelector('td.person').getBoundingClientRect().left,
                tr.querySelectorAll('td')[4].getBoundingClientRect().right]; }""")
    assert person >= 0 and meeting <= PHONE


@pytest.mark.parametrize("width", [PHONE, 800, 1000, DESKTOP])
def test_charts_have_text_of_at_least_11px_and_captions_are_not_clipped(page_at: Any, demo_report: Path,
                                                                        width: int) -> None:
    page = opened(page_at, demo_report, width)
    sizes = page.evaluate("""() => [...document.querySelectorAll('figure.chart svg text')]
        .filter(t => t.getClientRects().length)
        .map(t => parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a)""")
    assert len(sizes) > 20 and min(sizes) >= 11
    clipped = page.evaluate("""() => [...document.querySelectorAll('p.caption, figure.chart .legend, h2, h3, .kpi')]
        .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.textContent.slice(0, 40))""")
    assert clipped == []


@pytest.mark.parametrize("width", [DESKTOP, PHONE])
def test_every_text_meets_wcag_aa_contrast(page_at: Any, demo_report: Path, width: int) -> None:
    page = opened(page_at, demo_report, width)
    pairs = page.evaluate(CONTRAST_JS)
    assert len(pairs) > 500  # the walk found the page's text, SVG labels included
    assert any(p["tag"] == "text" for p in pairs)
    low = [p for p in pairs if p["ratio"] < 4.5]
    assert low == []

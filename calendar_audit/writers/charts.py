"""Inline SVG charts for the HTML report: numbers in, markup out; no script, font or file from elsewhere.

Every piece of text that reaches the SVG goes through ``escape``: labels can come from rule files or sections.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup, escape

WIDTH = 960
HEIGHT = 300
LEFT, RIGHT, TOP, BOTTOM = 52, 52, 14, 34
#: the phone drawing: a narrow view box with larger type, so its text is at least 11 px on a 390 px screen
NARROW = 360
NARROW_FONT = 13

#: restrained colours; direct work is the one that matters, so it gets the strongest.
CATEGORY_COLOURS = {
    "direct_work": "#1f7a5a",
    "meeting": "#4a78b5",
    "training": "#8a6bb8",
    "travel": "#d49a3a",
    "admin": "#8c959f",
    "other": "#c5ccd3",
}
PALETTE = ("#1f7a5a", "#4a78b5", "#d49a3a", "#8a6bb8", "#c0504d", "#5b9aa0", "#8c959f", "#b5838d")
LINE_COLOUR = "#b03a2e"
INK = "#1b1f24"
MUTED = "#56616c"  # 5.9:1 on white (WCAG AA)
GRID = "#e3e7eb"


@dataclass(frozen=True)
class Series:
    """One named run of weekly values (``None`` or NaN: no value that week)."""

    label: str
    values: Sequence[float | None]
    colour: str


def category_colour(category: str, index: int) -> str:
    """The colour a category is drawn in, the same in every chart of a report."""
    return CATEGORY_COLOURS.get(category, PALETTE[index % len(PALETTE)])


def nice_ticks(vmax: float, count: int = 5) -> list[float]:
    """Round axis ticks from 0 to at least ``vmax`` (1, 2, 2.5 or 5 times a power of ten apart)."""
    if not vmax or vmax <= 0 or math.isnan(vmax):
        return [0.0, 1.0]
    raw = vmax / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    steps = max(1, math.ceil(vmax / step - 1e-9))
    return [i * step for i in range(steps + 1)]


def _aligned_ticks(vmax: float, intervals: int) -> list[float]:
    """Ticks for a second axis that share the first axis's gridlines."""
    if not vmax or vmax <= 0 or math.isnan(vmax):
        vmax = 1.0
    raw = vmax / intervals
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw - 1e-12)
    return [i * step for i in range(intervals + 1)]


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}".rstrip("0").rstrip(".")


def _present(value: float | None) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def _week_label(day: date) -> str:
    return f"{day.day} {day:%b}"


class _Plot:
    """The geometry shared by the charts: one band per week, a left axis and an optional right axis."""

    def __init__(self, weeks: Sequence[date], left_max: float, *, right_max: float | None = None,
                 width: int = WIDTH) -> None:
        self.weeks = list(weeks)
        self.width = width
        self.narrow = width < WIDTH
        self.left = nice_ticks(left_max, 4 if self.narrow else 5)
        self.right = _aligned_ticks(right_max, len(self.left) - 1) if right_max is not None else None
        left, right = (58, 40) if self.narrow else (LEFT, RIGHT)
        self.x0, self.x1 = left, width - (right if right_max is not None else 16)
        self.y0, self.y1 = HEIGHT - BOTTOM, TOP
        self.band = (self.x1 - self.x0) / max(len(self.weeks), 1)

    def x(self, index: int) -> float:
        return self.x0 + self.band * (index + 0.5)

    def y(self, value: float) -> float:
        return self.y0 - (self.y0 - self.y1) * value / self.left[-1]

    def y_right(self, value: float) -> float:
        assert self.right is not None
        return self.y0 - (self.y0 - self.y1) * value / self.right[-1]

    def axes(self, left_unit: str, right_unit: str = "") -> list[str]:
        parts = []
        for i, tick in enumerate(self.left):
            y = self.y(tick)
            parts.append(f'<line x1="{self.x0}" x2="{self.x1}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>')
            parts.append(
                f'<text x="{self.x0 - 6}" y="{y + 4:.1f}" text-anchor="end" fill="{MUTED}">'
                f"{escape(_number(tick))}{escape(left_unit)}</text>"
            )
            if self.right is not None:
                parts.append(
                    f'<text x="{self.x1 + 6}" y="{y + 4:.1f}" fill="{LINE_COLOUR}">'
                    f"{escape(_number(self.right[i]))}{escape(right_unit)}</text>"
                )
        every = max(1, math.ceil(len(self.weeks) / (4 if self.narrow else 14)))
        for i, week in enumerate(self.weeks):
            if i % every == 0:
                parts.append(
                    f'<text x="{self.x(i):.1f}" y="{self.y0 + 18}" text-anchor="middle" fill="{MUTED}">'
                    f"{escape(_week_label(week))}</text>"
                )
        parts.append(f'<line x1="{self.x0}" x2="{self.x1}" y1="{self.y0}" y2="{self.y0}" stroke="{MUTED}"/>')
        return parts

    def marker(self, day: date, label: str) -> list[str]:
        """A dashed vertical line at ``day``, placed inside its week's band."""
        if not self.weeks:
            return []
        offset = (day - self.weeks[0]).days / 7
        x = self.x0 + self.band * offset
        if not self.x0 <= x <= self.x1:
            return []
        anchor = "start" if x < (self.x0 + self.x1) / 2 else "end"
        dx = 5 if anchor == "start" else -5
        return [
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{self.y1}" y2="{self.y0}" stroke="{INK}" '
            f'stroke-dasharray="5 4" stroke-width="1.5"/>',
            f'<text x="{x + dx:.1f}" y="{self.y1 + 12}" text-anchor="{anchor}" fill="{INK}" '
            f'font-weight="600">{escape(label)}</text>',
        ]


def _svg(parts: list[str], title: str, width: int = WIDTH) -> str:
    narrow = width < WIDTH
    return (
        f'<svg class="{"narrow" if narrow else "wide"}" viewBox="0 0 {width} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}" font-size="{NARROW_FONT if narrow else 12}" '
        f'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif">'
        f"<title>{escape(title)}</title>{''.join(parts)}</svg>"
    )


def _both(draw: Callable[[int], list[str]], title: str) -> str:
    """The chart drawn wide (screens) and narrow (phones); the page's CSS shows one of them."""
    return _svg(draw(WIDTH), title) + _svg(draw(NARROW), title, NARROW)


def _legend(items: list[tuple[str, str, str]]) -> str:
    """HTML legend: (label, colour, shape) with shape one of box, line, tick."""
    spans = []
    for label, colour, shape in items:
        spans.append(
            f'<span class="key"><span class="swatch {shape}" style="--c:{colour}"></span>{escape(label)}</span>'
        )
    return f'<div class="legend">{"".join(spans)}</div>'


def _line_path(plot: _Plot, values: Sequence[float | None], to_y: Callable[[float], float]) -> str:
    """An SVG path through the present values; a missing week breaks the line."""
    commands, pen_down = [], False
    for i, value in enumerate(values):
        if not _present(value):
            pen_down = False
            continue
        commands.append(f"{'L' if pen_down else 'M'}{plot.x(i):.1f},{to_y(float(value)):.1f}")
        pen_down = True
    return " ".join(commands)


def stacked_weeks(
    weeks: Sequence[date],
    stacks: Sequence[Series],
    *,
    title: str,
    line: Series | None = None,
    reference: Series | None = None,
) -> Markup:
    """Stacked weekly bars (hours), an optional percentage line on a right axis and a per-week reference tick."""
    if not weeks:
        return Markup("")
    totals = [sum(float(s.values[i]) for s in stacks if _present(s.values[i])) for i in range(len(weeks))]
    refs = [float(v) for v in (reference.values if reference else []) if _present(v)]
    left_max = max([*totals, *refs, 0.0])
    right_max = None
    if line is not None:
        right_max = max([float(v) for v in line.values if _present(v)] + [0.0]) or 1.0
    def draw(width: int) -> list[str]:
        plot = _Plot(weeks, left_max, right_max=right_max, width=width)
        parts = plot.axes(" h", "%")
        bar = min(plot.band * 0.68, 64)
        for i, week in enumerate(weeks):
            base = 0.0
            x = plot.x(i) - bar / 2
            for series in stacks:
                value = series.values[i]
                if not _present(value) or float(value) <= 0:
                    continue
                top = base + float(value)
                y_top, y_base = plot.y(top), plot.y(base)
                tip = f"Week of {week:%d %b %Y}: {series.label} {float(value):,.1f} h"
                parts.append(
                    f'<rect x="{x:.1f}" y="{y_top:.1f}" width="{bar:.1f}" height="{max(y_base - y_top, 0):.1f}" '
                    f'fill="{series.colour}"><title>{escape(tip)}</title></rect>'
                )
                base = top
            if reference is not None and _present(reference.values[i]):
                y = plot.y(float(reference.values[i]))
                tip = f"Week of {week:%d %b %Y}: {reference.label} {float(reference.values[i]):,.1f} h"
                parts.append(
                    f'<line x1="{x - 3:.1f}" x2="{x + bar + 3:.1f}" y1="{y:.1f}" y2="{y:.1f}" '
                    f'stroke="{reference.colour}" stroke-width="2.5"><title>{escape(tip)}</title></line>'
                )
        if line is not None:
            parts += _line_with_points(plot, weeks, line, plot.y_right, "{:.1f}%")
        return parts

    legend = [(s.label, s.colour, "box") for s in stacks]
    if reference is not None:
        legend.append((f"{reference.label} (a tick)", reference.colour, "tick"))
    if line is not None:
        legend.append((f"{line.label} (right axis, %)", line.colour, "line"))
    return Markup(f'<figure class="chart">{_both(draw, title)}{_legend(legend)}</figure>')


def _line_with_points(plot: _Plot, weeks: Sequence[date], series: Series, y: Callable[[float], float],
                      number: str) -> list[str]:
    """A series as a line with a point per week, each point titled with its week and value."""
    parts = [
        f'<path d="{_line_path(plot, series.values, y)}" fill="none" stroke="{series.colour}" '
        f'stroke-width="2.5" stroke-linejoin="round"/>'
    ]
    for i, value in enumerate(series.values):
        if _present(value):
            tip = f"Week of {weeks[i]:%d %b %Y}: {series.label} {number.format(float(value))}"
            parts.append(
                f'<circle cx="{plot.x(i):.1f}" cy="{y(float(value)):.1f}" r="3.5" fill="#fff" '
                f'stroke="{series.colour}" stroke-width="2"><title>{escape(tip)}</title></circle>'
            )
    return parts


def weekly_lines(weeks: Sequence[date], lines: Sequence[Series], *, title: str, marker: date | None = None,
                 unit: str = "") -> Markup:
    """One line per series over the weeks (``unit`` on the axis and the points: "%", " h"), with an optional dashed
    marker (e.g. when a policy started)."""
    if not weeks or not lines:
        return Markup("")
    values = [float(v) for s in lines for v in s.values if _present(v)]
    number = "{:,.1f}" + unit

    def draw(width: int) -> list[str]:
        plot = _Plot(weeks, max([*values, 0.0]), width=width)
        parts = plot.axes(unit)
        if marker is not None:
            label = f"from {marker.day} {marker:%b %Y}" if not plot.narrow else f"from {marker.day} {marker:%b}"
            parts += plot.marker(marker, label)
        for series in lines:
            parts += _line_with_points(plot, weeks, series, plot.y, number)
        return parts

    legend = [(s.label, s.colour, "line") for s in lines]
    return Markup(f'<figure class="chart">{_both(draw, title)}{_legend(legend)}</figure>')

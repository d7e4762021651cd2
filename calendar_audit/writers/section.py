"""A titled block of a report (protected slots, before/after, ...) that every writer renders generically."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd


@dataclass
class Section:
    """A report section: a plain-language intro, captioned tables and an optional weekly chart."""

    title: str
    intro: str  # plain-language paragraph (a sentence or two)
    tables: list[tuple[str, pd.DataFrame]] = field(default_factory=list)  # (caption, table)
    chart: pd.DataFrame | None = None  # week_start + numeric columns, drawn as one line per column
    chart_marker: date | None = None  # a vertical marker, e.g. the day a policy started
    points: list[str] = field(default_factory=list)  # findings and caveats, one short sentence each (a list)
    lead: str = ""  # with points: the short paragraph a page shows above them (intro keeps the whole text)

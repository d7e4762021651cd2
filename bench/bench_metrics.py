"""Benchmark: generate, classify and measure a scaled demo team; print time per stage and peak memory
(max resident set size; tracemalloc would slow the Python-heavy stages several-fold).

    .venv/bin/python bench/bench_metrics.py [--people 500] [--weeks 52]

Figures go in bench/README.md. No timing assertion anywhere: this is a measurement, not a test.
"""

from __future__ import annotations

import argparse
import resource
import time
from datetime import timedelta
from pathlib import Path

from calendar_audit.audit import prepare_events
from calendar_audit.metrics import meeting_costs, partition, person_week, team_week
from calendar_audit.rules import classify, load_rules
from calendar_audit.settings import load_settings
from calendar_audit.sources.demo import DEMO_START, generate
from calendar_audit.window import Window

RULES = Path(__file__).resolve().parents[1] / "rules" / "social-care.toml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=500)
    parser.add_argument("--weeks", type=int, default=52)
    args = parser.parse_args()
    settings = load_settings(None)
    rules = load_rules([RULES])
    window = Window(DEMO_START, DEMO_START + timedelta(days=7 * args.weeks - 1), settings.timezone)

    stages: list[tuple[str, float]] = []

    t0 = time.perf_counter()
    data = generate(people=args.people, weeks=args.weeks, tz=settings.timezone)
    stages.append(("generate demo", time.perf_counter() - t0))

    t0 = time.perf_counter()
    classify(data.events, rules)
    stages.append(("classify (alone)", time.perf_counter() - t0))

    t0 = time.perf_counter()
    events = prepare_events(data.events, rules, window, settings)
    stages.append(("classify + count", time.perf_counter() - t0))

    t0 = time.perf_counter()
    part = partition(events, data.people, window, rules.categories, data.working_hours, settings.team_hours())
    table = person_week(part)
    team_week(table)
    stages.append(("partition + metrics", time.perf_counter() - t0))

    t0 = time.perf_counter()
    meeting_costs(events, include_subjects=False, tz=window.tz)
    stages.append(("costliest meetings", time.perf_counter() - t0))

    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{args.people} people x {args.weeks} weeks: {len(data.events):,} events, "
          f"{len(part.segments.seconds):,} segments, {len(table):,} person-weeks")
    for name, seconds in stages:
        print(f"  {name:<22} {seconds:8.2f} s")
    print(f"  {'total (excl. alone)':<22} {sum(s for n, s in stages if 'alone' not in n):8.2f} s")
    print(f"  peak memory (max RSS) {rss:8.0f} MiB")


if __name__ == "__main__":
    main()

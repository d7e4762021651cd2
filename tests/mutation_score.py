"""The mutation score of the last `make mutation` run, from mutmut's results in mutants/ (no test is run here).

Score = killed / (mutants - equivalent). Killed includes timeouts (the mutant made a test hang: detected). A mutant
with no test that reaches it counts as surviving. The equivalent mutants are the names listed in tests/README.md
(section "Equivalent mutants"), each with the reason it cannot change behaviour.

    python tests/mutation_score.py [--min PCT] PATTERN...   (fnmatch patterns of mutant names; none: every mutant)
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KILLED = {1: "killed", 3: "killed", 36: "timeout", -24: "timeout", 24: "timeout", 152: "timeout", 255: "timeout",
          37: "killed"}
SURVIVED = {0: "survived", 5: "no tests", 33: "no tests", None: "not checked"}
NAME = re.compile(r"calendar_audit\.[\w.]+__mutmut_\d+")


def equivalents(readme: Path) -> set[str]:
    """Mutant names listed under the README's "Equivalent mutants" heading."""
    if not readme.exists():
        return set()
    text = readme.read_text(encoding="utf-8")
    start = text.find("## Equivalent mutants")
    if start < 0:
        return set()
    end = text.find("\n## ", start + 1)
    return set(NAME.findall(text[start:end if end > 0 else len(text)]))


def results(mutants: Path, patterns: list[str]) -> dict[str, int | None]:
    out: dict[str, int | None] = {}
    for meta in sorted(mutants.rglob("*.py.meta")):
        for name, code in json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"].items():
            if not patterns or any(fnmatch.fnmatch(name, p) for p in patterns):
                out[name] = code
    return out


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("patterns", nargs="*")
    parser.add_argument("--min", type=float, default=0.0, help="exit 1 below this score (percent)")
    args = parser.parse_args(argv)
    found = results(ROOT / "mutants", args.patterns)
    if not found:
        print("no mutation results: run `make mutation` first", file=sys.stderr)
        return 1
    equivalent = equivalents(ROOT / "tests" / "README.md") & set(found)
    status = {n: KILLED.get(c) or SURVIVED.get(c, f"exit {c}") for n, c in found.items()}
    unchecked = [n for n, s in status.items() if s == "not checked"]
    alive = sorted(n for n, s in status.items() if s not in ("killed", "timeout") and n not in equivalent)
    per_module: dict[str, Counter[str]] = {}
    for name, s in status.items():
        module = name.split(".x_")[0].split(".xǁ")[0]
        per_module.setdefault(module, Counter())["equivalent" if name in equivalent else s] += 1
    for module, counts in sorted(per_module.items()):
        killed = counts["killed"] + counts["timeout"]
        scored = sum(counts.values()) - counts["equivalent"]
        print(f"{module:45s} {killed:4d}/{scored:<4d} killed  ({100 * killed / max(scored, 1):5.1f}%)  "
              + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()) if k not in ("killed", "timeout")))
    killed = sum(1 for n, s in status.items() if s in ("killed", "timeout") and n not in equivalent)
    scored = len(found) - len(equivalent)
    score = 100 * killed / max(scored, 1)
    print(f"\nmutants {len(found)}, equivalent {len(equivalent)}, killed {killed} of {scored}: score {score:.1f}%")
    if unchecked:
        print(f"{len(unchecked)} mutants were not checked (the run was stopped early)")
    for name in alive:
        print(f"  alive: {name} ({status[name]})")
    return 1 if score < args.min else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

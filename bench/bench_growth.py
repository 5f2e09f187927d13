"""Benchmark: how each cost grows from 10,000 to 100,000 (and 1,000,000) children (issue 10 item 6).

For each size, in a temp dir, a canonical caseload of that many children is built, and
each measure runs as a whole ``dipaudit`` process on it. Printed per size: wall and CPU
seconds, the cost per 1,000 children, and the ratio to the size before (10x the children:
a ratio near 10 grows linearly, below 10 better). A measure whose ratio between two
sizes is over ``GROWTH_GOAL`` (a per-child cost that grows by more than half) fails the
run. 1,000,000 children only with ``--full`` (a few minutes and about 1 GB of disk).

Measures are plug-ins: a ``Measure`` names a step and how to run it on the database of
one size (``prepare`` builds what it needs once per size, ``command`` is the process to
time). Draw dry run is here; the quiet tick, the catch-up tick (5,000 due audits,
10,000 due actions) and the report build register the same way once their databases
are built (see ``LATER``).

    .venv/bin/python bench/bench_growth.py [--full] [--sizes 10000,100000] [--runs 1]
"""

from __future__ import annotations

import argparse
import getpass
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _bench import Goals, Measure, dipaudit_cmd, isolated_env, load_line, run  # noqa: E402
from bench_import import HEADINGS, canonical_rows, write_csv  # noqa: E402

GROWTH_GOAL = 15.0  # 10x the children may cost at most 15x (linear is 10x)


@dataclass
class Size:
    """The files and database of one size, shared by every measure."""

    children: int
    work: Path
    env: dict
    csv: Path
    db: Path

    def dipaudit(self, *args: str) -> list[str]:
        return [*dipaudit_cmd(), "--db", str(self.db), *args]


@dataclass
class Step:
    """One measure: ``prepare`` (untimed, once per size) then ``command`` (timed)."""

    name: str
    command: Callable[[Size], list[str]]
    prepare: Callable[[Size], None] | None = None


def _import_once(s: Size) -> None:
    if not s.db.exists():
        run(s.dipaudit("import", "caseload", str(s.csv)), env=s.env, what="import (prepare)")


def _with_auditor(s: Size) -> None:
    """The caseload, and a people directory making this OS login an admin and auditor."""
    _import_once(s)
    people = s.work / "people.csv"
    if not people.exists():
        people.write_text("login,name,roles\n" f"{getpass.getuser()},Bench Auditor,admin;auditor\n",
                          encoding="utf-8")
        run(s.dipaudit("import", "people", str(people)), env=s.env, what="people (prepare)")


def _fresh(s: Size) -> None:
    for p in s.work.glob("dipaudit.db*"):
        p.unlink()


STEPS = [
    Step("import caseload (new database)", lambda s: s.dipaudit("import", "caseload", str(s.csv)), _fresh),
    Step("import caseload again, unchanged", lambda s: s.dipaudit("import", "caseload", str(s.csv)),
         _import_once),
    Step("sample --dry-run (per worker 1)", lambda s: s.dipaudit("sample", "--dry-run", "--json", "--seed", "1"),
         _with_auditor),
]
# Measures to register here once their inputs exist at every size (issue 10 items 3 and 6):
LATER = [
    "tick, quiet (nothing due) over 100,000 audits with their actions, escalations and outbox",
    "tick, catching up 5,000 due audits and 10,000 due actions",
    "report build (bench_reports.py, from H3)",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="also 1,000,000 children")
    parser.add_argument("--sizes", default=None, help="comma-separated child counts (default 10000,100000)")
    parser.add_argument("--runs", type=int, default=1, help="runs per measure and size (the median is shown)")
    args = parser.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")] if args.sizes else [10_000, 100_000]
    if args.full and 1_000_000 not in sizes:
        sizes.append(1_000_000)
    goals = Goals("bench_growth")
    print(f"sizes: {', '.join(f'{n:,}' for n in sizes)} children; {args.runs} run(s) each; {load_line()}",
          flush=True)
    results: dict[str, list[tuple[int, Measure]]] = {step.name: [] for step in STEPS}
    with tempfile.TemporaryDirectory(prefix="dipaudit-growth-") as tmp:
        env = isolated_env(Path(tmp))
        startup = sorted(run([*dipaudit_cmd(), "--help"], env=env, what="dipaudit --help").wall
                         for _ in range(3))[1]
        print(f"  start-up (dipaudit --help as a process): {startup:.2f} s; growth is judged past it", flush=True)
        for n in sizes:
            work = Path(tmp) / f"n{n}"
            work.mkdir()
            size = Size(n, work, isolated_env(work), write_csv(work / "caseload.csv", HEADINGS, canonical_rows(n)),
                        work / "dipaudit.db")
            for step in STEPS:
                measures = []
                for _ in range(args.runs):
                    if step.prepare:
                        step.prepare(size)
                    measures.append(run(step.command(size), env=size.env, what=step.name))
                m = sorted(measures, key=lambda m: m.wall)[len(measures) // 2]
                results[step.name].append((n, m))
                print(f"  {n:>9,} children  {step.name:<36} {m.wall:7.2f} s wall {m.cpu:7.2f} s cpu "
                      f"{m.rss_mb:6.0f} MB  {1e6 * m.wall / n:7.1f} µs per child", flush=True)
            db_mb = sum(p.stat().st_size for p in work.glob("dipaudit.db*")) / 1e6
            print(f"  {n:>9,} children  database {db_mb:,.0f} MB", flush=True)
            for p in work.iterdir():
                p.unlink()
    print("growth (ratio of wall time past start-up between sizes; the children grow by the ratio in brackets):")
    for name, points in results.items():
        steps = []
        for (n0, m0), (n1, m1) in zip(points, points[1:], strict=False):
            ratio = max(m1.wall - startup, 0.01) / max(m0.wall - startup, 0.01)
            steps.append(f"{n0:,} -> {n1:,} ({n1 / n0:g}x): {ratio:.1f}x")
            goals.value(f"{name}, {n0:,} -> {n1:,} children", ratio * 10 / (n1 / n0), at_most=GROWTH_GOAL,
                        unit="x per 10x children")
        print(f"  {name:<36} " + "; ".join(steps))
    for later in LATER:
        print(f"  (not measured yet: {later})")
    goals.finish()


if __name__ == "__main__":
    main()

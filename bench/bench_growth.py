"""Benchmark: how each cost grows from 10,000 to 100,000 (and 1,000,000) children (issue 10 item 6).

For each size, in a temp dir, a canonical caseload of that many children is built, and
each measure runs as a whole ``dipaudit`` process on it. Printed per size: wall and CPU
seconds, the cost per 1,000 children, and the ratio to the size before (10x the children:
a ratio near 10 grows linearly, below 10 better). A measure whose ratio between two
sizes is over ``GROWTH_GOAL`` (a per-child cost that grows by more than half) fails the
run. 1,000,000 children only with ``--full`` (with 10,000 and 100,000: 15 minutes on a
quiet 2-core machine, 50 on a busy one; about 4 GB of disk and 4.5 GB of memory for
building its audits).

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

NOW_ISO = "2020-04-30T08:05:00+01:00"  # bench_reports.NOW, in London time for --now

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


def _history(s: Size) -> Path:
    """A database of ``s.children`` audits over two years with their ratings, actions,
    reviews, escalations, comments, trail and outbox (``bench_reports.build`` and
    ``bench_tick.add_history``), one audit per child; a first tick has caught up on it."""
    db = s.work / "history.db"
    if not db.exists():
        import os

        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        from bench_reports import NOW, build
        from bench_tick import add_history, context

        from core.store import Store
        from core.tick import tick

        store = Store.open(db)
        build(store, s.children)
        add_history(store)
        store.close()
        ctx = context(db, NOW)
        tick(ctx)  # the history caught up on, and the whole trail checked: later ticks are quiet
        ctx.store.close()
        os.sync()
    return db


def _catch_up(s: Size) -> None:
    """A copy of the history where 5,000 audits' windows have closed and 10,000 actions
    fell due since the last tick (``bench_tick.make_due``), at every size."""
    from datetime import timedelta

    from bench_reports import NOW
    from bench_tick import copy_db, make_due

    from core.store import Store

    copy = s.work / "catchup.db"
    copy_db(_history(s), copy)
    store = Store.open(copy)
    make_due(store, NOW + timedelta(hours=23))  # within the day: not the daily whole trail check
    store.close()


def _history_cmd(s: Size, db: str, now: str, *args: str) -> list[str]:
    return [*dipaudit_cmd(), "--db", str(s.work / db), "--now", now, "--user", "admin1", *args]


def _fresh(s: Size) -> None:
    for p in s.work.glob("dipaudit.db*"):
        p.unlink()


STEPS = [
    Step("import caseload (new database)", lambda s: s.dipaudit("import", "caseload", str(s.csv)), _fresh),
    Step("import caseload again, unchanged", lambda s: s.dipaudit("import", "caseload", str(s.csv)),
         _import_once),
    Step("sample --dry-run (per worker 1)", lambda s: s.dipaudit("sample", "--dry-run", "--json", "--seed", "1"),
         _with_auditor),
    # One audit per child, two years of them (bench_reports): the tick and the reports.
    Step("tick --no-send, quiet (1 audit a child)", lambda s: _history_cmd(s, "history.db", NOW_ISO, "tick",
                                                                          "--no-send"), _history),
    Step("tick --no-send, 5,000 audits + 10,000 due",
         lambda s: _history_cmd(s, "catchup.db", "2020-05-01T07:05:00+01:00", "tick", "--no-send"), _catch_up),
    Step("report smt over every audit (2 years)",
         lambda s: _history_cmd(s, "history.db", NOW_ISO, "report", "smt", "--from", "2018-04-01", "--to",
                                "2020-04-30", "--format", "json"), _history),
    Step("report weekly (+ 8-week trend)",
         lambda s: _history_cmd(s, "history.db", NOW_ISO, "report", "weekly", "--format", "json"), _history),
]
LATER: list[str] = []


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
    sizes_mb: dict[int, tuple[float, float]] = {}
    with tempfile.TemporaryDirectory(prefix="dipaudit-growth-") as tmp:
        env = isolated_env(Path(tmp))
        startup = sorted(run([*dipaudit_cmd(), "--help"], env=env, what="dipaudit --help").wall
                         for _ in range(3))[1]
        print(f"  start-up (dipaudit --help as a process): {startup:.2f} s; growth is judged past it", flush=True)
        for n in sizes:
            work = Path(tmp) / f"n{n}"
            work.mkdir()
            size = Size(n, work, isolated_env(work, DIPAUDIT_SECURITY__ACT_AS=f'["{getpass.getuser()}"]'), write_csv(work / "caseload.csv", HEADINGS, canonical_rows(n)),
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
            hist_mb = sum(p.stat().st_size for p in work.glob("history.db*")) / 1e6
            print(f"  {n:>9,} children  database {db_mb:,.0f} MB (caseload); {hist_mb:,.0f} MB with one audit"
                  f" a child over two years, their actions, trail and outbox", flush=True)
            sizes_mb[n] = (db_mb, hist_mb)
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
    biggest = max(sizes_mb)
    caseload_mb, history_mb = (mb * 1_000_000 / biggest for mb in sizes_mb[biggest])
    how = "measured" if biggest >= 1_000_000 else f"estimated linearly from {biggest:,} children"
    year_mb = caseload_mb + history_mb / 2  # the history is two years of one audit per child
    print(f"  1,000,000 children with a year of audits (500,000, with their actions, trail and outbox):"
          f" {year_mb / 1e3:,.2f} GB ({how}: caseload {caseload_mb / 1e3:,.2f} GB + a year's audits"
          f" {history_mb / 2e3:,.2f} GB)")
    goals.value("database of 1,000,000 children with a year of audits", year_mb / 1e3, at_most=2.0, unit="GB")
    goals.finish()


if __name__ == "__main__":
    main()

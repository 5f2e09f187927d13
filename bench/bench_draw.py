"""Benchmark: draw a sample from 100,000 children (design.md "Speed": well under a second).

Builds a fresh database (default in a temp dir): 100,000 children across ~2,000 workers,
a realistic cohort mix, sibling groups, case-note history with some recent QA Audit
notes, then times ``draw_sample`` (dry run and stored) over several runs against a
baseline in the same run: a plain SELECT of every child (the columns a draw needs)
into Python, the least any draw must do.

    .venv/bin/python bench/bench_draw.py [--children 100000] [--workers 2000] [--runs 5] [--db FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _bench import Goals  # noqa: E402

from core.clock import FixedClock  # noqa: E402
from core.config import Settings  # noqa: E402
from core.context import Context  # noqa: E402
from core.sampling import draw_sample  # noqa: E402
from core.store import Store  # noqa: E402

NOW = datetime(2020, 4, 27, 9, 0, tzinfo=UTC)
COHORTS = [("cin", 55), ("cla", 20), ("cp", 15), ("care_leaver", 8), ("unborn", 2)]


def build(store: Store, children: int, workers: int, seed: int = 2020) -> dict:
    rng = random.Random(seed)
    settings = Settings()
    cohorts = [c for c, w in COHORTS for _ in range(w)]
    child_rows, note_rows = [], []
    family = 0
    i = 0
    while i < children:
        # About a third of children come in sibling groups of 2-3, often with different workers.
        size = rng.choice([1, 1, 1, 1, 2, 3]) if i + 3 < children else 1
        fam = f"F{family}" if size > 1 else None
        family += size > 1
        for _ in range(size):
            cid = f"C{i:06d}"
            cohort = rng.choice(cohorts)
            worker = f"w{rng.randrange(workers):04d}"
            closed = rng.random() < 0.08
            unallocated = rng.random() < 0.01
            child_rows.append((
                cid, f"Child {cid}", None if cohort == "unborn" else "2012-05-01", cohort,
                settings.tier_of(cohort), None if unallocated else worker,
                None if unallocated else worker, f"Team {int(worker[1:]) % 40:02d}", fam,
                0 if closed else 1, "2020-03-01" if closed else None, "{}", "2020-04-26T09:00:00Z",
            ))
            # A few notes each; one child in eight has a QA Audit note in the last 12 weeks.
            for n in range(3):
                d = date(2020, 4, 26) - timedelta(days=rng.randrange(120))
                note_rows.append((cid, d.isoformat(), "communication", "Communication", worker, "",
                                  f"{cid}-{n}", "2020-04-26T09:00:00Z"))
            if rng.random() < 0.125:
                d = date(2020, 4, 26) - timedelta(days=rng.randrange(84))
                note_rows.append((cid, d.isoformat(), "qa_audit", "QA Audit", "aud1", "",
                                  f"{cid}-qa", "2020-04-26T09:00:00Z"))
            i += 1
            if i >= children:
                break
    conn = store.db.conn
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany(
        "INSERT INTO children (child_id, name, date_of_birth, cohort, tier, worker, worker_login, team,"
        " family_id, is_open, closed_on, key_dates, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
        child_rows,
    )
    conn.executemany(
        "INSERT INTO case_notes (child_id, date, kind, type, author, summary, note_key, imported_at)"
        " VALUES (?,?,?,?,?,?,?,?)",
        note_rows,
    )
    conn.execute("INSERT INTO people (login, name, roles) VALUES ('admin1', 'Admin', ?)",
                 [json.dumps(["admin"])])
    conn.execute("COMMIT")
    return {"children": len(child_rows), "notes": len(note_rows), "families": family}


def timed(fn, runs: int, between=None) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU milliseconds per run (CPU time is steadier on a busy machine)."""
    wall, cpu = [], []
    for _ in range(runs):
        t, c = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
        if between:
            between()
    return wall, cpu


def fmt(ms: tuple[list[float], list[float]]) -> str:
    wall, cpu = ms
    return (f"wall median {statistics.median(wall):7.1f} ms (min {min(wall):7.1f})"
            f"   cpu median {statistics.median(cpu):7.1f} ms (min {min(cpu):7.1f})")


def ratio(a, b) -> str:
    return (f"{statistics.median(a[0]) / statistics.median(b[0]):.1f}x wall,"
            f" {statistics.median(a[1]) / statistics.median(b[1]):.1f}x cpu")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--children", type=int, default=100_000)
    ap.add_argument("--workers", type=int, default=2_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--db", type=Path, default=None)
    args = ap.parse_args()

    tmp = tempfile.TemporaryDirectory()
    path = args.db or Path(tmp.name) / "bench.db"
    if path.exists():
        sys.exit(f"{path} exists; give a new file")
    store = Store.open(path)
    t = time.perf_counter()
    built = build(store, args.children, args.workers)
    print(f"built {built['children']:,} children, {built['notes']:,} case notes, "
          f"{built['families']:,} sibling groups in {time.perf_counter() - t:.1f} s")
    ctx = Context(store=store, clock=FixedClock(NOW), settings=Settings(), user="admin1", os_login="bench")

    def baseline():
        with store.lock:
            store.db.conn.execute(
                "SELECT child_id, cohort, worker, team, family_id, is_open, closed_on FROM children"
            ).fetchall()

    def cancel_queue():  # keep every stored run on the same data
        with store.lock:
            store.db.conn.execute("UPDATE queue_items SET status = 'cancelled'")
            store.db.conn.commit()

    base = timed(baseline, args.runs)
    dry = timed(lambda: draw_sample(ctx, seed=1, dry_run=True), args.runs)
    stored = timed(lambda: draw_sample(ctx, seed=1), args.runs, between=cancel_queue)
    r = draw_sample(ctx, seed=1, dry_run=True)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (figures are noisy when busy)")
    print(f"draw: {len(r.picks):,} picks, {len(r.unfilled):,} workers unfilled, per worker 1, {args.runs} runs")
    print(f"baseline SELECT all children  : {fmt(base)}")
    print(f"draw_sample dry run           : {fmt(dry)}   ({ratio(dry, base)} of baseline)")
    print(f"draw_sample stored            : {fmt(stored)}   ({ratio(stored, base)} of baseline)")
    store.close()
    tmp.cleanup()
    # Issue 10 item 2 (the in-process baseline here; the whole-process select-and-group
    # baseline comes with the draw work).
    goals = Goals("bench_draw")
    goals.value("draw dry run, median wall / baseline", statistics.median(dry[0]) / statistics.median(base[0]),
                at_most=2.0, unit="x")
    goals.value("stored draw, median wall / baseline", statistics.median(stored[0]) / statistics.median(base[0]),
                at_most=3.0, unit="x")
    goals.finish()


if __name__ == "__main__":
    main()

"""Benchmark: draw a sample from 100,000 children, as whole processes (issue 10 item 2).

Builds a fresh database (default in a temp dir): 100,000 children across ~2,000 workers,
a realistic cohort mix, sibling groups, about 300,000 case notes with some recent QA
Audit notes. Then, interleaved in the same run, each a whole process (start-up included):

- baseline: a Python process that selects the open children and groups them by worker
  (the least any draw must do);
- ``dipaudit sample --dry-run --json --seed 1`` (goal: within 2x of the baseline);
- ``dipaudit sample --json --seed 1``, the stored draw: queue rows, the sample's full log
  and its event (goal: within 3x). Before each, the queue is emptied (untimed), so every
  run draws from the same data.

    .venv/bin/python bench/bench_draw.py [--children 100000] [--workers 2000] [--runs 5] [--db FILE]
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _bench import Goals, compare, dipaudit_cmd, isolated_env, load_line, print_pairs, run  # noqa: E402

from core.clock import iso  # noqa: E402
from core.config import Settings  # noqa: E402
from core.context import os_login  # noqa: E402
from core.store import Store  # noqa: E402

NOW = datetime(2020, 4, 27, 9, 0, tzinfo=UTC)
DRY_GOAL, STORED_GOAL = 2.0, 3.0
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
    conn.execute("INSERT INTO people (login, name, roles) VALUES (?, 'Bench Auditor', ?)",
                 [os_login(), json.dumps(["admin", "auditor"])])
    conn.execute("COMMIT")
    return {"children": len(child_rows), "notes": len(note_rows), "families": family}


# The baseline, as its own process: select the open children and group them by worker.
BASELINE = r"""
import sqlite3, sys
from collections import defaultdict
conn = sqlite3.connect(sys.argv[1])
by_worker = defaultdict(list)
for row in conn.execute("SELECT child_id, cohort, worker, team, family_id FROM children WHERE is_open = 1"):
    by_worker[row[2]].append(row)
print(len(by_worker))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--children", type=int, default=100_000)
    ap.add_argument("--workers", type=int, default=2_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--db", type=Path, default=None)
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="dipaudit-draw-") as tmp:
        tmp = Path(tmp)
        path = args.db or tmp / "bench.db"
        if path.exists():
            sys.exit(f"{path} exists; give a new file")
        store = Store.open(path)
        t = time.perf_counter()
        built = build(store, args.children, args.workers)
        store.close()
        print(f"built {built['children']:,} children, {built['notes']:,} case notes, "
              f"{built['families']:,} sibling groups in {time.perf_counter() - t:.1f} s; {load_line()}",
              flush=True)
        me = os_login()
        env = isolated_env(tmp, DIPAUDIT_SECURITY__ACT_AS=json.dumps([me]), DIPAUDIT_NOW=iso(NOW))
        script = tmp / "baseline.py"
        script.write_text(BASELINE, encoding="utf-8")
        draw = [*dipaudit_cmd(), "--db", str(path), "sample", "--seed", "1", "--json"]

        def baseline():
            return run([sys.executable, str(script), str(path)], env=env, what="baseline")

        def cancel_queue() -> None:  # untimed: every stored draw starts from the same queue
            with sqlite3.connect(path) as conn:
                conn.execute("UPDATE queue_items SET status = 'cancelled' WHERE status != 'cancelled'")

        dry = compare(baseline, lambda: run([*draw, "--dry-run"], env=env, what="sample --dry-run"),
                      runs=args.runs)
        stored = compare(baseline, lambda: run(draw, env=env, what="sample"), runs=args.runs,
                         before_each=cancel_queue)
        result = json.loads(dry.ours[-1].stdout)
        print(f"draw: {len(result['picks']):,} picks, {len(result['unfilled']):,} workers unfilled, per worker 1,"
              f" {args.runs} interleaved runs each (whole processes)")
        print_pairs("dipaudit sample --dry-run", dry, base_label="baseline select and group")
        print_pairs("dipaudit sample (stored)", stored, base_label="baseline select and group")
    goals = Goals("bench_draw")  # issue 10 item 2
    goals.ratio("sample --dry-run over 100,000 children", dry, at_most=DRY_GOAL)
    goals.ratio("stored draw (queue rows and the full log)", stored, at_most=STORED_GOAL)
    goals.finish()


if __name__ == "__main__":
    main()

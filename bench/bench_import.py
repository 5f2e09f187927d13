"""Benchmark: import 100,000 caseload rows (design.md "Speed": a few seconds).

Generates a canonical caseload CSV (temp dir), imports it into a fresh database
with ``import_caseload``, then imports the same file again (unchanged: nothing to
write). In the same run, as the baseline, inserts the same rows with raw sqlite3
``executemany`` into an equivalent table in one transaction: the practical
ceiling here (field notes). Prints rows/s for both and the ratio.

    .venv/bin/python bench/bench_import.py [--rows 100000]
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.clock import FixedClock  # noqa: E402
from core.config import Settings  # noqa: E402
from core.context import Context  # noqa: E402
from core.importers import import_caseload  # noqa: E402
from core.store import Store  # noqa: E402

NOW = datetime(2020, 4, 27, 9, 0, tzinfo=UTC)
HEADINGS = ["child_id", "name", "date_of_birth", "expected_date_of_birth", "cohort", "worker", "team",
            "family_id", "closed_on"]
COHORTS = [("cin", 55), ("cla", 20), ("cp", 15), ("care_leaver", 8), ("unborn", 2)]


def generate(path: Path, rows: int, seed: int = 2020) -> list[list[str]]:
    rng = random.Random(seed)
    cohorts = [c for c, w in COHORTS for _ in range(w)]
    out = []
    for i in range(rows):
        cohort = rng.choice(cohorts)
        unborn = cohort == "unborn"
        dob = date(2002, 1, 1) + timedelta(days=rng.randrange(6500))
        edob = date(2020, 5, 1) + timedelta(days=rng.randrange(200))
        closed = date(2020, 1, 1) + timedelta(days=rng.randrange(100)) if rng.random() < 0.05 else None
        out.append([
            f"C{i:07d}", f"Child {i} Example", "" if unborn else dob.strftime("%d/%m/%Y"),
            edob.isoformat() if unborn else "", cohort, f"Worker {i % 2000}", f"Team {i % 40}",
            f"F{i // 3}" if rng.random() < 0.3 else "", closed.isoformat() if closed else "",
        ])
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(HEADINGS)
        w.writerows(out)
    return out


def baseline(db: Path, rows: list[list[str]]) -> float:
    """Raw executemany of the same rows into an equivalent table, one transaction."""
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute(f"CREATE TABLE children ({', '.join(h + ' TEXT' for h in HEADINGS)}, PRIMARY KEY (child_id))")
    start = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany(f"INSERT INTO children VALUES ({', '.join('?' * len(HEADINGS))})",
                     [tuple(r or None for r in row) for row in rows])
    conn.execute("COMMIT")
    took = time.perf_counter() - start
    conn.close()
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        csv_path = tmp / "caseload.csv"
        rows = generate(csv_path, args.rows)
        store = Store.open(tmp / "dipaudit.db")
        ctx = Context(store=store, clock=FixedClock(NOW), settings=Settings(), user="bench", os_login="bench")

        start, cpu = time.perf_counter(), time.process_time()
        first = import_caseload(ctx, csv_path)
        took, took_cpu = time.perf_counter() - start, time.process_time() - cpu
        start, cpu = time.perf_counter(), time.process_time()
        second = import_caseload(ctx, csv_path)
        again, again_cpu = time.perf_counter() - start, time.process_time() - cpu
        store.close()
        cpu = time.process_time()
        raw = baseline(tmp / "raw.db", rows)
        raw_cpu = time.process_time() - cpu

    n = args.rows
    # Wall time suffers when other work shares the machine; CPU time of this process less so.
    print(f"rows: {n:,} (canonical CSV, {first.added:,} children added); load average {os.getloadavg()[0]:.1f}"
          f" on {os.cpu_count()} CPUs")
    print(f"import_caseload:         {took:6.2f} s wall {n / took:>9,.0f} rows/s   {took_cpu:6.2f} s CPU")
    print(f"raw sqlite3 executemany: {raw:6.2f} s wall {n / raw:>9,.0f} rows/s   {raw_cpu:6.2f} s CPU")
    print(f"ratio (import / raw):    {took / raw:6.1f}x wall                   {took_cpu / raw_cpu:6.1f}x CPU")
    print(f"second import, same file (unchanged {second.unchanged:,}): {again:.2f} s wall, {again_cpu:.2f} s CPU")


if __name__ == "__main__":
    main()

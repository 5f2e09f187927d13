"""A simulated council year (issue 9 item 8): dipaudit used for N months on the injected
clock, through the same core services as the CLI, with the scheduler ticking at random
intervals (1 to 90 minutes, a few outages of days), across both clock changes and the
England bank holidays; the rules checked after every tick and at the end.

Prints what happened (audits by status, escalations by outcome, ticks run, the longest
gap between ticks, run time) and each invariant's figure; exits 1 if any is broken.
The simulation itself is ``tests/simulation.py`` (the suite runs a month of it:
``tests/test_simulated_month.py``); the checks are ``tests/sim_invariants.py``.

    .venv/bin/python bench/simulate_year.py [--months 12] [--seed 1] [--db FILE]

About 3,000 audits and 300 escalations a year. The database is built in a temporary
directory and removed, unless ``--db`` names a new file to keep (to look at with
``dipaudit --db FILE ...``).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from simulation import Plan, report, run_simulation  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--months", type=int, default=12, help="months to simulate (default 12)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1): the same seed, the same year")
    parser.add_argument("--db", type=Path, help="keep the database here (a new file)")
    args = parser.parse_args(argv)
    if args.months < 1:
        parser.error("--months must be at least 1")
    if args.db and args.db.exists():
        parser.error(f"--db {args.db}: exists already; give a new file")
    plan = Plan(months=args.months, seed=args.seed)
    with tempfile.TemporaryDirectory(prefix="dipaudit-year-") as tmp:
        db = args.db or Path(tmp) / "year.db"
        result = run_simulation(db, plan, workdir=Path(tmp) / "files")
    print(report(result, plan))
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: start-up of the command line, as whole processes (issue 10 item 4).

``dipaudit --help`` and ``dipaudit queue --json`` on an empty database, beside a bare
``python -c pass`` (the interpreter alone) in the same run. Goal: each under 250 ms.
Also lists the heaviest modules ``dipaudit`` imports (``-X importtime``), the place to
look when the goal is missed.

    .venv/bin/python bench/bench_startup.py [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _bench import Goals, dipaudit_cmd, isolated_env, load_line, run  # noqa: E402

GOAL_MS = 250


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    goals = Goals("bench_startup")
    print(f"{args.runs} runs each, medians; {load_line()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="dipaudit-startup-") as tmp:
        tmp = Path(tmp)
        env = isolated_env(tmp)
        db = tmp / "empty.db"
        run([*dipaudit_cmd(), "--db", str(db), "init"], env=env)  # the empty database (untimed)
        cases = {
            "python -c pass (baseline)": [sys.executable, "-c", "pass"],
            "dipaudit --help": [*dipaudit_cmd(), "--help"],
            "dipaudit queue --json (empty database)": [*dipaudit_cmd(), "--db", str(db), "queue", "--json"],
        }
        times: dict[str, list[float]] = {k: [] for k in cases}
        for _ in range(args.runs):
            for label, cmd in cases.items():
                times[label].append(run(cmd, env=env, what=label).wall * 1000)
        for label, ms in times.items():
            print(f"  {label:<40} {statistics.median(ms):7.0f} ms (min {min(ms):5.0f})")
        for label in list(cases)[1:]:
            goals.value(label, statistics.median(times[label]), at_most=GOAL_MS, unit="ms")
        probe = run([*dipaudit_cmd()[:1], "-X", "importtime", *dipaudit_cmd()[1:], "--help"]
                    if len(dipaudit_cmd()) > 1 else [sys.executable, "-X", "importtime", "-c",
                                                     "from tui.cli import main"], env=env)
        rows = []
        for line in probe.stderr.splitlines():
            parts = line.split("|")
            if len(parts) == 3 and parts[1].strip().isdigit():
                rows.append((int(parts[1]), parts[2].rstrip()))
        print("  heaviest imports (cumulative ms):")
        for us, name in sorted(rows, reverse=True)[:12]:
            print(f"    {us / 1000:7.1f}  {name}")
    goals.finish()


if __name__ == "__main__":
    main()

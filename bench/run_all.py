"""Run every benchmark in this folder (make bench): each prints its figures beside its
in-run baseline and the load average, and exits 1 with "GOAL MISSED: ..." lines when a
ratio is worse than its goal. This prints them all, then every missed goal again, and
exits non-zero if any benchmark failed. Timings are noisy on a busy machine: read them
with the load average printed beside them.

    .venv/bin/python bench/run_all.py [--only import,growth]
"""

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


here = Path(__file__).parent
parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--only", default=None, help="comma-separated names: import, growth, draw, tui, startup, ...")
args = parser.parse_args()
wanted = set(args.only.split(",")) if args.only else None
status, missed, ran = 0, [], []
for script in sorted(here.glob("bench_*.py")):
    name = script.stem.removeprefix("bench_")
    if wanted and name not in wanted:
        continue
    print(f"== {script.name} (load average {load()})", flush=True)
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    for line in proc.stdout:
        print(line, end="", flush=True)
        if line.startswith("GOAL MISSED"):
            missed.append(f"{script.name}: {line.strip()}")
    code = proc.wait()
    ran.append(f"{script.name}: exit {code} in {time.perf_counter() - start:.0f} s")
    status |= code != 0
print(f"== summary (load average {load()})")
for line in ran + missed:
    print(line)
print("all goals met" if not status else f"{len(missed)} goal(s) missed, or a benchmark failed")
sys.exit(1 if status else 0)

"""Benchmark: start-up of the command line, as whole processes (issue 10 item 4).

``dipaudit --help`` and ``dipaudit queue --json`` on an empty database, beside a bare
``python -c pass`` (the interpreter alone) in the same run. Goal: each under 250 ms.
Also lists the heaviest modules ``dipaudit`` imports (``-X importtime``), the place to
look when the goal is missed.

Two ways to run: "compiled" is a real install (every module read from its .pyc; here
cached under a temporary ``PYTHONPYCACHEPREFIX``, warmed by one untimed run, so the
worktree is not touched): the goal applies to it. "as this environment is" runs with the
environment unchanged: with ``PYTHONDONTWRITEBYTECODE=1`` and no ``__pycache__`` beside
the sources (an editable install writes none; ``make``'s install steps now run
compileall), dipaudit's own modules are compiled on every run. It is printed beside,
without a goal.

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
        source_env = isolated_env(tmp)
        compiled_env = {k: v for k, v in source_env.items() if k != "PYTHONDONTWRITEBYTECODE"}
        compiled_env["PYTHONPYCACHEPREFIX"] = str(tmp / "pyc")
        db = tmp / "empty.db"
        run([*dipaudit_cmd(), "--db", str(db), "init"], env=source_env)  # the empty database (untimed)
        cases = {
            "python -c pass (baseline)": [sys.executable, "-c", "pass"],
            "dipaudit --help": [*dipaudit_cmd(), "--help"],
            "dipaudit queue --json (empty database)": [*dipaudit_cmd(), "--db", str(db), "queue", "--json"],
        }
        for cmd in cases.values():  # fill the compiled run's .pyc cache (untimed)
            run(cmd, env=compiled_env)
        envs = {"compiled": compiled_env, "as this environment is": source_env}
        times = {(how, k): [] for how in envs for k in cases}
        cpu = {key: [] for key in times}
        for _ in range(args.runs):
            for how, env in envs.items():
                for label, cmd in cases.items():
                    m = run(cmd, env=env, what=label)
                    times[how, label].append(m.wall * 1000)
                    cpu[how, label].append(m.cpu * 1000)
        for how in envs:
            print(f"  {how}:")
            for label in cases:
                ms = times[how, label]
                print(f"    {label:<40} {statistics.median(ms):7.0f} ms (min {min(ms):5.0f};"
                      f" cpu {statistics.median(cpu[how, label]):5.0f} ms)")
        for label in list(cases)[1:]:
            goals.value(label, statistics.median(times["compiled", label]), at_most=GOAL_MS, unit="ms")
        probe = run([sys.executable, "-X", "importtime", "-c",
                     "import sys; from tui.cli import main;"
                     f" sys.argv = ['dipaudit', '--db', {str(db)!r}, 'queue', '--json']; main()"],
                    env=compiled_env)
        rows = []
        for line in probe.stderr.splitlines():
            parts = line.split("|")
            if len(parts) == 3 and parts[1].strip().isdigit():
                rows.append((int(parts[1]), parts[2].rstrip()))
        print("  heaviest imports of queue --json, compiled (cumulative ms):")
        for us, name in sorted(rows, reverse=True)[:12]:
            print(f"    {us / 1000:7.1f}  {name}")
    goals.finish()


if __name__ == "__main__":
    main()

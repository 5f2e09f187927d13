"""What every benchmark here shares: whole-process timing against an in-run baseline,
the machine's load, and goals that fail the run (``make bench``).

A benchmark measures dipaudit beside a baseline doing the least the same job needs,
in the same run, interleaved (baseline, dipaudit, baseline, dipaudit, ...), so both
see the same machine. Each pair gives a ratio; the figure judged is the median of
those ratios, which a busy machine (other work starting and stopping) moves least.
Timings go here, never into unit tests.

    goals = Goals("import")
    pairs = compare(lambda: run(baseline_cmd), lambda: run(dipaudit_cmd), runs=3)
    goals.ratio("canonical CSV import", pairs, at_most=3.0)
    goals.finish()   # prints "GOAL MISSED: ..." and exits 1 if any goal was missed
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def load_line() -> str:
    one, five, fifteen = os.getloadavg()
    return (f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPUs"
            " (figures are noisy when the load is near or above the CPU count)")


def dipaudit_cmd() -> list[str]:
    """The installed ``dipaudit`` script beside this interpreter, else the module."""
    script = Path(sys.executable).with_name("dipaudit")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from tui.cli import main; main()"]


def isolated_env(tmp: Path, **extra: str) -> dict[str, str]:
    """An environment that reads no user config and writes nothing outside ``tmp``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIPAUDIT_")}
    env.update(DIPAUDIT_CONFIG=str(tmp / "no-config.toml"), DIPAUDIT_DATA_DIR=str(tmp / "data"),
               DIPAUDIT_CONFIG_DIR=str(tmp / "config"), PYTHONPATH=str(ROOT), **extra)
    return env


@dataclass
class Measure:
    """One child process: wall seconds, CPU seconds (user + system), peak RSS in MB."""

    wall: float
    cpu: float
    rss_mb: float
    returncode: int
    stdout: str = ""
    stderr: str = ""

    def check(self, what: str) -> Measure:
        if self.returncode != 0:
            sys.exit(f"{what} failed (exit {self.returncode}):\n{self.stderr.strip()[-2000:]}")
        return self


def run(cmd: Sequence[str], *, env: dict | None = None, cwd: Path | None = None, what: str = "") -> Measure:
    """Spawn ``cmd`` and measure it as a whole process (interpreter start-up included).

    CPU time and peak RSS are the child's own (``os.wait4``). ``what``: exit with the
    child's stderr if it fails."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(list(cmd), env=env, cwd=cwd, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        m = Measure(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, proc.returncode,
                    out.read(), err.read())
    return m.check(what) if what else m


@dataclass
class Pairs:
    """Interleaved runs of a baseline and of dipaudit doing the same job."""

    base: list[Measure] = field(default_factory=list)
    ours: list[Measure] = field(default_factory=list)

    @property
    def ratios(self) -> list[float]:
        return [o.wall / b.wall for b, o in zip(self.base, self.ours, strict=True)]

    @property
    def ratio(self) -> float:
        return statistics.median(self.ratios)

    @property
    def cpu_ratio(self) -> float:
        return statistics.median(o.cpu / b.cpu for b, o in zip(self.base, self.ours, strict=True))


def compare(baseline: Callable[[], Measure], ours: Callable[[], Measure], *, runs: int,
            before_each: Callable[[], None] | None = None) -> Pairs:
    pairs = Pairs()
    for _ in range(runs):
        if before_each:
            before_each()
        pairs.base.append(baseline())
        pairs.ours.append(ours())
    return pairs


def secs(ms: Sequence[Measure]) -> str:
    wall = [m.wall for m in ms]
    cpu = [m.cpu for m in ms]
    return (f"wall median {statistics.median(wall):6.2f} s (min {min(wall):6.2f})"
            f"  cpu median {statistics.median(cpu):6.2f} s")


def print_pairs(label: str, pairs: Pairs, *, base_label: str = "baseline") -> None:
    print(f"  {base_label:<34} {secs(pairs.base)}")
    print(f"  {label:<34} {secs(pairs.ours)}   {pairs.ratio:4.2f}x wall (runs: "
          + ", ".join(f"{r:.2f}" for r in pairs.ratios) + f"), {pairs.cpu_ratio:4.2f}x cpu", flush=True)


class Goals:
    """Goals of one benchmark run; ``finish`` fails the run when any was missed."""

    def __init__(self, bench: str):
        self.bench = bench
        self.missed: list[str] = []
        self.met: list[str] = []

    def _record(self, ok: bool, line: str) -> None:
        (self.met if ok else self.missed).append(line)

    def ratio(self, what: str, pairs: Pairs, *, at_most: float) -> None:
        r = pairs.ratio
        self._record(r <= at_most, f"{what}: {r:.2f}x of its baseline (goal <= {at_most:g}x)")

    def value(self, what: str, value: float, *, at_most: float, unit: str) -> None:
        self._record(value <= at_most, f"{what}: {value:,.1f} {unit} (goal < {at_most:g} {unit})")

    def finish(self) -> None:
        print(f"-- {self.bench}: {load_line()}")
        for line in self.met:
            print(f"goal met: {line}")
        for line in self.missed:
            print(f"GOAL MISSED: {line}")
        sys.stdout.flush()
        if self.missed:
            sys.exit(1)

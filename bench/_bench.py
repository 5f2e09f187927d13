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

import json
import os
import statistics
import subprocess
import sys
import tempfile
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


# Linux keeps a process's peak RSS across fork and exec: a child forked from this
# process (a bench that has built a big database in memory) would report this process's
# size as its own peak. So children are spawned by a small process of their own (started
# on first use), and what they report is theirs: wall, CPU and peak RSS by ``os.wait4``.
_SPAWNER_CODE = r"""
import json, os, subprocess, sys, time
for line in sys.stdin:
    job = json.loads(line)
    with open(job["out"], "w") as out, open(job["err"], "w") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(job["cmd"], env=job["env"], cwd=job["cwd"], stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    print(json.dumps([wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss,
                      os.waitstatus_to_exitcode(status)]), flush=True)
"""
_spawner: subprocess.Popen | None = None


def _spawn(cmd: Sequence[str], env: dict | None, cwd: Path | None, out: str, err: str) -> list:
    global _spawner
    if _spawner is None or _spawner.poll() is not None:
        _spawner = subprocess.Popen([sys.executable, "-c", _SPAWNER_CODE], stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, text=True)
    job = {"cmd": list(cmd), "env": dict(os.environ if env is None else env),
           "cwd": None if cwd is None else str(cwd), "out": out, "err": err}
    _spawner.stdin.write(json.dumps(job) + "\n")
    _spawner.stdin.flush()
    answer = _spawner.stdout.readline()
    if not answer:
        sys.exit(f"the bench's spawner ended before running {cmd[0]}")
    return json.loads(answer)


def run(cmd: Sequence[str], *, env: dict | None = None, cwd: Path | None = None, what: str = "") -> Measure:
    """Spawn ``cmd`` and measure it as a whole process (interpreter start-up included).

    CPU time and peak RSS are the child's own (``os.wait4``, in a small spawner process,
    so this process's size is not counted as the child's). ``what``: exit with the
    child's stderr if it fails."""
    with tempfile.TemporaryDirectory() as tmp:
        out, err = os.path.join(tmp, "out"), os.path.join(tmp, "err")
        wall, cpu, maxrss, returncode = _spawn(cmd, env, cwd, out, err)
        with open(out) as f_out, open(err) as f_err:
            m = Measure(wall, cpu, maxrss / 1024, returncode, f_out.read(), f_err.read())
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

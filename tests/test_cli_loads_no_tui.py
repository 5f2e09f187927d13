"""The CLI is guarded: a headless command (cron's `dipaudit tick`, `--help`) never loads
Textual or Rich, so it stays quick and runs where no terminal UI could. The import-linter
contract "the CLI never imports the terminal UI" says the same of the code; this proves it
of a real run."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import REPO

UI = ("textual", "rich", "tui.app", "tui.screens", "tui.widgets")

# Run the real entry point, then report which UI modules the process had loaded.
PROBE = (
    "import sys\n"
    "from tui.cli import main\n"
    "sys.argv = ['dipaudit', *sys.argv[1:]]\n"
    "try:\n"
    "    main()\n"
    "except SystemExit as exc:\n"
    "    code = exc.code or 0\n"
    "else:\n"
    "    code = 0\n"
    f"ui = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich') or m.startswith({UI[2:]!r}))\n"
    "print('LOADED:' + ','.join(ui), file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def _run(*args: str, db=None) -> subprocess.CompletedProcess:
    argv = ["--db", str(db), *args] if db else list(args)
    return subprocess.run([sys.executable, "-c", PROBE, *argv], cwd=REPO, capture_output=True, text=True)


def _loaded(proc: subprocess.CompletedProcess) -> list[str]:
    line = next(x for x in proc.stderr.splitlines() if x.startswith("LOADED:"))
    return [m for m in line[len("LOADED:"):].split(",") if m]


@pytest.mark.parametrize("args", [
    ("tick", "--no-send", "--json"),
    ("tick", "--json"),
], ids=["tick --no-send", "tick"])
def test_tick_loads_no_textual_or_rich(db_path, args):
    from core.store import Store

    Store.open(db_path).close()
    proc = _run(*args, db=db_path)
    assert proc.returncode == 0, proc.stderr
    assert '"finalised": []' in proc.stdout
    assert _loaded(proc) == []


def test_help_loads_no_textual_or_rich():
    proc = _run("--help")
    assert proc.returncode == 0, proc.stderr
    assert "dip sample audits" in proc.stdout
    assert _loaded(proc) == []


def test_the_probe_sees_textual_when_it_is_loaded():
    """The probe itself: a process that does load Textual is reported, so an empty list means none."""
    code = PROBE.replace("from tui.cli import main\n", "from tui.cli import main\nimport textual.app  # noqa\n")
    proc = subprocess.run([sys.executable, "-c", code, "--help"], cwd=REPO, capture_output=True, text=True)
    assert "textual" in _loaded(proc)

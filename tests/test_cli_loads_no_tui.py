"""The CLI is guarded: a headless command (cron's `dipaudit tick`, `--help`) never loads
Textual or Rich, so it stays quick and runs where no terminal UI could. The import-linter
contract "the CLI never imports the terminal UI" says the same of the code; this proves it
of a real run."""

from __future__ import annotations

import pytest
from cli_probe import PROBE, probe

UI = ("textual", "rich", "tui.app", "tui.screens", "tui.widgets")


def _run(*args: str, db=None):
    """``dipaudit [--db DB] *args`` probed: (the finished process, what it loaded)."""
    return probe(*(["--db", str(db), *args] if db else args))


def _loaded(seen: dict) -> list[str]:
    """The UI modules a probed process had loaded."""
    return [m for m in seen["modules"] if m.split(".")[0] in ("textual", "rich") or m.startswith(UI[2:])]


@pytest.mark.parametrize("args", [
    ("tick", "--no-send", "--json"),
    ("tick", "--json"),
], ids=["tick --no-send", "tick"])
def test_tick_loads_no_textual_or_rich(db_path, args):
    from core.store import Store

    Store.open(db_path).close()
    proc, seen = _run(*args, db=db_path)
    assert proc.returncode == 0, proc.stderr
    assert '"finalised": []' in proc.stdout
    assert _loaded(seen) == []


def test_help_loads_no_textual_or_rich():
    proc, seen = _run("--help")
    assert proc.returncode == 0, proc.stderr
    assert "dip sample audits" in proc.stdout
    assert _loaded(seen) == []


def test_the_probe_sees_textual_when_it_is_loaded():
    """The probe itself: a process that does load Textual is reported, so an empty list means none."""
    code = PROBE.replace("from tui.cli import main\n", "from tui.cli import main\nimport textual.app  # noqa\n")
    _, seen = probe("--help", code=code)
    assert "textual" in _loaded(seen)

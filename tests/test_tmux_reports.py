"""The report preview in a real terminal (tmux, 80x24), as a manager of the audit team
over SSH would use it: open the demo, press 5, switch to the weekly report and its
trend, export it, and find the file written, the same bytes as the CLI's export."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from conftest import REPO
from tmux_driver import Tmux, eventually, requires_tmux

pytestmark = [pytest.mark.tmux, requires_tmux]

NOW = "2020-04-27T09:00"


def dipaudit(*args: str) -> subprocess.CompletedProcess:
    exe = REPO / ".venv/bin/dipaudit"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "tui.cli"]
    return subprocess.run([*cmd, *args], cwd=REPO, capture_output=True, text=True, env=os.environ.copy())


def test_weekly_report_previewed_and_exported_in_tmux(tmp_path):
    db = tmp_path / "demo.db"
    built = dipaudit("--db", str(db), "--now", NOW, "demo", "--no-tui")
    assert built.returncode == 0, built.stderr
    out = tmp_path / "weekly.html"
    with Tmux.dipaudit(db, user="qa.alex", now=NOW, size=(80, 24)) as term:
        term.wait_for("Sample queue")
        term.press("5")
        term.wait_for("SMT report so far")
        term.press("w")
        term.wait_for("Weekly report (the last complete week)")
        term.wait_for("Mon 20 Apr 2020 to Sun 26 Apr 2020 · as at Mon 27 Apr 2020 09:00")
        term.press("End")
        term.wait_for("Audits per week")  # the trend, at the bottom
        term.press("e")
        term.wait_for("Export the weekly report")
        term.wait_for("dipaudit-weekly-2020-04-20.html")
        term.press("C-u")
        term.type(str(out))
        term.press("Enter")
        term.wait_for("Exported")
        assert eventually(out.exists)
        term.press("q")
        term.wait_exit()
    cli = dipaudit("--db", str(db), "--user", "qa.alex", "--now", NOW, "report", "weekly", "--format", "html")
    assert cli.returncode == 0, cli.stderr
    assert out.read_text(encoding="utf-8") == cli.stdout

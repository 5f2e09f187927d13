"""A caseload import killed (SIGKILL) part way through its write transaction leaves no
half import and loses nothing committed before it: the first import writes its rows
straight into child_sources and projects the children from them (issue 10), all inside
the one transaction, so a process killed after the rows went in, or after everything but
the COMMIT, leaves the database as it was; the same import run again then writes it all.

The kill is the process sending itself SIGKILL at a named point of the real import (no
timing): a wrapper around a store function of the import, run as ``dipaudit import``.
"""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest
from conftest import REPO

from core.store import Store

KILLED_AT = (
    # after the source rows are in child_sources, before any child is written
    "core.store.imports._insert_first_sources",
    # after every row, child and the imports row are written: only the COMMIT is left
    "core.store.imports.record",
)

WRAPPER = """
import importlib, os, signal, sys
module, name = sys.argv[1].rsplit(".", 1)
mod = importlib.import_module(module)
real = getattr(mod, name)
def killed(*args, **kwargs):
    out = real(*args, **kwargs)
    os.kill(os.getpid(), signal.SIGKILL)
    return out
setattr(mod, name, killed)
from tui.cli import main
sys.argv = ["dipaudit", *sys.argv[2:]]
main()
"""


def _caseload(path, n: int) -> None:
    lines = ["child_id,name,date_of_birth,cohort,worker,team,family_id"]
    lines += [f"C{i:05d},Child {i},01/02/2015,{'cp' if i % 3 else 'cin'},Walt {i % 7},Team {i % 3},"
              f"{'F' + str(i // 2) if i % 4 == 0 else ''}" for i in range(n)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _dipaudit(db, *args: str, kill_at: str | None = None) -> subprocess.CompletedProcess:
    code = WRAPPER if kill_at else "import sys\nfrom tui.cli import main\nsys.argv = ['dipaudit', *sys.argv[2:]]\nmain()\n"
    return subprocess.run([sys.executable, "-c", code, kill_at or "-", "--db", str(db), *args],
                          cwd=REPO, capture_output=True, text=True)


def _held(db) -> dict:
    store = Store.open(db, migrate=False)
    try:
        return {t: store.scalar(f"SELECT count(*) FROM {t}")
                for t in ("children", "child_sources", "imports", "events", "teams", "people")}
    finally:
        store.close()


@pytest.mark.parametrize("kill_at", KILLED_AT)
def test_a_first_import_killed_mid_write_leaves_nothing_half_done(tmp_path, kill_at):
    db = tmp_path / "dipaudit.db"
    people = tmp_path / "people.csv"
    people.write_text("login,name,roles,team,email,teams,manager,head_of_service\n"
                      "admin1,Ada Admin,admin,,,,,\nw1,Walt 1,worker,Team 1,,,,\n", encoding="utf-8")
    done = _dipaudit(db, "--user", "admin1", "import", "people", str(people))
    assert done.returncode == 0, done.stderr
    before = _held(db)
    assert before["people"] == 2 and before["children"] == 0

    src = tmp_path / "caseload.csv"
    _caseload(src, 3000)
    killed = _dipaudit(db, "--user", "admin1", "import", "caseload", str(src), kill_at=kill_at)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert _held(db) == before  # nothing of the import; the people import committed before it kept

    again = _dipaudit(db, "--user", "admin1", "import", "caseload", str(src))
    assert again.returncode == 0, again.stderr
    assert "3000 added" in again.stdout
    after = _held(db)
    assert (after["children"], after["child_sources"], after["imports"]) == (3000, 3000, before["imports"] + 1)
    store = Store.open(db)
    try:
        assert store.scalar("PRAGMA foreign_key_check") is None
        assert store.scalar("SELECT worker_login FROM children WHERE child_id = 'C00001'") == "w1"
    finally:
        store.close()

"""The import commands as a script runs them: exit codes, JSON on stdout, faults on stderr."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.conftest import FIXTURES

F = FIXTURES / "import"
SCRIPT = Path(sys.executable).with_name("dipaudit")


def dipaudit(db, *args, user="admin1"):
    cmd = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-c", "from tui.cli import main; main()"]
    return subprocess.run([*cmd, "--db", str(db), "--user", user, "--now", "2020-04-27T09:00", *args],
                          capture_output=True, text=True, env={**os.environ}, timeout=60)


def rows(db, sql):
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def test_import_caseload_json(tmp_path):
    db = tmp_path / "d.db"
    r = dipaudit(db, "import", "caseload", str(F / "list6.csv"), "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"added": 5, "updated": 0, "unchanged": 0, "closed": 0, "rejected": 0,
                                    "rejects_file": None}
    r = dipaudit(db, "import", "caseload", str(F / "list6.csv"))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().endswith("children 0 added, 0 updated, 5 unchanged, 0 closed, 0 rejected")


def test_bad_file_exits_non_zero_naming_file_row_and_column(tmp_path):
    db = tmp_path / "d.db"
    bad = tmp_path / "bad.csv"
    bad.write_text((F / "canonical.csv").read_text().replace("2014-06-02", "2014-06-31"), encoding="utf-8")
    r = dipaudit(db, "import", "caseload", str(bad), "--json")
    assert r.returncode == 2
    assert r.stdout == ""
    assert r.stderr.strip() == (f"{bad}: row 3, column 'date_of_birth': '2014-06-31' is not a date "
                                "(expected dd/mm/yyyy, yyyy-mm-dd or an Excel serial number)")
    assert rows(db, "SELECT COUNT(*) FROM children") == [(0,)]
    assert rows(db, "SELECT COUNT(*) FROM imports") == [(0,)]

    r = dipaudit(db, "import", "caseload", str(bad), "--skip-invalid", "--list", "6")
    assert r.returncode == 2 and "missing column 'CIN Start Date'" in r.stderr

    r = dipaudit(db, "import", "caseload", str(bad), "--skip-invalid", "--rejects", str(tmp_path / "r.csv"))
    assert r.returncode == 0, r.stderr
    assert "4 added" in r.stdout and "1 rejected" in r.stdout and str(tmp_path / "r.csv") in r.stdout


def test_people_then_notes_and_role_refusal(tmp_path):
    db = tmp_path / "d.db"
    assert dipaudit(db, "import", "people", str(F / "people.csv"), user="root").returncode == 0
    r = dipaudit(db, "import", "caseload", str(F / "canonical.csv"), "--dry-run", user="w1")
    assert r.returncode == 3 and "needs the admin role" in r.stderr
    assert dipaudit(db, "import", "caseload", str(F / "canonical.csv")).returncode == 0
    r = dipaudit(db, "import", "notes", str(F / "notes.csv"), "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["added"] == 3


def test_a_bad_config_is_one_line_on_stderr_and_writes_nothing(tmp_path, monkeypatch):
    db = tmp_path / "d.db"
    cfg = tmp_path / "config.toml"
    monkeypatch.setenv("DIPAUDIT_CONFIG", str(cfg))
    cfg.write_text('[sampling]\nper_worker = "x"\n', encoding="utf-8")
    r = dipaudit(db, "import", "people", str(F / "people.csv"))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.startswith(f"{cfg}, column 'sampling.per_worker': Input should be a valid integer")
    assert len(r.stderr.strip().splitlines()) == 1
    cfg.write_text("council = \n", encoding="utf-8")
    r = dipaudit(db, "queue")
    assert r.returncode == 2 and r.stderr.startswith(f"{cfg}: not valid TOML")
    assert not db.exists()


def test_usage_errors_are_one_line_on_stderr(tmp_path):
    db = tmp_path / "d.db"
    r = dipaudit(db, "import", "caseload", str(F / "list6.csv"), "--list", "12")
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.strip() == ("dipaudit import caseload: Invalid value for '--list': 12 is not in the range"
                                " 6<=x<=9. (see --help)")
    r = dipaudit(db, "import", "caseload")
    assert r.returncode == 2 and r.stderr.strip() == "dipaudit import caseload: Missing argument 'FILE'. (see --help)"
    assert not db.exists()

"""Identity is the OS login, not a claim: --user naming someone else and --now are for the
OS logins in [security] act_as and for demo databases; everyone else is refused in one
line (exit 3) and nothing is written. Every event records the person and the OS login."""

from __future__ import annotations

import json
import os
import pwd
import shutil
import sqlite3
import tempfile
from pathlib import Path

import pytest
from cli_main import as_os_user, run_main
from conftest import FIXTURES, add_people

from core.context import os_login
from core.errors import PermissionDenied
from core.identity import establish
from core.store import Store

PEOPLE = FIXTURES / "import" / "people.csv"


@pytest.fixture
def directory(tmp_path):
    """A people file that keeps the live fixture's people (an import is a snapshot: anyone
    missing from it has left)."""
    path = tmp_path / "directory.csv"
    path.write_text("login,name,roles,os_login\nadmin.robin,Robin,admin,robin\npdt.dot,Dot,pdt,\n"
                    "qa.mal,Mal,auditor,mallory\n")
    return path


@pytest.fixture
def live(ctx, db_path, monkeypatch):
    """A live database with a directory (admin.robin is the OS login 'robin'), and no act_as."""
    monkeypatch.delenv("DIPAUDIT_SECURITY__ACT_AS")
    add_people(ctx, [{"login": "admin.robin", "roles": ["admin"]}, {"login": "pdt.dot", "roles": ["pdt"]},
                     {"login": "qa.mal", "roles": ["auditor"]}])
    with ctx.tx() as tx:
        tx.execute("UPDATE people SET os_login = 'robin' WHERE login = 'admin.robin'")
        tx.execute("UPDATE people SET os_login = 'mallory' WHERE login = 'qa.mal'")
    return db_path


def _trail(db_path) -> list[tuple]:
    store = Store.open(db_path)
    try:
        return store.rows("SELECT actor, os_login, entity, action FROM events ORDER BY event_id")
    finally:
        store.close()


def _import_event(db_path) -> tuple:
    """The newest import's own event (an import also writes one per person it changes)."""
    return [e for e in _trail(db_path) if e[2] == "import"][-1]


def _one_line(text: str) -> str:
    assert text.count("\n") == 1 and "Traceback" not in text, text
    return text.strip()


def test_an_impersonation_attempt_is_refused_and_writes_nothing(live, tmp_path):
    evil = tmp_path / "evil.csv"
    evil.write_text("login,name,roles\nqa.mal,Mal,admin;auditor;pdt\n")
    before = _trail(live)
    r = run_main(["--db", str(live), "--user", "admin.robin", "import", "people", str(evil)], login="mallory")
    assert r.code == 3
    line = _one_line(r.err)
    assert "OS login mallory may not act as admin.robin" in line
    assert "[security] act_as" in line and "DIPAUDIT_SECURITY__ACT_AS" in line
    assert _trail(live) == before
    store = Store.open(live)
    assert store.scalar("SELECT roles FROM people WHERE login = 'qa.mal'") == '["auditor"]'
    store.close()


def test_the_environment_variable_is_refused_the_same_way(live):
    r = run_main(["--db", str(live), "action", "review", "3", "--outcome", "not_needed"], login="mallory",
                 env={"DIPAUDIT_USER": "pdt.dot"})
    assert r.code == 3 and "may not act as pdt.dot (--user / DIPAUDIT_USER)" in _one_line(r.err)


def test_USER_and_LOGNAME_do_not_change_the_os_login(monkeypatch):
    real = pwd.getpwuid(os.geteuid()).pw_name
    for var in ("USER", "LOGNAME", "LNAME", "USERNAME"):
        monkeypatch.setenv(var, "admin.robin")
    assert os_login() == real


def test_moving_the_clock_on_a_live_database_is_refused(live):
    before = _trail(live)
    r = run_main(["--db", str(live), "--now", "2030-01-01T09:00", "tick"], login="robin")
    assert r.code == 3
    assert "OS login robin may not move the clock (--now / DIPAUDIT_NOW) on a live database" in _one_line(r.err)
    r = run_main(["--db", str(live), "queue"], login="robin", env={"DIPAUDIT_NOW": "2030-01-01T09:00"})
    assert r.code == 3
    assert _trail(live) == before


def test_you_act_as_the_person_whose_os_login_you_are(live, directory):
    ok = run_main(["--db", str(live), "import", "people", str(directory)], login="robin")
    assert ok.code == 0, ok.err
    assert _import_event(live) == ("admin.robin", "robin", "import", "people")
    # Naming yourself is no impersonation; neither rule nor setting is needed.
    again = run_main(["--db", str(live), "--user", "admin.robin", "import", "people", str(directory)],
                     login="robin")
    assert again.code == 0, again.err
    # Another OS login holds no roles: refused by the role check, not let in.
    r = run_main(["--db", str(live), "import", "people", str(directory)], login="mallory")
    assert r.code == 3 and "qa.mal may not import people: needs the admin role" in _one_line(r.err)


def test_act_as_lets_a_listed_os_login_act_as_anyone_and_the_trail_says_who(live, directory):
    env = {"DIPAUDIT_SECURITY__ACT_AS": json.dumps(["svc.dipaudit"])}
    r = run_main(["--db", str(live), "--user", "admin.robin", "--now", "2020-04-27T10:00", "import", "people",
                  str(directory)], login="svc.dipaudit", env=env)
    assert r.code == 0, r.err
    assert _import_event(live) == ("admin.robin", "svc.dipaudit", "import", "people")
    # A login not on the list is still refused while the list is set.
    r = run_main(["--db", str(live), "--user", "admin.robin", "queue"], login="mallory", env=env)
    assert r.code == 3


def test_a_demo_database_accepts_user_and_now(tmp_path, monkeypatch):
    monkeypatch.delenv("DIPAUDIT_SECURITY__ACT_AS")
    db = tmp_path / "demo.db"
    built = run_main(["--db", str(db), "--user", "admin.robin", "demo", "--no-tui"], login="mallory")
    assert built.code == 0, built.err
    r = run_main(["--db", str(db), "--user", "pdt.dot", "--now", "2020-05-20T09:00", "actions", "--json"],
                 login="mallory")
    assert r.code == 0, r.err
    queue = json.loads(run_main(["--db", str(db), "--user", "qa.alex", "queue", "--json"], login="mallory").out)
    item = next(q for q in queue if q["status"] == "queued" and q["auditor"] == "qa.alex")
    claim = run_main(["--db", str(db), "--user", "qa.alex", "queue", "claim", str(item["queue_id"])],
                     login="mallory")
    assert claim.code == 0, claim.err
    assert _trail(db)[-1] == ("qa.alex", "mallory", "queue_item", "claimed")


def test_nothing_real_is_imported_into_a_demo_database(tmp_path, monkeypatch):
    db = tmp_path / "demo.db"
    assert run_main(["--db", str(db), "demo", "--no-tui"]).code == 0
    before = _trail(db)
    r = run_main(["--db", str(db), "--user", "admin.robin", "import", "people", str(PEOPLE)])
    assert r.code == 1 and "demo database (fictional people only)" in _one_line(r.err)
    assert _trail(db) == before


def test_the_first_import_bootstraps_the_directory_and_is_recorded(tmp_path, monkeypatch):
    monkeypatch.delenv("DIPAUDIT_SECURITY__ACT_AS")
    db = tmp_path / "new.db"
    r = run_main(["--db", str(db), "import", "people", str(PEOPLE)], login="ada")
    assert r.code == 0, r.err
    assert _import_event(db) == ("ada", "ada", "import", "people")
    # Now the directory exists: ada is nobody in it, so the next import is refused.
    r = run_main(["--db", str(db), "import", "people", str(PEOPLE)], login="ada")
    assert r.code == 3 and "ada is not in the people directory" in r.err


def test_a_refusal_before_the_database_exists_leaves_no_file(tmp_path, monkeypatch):
    monkeypatch.delenv("DIPAUDIT_SECURITY__ACT_AS")
    db = tmp_path / "none.db"
    r = run_main(["--db", str(db), "--user", "admin.robin", "init"], login="mallory")
    assert r.code == 3 and not db.exists()


def test_the_scheduler_runs_as_any_os_login_and_system_is_accepted_there_only(live):
    assert run_main(["--db", str(live), "tick", "--no-send"], login="dipaudit").code == 0
    ok = run_main(["--db", str(live), "--user", "system", "tick", "--no-send"], login="dipaudit")
    assert ok.code == 0, ok.err
    r = run_main(["--db", str(live), "--user", "system", "queue"], login="dipaudit")
    assert r.code == 3 and "may not act as system" in r.err


def test_an_os_login_that_is_another_persons_login_is_refused(live):
    """admin.robin logs in as 'robin': an OS account called admin.robin is not them."""
    r = run_main(["--db", str(live), "queue"], login="admin.robin")
    assert r.code == 3
    assert "OS login admin.robin is not the person admin.robin" in _one_line(r.err)


def test_the_rule_itself(store):
    from core.config import Settings

    defaults = Settings()
    who = establish(store, defaults, os_login="ada")
    assert (who.user, who.own, who.acting_as, who.authority) == ("ada", "ada", False, None)
    with pytest.raises(PermissionDenied):
        establish(store, defaults, os_login="ada", user="bob")
    listed = Settings(security={"act_as": ["ada"]})
    who = establish(store, listed, os_login="ada", user="bob", moves_clock=True)
    assert (who.user, who.acting_as, who.clock_moved, who.authority) == ("bob", True, True, "act_as")


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to become another real OS login")
def test_a_real_other_os_login_is_refused(monkeypatch):
    """The command really runs as the OS user 'nobody', claiming admin.robin in USER too."""
    import core.importers  # noqa: F401 - loaded before the child drops root (it reads no files)

    shared = Path(tempfile.mkdtemp(prefix="dipaudit-shared-"))
    try:
        os.chmod(shared, 0o777)
        db = shared / "d.db"
        store = Store.open(db)
        store.close()
        for f in shared.iterdir():
            os.chmod(f, 0o666)
        evil = shared / "evil.csv"
        evil.write_text("login,name,roles\nnobody,No Body,admin\n")
        os.chmod(evil, 0o644)
        monkeypatch.delenv("DIPAUDIT_SECURITY__ACT_AS")
        monkeypatch.setenv("USER", "admin.robin")
        monkeypatch.setenv("LOGNAME", "admin.robin")
        monkeypatch.setenv("DIPAUDIT_CONFIG_DIR", str(shared / "config"))  # the test's own is root's

        def attempt():
            r = run_main(["--db", str(db), "--user", "admin.robin", "import", "people", str(evil)])
            return r.code, r.err + (repr(r.exception) if r.exception else "")

        code, err = as_os_user("nobody", attempt)
        assert code == 3, err
        assert "OS login nobody may not act as admin.robin" in err and err.count("\n") == 1
        assert _trail(db) == []
    finally:
        shutil.rmtree(shared)


def test_a_demo_marker_written_into_a_live_database_opens_nothing(live):
    conn = sqlite3.connect(live)
    conn.execute("INSERT INTO meta (key, value) VALUES ('demo', '{}')")
    conn.commit()
    conn.close()
    r = run_main(["--db", str(live), "--user", "admin.robin", "queue"], login="mallory")
    assert r.code == 3 and "may not act as admin.robin" in r.err


def test_someone_not_in_the_directory_is_told_what_they_may_not_do(ctx):
    """The refusal reads as a sentence, like every other: it said 'root is not in the people
    directory; see the SMT report needs the auditor or ... role' on the reports screen."""
    from conftest import as_user

    from core.people import require_role

    add_people(ctx, [{"login": "qa1", "roles": ["auditor"]}])
    with pytest.raises(PermissionDenied) as refused:
        require_role(as_user(ctx, "root"), "auditor", "smt", doing="see the SMT report")
    assert str(refused.value) == ("root is not in the people directory, so may not see the SMT report:"
                                  " needs the auditor or smt role")

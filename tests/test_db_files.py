"""The database and its -wal/-shm are private whatever the umask (0600, or 0660 in a setgid
group folder), the folders dipaudit makes 0700, and no database is made through a link."""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from pathlib import Path

import pytest
from cli_main import as_os_user, run_main

from core import locations
from core.context import Context
from core.errors import DatabaseError
from core.store import Store


@pytest.fixture
def loose_umask():
    old = os.umask(0o022)
    yield
    os.umask(old)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def _write(store: Store) -> None:
    with Context(store=store, user="a", os_login="t").tx() as tx:
        tx.event("x", 1, "made")


def companions(db: Path) -> list[Path]:
    return [db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")]


def test_a_new_database_and_its_wal_and_shm_are_0600_under_umask_022(tmp_path, loose_umask):
    db = tmp_path / "d.db"
    store = Store.open(db)
    _write(store)
    assert [p.exists() for p in companions(db)] == [True, True, True]
    assert [mode(p) for p in companions(db)] == [0o600, 0o600, 0o600]
    # The -wal and -shm go when the last connection closes; the next one makes them the same.
    store.close()
    again = Store.open(db)
    _write(again)
    assert [mode(p) for p in companions(db)] == [0o600, 0o600, 0o600]
    again.close()


def test_in_a_setgid_group_folder_they_are_0660_and_keep_its_group(tmp_path, loose_umask):
    shared = tmp_path / "srv"
    shared.mkdir()
    gid = 65534 if os.geteuid() == 0 else os.getgid()  # root can hand the folder to another group
    os.chown(shared, -1, gid)
    os.chmod(shared, 0o2770)
    db = shared / "dipaudit.db"
    store = Store.open(db)
    _write(store)
    assert [mode(p) for p in companions(db)] == [0o660, 0o660, 0o660]
    assert {os.stat(p).st_gid for p in companions(db)} == {gid}
    store.close()


def test_the_default_data_folder_is_made_0700(tmp_path, monkeypatch, loose_umask):
    data = tmp_path / "home" / ".local" / "share" / "dipaudit"
    monkeypatch.setenv("DIPAUDIT_DATA_DIR", str(data))
    r = run_main(["init"])
    assert r.code == 0, r.err
    assert locations.default_db().exists()
    assert mode(data) == 0o700 and mode(locations.default_db()) == 0o600


def test_a_folder_made_inside_a_setgid_folder_stays_shared(tmp_path, loose_umask):
    shared = tmp_path / "srv"
    shared.mkdir()
    os.chmod(shared, 0o2770)
    db = shared / "team" / "d.db"
    Store.open(db).close()
    assert mode(db.parent) == 0o2770 and mode(db) == 0o660


@pytest.mark.parametrize("target", ["missing", "empty"])
def test_a_planted_symlink_where_the_database_will_be_made_is_refused(tmp_path, target):
    victim = tmp_path / "victim.txt"
    if target == "empty":
        victim.write_text("")
    link = tmp_path / "d.db"
    link.symlink_to(victim)
    with pytest.raises(DatabaseError, match="symbolic link"):
        Store.open(link)
    r = run_main(["--db", str(link), "init"])
    assert r.code == 1 and "symbolic link" in r.err and r.err.count("\n") == 1
    if target == "empty":
        assert victim.read_text() == ""  # not made into a database
    else:
        assert not victim.exists()  # nothing made where the link points


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to become a login the folder refuses")
def test_a_read_only_folder_is_one_line_and_nothing_is_made():
    folder = Path(tempfile.mkdtemp(prefix="dipaudit-ro-"))
    try:
        os.chmod(folder, 0o755)  # root's: nobody may read it, not write it
        db = folder / "d.db"
        config = folder / "config"

        def attempt():
            r = run_main(["--db", str(db), "init"], env={"DIPAUDIT_CONFIG_DIR": str(config)})
            return r.code, r.err + (repr(r.exception) if r.exception else "")

        code, err = as_os_user("nobody", attempt)
        assert code == 1, err
        assert err == f"{db}: cannot create the database here (Permission denied); nothing was written\n"
        assert list(folder.iterdir()) == []
    finally:
        shutil.rmtree(folder)


def test_a_link_planted_as_the_wal_is_refused_in_one_line_and_followed_nowhere(tmp_path):
    db = tmp_path / "d.db"
    Store.open(db).close()
    victim = tmp_path / "victim"
    db.with_name("d.db-wal").symlink_to(victim)
    r = run_main(["--db", str(db), "log"])
    assert r.code == 1 and r.err == f"{db}-wal: is a symbolic link where SQLite keeps its journal; refusing to" \
        " open the database through it (remove the link)\n"
    assert not victim.exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to become a login the file refuses")
def test_a_database_you_may_not_read_is_one_line():
    folder = Path(tempfile.mkdtemp(prefix="dipaudit-private-"))
    try:
        os.chmod(folder, 0o755)
        db = folder / "d.db"
        Store.open(db).close()  # root's, 0600

        def attempt():
            r = run_main(["--db", str(db), "queue"], env={"DIPAUDIT_CONFIG_DIR": str(folder / "config")})
            return r.code, r.err + (repr(r.exception) if r.exception else "")

        def open_it():
            try:
                Store.open(db)
            except DatabaseError as exc:
                return 1, str(exc)
            return 0, "opened"

        code, err = as_os_user("nobody", attempt)
        assert code == 2 and err == f"dipaudit: Invalid value for '--db': File '{db}' is not readable. (see --help)\n"
        code, err = as_os_user("nobody", open_it)  # the store says the same to any other caller
        assert (code, err) == (1, f"{db}: you may not read it (its group is the team's: ask to join it);"
                                  " nothing was written")
    finally:
        shutil.rmtree(folder)

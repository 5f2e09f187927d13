"""``Store.scratch``: a dry run's transaction, always rolled back, holding no write lock."""

import sqlite3

import pytest

from core.importers import import_caseload, import_notes, import_people
from core.store import children
from tests.conftest import FIXTURES

F = FIXTURES / "import"


def _temp_tables(store) -> list:
    return store.rows("SELECT name FROM sqlite_temp_master")


def test_scratch_undoes_its_writes_and_its_temp_tables(store, clock):
    before = store.scalar("SELECT count(*) FROM imports")
    with store.scratch(now=clock.now(), actor="a", os_login="a") as tx:
        tx.execute("CREATE TEMP TABLE t (x)")
        tx.execute("INSERT INTO temp.t VALUES (1)")
        tx.execute("INSERT INTO imports (kind, file, sha256, at, by, counts) VALUES ('notes', 'f', 's', ?, 'a', '{}')",
                   [tx.at])
        assert tx.scalar("SELECT count(*) FROM imports") == before + 1  # it sees its own work
    assert store.scalar("SELECT count(*) FROM imports") == before
    assert _temp_tables(store) == []
    assert not store.db.conn.in_transaction


def test_scratch_rolls_back_when_its_work_fails(store, clock):
    with pytest.raises(ValueError), store.scratch(now=clock.now(), actor="a", os_login="a") as tx:
        tx.execute("CREATE TEMP TABLE t (x)")
        raise ValueError("boom")
    assert _temp_tables(store) == [] and not store.db.conn.in_transaction
    with store.write(now=clock.now(), actor="a", os_login="a") as tx:  # the store is usable after
        tx.execute("CREATE TEMP TABLE t (x)")
        tx.execute("DROP TABLE temp.t")


def test_scratch_refuses_inside_a_write(store, clock):
    with store.write(now=clock.now(), actor="a", os_login="a"), pytest.raises(RuntimeError):
        with store.scratch(now=clock.now(), actor="a", os_login="a"):
            pass


def test_a_scratch_that_only_stages_never_makes_a_writer_wait(store, clock):
    other = sqlite3.connect(store.path, timeout=0)
    try:
        with store.scratch(now=clock.now(), actor="a", os_login="a") as tx:
            tx.execute("CREATE TEMP TABLE t (x)")
            tx.execute("INSERT INTO temp.t VALUES (1)")
            other.execute("BEGIN IMMEDIATE")  # would raise "database is locked" if it held the write lock
            other.execute("ROLLBACK")
    finally:
        other.close()


def test_dry_runs_leave_the_connection_as_they_found_it(ctx):
    import_people(ctx, F / "people.csv")
    for dry in (lambda: import_people(ctx, F / "people.csv", dry_run=True),
                lambda: import_caseload(ctx, F / "canonical.csv", dry_run=True)):
        dry()
        assert _temp_tables(ctx.store) == [] and not ctx.store.db.conn.in_transaction
    assert not children.any_child(ctx.store)
    import_caseload(ctx, F / "canonical.csv")
    assert import_notes(ctx, F / "notes.csv", dry_run=True).added == 3
    assert _temp_tables(ctx.store) == [] and not ctx.store.db.conn.in_transaction
    assert ctx.store.scalar("SELECT count(*) FROM case_notes") == 0

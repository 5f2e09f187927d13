"""The store: identity checks, migrations, transactions, the append-only trail."""

import sqlite3

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.errors import DatabaseError
from core.store import Store
from core.store.schema import MIGRATION_NAMES


def test_new_database_is_wal_with_foreign_keys_and_busy_timeout(store):
    conn = store.db.conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 5000
    assert store.schema_version() == MIGRATION_NAMES[-1]


def test_reopening_applies_nothing_twice(db_path):
    Store.open(db_path).close()
    s = Store.open(db_path)
    assert s.migrate() == []
    s.close()


def test_a_file_that_is_not_sqlite_is_refused(tmp_path):
    bad = tmp_path / "notes.db"
    bad.write_text("this is a spreadsheet, honest\n" * 100)
    with pytest.raises(DatabaseError, match="not a SQLite database"):
        Store.open(bad)


def test_another_apps_sqlite_file_is_refused_and_untouched(tmp_path):
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE things (id INTEGER)")
    conn.commit()
    conn.close()
    with pytest.raises(DatabaseError, match="not a dipaudit one"):
        Store.open(other)
    conn = sqlite3.connect(other)
    assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")] == ["things"]


def test_a_newer_schema_is_refused(db_path):
    s = Store.open(db_path)
    s.db.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('dipaudit', 'm999_future', 'x')"
    )
    s.close()
    with pytest.raises(DatabaseError, match="newer dipaudit"):
        Store.open(db_path)


def test_missing_file_is_not_created_when_create_is_false(tmp_path):
    with pytest.raises(DatabaseError, match="no database here"):
        Store.open(tmp_path / "typo.db", create=False)
    assert not (tmp_path / "typo.db").exists()


def test_a_failed_transaction_writes_nothing_not_even_its_event(ctx):
    with pytest.raises(RuntimeError):
        with ctx.tx() as tx:
            tx.db["teams"].insert({"name": "Team A"})
            tx.event("team", "Team A", "created")
            raise RuntimeError("boom")
    assert ctx.store.scalar("SELECT count(*) FROM teams") == 0
    assert ctx.store.scalar("SELECT count(*) FROM events") == 0


def test_events_carry_user_os_login_and_clock_time_and_are_append_only(ctx):
    with ctx.tx() as tx:
        tx.event("team", "A", "created", before=None, after={"name": "A"})
    ev = ctx.store.one("SELECT * FROM events")
    assert (ev["actor"], ev["os_login"], ev["at"]) == ("admin1", "tester", "2020-04-27T09:00:00Z")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        ctx.store.db.execute("UPDATE events SET actor = 'someone else'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        ctx.store.db.execute("DELETE FROM events")


def test_outbox_idempotency_key_stops_duplicates(ctx):
    with ctx.tx() as tx:
        assert tx.outbox("w1", "audit_submitted", {"a": 1}, "audit:1:submitted:w1") is True
    with ctx.tx() as tx:
        assert tx.outbox("w1", "audit_submitted", {"a": 1}, "audit:1:submitted:w1") is False
    assert ctx.store.scalar("SELECT count(*) FROM outbox") == 1


@pytest.mark.parametrize("many", [False, True])
def test_a_notification_missing_its_recipient_is_refused_not_dropped(ctx, many):
    """Only the idempotency key's conflict is ignored: a row the table refuses for any
    other reason (here no recipient) fails the whole transaction, never vanishes."""
    with pytest.raises(sqlite3.IntegrityError, match="NOT NULL"):
        with ctx.tx() as tx:
            tx.event("audit", 1, "test", after={"x": 1})
            if many:
                tx.outbox_many([("w1", "audit_submitted", {}, "audit:1:w1", None, None, None),
                                (None, "audit_submitted", {}, "audit:1:m1", None, None, None)])
            else:
                tx.outbox(None, "audit_submitted", {}, "audit:1:m1")
    assert ctx.store.scalar("SELECT count(*) FROM outbox") == 0
    assert ctx.store.scalar("SELECT count(*) FROM events WHERE action = 'test'") == 0


def test_a_busy_database_gives_a_one_line_refusal_and_readers_do_not_wait(db_path):
    from datetime import UTC, datetime

    Store.open(db_path).close()
    holder = sqlite3.connect(db_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process writing (a long import, say)
    try:
        s = Store.open(db_path)  # up to date: opening takes no write lock
        s.db.conn.execute("PRAGMA busy_timeout = 100")
        s.busy_timeout_ms = 100
        assert s.scalar("SELECT value FROM meta WHERE key = 'app'") == "dipaudit"
        with pytest.raises(DatabaseError, match="busy: another process held the database for over 0.1 s"):
            with s.write(now=datetime(2020, 4, 27, tzinfo=UTC), actor="a", os_login="b") as tx:
                tx.event("thing", 1, "changed")
        s.close()
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert sqlite3.connect(db_path).execute("SELECT COUNT(*) FROM events").fetchone() == (0,)


def test_a_read_only_database_gives_a_one_line_refusal(db_path):
    from datetime import UTC, datetime

    s = Store.open(db_path)
    s.db.conn.execute("PRAGMA query_only = 1")  # as when the file is not group-writable for this user
    with pytest.raises(DatabaseError, match="read-only for you .*nothing was written"):
        with s.write(now=datetime(2020, 4, 27, tzinfo=UTC), actor="a", os_login="b") as tx:
            tx.event("thing", 1, "changed")
    s.db.conn.execute("PRAGMA query_only = 0")
    assert s.scalar("SELECT COUNT(*) FROM events") == 0
    s.close()


def test_an_empty_file_is_not_silently_made_a_database_by_a_reader(tmp_path):
    empty = tmp_path / "empty.db"
    empty.touch()
    with pytest.raises(DatabaseError, match="an empty file"):
        Store.open(empty, create=False)
    assert empty.stat().st_size == 0
    Store.open(empty).close()  # init / import may create it


def test_scripts_split_as_sqlite_utils_splits_them_every_migration_included(tmp_path, monkeypatch):
    """The store runs a migration's script statement by statement inside its transaction,
    split where sqlite-utils would split it (its own splitter is the reference), and the
    new database has the whole schema."""
    from sqlite_utils.db import _iter_complete_sql_statements

    from core.store import database

    scripts = []
    split = database.script_statements

    def checked(sql):
        scripts.append(sql)
        assert list(split(sql)) == list(_iter_complete_sql_statements(sql))
        return split(sql)

    monkeypatch.setattr(database, "script_statements", checked)
    store = Store.open(tmp_path / "new.db")
    assert len(scripts) > 10  # the migrations' scripts went through it
    assert store.schema_version() == MIGRATION_NAMES[-1]
    assert store.scalar("SELECT count(*) FROM sqlite_master WHERE type = 'trigger'") > 5
    store.close()


_PIECES = ["CREATE TABLE t (a TEXT)", "INSERT INTO t VALUES ('a;b')", "-- a comment; with one\n",
           "/* block; comment */", "CREATE TRIGGER g AFTER INSERT ON t BEGIN UPDATE t SET a = 'x;'; DELETE FROM t; END",
           "SELECT \"odd;name\"", "  \n", ";", "SELECT 1", "'unclosed ; text"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES) | st.text(alphabet=" ;'\"-*/\nabc", max_size=12), max_size=8),
       st.lists(st.sampled_from([";", "; ", ";\n", " ", ""]), min_size=8, max_size=8))
def test_scripts_split_as_sqlite_utils_splits_any_text(pieces, joins):
    from sqlite_utils.db import _iter_complete_sql_statements

    from core.store.database import script_statements

    sql = "".join(p + j for p, j in zip(pieces, joins, strict=False))
    assert list(script_statements(sql)) == list(_iter_complete_sql_statements(sql))


def test_none_binds_as_null_through_its_own_adapter(store):
    """``bind_none_directly``: None has an adapter of its own (found at once, no adapter
    search per NULL), it still binds as NULL (executemany and execute, NOT NULL still
    refused), and no base type (str, int, float, bytes) has one, which would make sqlite3
    adapt every value it binds."""
    key = (type(None), sqlite3.PrepareProtocol)
    assert key in sqlite3.adapters
    assert not [t for t, _ in sqlite3.adapters if t in (str, int, float, bytes, bytearray)]
    conn = store.db.conn
    conn.execute("CREATE TEMP TABLE nulls (a, b TEXT, c INTEGER NOT NULL DEFAULT 0)")
    conn.executemany("INSERT INTO nulls (a, b) VALUES (?, ?)", [(None, "x"), ("y", None)])
    conn.execute("INSERT INTO nulls (a, b) VALUES (:a, :b)", {"a": None, "b": None})
    assert conn.execute("SELECT typeof(a), typeof(b), a, b FROM nulls ORDER BY rowid").fetchall() == [
        ("null", "text", None, "x"), ("text", "null", "y", None), ("null", "null", None, None)]
    assert conn.execute("SELECT count(*) FROM nulls WHERE a IS NULL").fetchone()[0] == 2
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("INSERT INTO nulls (a, c) VALUES (1, ?)", [None])

"""m014: an event's link is required by a CHECK on ``events.hash``, not by the trigger
``events_need_hash`` (m006). The migration edits the table's definition in place: every
row, column and index is as it was, the trail verifies, and an event without its link is
refused, with the same words, by the process that migrated and by one that had the
file open before."""

from __future__ import annotations

import sqlite3

import pytest
from sqlite_utils import Database

from core.context import Context
from core.store import Store
from core.store.schema import MIGRATIONS
from core.trail import verify_trail

NO_LINK = "INSERT INTO events (at, actor, os_login, entity, action) VALUES ('2020-04-27T09:00:00Z', 'x', 'y', 'audit', 'z')"
REFUSED = "an event needs its link in the trail: write it through dipaudit"


def _before_m014(path):
    """A database as dipaudit left it before m014, with a few linked events."""
    db = Database(path)
    MIGRATIONS.apply(db, stop_before="m014_trail_hash_check")
    db.conn.commit()
    db.conn.close()
    store = Store.open(path, migrate=False)
    ctx = Context(store=store, user="admin1", os_login="tester")
    for i in range(4):
        with ctx.tx() as tx:
            tx.event("audit", i, "saved", after={"i": i, "text": "Ünïcode"})
    store.close()


def _schema(conn) -> list[tuple]:
    return conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name != 'events'"
                        " AND name != 'events_need_hash' ORDER BY type, name").fetchall()


def test_m014_keeps_every_event_and_refuses_one_without_its_link(tmp_path):
    path = tmp_path / "old.db"
    _before_m014(path)
    before = sqlite3.connect(path)
    rows = before.execute("SELECT * FROM events ORDER BY event_id").fetchall()
    columns = before.execute("PRAGMA table_info(events)").fetchall()
    schema = _schema(before)
    with pytest.raises(sqlite3.IntegrityError, match="an event needs its link"):  # m006's trigger
        before.execute(NO_LINK)
    before.rollback()

    db = Database(path)  # m014 (alone), while ``before`` (an older process) still has the file open
    MIGRATIONS.apply(db, stop_before="m015_outbox_unsent")
    db.conn.commit()
    conn = db.conn
    assert conn.execute("SELECT * FROM events ORDER BY event_id").fetchall() == rows
    assert conn.execute("PRAGMA table_info(events)").fetchall() == columns
    assert _schema(conn) == schema  # nothing else touched
    assert not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'events_need_hash'").fetchall()
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    for c in (conn, before):
        with pytest.raises(sqlite3.IntegrityError) as refused:
            c.execute(NO_LINK)
        assert str(refused.value) == f"CHECK constraint failed: {REFUSED}"
        c.rollback()
    db.conn.close()
    store = Store.open(path)
    ctx = Context(store=store, user="admin1", os_login="tester")
    with ctx.tx() as tx:  # dipaudit's own writes go on as before, one at a time and in bulk
        tx.event("audit", 9, "saved")
        tx.events_many([("audit", 10, "saved", None, {"n": 1}, None), ("audit", 11, "saved", None, None, "system")])
    verdict = verify_trail(ctx)
    assert verdict.intact and verdict.events == len(rows) + 3
    store.close()
    before.close()


def test_a_new_database_refuses_an_event_without_its_link(store):
    with pytest.raises(sqlite3.IntegrityError, match=REFUSED):
        store.db.conn.execute(NO_LINK)
    triggers = {r[0] for r in store.rows("SELECT name FROM sqlite_master WHERE type = 'trigger'"
                                         " AND tbl_name = 'events'")}
    assert triggers == {"events_no_update", "events_no_delete"}  # the append-only guards stay


def test_m014_leaves_a_trail_table_it_does_not_know_with_its_trigger(tmp_path):
    """The definition is edited only where it is as m006 left it: anything else is not
    edited on a guess, and keeps the trigger (the file opens; an event without its link is
    still refused)."""
    path = tmp_path / "odd.db"
    _before_m014(path)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA writable_schema = ON")
    conn.execute("UPDATE sqlite_master SET sql = replace(sql, ', hash TEXT)', ', hash TEXT, x)')"
                 " WHERE type = 'table' AND name = 'events'")
    conn.execute("PRAGMA writable_schema = RESET")
    conn.commit()
    conn.close()
    store = Store.open(path)
    assert store.rows("SELECT 1 FROM sqlite_master WHERE name = 'events_need_hash'")
    assert "CHECK" not in store.scalar("SELECT sql FROM sqlite_master WHERE name = 'events'")
    with pytest.raises(sqlite3.IntegrityError, match=REFUSED):
        store.db.conn.execute(NO_LINK)
    store.close()

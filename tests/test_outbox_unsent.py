"""m015: the outbox's index by status holds only the rows not sent (``outbox_unsent``).
Every read and write by status finds what it found with the full index (``outbox_status``),
through the new one (a search, never a scan of the outbox), and the upgrade keeps every row."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

from sqlite_utils import Database

from core.store import Store, outbox
from core.store.schema import MIGRATIONS

NOW = "2020-05-13T09:00:00Z"
STATUSES = ("pending", "failed", "sending", "sent", "dead")


def _fill(conn) -> None:
    conn.executemany(
        "INSERT INTO outbox (created_at, recipient, template, payload, idempotency_key, status, attempts,"
        " next_attempt_at) VALUES ('2020-05-01T09:00:00Z', 'w1', 't', '{}', ?, ?, ?, ?)",
        [(f"k{i}", STATUSES[i % 5], i % 3, None if i % 7 == 0 else f"2020-05-{10 + i % 6:02d}T09:00:00Z")
         for i in range(200)])


def _reads(store) -> dict:
    return {"due": outbox.due(store, NOW), "due3": outbox.due(store, NOW, limit=3),
            **{f"recent:{s}": outbox.recent(store, status=s, limit=500) for s in (None, *STATUSES)},
            **{f"count:{s}": outbox.count_status(store, s) for s in STATUSES}}


def _retried(store, statuses) -> list[tuple]:
    with store.write(now=datetime(2020, 5, 13, 9, 0, tzinfo=UTC), actor="admin1", os_login="t") as tx:
        n = outbox.retry_now(tx, statuses)
    return [n, *store.rows("SELECT outbox_id, status, next_attempt_at FROM outbox ORDER BY outbox_id")]


def test_m015_reads_and_writes_by_status_find_what_the_full_index_found(tmp_path):
    old = tmp_path / "old.db"
    db = Database(old)
    MIGRATIONS.apply(db, stop_before="m015_outbox_unsent")
    _fill(db.conn)
    db.conn.commit()
    db.conn.close()
    new = tmp_path / "new.db"
    new.write_bytes(old.read_bytes())

    before = Store.open(old, migrate=False)  # the full index, as dipaudit read it before
    rows = before.rows("SELECT * FROM outbox ORDER BY outbox_id")
    expected = _reads(before)
    expected_retry = [_retried(before, ("failed",)), _retried(before, ("failed", "dead"))]
    before.close()

    after = Store.open(new)
    conn = after.db.conn
    assert after.rows("SELECT * FROM outbox ORDER BY outbox_id") == rows
    assert conn.execute("SELECT sql FROM sqlite_master WHERE name = 'outbox_unsent'").fetchone()[0].endswith(
        "WHERE status != 'sent'")
    assert not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'outbox_status'").fetchall()
    assert _reads(after) == expected
    assert [_retried(after, ("failed",)), _retried(after, ("failed", "dead"))] == expected_retry
    after.close()


def test_every_query_by_a_status_not_sent_searches_the_index(store):
    conn = store.db.conn
    seen: list[str] = []
    conn.set_trace_callback(seen.append)
    try:
        outbox.due(store, NOW, limit=5)
        for status in ("pending", "failed", "dead"):
            outbox.recent(store, status=status)
            outbox.count_status(store, status)
        with store.write(now=datetime(2020, 5, 13, 9, 0, tzinfo=UTC), actor="admin1", os_login="t") as tx:
            outbox.retry_now(tx, ("failed", "dead"))
    finally:
        conn.set_trace_callback(None)
    statements = [s for s in seen if "status" in s and s.startswith(("SELECT", "UPDATE"))]
    assert len(statements) == 8
    for sql in statements:
        plan = " / ".join(r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + sql))
        assert "INDEX outbox_unsent" in plan and "SCAN outbox" not in plan, (sql, plan)


def test_a_new_database_has_the_index_of_rows_not_sent(tmp_path):
    conn = sqlite3.connect(Store.open(tmp_path / "x.db").path)
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE tbl_name = 'outbox' AND type = 'index'")}
    assert "outbox_unsent" in names and "outbox_status" not in names
    conn.close()

"""Every statement on the scheduler's path uses an index (issue 10 item 3): a tick over
a database with a year's history reads what is due, never the whole history.

The statements are those a real tick runs (``sqlite3`` ``set_trace_callback`` during
``notify.scheduler.run_scheduler`` on a seeded database: finalisations, review alerts,
reminders, an overdue escalation referred, the SMT and weekly reports queued, the trail
checkpointed), then a quiet tick. Each is explained (``EXPLAIN QUERY PLAN``) and none may
``SCAN`` audits, actions, escalations or outbox: a search of an index is what is wanted.
The plans are those of a database never ANALYZEd, as a council's file is."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from factories import busy_day, keys_before_m012

from notify.scheduler import run_scheduler

WATCHED = ("audits", "actions", "escalations", "outbox")
SKIP = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|PRAGMA|ANALYZE)\b", re.I)


def _traced(ctx, fn) -> list[str]:
    seen: list[str] = []
    conn = ctx.store.db.conn
    conn.set_trace_callback(seen.append)
    try:
        fn()
    finally:
        conn.set_trace_callback(None)
    return [s for s in dict.fromkeys(seen) if not SKIP.match(s)]


def _aliases(sql: str) -> dict[str, str]:
    """Names a watched table goes by in ``sql`` (itself and any alias)."""
    names = {t: t for t in WATCHED}
    keywords = {"where", "join", "on", "left", "inner", "order", "group", "indexed", "set", "values", "limit",
                "as", "using", "natural", "cross", "union", "select"}
    # (a table name followed by a keyword is not aliased)
    for table, alias in re.findall(r"\b(audits|actions|escalations|outbox)\s+(?:AS\s+)?(\w+)", sql, re.I):
        if alias.lower() not in keywords:
            names[alias] = table
    return names


def _full_scans(ctx, statements: list[str]) -> list[str]:
    """Plan lines that read a watched table whole: a SCAN of the table or of a full index.
    A SCAN of a partial index (m008: only what is still pending) is not the history."""
    partial = {name for name, sql in ctx.store.db.conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
        if re.search(r"\)\s+WHERE\s", sql)}
    found = []
    for sql in statements:
        names = _aliases(sql)
        for row in ctx.store.db.conn.execute("EXPLAIN QUERY PLAN " + sql):
            m = re.match(r"SCAN (\w+)", row[3])
            index = re.search(r"USING (?:COVERING )?INDEX (\w+)", row[3])
            if m and m.group(1) in names and not (index and index.group(1) in partial):
                found.append(f"{row[3]}  <-  {' '.join(sql.split())[:300]}")
    return found


def test_every_statement_of_a_busy_and_a_quiet_tick_searches_an_index(ctx):
    busy_day(ctx)
    ctx.clock.set(datetime(2020, 5, 13, 9, 0, tzinfo=UTC))  # 16 days on: everything falls due
    busy = _traced(ctx, lambda: run_scheduler(ctx, deliver=False))
    tables = " ".join(busy)
    for table in WATCHED:  # the tick did read and write each: the check covers them
        assert re.search(rf"\b{table}\b", tables), table
    assert any("INSERT" in s and "outbox" in s for s in busy)
    assert ctx.store.scalar("SELECT count(*) FROM reports") >= 1  # a report slot came: its SQL is in
    quiet = _traced(ctx, lambda: run_scheduler(ctx, deliver=False))
    assert _full_scans(ctx, busy + quiet) == []


def test_the_check_finds_a_full_scan(ctx):
    """The check itself: a statement that reads every audit is caught."""
    assert _full_scans(ctx, ["SELECT a.audit_id FROM audits a WHERE a.overview LIKE '%x%'"])


def test_m008_marks_what_an_older_database_already_flagged_and_sent(ctx, db_path):
    """A database ticked before m008: its review alerts (events) and reminders (outbox)
    mark the actions, so the first tick after the upgrade sends nothing twice."""
    import sqlite3

    from core.context import Context
    from core.store import Store
    from core.store.database import applied_migrations

    busy_day(ctx)
    ctx.clock.set(datetime(2020, 5, 13, 9, 0, tzinfo=UTC))
    first = run_scheduler(ctx, deliver=False)
    assert first.reviews_due and first.reminders
    marked = ctx.store.rows("SELECT action_id, review_flagged_at IS NOT NULL, notified FROM actions ORDER BY 1")
    assert all(flagged for _, flagged, _ in marked) and all(n for *_, n in marked)
    ctx.store.close()
    conn = sqlite3.connect(db_path)  # back to the schema before m008
    for index in ("audits_in_window", "actions_review_unflagged", "actions_to_notify", "escalations_overdue_unflagged"):
        conn.execute(f"DROP INDEX {index}")
    conn.execute("ALTER TABLE actions DROP COLUMN review_flagged_at")
    conn.execute("ALTER TABLE actions DROP COLUMN notified")
    conn.execute("DELETE FROM _sqlite_migrations WHERE name IN ('m008_tick', 'm012_tick_keys')")
    conn.commit()
    assert keys_before_m012(conn)  # and the keys as they were written then
    conn.close()
    store = Store.open(db_path)
    assert applied_migrations(store.db.conn)[-2:] == ["m008_tick", "m012_tick_keys"]
    assert [(a, bool(f), n) for a, f, n in store.rows(
        "SELECT action_id, review_flagged_at IS NOT NULL, notified FROM actions ORDER BY 1")] == \
        [(a, bool(f), n) for a, f, n in marked]
    again = run_scheduler(Context(store=store, clock=ctx.clock, settings=ctx.settings, user=ctx.user,
                                  os_login=ctx.os_login), deliver=False)
    assert (again.reviews_due, again.reminders) == ([], [])
    store.close()

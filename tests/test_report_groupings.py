"""The reports' groupings read in their own order (m013r_report_groupings): per worker,
per programme version, per auditor, with no sort of the period's rows.

A period holding most of the audits reads every submitted audit in (team, worker) order
(``audits_by_worker``); a shorter one sorts its own from ``audits_period``. Programme
versions and auditors are found by stepping from key to key and counted over their
range of the period. Each is held here to the plain GROUP BY the reports ran before
(the oracle below), for random audits and queue items (hypothesis): no team and ''
are one group, as are no auditor and ''. The migration upgrades a file in place, and
one that fails leaves the file as it was."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.store import Store
from core.store import reports as q
from core.store.audits import store_programme
from core.store.database import applied_migrations
from core.store.schema import MIGRATION_NAMES

NEW_INDEXES = ("audits_by_worker", "audits_by_programme", "audits_by_auditor", "queue_items_by_auditor")
T0 = datetime(2020, 1, 1, tzinfo=UTC)


def _at(hours: int) -> str:
    return (T0 + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- the oracle: the plain GROUP BY the reports ran before m013r -------------------------
def groups_sorted(r, start: str, end: str) -> list[dict]:
    return r.query(
        """SELECT COALESCE(a.team, '') AS team, COALESCE(a.worker, '') AS worker, COUNT(*) AS audits,
                  SUM(a.misses = 0) AS all_met, SUM(a.met) AS met, SUM(a.rated) AS rated,
                  SUM(a.n_actions) AS actions
             FROM audits a WHERE a.submitted_at >= ? AND a.submitted_at < ?
            GROUP BY COALESCE(a.team, ''), COALESCE(a.worker, '') ORDER BY 1, 2""", [start, end])


def action_flow(r, start: str, end: str) -> dict:
    """The actions raised on the period's audits and the reviews completing one in it, as
    the reports read them before the groupings (one query over the period's audits)."""
    return r.one(
        f"""
        SELECT (SELECT COALESCE(SUM(a.n_actions), 0) FROM audits a INDEXED BY audits_period
                 WHERE {q.SUBMITTED}) AS raised,
               (SELECT COUNT(*) FROM action_reviews INDEXED BY action_reviews_at
                 WHERE at >= :start AND at < :end AND outcome = 'completed') AS completed
        """,
        {"start": start, "end": end},
    )


def programmes_grouped(r, start: str, end: str) -> list[int]:
    return [row[0] for row in r.rows(
        """SELECT MAX(a.audit_id) AS audit_id, COUNT(*) AS n FROM audits a
            WHERE a.submitted_at >= ? AND a.submitted_at < ?
            GROUP BY a.programme_id, a.programme_version ORDER BY n DESC, audit_id""", [start, end])]


def drawn_and_audited(r, start: str, end: str) -> dict[str, tuple[int, int]]:
    drawn = dict(r.rows("SELECT COALESCE(auditor, ''), COUNT(*) FROM queue_items"
                        " WHERE created_at >= ? AND created_at < ? GROUP BY 1", [start, end]))
    audited = dict(r.rows("SELECT auditor, COUNT(*) FROM audits WHERE submitted_at >= ? AND submitted_at < ?"
                          " GROUP BY 1", [start, end]))
    return {who: (drawn.get(who, 0), audited.get(who, 0)) for who in drawn.keys() | audited.keys()}


# --- random audits -------------------------------------------------------------------
_audit = st.fixed_dictionaries({
    "team": st.sampled_from([None, "", "Team A", "Team B", "team a"]),
    "worker": st.sampled_from([None, "", "w1", "w2", "W1"]),
    "auditor": st.sampled_from(["", "aud1", "aud2", "Aud3"]),
    "programme": st.sampled_from([("p", "1"), ("p", "2"), ("p", "10"), ("q", "1")]),
    "submitted": st.one_of(st.none(), st.integers(0, 24 * 60)),
    "met": st.integers(0, 6), "rated": st.integers(0, 6), "misses": st.integers(0, 2),
    "actions": st.integers(0, 3),
})
_queue_item = st.fixed_dictionaries({
    "auditor": st.sampled_from([None, "", "aud1", "aud2", "Aud3"]),
    "created": st.integers(0, 24 * 60),
})


def _programme(programme_id: str, version: str) -> str:
    return json.dumps({"id": programme_id, "version": version, "title": f"Programme {programme_id}", "standards": []})


def _store(tx, audits: list[dict], items: list[dict]) -> None:
    tx.execute("INSERT INTO samples (sample_id, seed, params, created_at, created_by)"
               " VALUES (1, 1, '{}', ?, 'admin1')", [_at(0)])
    for i, a in enumerate(audits):
        child = f"G{i}"
        tx.execute("INSERT INTO children (child_id, cohort, tier) VALUES (?, 'cin', 3)", [child])
        status = "draft" if a["submitted"] is None else "submitted"
        at = None if a["submitted"] is None else _at(a["submitted"])
        audit_id = tx.execute(
            "INSERT INTO audits (child_id, auditor, programme_id, programme_version, programme_sha, status, team,"
            " worker, audit_date, started_at, submitted_at, updated_at, updated_by)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, '2020-01-01', ?, ?, ?, 'aud1')",
            [child, a["auditor"], *a["programme"], store_programme(tx, _programme(*a["programme"])), status,
             a["team"], a["worker"], _at(0), at, _at(0)]).lastrowid
        # the summary columns as the triggers would keep them (only their sums are read here)
        tx.execute("UPDATE audits SET met = ?, rated = ?, misses = ?, n_actions = ? WHERE audit_id = ?",
                   [a["met"], a["rated"], a["misses"], a["actions"], audit_id])
    for i, item in enumerate(items):
        child = f"Q{i}"
        tx.execute("INSERT INTO children (child_id, cohort, tier) VALUES (?, 'cin', 3)", [child])
        tx.execute("INSERT INTO queue_items (sample_id, child_id, tier, cohort, auditor, status, created_at,"
                   " updated_at) VALUES (1, ?, 3, 'cin', ?, 'done', ?, ?)",
                   [child, item["auditor"], _at(item["created"]), _at(item["created"])])


def _clear(tx) -> None:
    for table in ("queue_items", "samples", "audits", "programme_snapshots", "children"):
        tx.execute(f"DELETE FROM {table}")


_period = st.tuples(st.integers(-10, 24 * 60 + 10), st.integers(0, 24 * 60 + 20))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(audits=st.lists(_audit, max_size=40), items=st.lists(_queue_item, max_size=20),
       periods=st.lists(_period, min_size=1, max_size=4))
def test_each_grouping_is_the_group_by_it_replaces(ctx, audits, items, periods):
    with ctx.tx() as tx:
        _store(tx, audits, items)
        for lo, length in [(0, 24 * 60 + 1), *periods]:
            start, end = _at(lo), _at(lo + length)
            expected = groups_sorted(tx, start, end)
            for whole in (True, False, None):
                assert q.audit_groups(tx, start, end, actions=True, whole=whole) == expected
                assert q.audit_groups(tx, start, end, whole=whole) == [
                    {k: v for k, v in g.items() if k != "actions"} for g in expected]
            assert q.programmes_used(tx, start, end) == [
                q.programme_json(tx, audit_id) for audit_id in programmes_grouped(tx, start, end)]
            progress = q.sample_progress(tx, start, end, _at(24 * 60 + 30))
            assert [p["auditor"] for p in progress] == sorted(p["auditor"] for p in progress)
            assert {p["auditor"]: (p["drawn"], p["audited"]) for p in progress
                    if p["drawn"] or p["audited"]} == drawn_and_audited(tx, start, end)
            assert sum(g["actions"] for g in expected) == action_flow(tx, start, end)["raised"]
            assert q.actions_completed(tx, start, end) == action_flow(tx, start, end)["completed"]
        _clear(tx)


def test_a_period_of_most_audits_reads_them_in_worker_order_and_a_short_one_sorts_its_own(ctx):
    with ctx.tx() as tx:
        _store(tx, [{"team": "T", "worker": "w", "auditor": "a", "programme": ("p", "1"), "submitted": h,
                     "met": 1, "rated": 1, "misses": 0, "actions": 0} for h in range(0, 1000, 10)], [])
    assert q.most_audits(ctx.store, _at(0), _at(1000))
    assert q.most_audits(ctx.store, _at(-5000), _at(400))  # 40% of the span
    assert not q.most_audits(ctx.store, _at(500), _at(600))
    assert not q.most_audits(ctx.store, _at(2000), _at(9000))  # after the last
    plans = {whole: _plan(ctx.store, whole) for whole in (True, False)}
    assert "audits_by_worker" in plans[True] and "TEMP B-TREE" not in plans[True]
    assert "audits_period" in plans[False]


def _plan(store: Store, whole: bool) -> str:
    seen: list[str] = []

    class Explain:
        def rows(self, sql, params=None):
            seen.extend(r["detail"] for r in store.query("EXPLAIN QUERY PLAN " + sql, params))
            return store.rows(sql, params)

    q.audit_groups(Explain(), _at(0), _at(1000), whole=whole)
    return " / ".join(seen)


def test_the_groupings_by_programme_and_auditor_sort_nothing(store):
    seen: list[str] = []

    class Explain:
        def rows(self, sql, params=None):
            seen.extend(r["detail"] for r in store.query("EXPLAIN QUERY PLAN " + sql, params))
            return store.rows(sql, params)

        query = rows

    q.programmes_used(Explain(), _at(0), _at(1000))
    q.sample_progress(Explain(), _at(0), _at(1000), _at(1000))
    plan = " / ".join(seen)
    for index in NEW_INDEXES[1:]:
        assert f"INDEX {index}" in plan
    grouped = plan.split("MATERIALIZE outstanding")[0]  # what is drawn and audited (and by programme)
    assert "queue_items_created" not in grouped and "audits_period" not in grouped


# --- the migration ------------------------------------------------------------------
def _as_before_m013r(db_path) -> None:
    conn = sqlite3.connect(db_path)
    conn.execute("DELETE FROM _sqlite_migrations WHERE name = 'm013r_report_groupings'")
    for index in NEW_INDEXES:
        conn.execute(f"DROP INDEX {index}")
    conn.commit()
    conn.close()


def _indexes(conn) -> set[str]:
    return {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}


def test_the_migration_adds_the_indexes_and_the_figures_stay(ctx, db_path):
    with ctx.tx() as tx:
        _store(tx, [{"team": t, "worker": w, "auditor": "aud1", "programme": ("p", v), "submitted": h,
                     "met": 2, "rated": 3, "misses": 1, "actions": 1}
                    for h, (t, w, v) in enumerate([("A", "w1", "1"), (None, "w2", "1"), ("", "w2", "2")] * 5)],
               [{"auditor": None, "created": 1}, {"auditor": "", "created": 2}, {"auditor": "aud1", "created": 3}])
    start, end = _at(0), _at(100)
    before = (groups_sorted(ctx.store, start, end), q.programmes_used(ctx.store, start, end),
              q.sample_progress(ctx.store, start, end, end))
    ctx.store.close()
    _as_before_m013r(db_path)

    store = Store.open(db_path)
    applied = applied_migrations(store.db.conn)  # m013r again, last; every other one there already
    assert applied[-1] == "m013r_report_groupings" and set(applied) == set(MIGRATION_NAMES)
    assert set(NEW_INDEXES) <= _indexes(store.db.conn)
    assert (q.audit_groups(store, start, end, actions=True), q.programmes_used(store, start, end),
            q.sample_progress(store, start, end, end)) == before
    store.close()


def test_a_migration_that_fails_leaves_the_file_as_it_was(ctx, db_path):
    ctx.store.close()
    _as_before_m013r(db_path)
    conn = sqlite3.connect(db_path)  # in its way: a table of the name of one of its indexes
    conn.execute("CREATE TABLE audits_by_auditor (x)")
    conn.commit()
    schema = conn.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()
    conn.close()
    with pytest.raises(sqlite3.OperationalError, match="audits_by_auditor"):
        Store.open(db_path)
    store = Store.open(db_path, migrate=False)
    assert "m013r_report_groupings" not in applied_migrations(store.db.conn)
    assert store.rows("SELECT type, name, sql FROM sqlite_master ORDER BY name") == schema
    assert not {"audits_by_worker", "audits_by_programme"} & _indexes(store.db.conn)
    store.close()


def test_a_submission_time_stored_in_another_form_still_gives_the_figures(ctx):
    """The plan is chosen from the first and last submission times; one a script wrote in
    another form only costs the choice (the period's own audits are sorted), never a figure."""
    with ctx.tx() as tx:
        _store(tx, [{"team": "T", "worker": "w", "auditor": "a", "programme": ("p", "1"), "submitted": 5,
                     "met": 1, "rated": 1, "misses": 0, "actions": 2}], [])
        tx.execute("UPDATE audits SET submitted_at = 'sometime in 2020'")
    assert not q.most_audits(ctx.store, "2000-01-01T00:00:00Z", "sometime in 2021")
    assert q.audit_groups(ctx.store, "2000-01-01T00:00:00Z", "sometime in 2021", actions=True) == [
        {"team": "T", "worker": "w", "audits": 1, "all_met": 1, "met": 1, "rated": 1, "actions": 2}]

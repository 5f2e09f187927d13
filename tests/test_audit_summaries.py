"""Per-audit summaries and ratings by submission time (m009): always equal to the ratings
(and an audit's count of actions to its actions).

The reports read ``audits.met / rated / misses`` and ``ratings.submitted_at`` instead of
every rating; triggers keep them equal to the ratings whoever writes them. Checked here
after a submit and an amendment through the services, for random writes (hypothesis),
and after the migration backfills an older database.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta

from factories import submitted_audit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlite_utils import Database

from core.audit import fill_audit
from core.context import Context
from core.store import Store
from core.store import audits as store_audits
from core.store import reports as q
from core.store.schema import MIGRATION_NAMES, MIGRATIONS

RATINGS = [None, "met", "partly_met", "not_met", "not_applicable"]
STANDARDS = ["s1", "s2", "s3", "s4", "s5", "s6"]


# --- the figures as the reports counted them before m009: from every rating -----------
def recount(r, audit_id: int) -> tuple:
    """(met, rated, misses) of an audit counted from its ratings."""
    return tuple(r.one(
        """SELECT COALESCE(SUM(rating = 'met'), 0) AS met,
                  COALESCE(SUM(rating IN ('met', 'partly_met', 'not_met')), 0) AS rated,
                  COALESCE(SUM(rating IS NULL OR rating NOT IN ('met', 'not_applicable')), 1) AS misses
             FROM ratings WHERE audit_id = ?""", [audit_id]).values())


def summary(r, audit_id: int) -> tuple:
    return tuple(r.one("SELECT met, rated, misses FROM audits WHERE audit_id = ?", [audit_id]).values())


def assert_summaries_equal_ratings(r) -> None:
    for (audit_id,) in r.rows("SELECT audit_id FROM audits"):
        assert summary(r, audit_id) == recount(r, audit_id), f"audit {audit_id}"
        assert r.scalar("SELECT n_actions FROM audits WHERE audit_id = ?", [audit_id]) == r.scalar(
            "SELECT COUNT(*) FROM actions WHERE audit_id = ?", [audit_id]), f"audit {audit_id}'s actions"
    assert r.rows("SELECT rt.audit_id, rt.standard_id, rt.submitted_at, a.submitted_at FROM ratings rt"
                  " JOIN audits a ON a.audit_id = rt.audit_id WHERE rt.submitted_at IS NOT a.submitted_at") == []


def groups_from_ratings(r, start: str, end: str) -> list[dict]:
    return r.query(
        """
        WITH per AS (SELECT a.audit_id, COALESCE(a.team, '') AS team, COALESCE(a.worker, '') AS worker,
                            COALESCE(SUM(rt.rating = 'met'), 0) AS met,
                            COALESCE(SUM(rt.rating IN ('met', 'partly_met', 'not_met')), 0) AS rated,
                            SUM(rt.rating IS NULL OR rt.rating NOT IN ('met', 'not_applicable')) AS misses
                       FROM audits a LEFT JOIN ratings rt ON rt.audit_id = a.audit_id
                      WHERE a.submitted_at >= :start AND a.submitted_at < :end GROUP BY a.audit_id)
        SELECT team, worker, COUNT(*) AS audits, SUM(misses = 0) AS all_met, SUM(met) AS met, SUM(rated) AS rated
          FROM per GROUP BY team, worker
        """, {"start": start, "end": end})


def standards_from_ratings(r, start: str, end: str) -> list[dict]:
    return r.query(
        """
        -- (COALESCE: a standard whose ratings are all blank gave NULLs, read by the report as 0)
        SELECT rt.standard_id, COALESCE(SUM(rt.rating = 'met'), 0) AS met,
               COALESCE(SUM(rt.rating = 'partly_met'), 0) AS partly_met,
               COALESCE(SUM(rt.rating = 'not_met'), 0) AS not_met,
               COALESCE(SUM(rt.rating = 'not_applicable'), 0) AS not_applicable
          FROM audits a JOIN ratings rt ON rt.audit_id = a.audit_id
         WHERE a.submitted_at >= :start AND a.submitted_at < :end
         GROUP BY rt.standard_id ORDER BY rt.standard_id
        """, {"start": start, "end": end})


def _key(row: dict) -> tuple:
    return tuple(sorted(row.items()))


# --- through the services ------------------------------------------------------------
def test_a_submitted_and_amended_audit_keeps_its_summary(ctx):
    a = submitted_audit(ctx)
    second = submitted_audit(ctx, child_id="C2")
    # one programme snapshot for both audits (m009b)
    assert ctx.store.scalar("SELECT COUNT(*) FROM programme_snapshots") == 1
    assert store_audits.programme_json(ctx.store, a.audit_id) == store_audits.programme_json(
        ctx.store, second.audit_id)
    # full_audit_data: four met, one partly met, one not met
    assert summary(ctx.store, a.audit_id) == (4, 6, 2) == recount(ctx.store, a.audit_id)
    submitted = ctx.store.scalar("SELECT submitted_at FROM audits WHERE audit_id = ?", [a.audit_id])
    assert {row[0] for row in ctx.store.rows("SELECT submitted_at FROM ratings WHERE audit_id = ?",
                                             [a.audit_id])} == {submitted}
    aud1 = Context(store=ctx.store, clock=ctx.clock, settings=ctx.settings, user="aud1", os_login=ctx.os_login)
    fill_audit(aud1, a.audit_id, {"ratings": {"virtual_contact": {"rating": "met"},
                                              "oversight_partners": {"rating": "not_applicable",
                                                                     "evidence": "No partners involved."}}},
               amendment_reason="re-read the record")
    assert summary(ctx.store, a.audit_id) == (5, 5, 0) == recount(ctx.store, a.audit_id)
    start, end = "2020-01-01T00:00:00Z", "2021-01-01T00:00:00Z"
    assert [(g["audits"], g["all_met"], g["met"], g["rated"]) for g in q.audit_groups(ctx.store, start, end)] \
        == [(2, 1, 9, 11)]
    assert q.standard_counts(ctx.store, start, end) == standards_from_ratings(ctx.store, start, end)
    assert_summaries_equal_ratings(ctx.store)


# --- any writes at all -----------------------------------------------------------------
_op = st.one_of(
    st.tuples(st.just("rate"), st.integers(0, 3), st.sampled_from(STANDARDS), st.sampled_from(RATINGS)),
    st.tuples(st.just("submit"), st.integers(0, 3), st.integers(0, 40)),
    st.tuples(st.just("unsubmit"), st.integers(0, 3)),
    st.tuples(st.just("delete"), st.integers(0, 3), st.sampled_from(STANDARDS)),
    st.tuples(st.just("add"), st.integers(0, 3), st.sampled_from(STANDARDS), st.sampled_from(RATINGS)),
    st.tuples(st.just("action"), st.integers(0, 3)),
    st.tuples(st.just("drop action"), st.integers(0, 3)),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(standards=st.lists(st.lists(st.sampled_from(STANDARDS), unique=True, max_size=6), min_size=4, max_size=4),
       ops=st.lists(_op, max_size=30))
def test_summaries_and_submission_times_follow_every_write_to_the_ratings(ctx, standards, ops):
    """Four audits with random standards; random ratings, submissions (and their times
    changed), withdrawn submissions, ratings deleted and added: the summaries, the
    ratings' submission times and the reports' figures always equal the ratings'."""
    with ctx.tx() as tx:
        ids = []
        for sids in standards:
            child = f"P{tx.scalar('SELECT COUNT(*) FROM children')}"
            tx.execute("INSERT INTO children (child_id, cohort, tier) VALUES (?, 'cin', 3)", [child])
            ids.append(store_audits.insert(
                tx, queue_id=None, child_id=child, auditor="aud1", programme_id="p", programme_version="1",
                programme="{}", worker=f"w{len(ids) % 2}", manager=None, team="T", audit_date="2020-04-27",
                prechecks="{}", standard_ids=sids))
        for op in ops:
            audit_id = ids[op[1]]
            if op[0] == "rate":
                store_audits.set_rating(tx, audit_id, op[2], op[3], "")
            elif op[0] == "submit":
                at = (datetime(2020, 4, 1, tzinfo=UTC) + timedelta(days=op[2])).strftime("%Y-%m-%dT%H:%M:%SZ")
                tx.execute("UPDATE audits SET status = 'submitted', submitted_at = ? WHERE audit_id = ?",
                           [at, audit_id])
            elif op[0] == "unsubmit":
                tx.execute("UPDATE audits SET status = 'draft', submitted_at = NULL WHERE audit_id = ?", [audit_id])
            elif op[0] == "delete":
                tx.execute("DELETE FROM ratings WHERE audit_id = ? AND standard_id = ?", [audit_id, op[2]])
            elif op[0] == "action":
                tx.execute("INSERT INTO actions (audit_id, owner_role, created_at, updated_at)"
                           " VALUES (?, 'worker', ?, ?)", [audit_id, tx.at, tx.at])
            elif op[0] == "drop action":
                tx.execute("DELETE FROM actions WHERE action_id = (SELECT MIN(action_id) FROM actions"
                           " WHERE audit_id = ?)", [audit_id])
            else:
                tx.execute("INSERT OR IGNORE INTO ratings (audit_id, standard_id, rating) VALUES (?, ?, ?)",
                           [audit_id, op[2], op[3]])
        assert_summaries_equal_ratings(tx)
        for start, end in (("2020-04-01T00:00:00Z", "2020-06-01T00:00:00Z"),
                           ("2020-04-10T00:00:00Z", "2020-04-20T00:00:00Z")):
            assert sorted(map(_key, q.audit_groups(tx, start, end))) == \
                sorted(map(_key, groups_from_ratings(tx, start, end)))
            assert q.standard_counts(tx, start, end) == standards_from_ratings(tx, start, end)
            assert sum(g["actions"] for g in q.audit_groups(tx, start, end, actions=True)) == tx.scalar(
                "SELECT COUNT(*) FROM audits a JOIN actions ac ON ac.audit_id = a.audit_id"
                " WHERE a.submitted_at >= ? AND a.submitted_at < ?", [start, end])
        tx.execute("DELETE FROM ratings")  # the next example starts from no ratings
        tx.execute("DELETE FROM actions")
        tx.execute("DELETE FROM audits")


# --- the migration ----------------------------------------------------------------------
def test_the_migration_backfills_summaries_and_submission_times(tmp_path):
    """A database from before m009 with audits submitted, drafts, blank ratings, an
    audit with none, and actions: m009 backfills each audit's summary and count of
    actions and each rating's time, and the triggers hold afterwards."""
    path = tmp_path / "old.db"
    db = Database(path)
    MIGRATIONS.apply(db, stop_before="m009_audit_summaries")
    rng = random.Random(9)
    for i in range(60):
        submitted = None if i % 5 == 0 else f"2020-04-{1 + i % 28:02d}T09:00:00Z"
        db.execute("INSERT INTO children (child_id, cohort, tier) VALUES (?, 'cin', 3)", [f"C{i}"])
        db.execute("INSERT INTO audits (audit_id, child_id, auditor, programme_id, programme_version, programme,"
                   " status, team, worker, audit_date, started_at, submitted_at, updated_at, updated_by)"
                   " VALUES (?, ?, 'aud1', 'p', '1', '{}', ?, 'T', ?, '2020-04-01', '2020-04-01T09:00:00Z', ?,"
                   " '2020-04-01T09:00:00Z', 'aud1')",
                   [i + 1, f"C{i}", "draft" if submitted is None else "submitted", f"w{i % 3}", submitted])
        for sid in rng.sample(STANDARDS, 0 if i == 7 else rng.randint(1, 6)):
            db.execute("INSERT INTO ratings (audit_id, standard_id, rating) VALUES (?, ?, ?)",
                       [i + 1, sid, rng.choice(RATINGS)])
        for _ in range(i % 3):
            db.execute("INSERT INTO actions (audit_id, owner_role, created_at, updated_at)"
                       " VALUES (?, 'worker', '2020-04-01T09:00:00Z', '2020-04-01T09:00:00Z')", [i + 1])
    db.conn.commit()
    before = (groups_from_ratings(_Plain(db), "2020-04-01T00:00:00Z", "2020-05-01T00:00:00Z"),
              standards_from_ratings(_Plain(db), "2020-04-01T00:00:00Z", "2020-05-01T00:00:00Z"))
    db.conn.close()
    store = Store.open(path)
    assert store.schema_version() == MIGRATION_NAMES[-1]
    assert summary(store, 8) == (0, 0, 1)  # no ratings: never "every standard met"
    assert store.scalar("SELECT SUM(n_actions) FROM audits") == 60  # 0, 1, 2 per audit in turn
    assert_summaries_equal_ratings(store)
    assert sorted(map(_key, q.audit_groups(store, "2020-04-01T00:00:00Z", "2020-05-01T00:00:00Z"))) == \
        sorted(map(_key, before[0]))
    assert q.standard_counts(store, "2020-04-01T00:00:00Z", "2020-05-01T00:00:00Z") == before[1]
    with store.db.conn:
        store.db.execute("UPDATE ratings SET rating = 'met' WHERE audit_id = 2")
        store.db.execute("UPDATE audits SET submitted_at = '2020-04-30T09:00:00Z' WHERE audit_id = 1")
    assert summary(store, 2)[0] == recount(store, 2)[0] == store.scalar(
        "SELECT COUNT(*) FROM ratings WHERE audit_id = 2")
    assert_summaries_equal_ratings(store)
    store.close()


def test_the_migration_keeps_each_programme_snapshot_once(tmp_path):
    """m009b: audits' snapshots move to ``programme_snapshots``, one row per canonical
    JSON (the same programme written with its keys in another order is one snapshot);
    each audit reads back its own, and ``audits.programme`` is gone."""
    path = tmp_path / "old.db"
    db = Database(path)
    MIGRATIONS.apply(db, stop_before="m009b_programme_snapshots")
    v1 = json.dumps({"id": "p", "version": "1", "standards": [{"id": "s1", "title": "One"}]})
    v1_again = json.dumps({"version": "1", "standards": [{"title": "One", "id": "s1"}], "id": "p"}, indent=2)
    v2 = json.dumps({"id": "p", "version": "2", "standards": [{"id": "s1", "title": "One, \u00e9dited"}]})
    texts = [v1, v1_again, v2, v1, v2]
    for i, text in enumerate(texts):
        db.execute("INSERT INTO children (child_id, cohort, tier) VALUES (?, 'cin', 3)", [f"C{i}"])
        db.execute("INSERT INTO audits (audit_id, child_id, auditor, programme_id, programme_version, programme,"
                   " status, audit_date, started_at, updated_at, updated_by) VALUES (?, ?, 'aud1', 'p', ?, ?,"
                   " 'submitted', '2020-04-01', '2020-04-01T09:00:00Z', '2020-04-01T09:00:00Z', 'aud1')",
                   [i + 1, f"C{i}", json.loads(text)["version"], text])
    db.conn.commit()
    db.conn.close()
    store = Store.open(path)
    assert store.scalar("SELECT COUNT(*) FROM programme_snapshots") == 2
    assert "programme" not in {row["name"] for row in store.query("SELECT name FROM pragma_table_info('audits')")}
    for i, text in enumerate(texts):
        assert json.loads(store_audits.programme_json(store, i + 1)) == json.loads(text)
        assert json.loads(store_audits.get(store, i + 1)["programme"]) == json.loads(text)
    store.close()


class _Plain:
    """``query``/``one``/``rows`` over a plain sqlite-utils Database (before the Store opens it)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def query(self, sql: str, params=None) -> list[dict]:
        return list(self.db.query(sql, params or {}))



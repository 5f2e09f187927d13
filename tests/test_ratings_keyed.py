"""Ratings keyed by (audit, standard) (m011): the database keeps each standard id once and
a rating's submission time as an integer, and nothing a person, a report or a script
reads changes.

The migration converts a database holding a history (made through the services, the
clock moved: ``tests/report_data.py``) in place: every rating reads back the same, the
SMT and weekly reports built on it equal those built on a database made new with the
same history, and the services go on writing ratings. A migration that fails leaves the
file as it was. The ``ratings`` view takes writes as the table did.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest
import report_data as rd
from conftest import as_user
from factories import add_child
from sqlite_utils import Database

from core.audit import fill_audit, start_audit
from core.clock import FixedClock
from core.config import Settings
from core.context import Context
from core.reports import build_report
from core.reports.periods import Period
from core.store import Store
from core.store import reports as q
from core.store.schema import MIGRATION_NAMES, MIGRATIONS

BEFORE = "m011_ratings_keyed"
RATINGS = "SELECT audit_id, standard_id, rating, evidence, submitted_at FROM ratings ORDER BY audit_id, standard_id"
WEEK = Period(datetime(2020, 4, 19, 23, 0, tzinfo=UTC), datetime(2020, 4, 26, 23, 0, tzinfo=UTC),
              datetime(2020, 4, 26, 23, 0, tzinfo=UTC))


def _context(store: Store) -> Context:
    return Context(store=store, clock=FixedClock(datetime(2020, 4, 27, 9, 0, tzinfo=UTC)), settings=Settings(),
                   user="admin1", os_login="tester")


def _history(ctx: Context) -> None:
    """The report tests' history, and a draft (its ratings blank, with no submission time)."""
    rd.build(ctx)
    add_child(ctx, "C9", worker="w1", name="Indigo Draft")
    start_audit(as_user(ctx, "aud1"), "C9")


def _old_database(path) -> Context:
    """A database at the schema before m011, holding the history."""
    db = Database(path)
    MIGRATIONS.apply(db, stop_before=BEFORE)
    db.conn.close()
    ctx = _context(Store.open(path, migrate=False))
    _history(ctx)
    assert ctx.store.scalar("SELECT type FROM sqlite_master WHERE name = 'ratings'") == "table"
    return ctx


def _reports(ctx: Context) -> list[str]:
    ctx.clock.set(rd.BUILT)
    smt1 = as_user(ctx, "smt1")
    return [build_report(smt1, "smt", rd.PERIOD).model_dump_json(),
            build_report(smt1, "weekly", WEEK).model_dump_json()]


def test_the_migration_keeps_every_rating_and_every_report(tmp_path):
    new = _context(Store.open(tmp_path / "new.db"))
    _history(new)
    expected = _reports(new)

    old = _old_database(tmp_path / "old.db")
    ratings = old.store.rows(RATINGS)
    assert len(ratings) == 6 * old.store.scalar("SELECT COUNT(*) FROM audits")
    assert any(r[4] is None for r in ratings) and any(r[4] is not None for r in ratings)  # drafts and submitted
    summaries = old.store.rows("SELECT audit_id, met, rated, misses FROM audits ORDER BY audit_id")
    old.store.close()

    store = Store.open(tmp_path / "old.db")
    assert store.schema_version() == MIGRATION_NAMES[-1]
    assert store.scalar("SELECT type FROM sqlite_master WHERE name = 'ratings'") == "view"
    assert store.rows(RATINGS) == ratings == new.store.rows(RATINGS)
    assert store.rows("SELECT audit_id, met, rated, misses FROM audits ORDER BY audit_id") == summaries
    # each standard id once; a rating's time is its audit's, as Unix seconds
    assert store.scalar("SELECT COUNT(*) FROM standard_keys") == len(rd.STANDARDS)
    assert store.rows("SELECT r.audit_id FROM rating_rows r JOIN audits a ON a.audit_id = r.audit_id"
                      " WHERE r.submitted_unix IS NOT CAST(strftime('%s', a.submitted_at) AS INTEGER)") == []
    migrated = _context(store)
    assert _reports(migrated) == expected

    # the services go on writing ratings, and the summaries and reports follow
    audit_id = store.scalar("SELECT audit_id FROM audits WHERE child_id = 'C2'")
    fill_audit(as_user(migrated, "aud1"), audit_id, {"ratings": {"oversight_partners": {"rating": "met"}}},
               amendment_reason="re-read the record")
    assert store.one("SELECT rating, evidence FROM ratings WHERE audit_id = ? AND standard_id = ?",
                     [audit_id, "oversight_partners"]) == {"rating": "met", "evidence": "Evidence for not_met."}
    assert store.one("SELECT met, rated, misses FROM audits WHERE audit_id = ?", [audit_id]) == {
        "met": 5, "rated": 6, "misses": 1}
    counts = {row["standard_id"]: row for row in q.standard_counts(store, "2020-04-28T07:00:00Z",
                                                                    "2020-04-30T07:00:00Z")}
    assert (counts["oversight_partners"]["met"], counts["oversight_partners"]["not_met"]) == (2, 0)  # A2 now, A3
    store.close()
    new.store.close()


def test_a_migration_that_fails_leaves_the_ratings_as_they_were(tmp_path):
    old = _old_database(tmp_path / "old.db")
    ratings = old.store.rows(RATINGS)
    old.store.db.conn.execute("CREATE TABLE standard_keys (x)")  # in its way: the migration fails midway
    old.store.db.conn.commit()
    old.store.close()
    with pytest.raises(sqlite3.OperationalError, match="standard_keys"):
        Store.open(tmp_path / "old.db")
    store = Store.open(tmp_path / "old.db", migrate=False)
    assert store.schema_version() == MIGRATION_NAMES[MIGRATION_NAMES.index(BEFORE) - 1]
    assert store.scalar("SELECT type FROM sqlite_master WHERE name = 'ratings'") == "table"
    assert store.scalar("SELECT COUNT(*) FROM sqlite_master WHERE name = 'rating_rows'") == 0
    assert store.rows(RATINGS) == ratings
    store.close()


def test_the_ratings_view_takes_writes_as_the_table_did(ctx):
    with ctx.tx() as tx:
        tx.execute("INSERT INTO children (child_id, cohort, tier) VALUES ('P1', 'cin', 3)")
        tx.execute("INSERT INTO audits (audit_id, child_id, auditor, programme_id, programme_version, status,"
                   " audit_date, started_at, submitted_at, updated_at, updated_by) VALUES (1, 'P1', 'aud1', 'p',"
                   " '1', 'submitted', '2020-04-27', '2020-04-27T08:00:00Z', '2020-04-27T09:30:05Z',"
                   " '2020-04-27T09:30:05Z', 'aud1')")
        tx.execute("INSERT INTO ratings (audit_id, standard_id, rating) VALUES (1, 'a new standard', 'met')")
        assert tx.one("SELECT * FROM ratings") == {"audit_id": 1, "standard_id": "a new standard", "rating": "met",
                                                   "evidence": "", "submitted_at": "2020-04-27T09:30:05Z"}
        with pytest.raises(sqlite3.IntegrityError):  # one rating per audit and standard
            tx.execute("INSERT INTO ratings (audit_id, standard_id, rating) VALUES (1, 'a new standard', 'not_met')")
        tx.execute("INSERT OR IGNORE INTO ratings (audit_id, standard_id, rating) VALUES (1, 'a new standard', 'x')")
        with pytest.raises(sqlite3.IntegrityError):  # a rating names its standard
            tx.execute("INSERT INTO ratings (audit_id, standard_id) VALUES (1, NULL)")
        with pytest.raises(sqlite3.IntegrityError):  # and its audit
            tx.execute("INSERT INTO ratings (audit_id, standard_id) VALUES (99, 'covid_note')")
        tx.execute("UPDATE ratings SET standard_id = 'renamed', evidence = 'Seen.' WHERE audit_id = 1")
        assert tx.rows("SELECT standard_id, rating, evidence FROM ratings") == [("renamed", "met", "Seen.")]
        assert tx.one("SELECT met, rated, misses FROM audits") == {"met": 1, "rated": 1, "misses": 0}
        # a submission time moved (to the second) moves its ratings', and the reports' ranges with it
        tx.execute("UPDATE audits SET submitted_at = '2020-04-28T07:00:00Z'")
        assert tx.scalar("SELECT submitted_at FROM ratings") == "2020-04-28T07:00:00Z"
        assert [r["met"] for r in q.standard_counts(tx, "2020-04-28T07:00:00Z", "2020-04-28T07:00:01Z")] == [1]
        assert q.standard_counts(tx, "2020-04-27T07:00:00Z", "2020-04-28T07:00:00Z") == []
        tx.execute("DELETE FROM ratings WHERE standard_id = 'renamed'")
        assert tx.scalar("SELECT COUNT(*) FROM rating_rows") == 0
        assert tx.one("SELECT met, rated, misses FROM audits") == {"met": 0, "rated": 0, "misses": 1}

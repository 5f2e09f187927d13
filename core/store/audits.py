"""Audits: the audit row, its ratings, its addenda, and the reads the rules make of them.

An audit's actions live in ``store.actions`` (they outlive the audit's fill into the
PDT review); its comments in ``store.comments``.
"""

from __future__ import annotations

import functools
import hashlib
import json

from ..errors import NotFound
from ..vocabulary import AUDITED_STATUSES, IN_WINDOW, MET_OR_NA
from .database import Reader, Tx

# The two free-text fields of an audit, the only columns ``set_text`` writes.
TEXT_FIELDS = ("overview", "positive_practice")


def _marks(values) -> str:
    return ",".join("?" * len(values))


# --- programme snapshots (m009b: each stored once) ---------------------------------------
def canonical_programme(programme: str) -> tuple[str, str]:
    """A programme snapshot's canonical JSON (keys sorted, no spaces) and its sha256: the
    key of ``programme_snapshots``, so audits started with the same programme share one."""
    canon = json.dumps(json.loads(programme), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return canon, hashlib.sha256(canon.encode()).hexdigest()


def store_programme(tx: Tx, programme: str) -> str:
    """Keep this snapshot (once); its sha256, for ``audits.programme_sha``."""
    canon, sha = canonical_programme(programme)
    tx.execute("INSERT OR IGNORE INTO programme_snapshots (sha256, programme) VALUES (?, ?)", [sha, canon])
    return sha


# --- one audit --------------------------------------------------------------------------
def get(r: Reader, audit_id: int) -> dict | None:
    """The audit's row with ``programme``, its snapshot (JSON), or None."""
    return r.one("SELECT a.*, p.programme FROM audits a LEFT JOIN programme_snapshots p ON p.sha256 = a.programme_sha"
                 " WHERE a.audit_id = ?", [audit_id])


def finalise_facts(r: Reader, audit_ids) -> list[tuple]:
    """Of ``audit_ids`` (the scheduler's batch), those still 'submitted', in the given order,
    as ``(audit_id, submitted_at, child_id, worker, manager)``: what finalising one re-checks
    and writes, not the whole row (a catch-up reads thousands)."""
    ids = list(audit_ids)
    if not ids:
        return []
    found = {row[0]: row for row in r.rows(
        "SELECT audit_id, submitted_at, child_id, worker, manager FROM audits"
        f" WHERE audit_id IN ({_marks(ids)}) AND status = 'submitted'", ids)}
    return [found[aid] for aid in ids if aid in found]


def review_alerts_due(r: Reader, audit_ids) -> dict[int, tuple]:
    """Of ``audit_ids`` (the scheduler's batch, re-read under the write lock), those whose
    PDT review alert is not in the trail yet (no 'review_due' event: another tick may have
    written it since they were read), each with what the alert says: ``(child_id, team,
    review_due_at, open_actions)``: one read, not one each for the trail, the audits and
    their open actions."""
    ids = list(audit_ids)
    if not ids:
        return {}
    return {row[0]: row[1:] for row in r.rows(
        "SELECT a.audit_id, a.child_id, a.team, a.review_due_at,"
        " (SELECT count(*) FROM actions ac WHERE ac.audit_id = a.audit_id AND ac.status = 'open')"
        f" FROM audits a WHERE a.audit_id IN ({_marks(ids)})"
        " AND NOT EXISTS (SELECT 1 FROM events e WHERE e.entity = 'audit'"
        "                 AND e.entity_id = CAST(a.audit_id AS TEXT) AND e.action = 'review_due')", ids)}


def need(r: Reader, audit_id: int) -> dict:
    """The audit's row; NotFound when there is none."""
    row = get(r, audit_id)
    if row is None:
        raise NotFound(f"no audit {audit_id}")
    return row


def programme_json(r: Reader, audit_id: int) -> str | None:
    """The programme snapshot the audit was started with (JSON)."""
    return r.scalar("SELECT p.programme FROM audits a JOIN programme_snapshots p ON p.sha256 = a.programme_sha"
                    " WHERE a.audit_id = ?", [audit_id])


def ratings(r: Reader, audit_id: int) -> list[dict]:
    return r.query("SELECT standard_id, rating, evidence FROM ratings WHERE audit_id = ?", [audit_id])


def draft_of_child(r: Reader, child_id: str) -> dict | None:
    """The child's draft audit (audit_id, auditor): at most one, by a unique index."""
    return r.one("SELECT audit_id, auditor FROM audits WHERE child_id = ? AND status = 'draft'", [child_id])


# --- writes -----------------------------------------------------------------------------
def insert(tx: Tx, *, queue_id: int | None, child_id: str, auditor: str, programme_id: str,
           programme_version: str, programme: str, worker: str | None, manager: str | None,
           team: str | None, audit_date: str, prechecks: str, standard_ids: list[str]) -> int:
    """A new draft (version 1) with an unrated row per standard, its programme snapshot
    (JSON) kept once (``store_programme``). IntegrityError when the child already has a
    draft (``audits_one_draft_per_child``)."""
    programme_sha = store_programme(tx, programme)
    cur = tx.execute(
        "INSERT INTO audits (queue_id, child_id, auditor, programme_id, programme_version,"
        " programme_sha, status, worker, manager, team, audit_date, started_at, prechecks,"
        " version, updated_at, updated_by)"
        " VALUES (?, ?, ?, ?, ?, ?, 'draft', ?, ?, ?, ?, ?, ?, 1, ?, ?)",
        [queue_id, child_id, auditor, programme_id, programme_version, programme_sha, worker, manager,
         team, audit_date, tx.at, prechecks, tx.at, auditor])
    audit_id = cur.lastrowid
    tx.executemany("INSERT INTO ratings (audit_id, standard_id) VALUES (?, ?)",
                   [(audit_id, sid) for sid in standard_ids])
    return audit_id


def set_prechecks(tx: Tx, audit_id: int, prechecks: str) -> None:
    tx.execute("UPDATE audits SET prechecks = ? WHERE audit_id = ?", [prechecks, audit_id])


def set_rating(tx: Tx, audit_id: int, standard_id: str, rating: str | None, evidence: str) -> None:
    tx.execute("UPDATE ratings SET rating = ?, evidence = ? WHERE audit_id = ? AND standard_id = ?",
               [rating, evidence, audit_id, standard_id])


def set_text(tx: Tx, audit_id: int, field: str, value: str) -> None:
    """Write ``overview`` or ``positive_practice``."""
    if field not in TEXT_FIELDS:
        raise ValueError(f"not an audit text field: {field}")
    tx.execute(f"UPDATE audits SET {field} = ? WHERE audit_id = ?", [value, audit_id])


def saved(tx: Tx, audit_id: int, *, version: int, by: str) -> None:
    """Stamp a save: the new version, when and by whom."""
    tx.execute("UPDATE audits SET version = ?, updated_at = ?, updated_by = ? WHERE audit_id = ?",
               [version, tx.at, by, audit_id])


def mark_submitted(tx: Tx, audit_id: int, *, review_due_at: str, by: str) -> None:
    tx.execute("UPDATE audits SET status = 'submitted', submitted_at = ?, review_due_at = ?,"
               " version = version + 1, updated_at = ?, updated_by = ? WHERE audit_id = ?",
               [tx.at, review_due_at, tx.at, by, audit_id])


def set_status(tx: Tx, audit_id: int, status: str, *, by: str) -> None:
    """Between submitted and queried (a query opened, the last one resolved)."""
    tx.execute("UPDATE audits SET status = ?, updated_at = ?, updated_by = ? WHERE audit_id = ?",
               [status, tx.at, by, audit_id])


def mark_finalised(tx: Tx, audit_id: int, *, at: str, by: str) -> None:
    tx.execute("UPDATE audits SET status = 'finalised', finalised_at = ?, finalised_by = ?,"
               " version = version + 1, updated_at = ?, updated_by = ? WHERE audit_id = ?",
               [at, by, tx.at, by, audit_id])


def mark_finalised_many(tx: Tx, items) -> None:
    """``mark_finalised`` for each ``(audit_id, at, by)`` (each audit once), up to
    ``_MARKS_PER_UPDATE`` to a statement: one UPDATE joined to the VALUES of its audits,
    not one statement per audit (each of those journals the pages it changes for
    itself, which cost a catch-up more than the rows did)."""
    items = list(items)
    for start in range(0, len(items), _MARKS_PER_UPDATE):
        part = items[start:start + _MARKS_PER_UPDATE]
        tx.execute(_mark_finalised_sql(len(part)), [tx.at, *(value for item in part for value in item)])


# Audits marked finalised per statement (three values each, well inside SQLite's 999 of old).
_MARKS_PER_UPDATE = 300


@functools.lru_cache(maxsize=8)
def _mark_finalised_sql(n: int) -> str:
    """``mark_finalised_many``'s UPDATE of ``n`` audits: ``?1`` the instant, then
    ``(audit_id, at, by)`` per audit."""
    return ("UPDATE audits SET status = 'finalised', finalised_at = v.column2, finalised_by = v.column3,"
            " version = version + 1, updated_at = ?1, updated_by = v.column3"
            f" FROM (VALUES {', '.join(['(?, ?, ?)'] * n)}) AS v WHERE audits.audit_id = v.column1")


# --- lists ------------------------------------------------------------------------------
def summaries(r: Reader, *, status: str | None = None, auditor: str | None = None,
              child_id: str | None = None) -> list[dict]:
    """Audits newest first, with ``standards_met`` (every rating met or not applicable)
    and their count of ``actions``."""
    where, params = [], []
    for col, val in (("a.status", status), ("a.auditor", auditor), ("a.child_id", child_id)):
        if val is not None:
            where.append(f"{col} = ?")
            params.append(val)
    sql = (
        "SELECT a.audit_id, a.queue_id, a.child_id, a.status, a.auditor, a.worker, a.manager, a.team,"
        " a.audit_date, a.started_at, a.submitted_at, a.finalised_at, a.review_due_at,"
        " a.programme_id, a.programme_version, a.version, a.updated_at,"
        " NOT EXISTS (SELECT 1 FROM ratings r WHERE r.audit_id = a.audit_id"
        f"   AND (r.rating IS NULL OR r.rating NOT IN ({_marks(MET_OR_NA)}))) AS standards_met,"
        " (SELECT COUNT(*) FROM actions x WHERE x.audit_id = a.audit_id) AS actions"
        " FROM audits a"
    )
    params = [*MET_OR_NA, *params]
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY a.audit_id DESC"
    return r.query(sql, params)


def in_window(r: Reader) -> list[dict]:
    """Submitted audits not yet finalised, with their open queries and comments counted."""
    return r.query(
        f"""
        SELECT a.audit_id, a.child_id, a.worker, a.manager, a.team, a.auditor, a.status,
               a.submitted_at,
               (SELECT COUNT(*) FROM comments c
                 WHERE c.audit_id = a.audit_id AND c.is_query = 1 AND c.status = 'open') AS open_queries,
               (SELECT COUNT(*) FROM comments c WHERE c.audit_id = a.audit_id) AS comments
          FROM audits a
         WHERE a.status IN ({_marks(IN_WINDOW)}) AND a.submitted_at IS NOT NULL
        """,
        list(IN_WINDOW))


def submitted_by(r: Reader, cutoff: str) -> list[int]:
    """Audits still 'submitted' (no open query) that were submitted at or before ``cutoff``."""
    return [row[0] for row in r.rows(
        "SELECT audit_id FROM audits WHERE status = 'submitted' AND submitted_at <= ?"
        " ORDER BY submitted_at", [cutoff])]


def review_due_unflagged(r: Reader, now: str) -> list[int]:
    """Audits whose action review is due at ``now``, with an open action, not yet flagged
    (a 'review_due' event marks one flagged). Read through the open actions not marked
    flagged (``actions.review_flagged_at``, m008), so a quiet tick reads only the audits
    still waiting for their review date, not every audit ever submitted."""
    return [row[0] for row in r.rows(
        "SELECT a.audit_id FROM audits a WHERE a.audit_id IN (SELECT ac.audit_id FROM actions ac"
        "   INDEXED BY actions_review_unflagged WHERE ac.status = 'open' AND ac.review_flagged_at IS NULL)"
        " AND a.status != 'draft' AND a.review_due_at <= ?"
        " AND NOT EXISTS (SELECT 1 FROM events e WHERE e.entity = 'audit'"
        "                 AND e.entity_id = CAST(a.audit_id AS TEXT) AND e.action = 'review_due')"
        " ORDER BY a.review_due_at", [now])]


def last_audited(r: Reader, *, child_id: str | None = None, since: str | None = None) -> list[dict]:
    """Per child, its latest counted audit (``src`` 'audit': ``at`` submitted, ``audit_id``)
    and its latest imported QA Audit case note (``src`` 'note': ``on_date``); one child or all.
    ``since`` (an ISO date): only audits submitted and notes dated on or after it (a draw
    needs only the recent ones; indexes ``audits_period`` and ``case_notes_kind_date``)."""
    one = " AND child_id = ?" if child_id else ""
    only = [child_id] if child_id else []
    after = " AND submitted_at >= ?" if since else ""
    noted = " AND date >= ?" if since else ""
    when = [since] if since else []
    return r.query(
        f"""
        -- SQLite takes the bare audit_id from the row holding MAX(submitted_at).
        SELECT child_id, MAX(submitted_at) AS at, NULL AS on_date, 'audit' AS src, audit_id
          FROM audits
         WHERE status IN ({_marks(AUDITED_STATUSES)}) AND submitted_at IS NOT NULL{after}{one}
         GROUP BY child_id
        UNION ALL
        SELECT child_id, NULL, MAX(date), 'note', NULL
          FROM case_notes WHERE kind = 'qa_audit'{noted}{one}
         GROUP BY child_id
        """,
        [*AUDITED_STATUSES, *when, *only, *when, *only])


def count_by_status(r: Reader) -> dict[str, int]:
    return {row[0]: row[1] for row in r.rows(
        "SELECT status, count(*) FROM audits GROUP BY status ORDER BY status")}


# --- addenda ----------------------------------------------------------------------------
def addenda(r: Reader, audit_id: int) -> list[dict]:
    """An audit's addenda in the order they were added."""
    return r.query("SELECT * FROM addenda WHERE audit_id = ? ORDER BY created_at, addendum_id", [audit_id])


def insert_addendum(tx: Tx, audit_id: int, text: str, *, by: str) -> int:
    cur = tx.execute("INSERT INTO addenda (audit_id, text, created_at, created_by) VALUES (?, ?, ?, ?)",
                     [audit_id, text, tx.at, by])
    return cur.lastrowid


def get_addendum(r: Reader, addendum_id: int) -> dict | None:
    return r.one("SELECT * FROM addenda WHERE addendum_id = ?", [addendum_id])


def set_auditor(tx: Tx, audit_id: int, auditor: str, *, by: str) -> None:
    """A draft audit moves to another auditor (a new version: an old screen cannot save over it)."""
    tx.execute("UPDATE audits SET auditor = ?, version = version + 1, updated_at = ?, updated_by = ?"
               " WHERE audit_id = ?", [auditor, tx.at, by, audit_id])

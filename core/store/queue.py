"""The sample queue: the children a draw picked, claimed and worked by auditors.

A child is in at most one live queue item (``queue_items_one_live_per_child``); a claim
is a conditional UPDATE, so of two auditors claiming at once exactly one wins.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..vocabulary import LIVE_QUEUE
from .database import Reader, Tx

LIVE = f"status IN ({','.join('?' * len(LIVE_QUEUE))})"


def get(r: Reader, queue_id: int) -> dict | None:
    return r.one("SELECT * FROM queue_items WHERE queue_id = ?", [queue_id])


def live_of_child(r: Reader, child_id: str) -> dict | None:
    """The child's live item (queued, claimed or in progress), if any."""
    return r.one(f"SELECT * FROM queue_items WHERE child_id = ? AND {LIVE}", [child_id, *LIVE_QUEUE])


def items(r: Reader, columns: Sequence[str], *, status: str | None = None, include_done: bool = False,
          auditor: str | None = None, team: str | None = None) -> list[tuple]:
    """Items, highest tier first, as tuples of ``columns`` (names of ``queue_items``
    columns): the TUI's first screen reads 10,000 of them, and tuples cost half what rows
    as dicts do. Live ones unless ``status`` or ``include_done``; ``auditor`` keeps those
    assigned to or claimed by that login."""
    where, params = [], []
    if status:
        where.append("status = ?")
        params.append(status)
    elif not include_done:
        where.append(LIVE)
        params.extend(LIVE_QUEUE)
    if auditor:
        where.append("(auditor = ? OR claimed_by = ?)")
        params.extend([auditor, auditor])
    if team:
        where.append("team = ? COLLATE NOCASE")
        params.append(team.strip())
    sql = f"SELECT {', '.join(columns)} FROM queue_items"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY tier, team, worker, child_id, queue_id"
    return r.rows(sql, params)


def of_sample(r: Reader, sample_id: int) -> list[dict]:
    """The items a draw queued (queue_id, child_id, auditor, status), in the order drawn."""
    return r.query("SELECT queue_id, child_id, auditor, status FROM queue_items WHERE sample_id = ?"
                   " ORDER BY queue_id", [sample_id])


def count_live(r: Reader, *, queued_for: str | None = None) -> int:
    """Live items; with ``queued_for``, only items still queued for that auditor."""
    if queued_for:
        return r.scalar("SELECT count(*) FROM queue_items WHERE auditor = ? AND status = 'queued'",
                        [queued_for])
    return r.scalar(f"SELECT count(*) FROM queue_items WHERE {LIVE}", list(LIVE_QUEUE))


def held_children(r: Reader) -> list[dict]:
    """Children being worked: a live queue item (``kind`` 'queue') or a draft audit ('draft')."""
    return r.query(
        f"""
        SELECT child_id, 'queue' AS kind, queue_id AS id, status FROM queue_items WHERE {LIVE}
        UNION ALL
        SELECT child_id, 'draft', audit_id, status FROM audits WHERE status = 'draft'
        """,
        list(LIVE_QUEUE))


def live_for_audit(r: Reader, audit_id: int, queue_id: int | None) -> list[dict]:
    """The live items an audit is working (by its audit_id, or the item it started from)."""
    return r.query(f"SELECT queue_id, status FROM queue_items WHERE (audit_id = ? OR queue_id = ?) AND {LIVE}",
                   [audit_id, queue_id, *LIVE_QUEUE])


# --- writes -----------------------------------------------------------------------------
def insert_picks(tx: Tx, sample_id: int, picks: list[tuple]) -> None:
    """Queue a draw's picks: (child_id, worker, team, tier, cohort, reason, auditor) each."""
    tx.executemany(
        "INSERT INTO queue_items (sample_id, child_id, worker, team, tier, cohort, reason,"
        " auditor, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?)",
        [(sample_id, *p, at, at) for at in [tx.at] for p in picks])


def claim(tx: Tx, queue_id: int, *, by: str) -> bool:
    """Claim a queued item; False when it is not queued (someone got there first)."""
    cur = tx.execute(
        "UPDATE queue_items SET status = 'claimed', claimed_by = ?, claimed_at = ?, updated_at = ?"
        " WHERE queue_id = ? AND status = 'queued'", [by, tx.at, tx.at, queue_id])
    return cur.rowcount == 1


def release(tx: Tx, queue_id: int) -> bool:
    """Put a claimed item back in the queue; False when it is not claimed."""
    cur = tx.execute(
        "UPDATE queue_items SET status = 'queued', claimed_by = NULL, claimed_at = NULL, updated_at = ?"
        " WHERE queue_id = ? AND status = 'claimed'", [tx.at, queue_id])
    return cur.rowcount == 1


def start(tx: Tx, queue_id: int, *, audit_id: int, by: str) -> None:
    """The item's audit has started: in progress, held by the auditor."""
    tx.execute(
        "UPDATE queue_items SET status = 'in_progress', audit_id = ?, claimed_by = ?,"
        " claimed_at = COALESCE(claimed_at, ?), updated_at = ? WHERE queue_id = ?",
        [audit_id, by, tx.at, tx.at, queue_id])


def mark_done(tx: Tx, queue_id: int, *, audit_id: int) -> None:
    tx.execute("UPDATE queue_items SET status = 'done', audit_id = ?, updated_at = ? WHERE queue_id = ?",
               [audit_id, tx.at, queue_id])


def reassign(tx: Tx, queue_id: int, *, to: str) -> None:
    """The item is ``to``'s: assigned to them and, once claimed or in progress, held by them."""
    tx.execute(
        "UPDATE queue_items SET auditor = ?, claimed_by = CASE WHEN status = 'queued' THEN claimed_by ELSE ? END,"
        " claimed_at = CASE WHEN status = 'queued' THEN claimed_at ELSE ? END, updated_at = ? WHERE queue_id = ?",
        [to, to, tx.at, tx.at, queue_id])

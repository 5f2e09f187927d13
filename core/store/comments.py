"""Comments and queries on submitted audits."""

from __future__ import annotations

from .database import Reader, Tx


def get(r: Reader, comment_id: int) -> dict | None:
    return r.one("SELECT * FROM comments WHERE comment_id = ?", [comment_id])


def of_audit(r: Reader, audit_id: int) -> list[dict]:
    """An audit's comments in the order they were made."""
    return r.query("SELECT * FROM comments WHERE audit_id = ? ORDER BY created_at, comment_id", [audit_id])


def insert(tx: Tx, *, audit_id: int, author: str, text: str, is_query: bool) -> int:
    """A comment recorded now by the transaction's user (``author``: who it is from);
    a query starts 'open', a comment 'noted'."""
    cur = tx.execute(
        "INSERT INTO comments (audit_id, author, recorded_by, text, is_query, status, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        [audit_id, author, tx.actor, text, 1 if is_query else 0, "open" if is_query else "noted", tx.at])
    return cur.lastrowid


def resolve(tx: Tx, comment_id: int, resolution: str) -> None:
    tx.execute("UPDATE comments SET status = 'resolved', resolved_at = ?, resolved_by = ?, resolution = ?"
               " WHERE comment_id = ?", [tx.at, tx.actor, resolution, comment_id])


def open_queries(r: Reader, audit_id: int) -> int:
    return r.scalar("SELECT COUNT(*) FROM comments WHERE audit_id = ? AND is_query = 1 AND status = 'open'",
                    [audit_id])


def query_resolved_after(r: Reader, audit_id: int, at: str) -> bool:
    """Whether a query on the audit was resolved after ``at`` (ISO)."""
    return bool(r.scalar(
        "SELECT 1 FROM comments WHERE audit_id = ? AND is_query = 1 AND resolved_at > ? LIMIT 1",
        [audit_id, at]))


def last_query_resolved(r: Reader, audit_ids) -> dict[int, str]:
    """Per audit (of those with one), when its last-resolved query was resolved (ISO):
    ``query_resolved_after(r, audit, at)`` is ``last_query_resolved(...).get(audit, "") > at``."""
    ids = list(audit_ids)
    if not ids:
        return {}
    return dict(r.rows(f"SELECT audit_id, max(resolved_at) FROM comments WHERE audit_id IN ({','.join('?' * len(ids))})"
                       " AND is_query = 1 AND resolved_at IS NOT NULL GROUP BY audit_id", ids))

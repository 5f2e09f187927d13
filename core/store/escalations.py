"""Escalations of a risk of significant harm, and their time-stamped steps."""

from __future__ import annotations

from .database import Reader, Tx


def get(r: Reader, escalation_id: int) -> dict | None:
    return r.one("SELECT * FROM escalations WHERE escalation_id = ?", [escalation_id])


def listed(r: Reader, *, status: str | None = None, include_closed: bool = False) -> list[dict]:
    """Escalations, soonest respond-by first; closed ones only with ``include_closed`` (or ``status``)."""
    sql = "SELECT * FROM escalations"
    where, params = [], []
    if status:
        where.append("status = ?")
        params.append(status)
    elif not include_closed:
        where.append("status != 'closed'")
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY respond_by IS NULL, respond_by, escalation_id"
    return r.query(sql, params)


def steps(r: Reader, escalation_id: int) -> list[dict]:
    """Every step of an escalation, in order."""
    return r.query("SELECT step_id, at, by, kind, recipient, text FROM escalation_steps"
                   " WHERE escalation_id = ? ORDER BY at, step_id", [escalation_id])


def overdue_unflagged(r: Reader, now: str) -> list[int]:
    """Open escalations whose respond-by passed before ``now``, not yet flagged at this level."""
    return [row[0] for row in r.rows(
        "SELECT escalation_id FROM escalations WHERE status = 'open' AND overdue_at IS NULL"
        " AND respond_by < ? ORDER BY respond_by", [now])]


# --- writes -----------------------------------------------------------------------------
def insert(tx: Tx, *, audit_id: int, child_id: str, level: str, concern: str, recipient: str,
           phoned: str | None, respond_by: str, referred: bool) -> int:
    """A new open escalation raised now by the transaction's user."""
    cur = tx.execute(
        "INSERT INTO escalations (audit_id, child_id, level, status, concern, raised_by, raised_at,"
        " recipient, phoned, respond_by, referred_at) VALUES (?, ?, ?, 'open', ?, ?, ?, ?, ?, ?, ?)",
        [audit_id, child_id, level, concern, tx.actor, tx.at, recipient, phoned, respond_by,
         tx.at if referred else None])
    return cur.lastrowid


def add_step(tx: Tx, escalation_id: int, kind: str, *, by: str, text: str | None = None,
             recipient: str | None = None) -> None:
    tx.execute("INSERT INTO escalation_steps (escalation_id, at, by, kind, recipient, text)"
               " VALUES (?, ?, ?, ?, ?, ?)", [escalation_id, tx.at, by, kind, recipient, text])


def responded(tx: Tx, escalation_id: int, response: str) -> bool:
    """Record the response; False when the escalation was closed meanwhile."""
    cur = tx.execute("UPDATE escalations SET status = 'responded', responded_at = ?, response = ?"
                     " WHERE escalation_id = ? AND status != 'closed'", [tx.at, response, escalation_id])
    return cur.rowcount == 1


def referred(tx: Tx, escalation_id: int, *, recipient: str, respond_by: str) -> None:
    """With the Head of Service now: open again, a fresh respond-by, not flagged overdue."""
    tx.execute("UPDATE escalations SET level = 'head_of_service', status = 'open', recipient = ?,"
               " referred_at = ?, respond_by = ?, overdue_at = NULL WHERE escalation_id = ?",
               [recipient, tx.at, respond_by, escalation_id])


def closed(tx: Tx, escalation_id: int, outcome: str) -> bool:
    """Close with the outcome, by the transaction's user; False when already closed."""
    cur = tx.execute("UPDATE escalations SET status = 'closed', closed_at = ?, closed_by = ?, outcome = ?"
                     " WHERE escalation_id = ? AND status != 'closed'",
                     [tx.at, tx.actor, outcome, escalation_id])
    return cur.rowcount == 1


def flag_overdue(tx: Tx, escalation_id: int) -> None:
    tx.execute("UPDATE escalations SET overdue_at = ? WHERE escalation_id = ?", [tx.at, escalation_id])


def count_open(r: Reader) -> int:
    return r.scalar("SELECT count(*) FROM escalations WHERE status != 'closed'")

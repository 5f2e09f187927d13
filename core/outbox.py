"""The outbox's delivery state: the SQL that notify/ needs, kept in core.

Rows are written by the services, in the transaction of the change that causes
them (``Tx.outbox``). Delivery happens after commit: ``due_messages`` finds rows
to send, ``claim`` takes one (so two deliverers never send the same row),
``mark_sent`` / ``mark_failed`` record the outcome with exponential backoff.
"""

from __future__ import annotations

import json
from datetime import timedelta

from .clock import iso
from .context import Context

# A claimed row that never reports back (a killed process) is due again after this.
CLAIM_LEASE = timedelta(minutes=10)

STATUSES = ("pending", "sending", "sent", "failed", "dead")


def _row(row: dict) -> dict:
    row["payload"] = json.loads(row["payload"] or "{}")
    return row


def list_outbox(ctx: Context, *, status: str | None = None, limit: int = 200) -> list[dict]:
    """Outbox rows, newest first; ``status`` filters (pending|sending|sent|failed|dead)."""
    sql = "SELECT * FROM outbox"
    params: list = []
    if status:
        sql += " WHERE status = ?"
        params.append(status)
    sql += " ORDER BY outbox_id DESC LIMIT ?"
    params.append(limit)
    return [_row(r) for r in ctx.store.query(sql, params)]


def due_messages(ctx: Context, *, limit: int | None = None) -> list[dict]:
    """Rows due for a send attempt now: pending, failed and due for retry, or a stale claim."""
    sql = (
        "SELECT * FROM outbox WHERE status IN ('pending', 'failed', 'sending')"
        " AND (next_attempt_at IS NULL OR next_attempt_at <= ?) ORDER BY outbox_id"
    )
    params: list = [iso(ctx.now())]
    if limit:
        sql += " LIMIT ?"
        params.append(limit)
    return [_row(r) for r in ctx.store.query(sql, params)]


def claim(ctx: Context, outbox_id: int) -> bool:
    """Take a due row for sending; False if another deliverer took it (or it was sent) first."""
    now = ctx.now()
    with ctx.tx() as tx:
        cur = tx.execute(
            "UPDATE outbox SET status = 'sending', attempts = attempts + 1, next_attempt_at = ?"
            " WHERE outbox_id = ? AND status IN ('pending', 'failed', 'sending')"
            " AND (next_attempt_at IS NULL OR next_attempt_at <= ?)",
            [iso(now + CLAIM_LEASE), outbox_id, iso(now)],
        )
        return cur.rowcount == 1


def mark_sent(ctx: Context, outbox_id: int, partial_error: str | None = None) -> None:
    """Delivered. ``partial_error``: a channel that failed while another reached the person
    (kept for the record; the row is not resent, which would duplicate on the channel that worked)."""
    with ctx.tx() as tx:
        tx.execute(
            "UPDATE outbox SET status = 'sent', sent_at = ?, last_error = ?, next_attempt_at = NULL"
            " WHERE outbox_id = ?",
            [tx.at, partial_error[:500] if partial_error else None, outbox_id],
        )


def mark_failed(ctx: Context, outbox_id: int, error: str) -> str:
    """Record a failed attempt: retry after retry_minutes * 2^(attempts-1), or 'dead' at max_attempts.

    Returns the new status (failed | dead).
    """
    settings = ctx.settings.notify
    with ctx.tx() as tx:
        attempts = tx.execute("SELECT attempts FROM outbox WHERE outbox_id = ?", [outbox_id]).fetchone()[0]
        if attempts >= settings.max_attempts:
            status, next_at = "dead", None
        else:
            status = "failed"
            next_at = iso(tx.now + timedelta(minutes=settings.retry_minutes * 2 ** max(attempts - 1, 0)))
        tx.execute(
            "UPDATE outbox SET status = ?, last_error = ?, next_attempt_at = ? WHERE outbox_id = ?",
            [status, error[:500], next_at, outbox_id],
        )
        if status == "dead":
            tx.event("outbox", outbox_id, "gave_up", after={"attempts": attempts, "error": error[:500]})
    return status


def retry_now(ctx: Context, *, include_dead: bool = False) -> int:
    """Make failed (and optionally dead) rows due at once (``dipaudit notify flush``)."""
    statuses = ("failed", "dead") if include_dead else ("failed",)
    with ctx.tx() as tx:
        cur = tx.execute(
            f"UPDATE outbox SET status = CASE status WHEN 'dead' THEN 'failed' ELSE status END,"
            f" next_attempt_at = ? WHERE status IN ({','.join('?' * len(statuses))})",
            [tx.at, *statuses],
        )
        n = cur.rowcount
        if n:
            tx.event("outbox", None, "retry_now", after={"rows": n})
        return n


def child_facts(ctx: Context, child_id: str | None) -> dict | None:
    """What a message may say about a child: id and name (the renderer decides how much to show)."""
    if not child_id:
        return None
    return ctx.store.one("SELECT child_id, name FROM children WHERE child_id = ?", [child_id])

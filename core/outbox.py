"""The outbox's delivery state: the service side of what notify/ does.

Rows are written by the services, in the transaction of the change that causes
them (``Tx.outbox``). Delivery happens after commit: ``due_messages`` finds rows
to send, ``claim`` takes one (so two deliverers never send the same row),
``mark_sent`` / ``mark_failed`` record the outcome with exponential backoff.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from .clock import iso
from .context import Context
from .store import children, outbox

if TYPE_CHECKING:
    from .models import OutboxMessage

# A claimed row that never reports back (a killed process) is due again after this.
CLAIM_LEASE = timedelta(minutes=10)


def list_outbox(ctx: Context, *, status: str | None = None, limit: int = 200) -> list[OutboxMessage]:
    """Outbox rows, newest first; ``status`` filters (pending|sending|sent|failed|dead)."""
    from .models import OutboxMessage  # pydantic: for the listing, never loaded by `dipaudit tick`

    return [OutboxMessage.from_row(r) for r in outbox.recent(ctx.store, status=status, limit=limit)]


def due_messages(ctx: Context, *, limit: int | None = None) -> list[dict]:
    """Rows due for a send attempt now: pending, failed and due for retry, or a stale claim
    (``payload`` decoded; the rows as ``notify.delivery.send`` takes them)."""
    return outbox.due(ctx.store, iso(ctx.now()), limit=limit)


def claim(ctx: Context, outbox_id: int) -> bool:
    """Take a due row for sending; False if another deliverer took it (or it was sent) first."""
    now = ctx.now()
    with ctx.tx() as tx:
        return outbox.claim(tx, outbox_id, now=iso(now), lease_until=iso(now + CLAIM_LEASE))


def mark_sent(ctx: Context, outbox_id: int, partial_error: str | None = None) -> None:
    """Delivered. ``partial_error``: a channel that failed while another reached the person
    (kept for the record; the row is not resent, which would duplicate on the channel that worked)."""
    with ctx.tx() as tx:
        outbox.mark_sent(tx, outbox_id, error=partial_error[:500] if partial_error else None)


def mark_failed(ctx: Context, outbox_id: int, error: str) -> str:
    """Record a failed attempt: retry after retry_minutes * 2^(attempts-1), or 'dead' at max_attempts.

    Returns the new status (failed | dead).
    """
    settings = ctx.settings.notify
    with ctx.tx() as tx:
        attempts = outbox.attempts(tx, outbox_id)
        if attempts >= settings.max_attempts:
            status, next_at = "dead", None
        else:
            status = "failed"
            next_at = iso(tx.now + timedelta(minutes=settings.retry_minutes * 2 ** max(attempts - 1, 0)))
        outbox.mark_failed(tx, outbox_id, status=status, error=error[:500], next_attempt_at=next_at)
        if status == "dead":
            tx.event("outbox", outbox_id, "gave_up", after={"attempts": attempts, "error": error[:500]})
    return status


def give_up(ctx: Context, outbox_id: int, reason: str) -> None:
    """Mark a claimed row 'dead' at once (its recipient has left): no retries."""
    with ctx.tx() as tx:
        outbox.mark_failed(tx, outbox_id, status="dead", error=reason[:500], next_attempt_at=None)
        tx.event("outbox", outbox_id, "gave_up", after={"attempts": outbox.attempts(tx, outbox_id),
                                                         "error": reason[:500]})


def retry_now(ctx: Context, *, include_dead: bool = False) -> int:
    """Make failed (and optionally dead) rows due at once (``dipaudit notify flush``)."""
    with ctx.tx() as tx:
        n = outbox.retry_now(tx, ("failed", "dead") if include_dead else ("failed",))
        if n:
            tx.event("outbox", None, "retry_now", after={"rows": n})
        return n


def child_facts(ctx: Context, child_id: str | None) -> dict | None:
    """What a message may say about a child: id and name (the renderer decides how much to show)."""
    if not child_id:
        return None
    return children.facts(ctx.store, child_id)

"""Read-only views for the after-submission screens (comment review).

No writes here: every change goes through core.comments / core.escalation /
core.actions. These queries only gather what a person needs to see at a glance;
the window rule itself lives in core.comments.
"""

from __future__ import annotations

from .clock import iso
from .comments import IN_WINDOW, window_closes_at
from .context import Context


def audits_in_window(ctx: Context) -> list[dict]:
    """Submitted audits not yet finalised, open queries first, then the soonest to close.

    Each row: audit_id, child_id, worker, team, auditor, status, submitted_at,
    closes_at (submitted + window, ISO), seconds_left (negative once the window has
    passed with a query still open), open_queries, comments.
    """
    rows = ctx.store.query(
        """
        SELECT a.audit_id, a.child_id, a.worker, a.manager, a.team, a.auditor, a.status,
               a.submitted_at,
               (SELECT COUNT(*) FROM comments c
                 WHERE c.audit_id = a.audit_id AND c.is_query = 1 AND c.status = 'open') AS open_queries,
               (SELECT COUNT(*) FROM comments c WHERE c.audit_id = a.audit_id) AS comments
          FROM audits a
         WHERE a.status IN (?, ?) AND a.submitted_at IS NOT NULL
        """,
        list(IN_WINDOW),
    )
    now = ctx.now()
    for row in rows:
        closes = window_closes_at(ctx, row)
        row["closes_at"] = iso(closes)
        row["seconds_left"] = int((closes - now).total_seconds())
    rows.sort(key=lambda r: (r["open_queries"] == 0, r["closes_at"], r["audit_id"]))
    return rows



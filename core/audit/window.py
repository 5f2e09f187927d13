"""The comment window: for ``comment_window_hours`` (72) after submission the child's
worker and supervising manager may comment; then the audit finalises.

The window is real elapsed time (UTC arithmetic), so across the end of British Summer
Time it ends 72 real hours later and the London wall clock shows an hour less.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from ..clock import from_iso, iso
from ..config import Settings
from ..context import Context
from ..store import audits

if TYPE_CHECKING:
    from ..models import AuditInWindow


def comment_window(settings: Settings) -> timedelta:
    return timedelta(hours=settings.workflow.comment_window_hours)


def window_closes_at(settings: Settings, submitted_at: str | datetime | None) -> datetime | None:
    """When the comment window of an audit submitted at ``submitted_at`` closes (None: not submitted)."""
    submitted = from_iso(submitted_at) if isinstance(submitted_at, str) else submitted_at
    return submitted + comment_window(settings) if submitted else None


def audits_in_window(ctx: Context) -> list[AuditInWindow]:
    """Submitted audits not yet finalised, open queries first, then the soonest to close.

    Each carries ``closes_at`` (submitted + window, ISO) and ``seconds_left`` (negative
    once the window has passed with a query still open), ``open_queries``, ``comments``.
    """
    from ..models import AuditInWindow

    now = ctx.now()
    rows = []
    for row in audits.in_window(ctx.store):
        closes = window_closes_at(ctx.settings, row["submitted_at"])
        rows.append(AuditInWindow.from_row(
            row | {"closes_at": iso(closes), "seconds_left": int((closes - now).total_seconds())}))
    rows.sort(key=lambda r: (r.open_queries == 0, r.closes_at, r.audit_id))
    return rows

"""The scheduler's one path: run the due work (``core.tick.tick``), then deliver the outbox.

``dipaudit tick`` (cron or a systemd timer, as the service account that holds the
mail credentials) runs it with ``deliver=True``; the TUI's timer runs it with
``deliver=False``, so open screens stay current while sending stays with the service
account. Apprise is imported only when delivering. Every run is recorded
(``core.health.record_run``): a database no run has delivered for a while says so.
"""

from __future__ import annotations

from core.context import Context
from core.health import record_run
from core.models import TickResult
from core.tick import tick


class SchedulerRun(TickResult):
    """What a scheduler run did: the tick's work and the delivery counts (``sent``: whether
    delivery ran at all)."""

    delivered: int = 0
    failed: int = 0
    dead: int = 0
    sent: bool = False


def run_scheduler(ctx: Context, *, deliver: bool) -> SchedulerRun:
    """Everything due now; with ``deliver``, then send (and retry) the outbox."""
    done = tick(ctx)
    if not deliver:
        record_run(ctx, delivered=False, trail=done.trail)
        return SchedulerRun(**dict(done))
    from .delivery import deliver_pending  # Apprise is loaded only when sending

    counts = deliver_pending(ctx)
    record_run(ctx, delivered=True, counts=counts, trail=done.trail)  # the watch: core.health
    return SchedulerRun(**dict(done), **counts, sent=True)

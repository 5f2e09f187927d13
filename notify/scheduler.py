"""The scheduler's one path: run the due work (``core.tick.tick``), then deliver the outbox.

``dipaudit tick`` (cron or a systemd timer, as the service account that holds the
mail credentials) runs it with ``deliver=True``; the TUI's timer runs it with
``deliver=False``, so open screens stay current while sending stays with the service
account. Apprise is imported only when delivering. Every run is recorded
(``core.health.record_run``): a database no run has delivered for a while says so.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from core.context import Context
from core.health import record_run
from core.outbox import due_messages
from core.read_models import TickResult
from core.tick import tick


@dataclass(kw_only=True)
class SchedulerRun(TickResult):
    """What a scheduler run did: the tick's work and the delivery counts (``sent``: whether
    delivery ran at all). A plain dataclass, as the tick's result: a quiet run loads no pydantic."""

    delivered: int = 0
    failed: int = 0
    dead: int = 0
    sent: bool = False


def run_scheduler(ctx: Context, *, deliver: bool) -> SchedulerRun:
    """Everything due now; with ``deliver``, then send (and retry) the outbox."""
    done = tick(ctx)
    work = {f.name: getattr(done, f.name) for f in fields(done)}
    if not deliver:
        record_run(ctx, delivered=False, trail=done.trail)
        return SchedulerRun(**work)
    if due_messages(ctx, limit=1):  # the rows deliver_pending would send (it reads them again)
        from .delivery import deliver_pending  # Apprise loads only when there is something to send

        counts = deliver_pending(ctx)
    else:
        counts = {"delivered": 0, "failed": 0, "dead": 0}
    record_run(ctx, delivered=True, counts=counts, trail=done.trail)  # the watch: core.health
    return SchedulerRun(**work, **counts, sent=True)

"""The scheduler is watched: every run is recorded (``record_run``), and a database whose
outbox no run has delivered for ``[scheduler] stale_minutes`` says so (``scheduler_health``:
``dipaudit doctor`` and the TUI's banner)."""

from __future__ import annotations

from datetime import timedelta

from .clock import from_iso, show
from .context import Context
from .identity import is_demo
from .read_models import SchedulerHealth, TrailVerdict
from .store import scheduler_runs


def record_run(ctx: Context, *, delivered: bool, counts: dict | None = None,
               trail: TrailVerdict | None = None) -> int:
    """Record one scheduler run (``notify.scheduler.run_scheduler``): when, whether it
    delivered the outbox, its delivery counts and what the trail check found."""
    counts = counts or {}
    # Bookkeeping, not a change: no fsync (a power cut may lose the record of a run, never
    # a change), so a quiet run stays cheap.
    with ctx.tx(durable=False) as tx:
        return scheduler_runs.insert(tx, delivered=delivered, sent=counts.get("delivered", 0),
                                     failed=counts.get("failed", 0), dead=counts.get("dead", 0),
                                     trail=None if trail is None or trail.intact else trail.problem)


def scheduler_health(ctx: Context) -> SchedulerHealth:
    """Whether alerts are going out: stale when no run has delivered the outbox in the last
    ``[scheduler] stale_minutes`` (or none ever has), with the banner's message then,
    naming the last delivering run in London time. A demo database is not watched."""
    minutes = ctx.settings.scheduler.stale_minutes
    delivering = scheduler_runs.last(ctx.store, delivered=True)
    any_run = scheduler_runs.last(ctx.store)
    out = SchedulerHealth(stale=False, stale_minutes=minutes,
                          last_delivered_at=delivering["at"] if delivering else None,
                          last_run_at=any_run["at"] if any_run else None)
    if is_demo(ctx.store):
        out.demo = True
        return out
    if delivering is None:
        out.stale = True
        out.message = ("Alerts are not going out: the scheduler (dipaudit tick) has never delivered"
                       " on this database")
    elif ctx.now() - from_iso(delivering["at"]) > timedelta(minutes=minutes):
        out.stale = True
        out.message = f"Alerts are not going out: the scheduler last ran at {show(delivering['at'])}"
    return out

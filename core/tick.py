"""The scheduler's rules: everything due at the clock's time, safe to run every few minutes.

Each part re-checks state inside its own ``BEGIN IMMEDIATE`` transaction and every
notification carries an idempotency key, so running tick twice at the same clock
does nothing the second time, and two ticks at once (cron and an open TUI) never
do anything twice. No role is needed: tick only applies the rules at the clock's
time, and its changes are recorded as by 'system'.

Delivering the outbox (and retrying failed sends) is notify's job: core never
imports notify. "Run the due work, then deliver" is ``notify.scheduler.run_scheduler``,
the one path ``dipaudit tick`` and the TUI's timer both take.
"""

from __future__ import annotations

from .actions import flag_reviews_due, send_reminders
from .audit.finalise import finalise_due
from .clock import iso
from .collector import collector_paused
from .context import Context
from .escalation import flag_overdue
from .read_models import TickResult  # plain dataclasses: a quiet tick loads no pydantic
from .reports.schedule import queue_due_reports  # the model and renderers load when a slot is due
from .trail import checkpoint_trail


def tick(ctx: Context) -> TickResult:
    """Finalise audits whose comment window closed, flag action reviews due (PDT alerted
    once per audit), remind action owners, flag overdue escalations (auditor alerted)
    and refer them to the Head of Service when configured; then queue the SMT and weekly
    reports whose slot has come (after the rest, so they count its changes); then verify
    the trail since its last checkpoint and checkpoint its head (``core.trail``; the
    events this tick linked itself are not hashed twice). Returns what it did."""
    at = iso(ctx.now())
    # A catch-up commits thousands of rows in batches: their commits skip their fsyncs, one
    # fsync at the end makes them all durable, and the WAL's checkpoints run beside the next
    # batch's work in a thread of their own, not inside each commit (``Store.catching_up``).
    with ctx.store.catching_up():
        with ctx.store.recording_links() as linked:  # the chains this tick's transactions write
            with collector_paused():
                finalised = finalise_due(ctx)
                reviews_due = flag_reviews_due(ctx)
                reminders = send_reminders(ctx)
                overdue, referred = flag_overdue(ctx)
            reports = queue_due_reports(ctx)  # a report's build may make cycles: the collector runs
        with collector_paused():
            # Last, so the checkpoint covers this tick's own events: those it linked itself a
            # moment ago are taken as linked, not hashed again; any other process's are verified.
            trail = checkpoint_trail(ctx, linked=linked)
    return TickResult(at=at, finalised=finalised, reviews_due=reviews_due, reminders=reminders,
                      escalations_overdue=overdue, referred=referred, reports=reports, trail=trail)

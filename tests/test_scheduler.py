"""The scheduler's one path (notify.scheduler.run_scheduler): the due work, then delivery
when asked. `dipaudit tick` delivers; the TUI's timer takes the same path and never sends
(the service account running `dipaudit tick` holds the mail credentials)."""

from __future__ import annotations

import pytest
from conftest import as_user
from factories import submitted_audit
from test_notify_email import SmtpServer, free_port
from tui_helpers import SIZE, make_app, settle

from notify.scheduler import SchedulerRun, run_scheduler


@pytest.fixture
def mail(ctx):
    port = free_port()
    ctx.settings.notify.email_url = f"mailto://127.0.0.1:{port}?from=noreply@example.org"
    with SmtpServer(port) as inbox:
        yield inbox


def _statuses(ctx) -> set[str]:
    return {r["status"] for r in ctx.store.query("SELECT status FROM outbox")}


def test_with_delivery_the_work_is_done_then_the_outbox_sent(ctx, mail):
    audit = submitted_audit(ctx)  # the worker and the manager are told: two messages
    ctx.clock.advance(hours=72)  # the window closes: finalised, and they are told again
    done = run_scheduler(ctx, deliver=True)
    assert isinstance(done, SchedulerRun)
    assert done.finalised == [audit.audit_id]
    assert (done.delivered, done.failed, done.dead, done.sent) == (4, 0, 0, True)
    assert len(mail.messages) == 4 and _statuses(ctx) == {"sent"}


def test_without_delivery_the_work_is_done_and_the_outbox_waits(ctx, mail):
    audit = submitted_audit(ctx)
    ctx.clock.advance(hours=72)
    done = run_scheduler(ctx, deliver=False)
    assert done.finalised == [audit.audit_id]
    assert (done.delivered, done.failed, done.dead, done.sent) == (0, 0, 0, False)
    assert mail.messages == [] and _statuses(ctx) == {"pending"}


async def test_the_tui_timer_runs_the_scheduler_but_never_sends(ctx, mail):
    audit = submitted_audit(ctx)
    ctx.clock.advance(hours=72)
    app = make_app(as_user(ctx, "aud1"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.run_tick()  # what the app's timer does every tick_seconds
        await settle(pilot)
    assert ctx.store.scalar("SELECT status FROM audits WHERE audit_id = ?", [audit.audit_id]) == "finalised"
    assert mail.messages == [] and _statuses(ctx) == {"pending"}

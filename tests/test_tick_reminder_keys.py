"""A reminder's idempotency key decides, under the write lock, whether it is queued: the
read of what is due (``store.actions.reminders_due``) no longer looks in the outbox, so a
notice already queued is read again and found by its key, then neither queued nor
recorded a second time, nor its action marked by this tick (issue 10: the catch-up)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from factories import busy_day

import core.store.actions
from core.actions import send_reminders
from core.context import Context
from core.store import Store
from core.store.outbox import tick_key
from core.tick import tick

AT = datetime(2020, 5, 13, 9, 0, tzinfo=UTC)  # the actions (due 12 May) are overdue


def _state(ctx) -> dict:
    return {sql: ctx.store.rows(sql) for sql in (
        "SELECT * FROM outbox ORDER BY outbox_id",
        "SELECT entity, entity_id, action, before, after FROM events WHERE entity = 'action' ORDER BY event_id",
        "SELECT action_id, notified FROM actions ORDER BY action_id")}


def test_a_notice_another_tick_queued_after_the_read_is_not_queued_recorded_or_marked_again(ctx, db_path,
                                                                                              monkeypatch):
    busy_day(ctx)
    ctx.clock.set(AT)
    other = Context(store=Store.open(db_path), clock=ctx.clock, settings=ctx.settings, user="cron",
                    os_login="cron")
    real = core.store.actions.reminders_due
    theirs = []

    def read_then_the_other_tick_runs(r, **kw):
        rows = real(r, **kw)
        monkeypatch.setattr(core.store.actions, "reminders_due", real)
        theirs.extend(send_reminders(other))  # queues, records and marks every one of them
        return rows

    monkeypatch.setattr(core.store.actions, "reminders_due", read_then_the_other_tick_runs)
    mine = send_reminders(ctx)
    assert len(theirs) == 4 and mine == []
    assert ctx.store.scalar("SELECT count(*) FROM outbox WHERE template = 'action_overdue'") == 4
    assert ctx.store.scalar("SELECT count(*) FROM events WHERE action = 'overdue'") == 4
    assert ctx.store.rows("SELECT DISTINCT os_login FROM events WHERE action = 'overdue'") == [("cron",)]
    assert {n for _, n in ctx.store.rows("SELECT action_id, notified FROM actions")} == {"overdue:2020-05-12"}
    other.store.close()


def test_a_notice_queued_but_not_marked_is_left_as_it_is(ctx):
    """An action whose notice for this due date is in the outbox but which is not marked
    (its due date moved away and back, say) is read, and its key found: nothing is queued,
    recorded or marked for it, now or at the next tick; the others are reminded."""
    busy_day(ctx)
    ctx.clock.set(AT)
    (first, *others) = [a for (a,) in ctx.store.rows("SELECT action_id FROM actions ORDER BY action_id")]
    with ctx.tx() as tx:
        tx.outbox("w1", "action_overdue", {"action_id": first}, tick_key("action", first, "overdue", "2020-05-12"),
                  recipient_role="worker", entity="action", entity_id=first)
    result = tick(ctx)
    assert sorted(r.action_id for r in result.reminders) == others
    state = _state(ctx)
    keys = [row[8] for row in state["SELECT * FROM outbox ORDER BY outbox_id"]]
    assert keys.count(tick_key("action", first, "overdue", "2020-05-12")) == 1
    assert not ctx.store.scalar("SELECT count(*) FROM events WHERE entity = 'action' AND entity_id = ?", [str(first)])
    assert dict(state["SELECT action_id, notified FROM actions ORDER BY action_id"]) == {
        first: None, **{a: "overdue:2020-05-12" for a in others}}
    again = tick(ctx)
    assert again.reminders == [] and _state(ctx) == state


@pytest.mark.parametrize("batch", [1, 1000])
def test_reminders_read_only_what_is_not_marked(ctx, monkeypatch, batch):
    """What ``reminders_due`` reads: the actions not marked for their due date; once a tick
    has reminded them, none (a quiet tick reads nothing)."""
    import core.context

    monkeypatch.setattr(core.context, "TICK_BATCH", batch)
    busy_day(ctx)
    ctx.clock.set(AT)
    kw = {"due_by": "2020-05-16", "today": "2020-05-13"}
    assert len(core.store.actions.reminders_due(ctx.store, **kw)) == 4
    tick(ctx)
    assert core.store.actions.reminders_due(ctx.store, **kw) == []

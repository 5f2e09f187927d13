"""Actions after submission: the 14-day PDT review, outcomes, overdue, owner reminders."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from conftest import as_user
from factories import full_audit_data, submitted_audit

from core.actions import get_action, list_actions, review_action
from core.errors import PermissionDenied, StateError
from core.tick import tick


@pytest.fixture
def audit(ctx):
    # two actions (worker and manager), both due Tue 12 May 2020
    return submitted_audit(ctx, data=full_audit_data(due="2020-05-12"))


@pytest.fixture
def pdt(ctx):
    return as_user(ctx, "pdt1")


def _outbox(ctx, template):
    rows = ctx.store.query("SELECT * FROM outbox WHERE template = ? ORDER BY outbox_id", [template])
    for r in rows:
        r["payload"] = json.loads(r["payload"])
    return rows


def test_actions_list_with_review_due_14_days_after_submission(ctx, audit):
    rows = list_actions(ctx)
    assert [(r.owner_role, r.owner) for r in rows] == [("worker", "w1"), ("manager", "m1")]
    for r in rows:
        assert r.audit_id == audit.audit_id and r.child_id == "C1"
        assert r.review_due == "2020-05-11T09:00:00Z"
        assert (r.status, r.due, r.overdue, r.review_is_due) == ("open", "2020-05-12", False, False)
    assert list_actions(ctx, due_only=True) == []


def test_review_falls_due_at_exactly_14_days_and_pdt_is_alerted_once(ctx, audit):
    ctx.clock.set(datetime(2020, 5, 11, 8, 59, 59, tzinfo=UTC))
    assert tick(ctx).reviews_due == []
    assert not any(r.review_is_due for r in list_actions(ctx))
    ctx.clock.advance(seconds=1)
    assert tick(ctx).reviews_due == [audit.audit_id]
    assert all(r.review_is_due for r in list_actions(ctx, due_only=True))
    [alert] = _outbox(ctx, "review_due")
    assert alert["recipient"] == "pdt1" and alert["payload"]["open_actions"] == 2
    ctx.clock.advance(hours=1)
    assert tick(ctx).reviews_due == []
    assert len(_outbox(ctx, "review_due")) == 1


def test_only_pdt_reviews(ctx, audit):
    [a, _] = list_actions(ctx)
    for user in ("aud1", "w1", "m1", "admin1"):
        with pytest.raises(PermissionDenied, match="needs the pdt role"):
            review_action(as_user(ctx, user), a.action_id, "completed")
    assert ctx.store.scalar("SELECT COUNT(*) FROM action_reviews") == 0


def test_completed_and_not_needed_close_the_action(ctx, audit, pdt):
    [a, b] = list_actions(ctx)
    done = review_action(pdt, a.action_id, "completed", note="Notes re-recorded 05/05")
    assert done.status == "completed"
    assert done.last_review.outcome == "completed" and done.last_review.by == "pdt1"
    review_action(pdt, b.action_id, "not_needed")
    assert list_actions(ctx) == []
    assert {r.status for r in list_actions(ctx, include_closed=True)} == {"completed", "not_needed"}
    with pytest.raises(StateError, match="already reviewed: Completed"):
        review_action(pdt, a.action_id, "not_needed")
    events = ctx.store.query("SELECT * FROM events WHERE entity = 'action' AND action = 'reviewed'")
    assert len(events) == 2


def test_not_completed_needs_a_new_due_date_after_today(ctx, audit, pdt):
    [a, _] = list_actions(ctx)
    ctx.clock.set(datetime(2020, 5, 11, 10, 0, tzinfo=UTC))
    with pytest.raises(StateError, match="needs a new due date"):
        review_action(pdt, a.action_id, "not_completed")
    with pytest.raises(StateError, match="must be after today"):
        review_action(pdt, a.action_id, "not_completed", new_due="2020-05-11")
    with pytest.raises(StateError, match="not a date"):
        review_action(pdt, a.action_id, "not_completed", new_due="next week")
    with pytest.raises(StateError, match="not_completed only"):
        review_action(pdt, a.action_id, "completed", new_due="2020-05-20")
    assert ctx.store.scalar("SELECT COUNT(*) FROM action_reviews") == 0
    row = review_action(pdt, a.action_id, "not_completed", new_due=date(2020, 5, 26), note="Started")
    assert (row.status, row.due, row.review_is_due) == ("open", "2020-05-26", False)
    assert row.review_due == "2020-05-26T08:00:00Z"  # reviewed again on the new date, 09:00 London
    [told] = _outbox(ctx, "action_new_due")
    assert told["recipient"] == "w1" and told["payload"]["due"] == "2020-05-26"


def test_overdue_when_the_due_date_has_passed_and_it_is_open(ctx, audit):
    ctx.clock.set(datetime(2020, 5, 12, 22, 0, tzinfo=UTC))  # 23:00 London on the due date
    assert not any(r.overdue for r in list_actions(ctx))
    ctx.clock.advance(hours=1)  # midnight in London: the 13th
    rows = list_actions(ctx, due_only=True)
    assert len(rows) == 2 and all(r.overdue for r in rows)


def test_reminders_before_the_due_date_and_when_overdue_once_each(ctx, audit):
    # two days before 12 May is 10 May (settings.workflow.reminder_days_before_due)
    ctx.clock.set(datetime(2020, 5, 9, 9, 0, tzinfo=UTC))
    assert tick(ctx).reminders == []
    ctx.clock.set(datetime(2020, 5, 10, 9, 0, tzinfo=UTC))
    sent = tick(ctx).reminders
    assert sorted((r.owner, r.kind) for r in sent) == [("m1", "reminder"), ("w1", "reminder")]
    ctx.clock.advance(days=1)
    assert tick(ctx).reminders == []
    ctx.clock.set(datetime(2020, 5, 13, 9, 0, tzinfo=UTC))
    sent = tick(ctx).reminders
    assert sorted((r.owner, r.kind) for r in sent) == [("m1", "overdue"), ("w1", "overdue")]
    ctx.clock.advance(days=3)
    assert tick(ctx).reminders == []
    assert len(_outbox(ctx, "action_reminder")) == 2 and len(_outbox(ctx, "action_overdue")) == 2


def test_a_new_due_date_earns_new_reminders(ctx, audit, pdt):
    [a, b] = list_actions(ctx)
    review_action(pdt, b.action_id, "completed")
    ctx.clock.set(datetime(2020, 5, 13, 9, 0, tzinfo=UTC))
    tick(ctx)
    review_action(pdt, a.action_id, "not_completed", new_due="2020-05-20")
    ctx.clock.set(datetime(2020, 5, 18, 9, 0, tzinfo=UTC))
    assert [(r.action_id, r.kind, r.due) for r in tick(ctx).reminders] == [
        (a.action_id, "reminder", "2020-05-20")]
    assert get_action(ctx, a.action_id).overdue is False


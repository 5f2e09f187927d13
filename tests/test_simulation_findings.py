"""What the simulated council year found (``tests/simulation.py``), each pinned by a test.

The system clock carries fractions of a second; stored times are whole seconds. A
tick or a person acting within the second after a deadline exposed two places where
the rules compared a stored time with the clock at different precisions.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from conftest import as_user
from factories import submitted_audit

from core.audit import get_audit, needs_manual_finalise
from core.clock import from_iso
from core.comments import add_comment, resolve_comment
from core.escalation import escalate, get_escalation
from core.store import events
from notify.scheduler import run_scheduler


def test_a_tick_within_the_second_after_respond_by_refers_the_escalation(ctx):
    """Found by the month run (seed 1): respond-by 09:58:16, a tick at 09:58:16.4. The
    tracker showed the escalation overdue, but tick compared respond-by with the clock
    cut to whole seconds ("09:58:16" < "09:58:16" is false) and left it with the manager
    until the next tick, 54 minutes on."""
    audit = submitted_audit(ctx)
    aud = as_user(ctx, "aud1")
    esc = escalate(aud, audit.audit_id, "A new adult in the household.", phoned="no-answer")
    ctx.clock.set(from_iso(esc.respond_by) + timedelta(milliseconds=400))
    assert get_escalation(ctx, esc.escalation_id).overdue is True  # what the tracker shows
    run = run_scheduler(as_user(ctx, "system"), deliver=False)
    assert run.escalations_overdue == [esc.escalation_id]
    assert run.referred == [esc.escalation_id]
    assert get_escalation(ctx, esc.escalation_id).level == "head_of_service"


def test_exactly_at_respond_by_is_not_yet_overdue(ctx):
    """The other side of the same boundary: at respond-by itself nothing is overdue."""
    audit = submitted_audit(ctx)
    esc = escalate(as_user(ctx, "aud1"), audit.audit_id, "A new adult in the household.")
    ctx.clock.set(from_iso(esc.respond_by))
    assert run_scheduler(as_user(ctx, "system"), deliver=False).escalations_overdue == []
    assert get_escalation(ctx, esc.escalation_id).overdue is False


def test_a_query_resolved_within_the_second_after_the_deadline_finalises_as_the_trail_says(ctx):
    """A query resolved at the deadline plus 0.4 s is stored as resolved at the deadline,
    so it is not late and the audit finalises automatically at the deadline; the trail
    (what the auditor is told) said "by the auditor", because it compared the clock's
    fraction of a second with the deadline."""
    ctx.clock.set(datetime(2020, 4, 27, 9, 0, tzinfo=UTC))
    audit = submitted_audit(ctx)
    deadline = from_iso(audit.submitted_at) + timedelta(hours=72)
    query = add_comment(as_user(ctx, "w1"), audit.audit_id, "Please look again.", query=True)
    ctx.clock.set(deadline + timedelta(milliseconds=400))
    resolve_comment(as_user(ctx, "aud1"), query.comment_id, "Looked again: it stands.")
    [said] = [e for e in events.recent(ctx.store, entity="audit", entity_id=audit.audit_id)
              if e["action"] == "queries_resolved"]
    assert needs_manual_finalise(ctx, audit.audit_id) is False
    assert said["after"]["finalise"] == "automatically", json.dumps(said["after"])
    run_scheduler(as_user(ctx, "system"), deliver=False)
    done = get_audit(ctx, audit.audit_id)
    assert (done.status, done.finalised_by) == ("finalised", "system")
    assert from_iso(done.finalised_at) == deadline

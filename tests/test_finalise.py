"""Finalisation at the end of the 72-hour window, queries pausing it, manual finalisation,
British Summer Time, and the read-only finalised audit."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from conftest import as_user
from factories import submitted_audit

from core.audit import (
    add_addendum,
    fill_audit,
    finalise_audit,
    get_audit,
    list_addenda,
    needs_manual_finalise,
)
from core.clock import local
from core.comments import add_comment, resolve_comment
from core.errors import PermissionDenied, StateError
from core.tick import tick


@pytest.fixture
def audit(ctx):
    return submitted_audit(ctx)  # submitted Mon 27 Apr 2020 09:00 UTC


def test_not_final_at_71_59_final_at_72_00(ctx, audit):
    ctx.clock.advance(hours=71, minutes=59, seconds=59)
    assert tick(ctx).finalised == []
    assert get_audit(ctx, audit.audit_id).status == "submitted"
    ctx.clock.advance(seconds=1)
    assert tick(ctx).finalised == [audit.audit_id]
    done = get_audit(ctx, audit.audit_id)
    assert (done.status, done.finalised_at, done.finalised_by) == ("finalised", "2020-04-30T09:00:00Z", "system")
    alerted = ctx.store.query("SELECT recipient FROM outbox WHERE template = 'audit_finalised' ORDER BY recipient")
    assert [r["recipient"] for r in alerted] == ["m1", "w1"]


def test_tick_run_late_finalises_at_the_deadline_not_the_tick_time(ctx, audit):
    ctx.clock.advance(days=9, hours=3)
    tick(ctx)
    done = get_audit(ctx, audit.audit_id)
    assert done.finalised_at == "2020-04-30T09:00:00Z"
    assert done.finalised_by == "system"


def test_an_open_query_pauses_finalisation(ctx, audit):
    ctx.clock.advance(hours=10)
    add_comment(as_user(ctx, "w1"), audit.audit_id, "Please check the 20/04 oversight", query=True)
    ctx.clock.advance(hours=70)  # 80 h after submission
    assert tick(ctx).finalised == []
    assert get_audit(ctx, audit.audit_id).status == "queried"


def test_query_resolved_before_the_deadline_finalises_automatically(ctx, audit):
    q = add_comment(as_user(ctx, "w1"), audit.audit_id, "Query", query=True)
    ctx.clock.advance(hours=30)
    resolve_comment(as_user(ctx, "aud1"), q.comment_id, "Answered")
    ctx.clock.advance(hours=42)  # exactly 72 h
    assert tick(ctx).finalised == [audit.audit_id]
    assert get_audit(ctx, audit.audit_id).finalised_at == "2020-04-30T09:00:00Z"


def test_query_resolved_after_the_deadline_is_finalised_by_the_auditor(ctx, audit):
    q = add_comment(as_user(ctx, "m1"), audit.audit_id, "Query", query=True)
    aud = as_user(ctx, "aud1")
    ctx.clock.advance(hours=80)
    with pytest.raises(StateError, match="open query"):
        finalise_audit(aud, audit.audit_id)
    resolve_comment(aud, q.comment_id, "Answered late")
    assert tick(ctx).finalised == []  # not automatic any more
    assert needs_manual_finalise(ctx, audit.audit_id)
    with pytest.raises(PermissionDenied, match="only its auditor"):
        finalise_audit(as_user(ctx, "m1"), audit.audit_id)
    ctx.clock.advance(hours=2)
    done = finalise_audit(aud, audit.audit_id)
    assert (done.status, done.finalised_at, done.finalised_by) == (
        "finalised", "2020-04-30T19:00:00Z", "aud1")
    assert not needs_manual_finalise(ctx, audit.audit_id)


def test_manual_finalise_refused_while_the_window_runs(ctx, audit):
    ctx.clock.advance(hours=71)
    with pytest.raises(StateError, match="runs until Thu 30 Apr 2020 10:00"):
        finalise_audit(as_user(ctx, "aud1"), audit.audit_id)
    assert get_audit(ctx, audit.audit_id).status == "submitted"


def test_window_across_the_end_of_british_summer_time(ctx):
    # Submitted Friday 23 Oct 2020 10:00 BST (09:00 UTC); clocks go back at 02:00 on Sunday 25 Oct.
    ctx.clock.set(datetime(2020, 10, 23, 9, 0, tzinfo=UTC))
    audit = submitted_audit(ctx)
    ctx.clock.set(datetime(2020, 10, 26, 8, 59, 59, tzinfo=UTC))
    assert tick(ctx).finalised == []
    ctx.clock.set(datetime(2020, 10, 26, 9, 0, tzinfo=UTC))
    assert tick(ctx).finalised == [audit.audit_id]
    done = get_audit(ctx, audit.audit_id)
    assert done.finalised_at == "2020-10-26T09:00:00Z"  # 72 real hours
    # ... which London's wall clock shows as 09:00 GMT, an hour earlier than the 10:00 BST submission
    assert local(datetime(2020, 10, 26, 9, 0, tzinfo=UTC)).strftime("%H:%M %Z") == "09:00 GMT"


def test_a_finalised_audit_is_read_only_and_takes_addenda(ctx, audit):
    ctx.clock.advance(hours=72)
    tick(ctx)
    aud = as_user(ctx, "aud1")
    with pytest.raises(StateError, match="finalised"):
        fill_audit(aud, audit.audit_id, {"overview": "changed"}, amendment_reason="late fix")
    with pytest.raises(StateError, match="finalised"):
        add_comment(as_user(ctx, "w1"), audit.audit_id, "late")
    with pytest.raises(StateError, match=r"already finalised \(Thu 30 Apr 2020 10:00\)"):  # London time
        finalise_audit(aud, audit.audit_id)
    with pytest.raises(PermissionDenied):
        add_addendum(as_user(ctx, "w1"), audit.audit_id, "not mine to add")
    row = add_addendum(aud, audit.audit_id, "The 14/04 note was a management oversight note.")
    assert row.created_by == "aud1"
    assert [a.text for a in list_addenda(ctx, audit.audit_id)] == [
        "The 14/04 note was a management oversight note."]
    assert get_audit(ctx, audit.audit_id).overview == audit.overview
    assert ctx.store.one("SELECT * FROM events WHERE action = 'addendum'")["entity_id"] == str(audit.audit_id)

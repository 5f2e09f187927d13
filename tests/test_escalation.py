"""Escalations: level 1 to the supervising manager, level 2 to the Head of Service,
respond-by and overdue at the boundary, automatic referral, every step time-stamped."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from conftest import as_user
from factories import submitted_audit

from core.errors import PermissionDenied, StateError
from core.escalation import (
    close,
    escalate,
    escalation_timeline,
    get_escalation,
    list_escalations,
    refer_to_hos,
    respond,
)
from core.tick import tick

CONCERN = "Mother's new partner is a registered sex offender; no visit since 01/04."


@pytest.fixture
def audit(ctx):
    return submitted_audit(ctx)  # Mon 27 Apr 2020 09:00 UTC (10:00 BST)


@pytest.fixture
def aud(ctx):
    return as_user(ctx, "aud1")


def _outbox(ctx, template=None):
    sql = "SELECT * FROM outbox WHERE template LIKE 'escalation%'"
    params = []
    if template:
        sql += " AND template = ?"
        params.append(template)
    rows = ctx.store.query(sql + " ORDER BY outbox_id", params)
    for r in rows:
        r["payload"] = json.loads(r["payload"])
    return rows


def test_level_one_goes_to_the_manager_with_a_working_day_to_respond(ctx, audit, aud):
    esc = escalate(aud, audit.audit_id, CONCERN)
    assert (esc.level, esc.status, esc.recipient) == ("manager", "open", "m1")
    assert esc.respond_by == "2020-04-28T09:00:00Z"  # 10:00 London the next working day
    assert esc.overdue is False
    [alert] = _outbox(ctx)
    assert (alert["recipient"], alert["template"]) == ("m1", "escalation_raised")
    assert alert["payload"]["concern"] == CONCERN
    assert alert["payload"]["respond_by"] == "2020-04-28T09:00:00Z"
    assert [s.kind for s in esc.steps] == ["raised", "emailed"]
    assert all(s.at == "2020-04-27T09:00:00Z" for s in esc.steps)


def test_respond_by_skips_the_weekend_and_bank_holiday(ctx, audit, aud):
    ctx.clock.set(datetime(2020, 5, 7, 15, 30, tzinfo=UTC))  # Thursday; Friday 8 May 2020 was a bank holiday
    esc = escalate(aud, audit.audit_id, CONCERN)
    assert esc.respond_by == "2020-05-11T15:30:00Z"


def test_a_phone_call_that_reached_the_manager_sends_no_email(ctx, audit, aud):
    esc = escalate(aud, audit.audit_id, CONCERN, phoned="reached")
    assert _outbox(ctx) == []
    assert [(s.kind, s.recipient) for s in esc.steps] == [("raised", None), ("phoned", "m1")]


def test_no_answer_records_the_call_and_emails(ctx, audit, aud):
    esc = escalate(aud, audit.audit_id, CONCERN, phoned="no-answer")
    assert [s.kind for s in esc.steps] == ["raised", "phoned", "emailed"]
    assert len(_outbox(ctx, "escalation_raised")) == 1


def test_significant_concerns_go_straight_to_the_head_of_service(ctx, audit, aud):
    esc = escalate(aud, audit.audit_id, CONCERN, to_hos=True)
    assert (esc.level, esc.recipient, esc.referred_at) == (
        "head_of_service", "hos1", "2020-04-27T09:00:00Z")
    [alert] = _outbox(ctx)
    assert (alert["recipient"], alert["template"]) == ("hos1", "escalation_referred")


def test_explicit_respond_by_in_london_time(ctx, audit, aud):
    esc = escalate(aud, audit.audit_id, CONCERN, respond_by="2020-04-27T16:00")
    assert esc.respond_by == "2020-04-27T15:00:00Z"
    with pytest.raises(StateError, match="respond-by Mon 27 Apr 2020 09:00 is not in the future"):
        escalate(aud, audit.audit_id, CONCERN, respond_by="2020-04-27T09:00")
    with pytest.raises(StateError, match="not an ISO-8601"):
        escalate(aud, audit.audit_id, CONCERN, respond_by="tomorrow")


def test_overdue_just_after_respond_by_and_not_before(ctx, audit, aud):
    esc = escalate(aud, audit.audit_id, CONCERN)
    ctx.clock.set(datetime(2020, 4, 28, 9, 0, tzinfo=UTC))  # exactly respond-by
    assert tick(ctx).escalations_overdue == []
    assert get_escalation(ctx, esc.escalation_id).overdue is False
    ctx.clock.advance(seconds=1)
    done = tick(ctx)
    assert done.escalations_overdue == [esc.escalation_id]
    assert done.referred == [esc.escalation_id]
    now = get_escalation(ctx, esc.escalation_id)
    assert (now.level, now.recipient, now.status) == ("head_of_service", "hos1", "open")
    assert now.respond_by == "2020-04-29T09:00:01Z"  # the Head of Service gets a working day too
    assert [s.kind for s in now.steps] == ["raised", "emailed", "overdue", "referred", "emailed"]
    assert now.steps[2].at == "2020-04-28T09:00:01Z"
    overdue_alert = _outbox(ctx, "escalation_overdue")
    assert [(r["recipient"], r["payload"]["referred_to"]) for r in overdue_alert] == [("aud1", "hos1")]
    [ref] = _outbox(ctx, "escalation_referred")
    assert ref["recipient"] == "hos1" and ref["payload"]["automatic"] is True
    # tick again at the same time: nothing twice
    again = tick(ctx)
    assert again.escalations_overdue == [] and again.referred == []
    assert len(_outbox(ctx)) == 3


def test_without_auto_referral_it_is_flagged_and_shows_time_over(ctx, audit, aud):
    ctx.settings.workflow.auto_refer_head_of_service = False
    esc = escalate(aud, audit.audit_id, CONCERN)
    ctx.clock.set(datetime(2020, 4, 28, 11, 30, tzinfo=UTC))
    done = tick(ctx)
    assert done.escalations_overdue == [esc.escalation_id] and done.referred == []
    [row] = list_escalations(ctx)
    assert (row.level, row.overdue, row.time_over) == ("manager", True, "2h 30m")
    assert row.seconds_over == 9000
    assert row.overdue_at == "2020-04-28T11:30:00Z"


def test_a_response_stops_the_clock(ctx, audit, aud):
    esc = escalate(aud, audit.audit_id, CONCERN)
    ctx.clock.advance(hours=3)
    row = respond(as_user(ctx, "m1"), esc.escalation_id, "Visited today; partner has left the home.")
    assert row.status == "responded" and row.response.startswith("Visited")
    ctx.clock.advance(days=3)
    assert tick(ctx).escalations_overdue == []
    assert list_escalations(ctx)[0].overdue is False
    [told] = _outbox(ctx, "escalation_responded")
    assert told["recipient"] == "aud1"


def test_who_may_respond(ctx, audit, aud):
    esc = escalate(aud, audit.audit_id, CONCERN)
    for user in ("w1", "pdt1", "hos1"):
        with pytest.raises(PermissionDenied, match="it is with m1"):
            respond(as_user(ctx, user), esc.escalation_id, "not mine")
    row = respond(aud, esc.escalation_id, "Manager replied by phone: visit booked")
    assert row.status == "responded"


def test_auditor_refers_and_closes_with_an_outcome(ctx, audit, aud):
    esc = escalate(aud, audit.audit_id, CONCERN)
    respond(as_user(ctx, "m1"), esc.escalation_id, "Will look at it next week")
    ctx.clock.advance(hours=1)
    ref = refer_to_hos(aud, esc.escalation_id, "response does not meet the risk")
    assert (ref.level, ref.status, ref.recipient) == ("head_of_service", "open", "hos1")
    with pytest.raises(StateError, match="already with the Head of Service"):
        refer_to_hos(aud, esc.escalation_id)
    respond(as_user(ctx, "hos1"), esc.escalation_id, "Strategy meeting today")
    with pytest.raises(StateError, match="needs its outcome"):
        close(aud, esc.escalation_id, " ")
    with pytest.raises(PermissionDenied):
        close(as_user(ctx, "hos1"), esc.escalation_id, "done")
    ctx.clock.advance(hours=1)
    closed = close(aud, esc.escalation_id, "Strategy meeting held; child seen; safety plan in place")
    assert closed.status == "closed" and closed.closed_by == "aud1"
    assert list_escalations(ctx) == []
    assert [r.escalation_id for r in list_escalations(ctx, include_closed=True)] == [esc.escalation_id]
    with pytest.raises(StateError, match="is closed"):
        respond(aud, esc.escalation_id, "late")
    timeline = escalation_timeline(ctx, esc.escalation_id)
    assert [s.kind for s in timeline] == [
        "raised", "emailed", "responded", "referred", "emailed", "responded", "closed"]
    assert timeline[-1].at == "2020-04-27T11:00:00Z"
    assert [e["action"] for e in ctx.store.query(
        "SELECT action FROM events WHERE entity = 'escalation' ORDER BY event_id")] == [
        "raised", "responded", "referred", "responded", "closed"]


def test_only_auditors_escalate_and_nothing_is_written(ctx, audit):
    for user in ("w1", "m1", "pdt1"):
        with pytest.raises(PermissionDenied, match="needs the auditor role"):
            escalate(as_user(ctx, user), audit.audit_id, CONCERN)
    assert ctx.store.scalar("SELECT COUNT(*) FROM escalations") == 0
    assert _outbox(ctx) == []


def test_no_manager_known_is_a_clear_refusal(ctx, audit, aud):
    with ctx.tx() as tx:
        tx.execute("UPDATE audits SET manager = NULL")
        tx.execute("UPDATE people SET manager = NULL")
    with pytest.raises(StateError, match="no supervising manager.*--to hos"):
        escalate(aud, audit.audit_id, CONCERN)
    assert escalate(aud, audit.audit_id, CONCERN, to_hos=True).recipient == "hos1"


def test_auto_referral_without_a_head_of_service_still_alerts_the_auditor(ctx, audit, aud):
    esc = escalate(aud, audit.audit_id, CONCERN)
    with ctx.tx() as tx:
        tx.execute("UPDATE people SET head_of_service = NULL")
        tx.execute("UPDATE teams SET head_of_service = NULL")
    ctx.clock.advance(days=2)
    done = tick(ctx)
    assert done.escalations_overdue == [esc.escalation_id] and done.referred == []
    [alert] = _outbox(ctx, "escalation_overdue")
    assert "no Head of Service" in alert["payload"]["referral_problem"]
    assert escalation_timeline(ctx, esc.escalation_id)[-1].kind == "referral_failed"

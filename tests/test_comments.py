"""Comments and queries in the 72-hour window: who may, when, and what they change."""

from __future__ import annotations

import json

import pytest
from conftest import as_user
from factories import full_audit_data, submitted_audit

from core.audit import add_addendum, fill_audit, get_audit
from core.comments import add_comment, list_comments, resolve_comment
from core.errors import PermissionDenied, StateError


def _outbox(ctx, template):
    rows = ctx.store.query("SELECT * FROM outbox WHERE template = ? ORDER BY outbox_id", [template])
    for r in rows:
        r["payload"] = json.loads(r["payload"])
    return rows


def _count(ctx, table):
    return ctx.store.scalar(f"SELECT COUNT(*) FROM {table}")


@pytest.fixture
def audit(ctx):
    return submitted_audit(ctx)


def test_worker_comment_is_noted_and_alerts_the_auditor(ctx, audit):
    row = add_comment(as_user(ctx, "w1"), audit.audit_id, "Thanks, the visits were virtual.")
    assert row.author == row.recorded_by == "w1"
    assert row.status == "noted" and not row.is_query
    assert get_audit(ctx, audit.audit_id).status == "submitted"
    [alert] = _outbox(ctx, "comment_added")
    assert alert["recipient"] == "aud1"
    assert alert["payload"]["text"] == "Thanks, the visits were virtual."
    assert alert["payload"]["child_id"] == "C1"
    events = ctx.store.query("SELECT * FROM events WHERE entity = 'comment'")
    assert [e["action"] for e in events] == ["added"]


def test_query_sets_queried_and_resolution_returns_to_submitted(ctx, audit):
    q = add_comment(as_user(ctx, "m1"), audit.audit_id, "Oversight was on 20/04, not missing.", query=True)
    assert q.status == "open" and q.is_query == 1
    assert get_audit(ctx, audit.audit_id).status == "queried"
    ctx.clock.advance(hours=5)
    done = resolve_comment(as_user(ctx, "aud1"), q.comment_id, "Agreed; rating amended to Met.")
    assert done.status == "resolved" and done.resolved_by == "aud1"
    assert done.resolution == "Agreed; rating amended to Met."
    assert get_audit(ctx, audit.audit_id).status == "submitted"
    [answer] = _outbox(ctx, "comment_resolved")
    assert answer["recipient"] == "m1" and answer["payload"]["is_query"] is True
    actions = [e["action"] for e in ctx.store.query(
        "SELECT action FROM events WHERE entity = 'audit' AND entity_id = ? ORDER BY event_id", [str(audit.audit_id)])]
    assert actions[-2:] == ["queried", "queries_resolved"]


def test_two_queries_hold_until_both_resolved(ctx, audit):
    a = add_comment(as_user(ctx, "w1"), audit.audit_id, "Query one", query=True)
    b = add_comment(as_user(ctx, "m1"), audit.audit_id, "Query two", query=True)
    aud = as_user(ctx, "aud1")
    resolve_comment(aud, a.comment_id, "Answered")
    assert get_audit(ctx, audit.audit_id).status == "queried"
    resolve_comment(aud, b.comment_id, "Answered too")
    assert get_audit(ctx, audit.audit_id).status == "submitted"


def test_auditor_records_a_reply_on_behalf_of_the_manager(ctx, audit):
    row = add_comment(as_user(ctx, "aud1"), audit.audit_id, "Reply by email: agree.", on_behalf_of="m1")
    assert row.author == "m1" and row.recorded_by == "aud1"


def test_auditor_amends_the_audit_in_response_to_a_query(ctx, audit):
    q = add_comment(as_user(ctx, "m1"), audit.audit_id, "Partners are in the 14/04 note.", query=True)
    aud = as_user(ctx, "aud1")
    amended = fill_audit(aud, audit.audit_id, {"ratings": {"oversight_partners": {
        "rating": "met", "evidence": "Note of 14/04/2020 details school and health visitor support."}}},
        amendment_reason=f"query {q.comment_id}")
    assert amended.ratings["oversight_partners"].rating == "met"
    resolve_comment(aud, q.comment_id, "Amended: partners standard met.")
    ev = ctx.store.one("SELECT * FROM events WHERE entity = 'audit' AND action = 'amended'")
    assert json.loads(ev["after"])["reason"] == f"query {q.comment_id}"


@pytest.mark.parametrize("user,kwargs,why", [
    ("pdt1", {}, "only its worker or supervising manager"),
    ("hos1", {}, "only its worker or supervising manager"),
    ("aud1", {}, "on-behalf-of"),
    ("aud1", {"on_behalf_of": "hos1"}, "not the worker or supervising manager"),
    ("w1", {"on_behalf_of": "m1"}, "needs the auditor role"),
])
def test_who_may_not_comment(ctx, audit, user, kwargs, why):
    with pytest.raises(PermissionDenied, match=why):
        add_comment(as_user(ctx, user), audit.audit_id, "text", **kwargs)
    assert _count(ctx, "comments") == 0
    assert _outbox(ctx, "comment_added") == []


def test_only_the_audits_auditor_resolves(ctx, audit):
    from factories import add_audit_people

    add_audit_people(ctx, auditor="aud2")
    q = add_comment(as_user(ctx, "w1"), audit.audit_id, "Why?", query=True)
    for user in ("w1", "m1", "aud2", "pdt1"):
        with pytest.raises(PermissionDenied, match="only the audit's auditor"):
            resolve_comment(as_user(ctx, user), q.comment_id, "answer")
    assert list_comments(ctx, audit.audit_id)[0].status == "open"
    assert get_audit(ctx, audit.audit_id).status == "queried"


def test_window_closes_for_comments_but_an_open_query_keeps_talk_going(ctx, audit):
    ctx.clock.advance(hours=71, minutes=59)
    add_comment(as_user(ctx, "w1"), audit.audit_id, "Just in time", query=True)
    ctx.clock.advance(minutes=30)
    # past the deadline, the open query still holds the audit: its people may add to it
    add_comment(as_user(ctx, "m1"), audit.audit_id, "Adding to the query")
    [q] = [c for c in list_comments(ctx, audit.audit_id) if c.is_query]
    resolve_comment(as_user(ctx, "aud1"), q.comment_id, "Answered")
    with pytest.raises(StateError, match="comment window for audit .* closed"):
        add_comment(as_user(ctx, "w1"), audit.audit_id, "Too late")


def test_comment_after_the_window_is_refused_and_nothing_written(ctx, audit):
    ctx.clock.advance(hours=72)
    with pytest.raises(StateError, match="closed at Thu 30 Apr 2020 10:00"):
        add_comment(as_user(ctx, "w1"), audit.audit_id, "Too late", query=True)
    assert _count(ctx, "comments") == 0
    assert get_audit(ctx, audit.audit_id).status == "submitted"


def test_a_draft_takes_no_comments(ctx):
    from factories import add_audit_people, add_child

    from core.audit import start_audit

    add_audit_people(ctx)
    add_child(ctx, "C9", worker="w1")
    draft = start_audit(as_user(ctx, "aud1"), "C9")
    fill_audit(as_user(ctx, "aud1"), draft.audit_id, full_audit_data())
    with pytest.raises(StateError, match="not submitted"):
        add_comment(as_user(ctx, "w1"), draft.audit_id, "early")


def test_empty_comment_refused(ctx, audit):
    with pytest.raises(StateError, match="needs some text"):
        add_comment(as_user(ctx, "w1"), audit.audit_id, "   ")


def test_addendum_only_on_a_finalised_audit_by_an_auditor(ctx, audit):
    aud = as_user(ctx, "aud1")
    with pytest.raises(StateError, match="not finalised: amend it instead"):
        add_addendum(aud, audit.audit_id, "correction")
    assert _count(ctx, "addenda") == 0

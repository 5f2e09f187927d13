"""Leavers and movers: a person who has left gets no new alerts and their pending messages
die at once; their work is listed (dipaudit people) and moved by an admin (queue
reassign, action reassign, with events); a worker who changes team moves with their
caseload on the next caseload import, while audits keep their snapshot."""

from __future__ import annotations

import json
from datetime import date

import pytest
from cli_main import run_main
from conftest import add_people, as_user
from factories import add_audit_people, add_child, full_audit_data, submitted_audit

from core import actions, escalation, queue
from core.audit import fill_audit, start_audit, submission_recipients, submit_audit
from core.errors import DipauditError, NotFound, PermissionDenied, StateError
from core.people import list_people
from core.sampling import draw_sample
from core.tick import tick


def leave(ctx, login: str) -> None:
    """What a newer people import does to someone missing from it (core/importers, m005)."""
    with ctx.tx() as tx:
        tx.execute("UPDATE people SET active = 0, roles = '[]', left_at = ? WHERE login = ?", [tx.at, login])


def _events(ctx) -> int:
    return ctx.store.scalar("SELECT count(*) FROM events")


@pytest.fixture
def team(ctx):
    """aud1 and aud2 auditors, admin1, w1 (manager m1, Head of Service hos1), w2, a second manager m2."""
    add_audit_people(ctx)
    add_people(ctx, [{"login": "aud2", "roles": ["auditor"]}, {"login": "admin1", "roles": ["admin"]},
                     {"login": "w2", "roles": ["worker"], "team": "Team A", "manager": "m1",
                      "head_of_service": "hos1"},
                     {"login": "m2", "roles": ["manager"], "team": "Team A", "head_of_service": "hos1"}])
    return ctx


def _queued(ctx, *children: str) -> list[int]:
    for c in children:
        add_child(ctx, c)
    draw_sample(as_user(ctx, "aud1"), seed=1, per_worker=len(children), auditors=["aud1"])
    return [q.queue_id for q in queue.list_queue(ctx)]


# --- who holds what --------------------------------------------------------------------
def test_people_lists_who_left_and_the_work_they_hold(team, ctx):
    audit = submitted_audit(ctx, child_id="C9")  # actions owned by w1 and m1
    esc = escalation.escalate(as_user(ctx, "aud1"), audit.audit_id, "Bruising seen", phoned="no-answer")
    items = _queued(ctx, "C1", "C2")
    queue.claim(as_user(ctx, "aud1"), items[0])
    leave(ctx, "aud1")
    leave(ctx, "m1")
    listed = {p.login: p for p in list_people(as_user(ctx, "admin1"))}
    assert listed["aud1"].active is False and listed["aud1"].left_at == "2020-04-27T09:00:00Z"
    kinds = sorted((i.kind, i.id) for i in listed["aud1"].open_items)
    assert kinds == [("escalation_raised", esc.escalation_id), ("queue_item", items[0]), ("queue_item", items[1])]
    assert [(i.kind, i.status) for i in listed["m1"].open_items] == [("action", "open"),
                                                                       ("escalation", "manager")]
    assert [p.login for p in list_people(ctx)][-2:] == ["aud1", "m1"]  # those still here first

    r = run_main(["--db", str(ctx.store.path), "--user", "admin1", "people"])
    assert r.code == 0, r.err
    row = next(line for line in r.out.splitlines() if line.startswith("aud1"))
    assert "left" in row and "2 queue, 1 escalation raised" in row
    data = json.loads(run_main(["--db", str(ctx.store.path), "--user", "admin1", "people", "--json"]).out)
    aud1 = next(p for p in data if p["login"] == "aud1")
    assert aud1["active"] is False and len(aud1["open_items"]) == 3


def test_people_is_for_admins_auditors_and_pdt(team, ctx):
    with pytest.raises(PermissionDenied):
        list_people(as_user(ctx, "w1"))


# --- reassigning ----------------------------------------------------------------------
def test_a_leavers_audit_in_progress_moves_to_another_auditor_who_can_finish_it(team, ctx):
    item = _queued(ctx, "C1")[0]
    draft = start_audit(as_user(ctx, "aud1"), str(item))
    leave(ctx, "aud1")
    moved = queue.reassign(as_user(ctx, "admin1"), item, "aud2")
    assert (moved.auditor, moved.claimed_by, moved.status) == ("aud2", "aud2", "in_progress")
    aud2 = as_user(ctx, "aud2")
    fill_audit(aud2, draft.audit_id, full_audit_data(date(2020, 4, 27)))
    assert submit_audit(aud2, draft.audit_id).auditor == "aud2"
    trail = ctx.store.rows("SELECT entity, action, actor, before, after FROM events WHERE action = 'reassigned'"
                           " ORDER BY event_id")
    assert [(e, a, who) for e, a, who, _, _ in trail] == [("queue_item", "reassigned", "admin1"),
                                                            ("audit", "reassigned", "admin1")]
    assert json.loads(trail[1][3]) == {"auditor": "aud1"}


def test_a_queued_item_can_be_given_to_another_auditor(team, ctx):
    item = _queued(ctx, "C1")[0]
    moved = queue.reassign(as_user(ctx, "admin1"), item, "aud2")
    assert (moved.auditor, moved.claimed_by, moved.status) == ("aud2", None, "queued")
    assert queue.claim(as_user(ctx, "aud2"), item).claimed_by == "aud2"


@pytest.mark.parametrize(("who", "to", "error", "words"), [
    ("aud2", "aud2", PermissionDenied, "needs the admin role"),
    ("admin1", "w2", StateError, "w2 is not a auditor"),
    ("admin1", "gone", StateError, "gone has left on 2020-04-27"),
    ("admin1", "nobody", NotFound, "no person with login 'nobody'"),
])
def test_reassigning_a_queue_item_is_refused_and_writes_nothing(team, ctx, who, to, error, words):
    add_people(ctx, [{"login": "gone", "roles": ["auditor"]}])
    leave(ctx, "gone")
    item = _queued(ctx, "C1")[0]
    before = _events(ctx)
    with pytest.raises(error, match=words):
        queue.reassign(as_user(ctx, who), item, to)
    assert _events(ctx) == before
    assert queue.get_item(ctx, item).auditor == "aud1"


def test_a_leavers_action_goes_to_a_colleague_with_the_owner_role_who_is_told(team, ctx):
    audit = submitted_audit(ctx)
    worker_action = next(a for a in actions.list_actions(ctx, audit_id=audit.audit_id) if a.owner_role == "worker")
    leave(ctx, "w1")
    admin = as_user(ctx, "admin1")
    with pytest.raises(StateError, match="m2 is not a worker"):
        actions.reassign(admin, worker_action.action_id, "m2")
    with pytest.raises(PermissionDenied):
        actions.reassign(as_user(ctx, "aud1"), worker_action.action_id, "w2")
    moved = actions.reassign(admin, worker_action.action_id, "w2")
    assert moved.owner == "w2"
    told = ctx.store.one("SELECT recipient, template FROM outbox WHERE template = 'action_reassigned'")
    assert told == {"recipient": "w2", "template": "action_reassigned"}
    r = run_main(["--db", str(ctx.store.path), "--user", "admin1", "action", "reassign",
                  str(worker_action.action_id), "--to", "w2"])
    assert r.code == 1 and "already w2's" in r.err
    # The reminder follows the action to its new owner.
    ctx.clock.advance(hours=24 * 30)
    reminders = tick(ctx).reminders
    assert {(x.action_id, x.owner) for x in reminders} >= {(worker_action.action_id, "w2")}


def test_the_cli_reassigns_a_queue_item(team, ctx):
    item = _queued(ctx, "C1")[0]
    r = run_main(["--db", str(ctx.store.path), "--user", "admin1", "queue", "reassign", str(item), "--to", "aud2"])
    assert r.code == 0, r.err
    assert r.out.strip() == f"queue item {item} (child C1) reassigned to aud2"


# --- no new alerts to a leaver ---------------------------------------------------------
def test_a_submission_names_a_leaver_as_not_alertable(team, ctx):
    add_child(ctx, "C1")
    aud = as_user(ctx, "aud1")
    audit = start_audit(aud, "C1")
    fill_audit(aud, audit.audit_id, full_audit_data(date(2020, 4, 27)))
    leave(ctx, "w1")
    who = {r["role"]: r for r in submission_recipients(ctx, audit)}
    assert who["worker"]["alerted"] is False and "has left" in who["worker"]["problem"]
    assert who["manager"]["alerted"] is True
    submit_audit(aud, audit.audit_id)
    assert [r[0] for r in ctx.store.rows("SELECT recipient FROM outbox WHERE template = 'audit_submitted'")] == ["m1"]


def test_an_escalation_passes_over_a_manager_who_left(team, ctx):
    audit = submitted_audit(ctx)  # w1's manager m1 is the audit's manager
    leave(ctx, "m1")
    with ctx.tx() as tx:
        tx.execute("UPDATE people SET manager = 'm2' WHERE login = 'w1'")  # w1 has a new manager
    esc = escalation.escalate(as_user(ctx, "aud1"), audit.audit_id, "Bruising seen")
    assert esc.recipient == "m2"
    with ctx.tx() as tx:
        tx.execute("UPDATE people SET manager = 'm1' WHERE login = 'w1'")
    with pytest.raises(StateError, match="the supervising manager m1 has left"):
        escalation.escalate(as_user(ctx, "aud1"), audit.audit_id, "Bruising seen")


def test_an_overdue_escalation_is_not_referred_to_a_head_of_service_who_left(team, ctx):
    audit = submitted_audit(ctx)
    esc = escalation.escalate(as_user(ctx, "aud1"), audit.audit_id, "Bruising seen", phoned="no-answer")
    leave(ctx, "hos1")
    ctx.clock.advance(hours=48)
    done = tick(ctx)
    assert esc.escalation_id in done.escalations_overdue and done.referred == []
    steps = [s.kind for s in escalation.escalation_timeline(ctx, esc.escalation_id)]
    assert "referral_failed" in steps
    alert = ctx.store.one("SELECT recipient, payload FROM outbox WHERE template = 'escalation_overdue'")
    assert alert["recipient"] == "aud1"
    assert "the Head of Service hos1 has left" in json.loads(alert["payload"])["referral_problem"]
    assert not ctx.store.scalar("SELECT count(*) FROM outbox WHERE recipient = 'hos1' AND created_at > ?",
                                ["2020-04-28"])


def test_a_leaver_is_not_reminded_and_a_pdt_leaver_not_alerted(team, ctx):
    add_people(ctx, [{"login": "pdt2", "roles": ["pdt"]}])
    submitted_audit(ctx)
    leave(ctx, "w1")
    leave(ctx, "pdt2")
    ctx.clock.advance(hours=24 * 30)
    done = tick(ctx)
    assert {r.owner for r in done.reminders} == {"m1"}
    assert done.reviews_due
    pdt = {r[0] for r in ctx.store.rows("SELECT recipient FROM outbox WHERE template = 'review_due'")}
    assert pdt == {"pdt1"}


def test_a_pending_message_to_a_leaver_dies_at_once_with_the_reason(team, ctx):
    from notify.delivery import deliver_pending

    submitted_audit(ctx)  # audit_submitted to w1 and m1, pending
    leave(ctx, "w1")
    counts = deliver_pending(ctx)
    row = ctx.store.one("SELECT status, attempts, next_attempt_at, last_error FROM outbox WHERE recipient = 'w1'")
    assert row["status"] == "dead" and row["attempts"] == 1 and row["next_attempt_at"] is None
    assert row["last_error"] == "w1 has left: not sent (their work: dipaudit people)"
    assert counts["dead"] >= 1
    assert ctx.store.scalar("SELECT count(*) FROM events WHERE entity = 'outbox' AND action = 'gave_up'") == 1


# --- movers ---------------------------------------------------------------------------
CASELOAD = "child_id,name,date_of_birth,expected_date_of_birth,cohort,worker,team,family_id,closed_on\n"


def test_a_worker_who_changes_team_moves_with_their_caseload(team, ctx, tmp_path):
    from core.importers import import_caseload
    from core.reports import build_report
    from core.reports.periods import Period

    first, second = tmp_path / "june.csv", tmp_path / "july.csv"
    first.write_text(CASELOAD + "C1,Ann One,2012-01-01,,cin,w1,Team A,,\nC2,Bo Two,2013-01-01,,cin,w1,Team A,,\n")
    second.write_text(CASELOAD + "C1,Ann One,2012-01-01,,cin,w1,Team B,,\nC2,Bo Two,2013-01-01,,cin,w1,Team B,,\n")
    admin = as_user(ctx, "admin1")
    import_caseload(admin, first)
    aud = as_user(ctx, "aud1")
    before = start_audit(aud, "C1")
    fill_audit(aud, before.audit_id, full_audit_data(date(2020, 4, 27)))
    submit_audit(aud, before.audit_id)
    assert before.team == "Team A"

    ctx.clock.advance(hours=2)
    import_caseload(admin, second)  # the next extract: w1 and their children are in Team B now
    picked = draw_sample(aud, seed=3, teams=["Team B"])
    assert [(p.child_id, p.team, p.worker) for p in picked.picks] == [("C2", "Team B", "w1")]
    with pytest.raises(DipauditError, match="no children in team Team A"):
        draw_sample(aud, teams=["Team A"], dry_run=True)
    after = start_audit(aud, "C2")
    assert after.team == "Team B"
    fill_audit(aud, after.audit_id, full_audit_data(date(2020, 4, 27)))
    submit_audit(aud, after.audit_id)

    assert ctx.store.scalar("SELECT team FROM audits WHERE audit_id = ?", [before.audit_id]) == "Team A"
    ctx.clock.advance(hours=1)
    report = build_report(admin, "smt", Period(start=ctx.clock.now().replace(day=20), end=ctx.clock.now()))
    by_team = {t.team: t.audits for t in report.teams}
    assert by_team == {"Team A": 1, "Team B": 1}

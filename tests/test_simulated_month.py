"""A simulated council month in the suite (the year is ``bench/simulate_year.py``), and
proof that every invariant it checks can fail: each rule broken once on purpose, by a
store call or a scheduler run with the rule switched off, and the checker reporting it.
"""

from __future__ import annotations

import email
import email.policy
import socket
from datetime import UTC, datetime, timedelta

import pytest
from aiosmtpd.controller import Controller
from conftest import add_people, as_user
from factories import submitted_audit
from sim_invariants import Invariants
from simulation import START, Plan, report, run_simulation

from core.clock import from_iso, iso
from core.comments import add_comment, resolve_comment
from core.escalation import escalate
from core.reports.periods import latest_slot, slot_period
from core.store import Store, audits, comments
from core.store import reports as stored_reports
from core.vocabulary import SYSTEM
from notify.scheduler import run_scheduler

# Delivery to a real SMTP server for the first two days (the rest of the month's outbox
# stays pending: delivery's own tests cover retries and load).
DELIVER = (START, START + timedelta(days=2))


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, email.message_from_bytes(envelope.content,
                                                                          policy=email.policy.default)))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.simulation
def test_a_simulated_month_keeps_every_rule(tmp_path):
    """Four and a half weeks from Monday 16 March 2020 (the clocks go forward on the 29th;
    Good Friday and Easter Monday), about 270 audits and 30 escalations through the
    services, the scheduler every 1 to 90 minutes with an outage of days; two of the
    days deliver to a local SMTP server. Every invariant holds, and every message
    sent arrived once."""
    from core.config import Settings

    port = free_port()
    settings = Settings()
    settings.notify.email_url = f"mailto://127.0.0.1:{port}?from=dipaudit@example.org"
    plan = Plan(months=1, seed=1, deliver=DELIVER)
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        result = run_simulation(tmp_path / "month.db", plan, workdir=tmp_path / "files", settings=settings)
    finally:
        controller.stop()
    text = report(result, plan)
    print(text)
    assert result.ok, text
    assert sum(result.audits_by_status.values()) > 200
    assert sum(n for k, n in result.escalations.items() if k not in ("closed", "open at the end")) > 15
    assert result.longest_outage > timedelta(days=1)
    assert result.stats["queries resolved late"] and result.stats["finalised by the auditor"]
    assert result.stats["reviews: not_completed"] and result.refusals["comment after the window"]
    # Delivery: every message sent in those two days arrived, once.
    store = Store.open(tmp_path / "month.db")
    try:
        sent = store.scalar("SELECT count(*) FROM outbox WHERE status = 'sent'")
        assert sent == result.stats["messages delivered"] > 20
        assert len(inbox.messages) == sent
        assert store.scalar("SELECT count(*) FROM outbox WHERE status IN ('failed', 'dead')") == 0
    finally:
        store.close()


# --- each invariant can fail ----------------------------------------------------------
def _fig(checks: Invariants, start: str) -> int:
    [figure] = [f for f in checks.figures() if f.name.startswith(start)]
    return figure.value


def _broken(checks: Invariants) -> dict[str, int]:
    return {f.name: f.value for f in checks.figures() if not f.ok}


def _deadline(audit) -> datetime:
    return from_iso(audit.submitted_at) + timedelta(hours=72)


def test_the_figures_are_all_zero_for_a_lawful_history(ctx):
    audit = submitted_audit(ctx)
    checks = Invariants(ctx)
    ctx.clock.set(_deadline(audit) + timedelta(minutes=5))
    run_scheduler(as_user(ctx, SYSTEM), deliver=False)
    checks.after_tick(ctx.now())
    assert _broken(checks) == {}
    assert audits.get(ctx.store, audit.audit_id)["status"] == "finalised"


def test_an_early_finalisation_is_counted(ctx):
    audit = submitted_audit(ctx)
    ctx.clock.advance(hours=1)
    with ctx.tx() as tx:  # the rule broken through the store: finalised an hour after submitting
        audits.mark_finalised(tx, audit.audit_id, at=tx.at, by=SYSTEM)
    checks = Invariants(ctx)
    assert _fig(checks, "finalisations early") == 1
    assert _fig(checks, "automatic finalisations not at exactly") == 1


def test_a_finalisation_stamped_at_the_deadline_but_done_before_it_is_early(ctx):
    audit = submitted_audit(ctx)
    ctx.clock.advance(hours=70)
    with ctx.tx() as tx:
        audits.mark_finalised(tx, audit.audit_id, at=iso(_deadline(audit)), by=SYSTEM)
        tx.event("audit", audit.audit_id, "finalised", after={"status": "finalised"})
    checks = Invariants(ctx)
    assert _fig(checks, "finalisations early") == 1
    assert _fig(checks, "automatic finalisations not at exactly") == 0


def test_an_automatic_finalisation_at_tick_time_not_the_deadline_is_counted(ctx):
    audit = submitted_audit(ctx)
    ctx.clock.set(_deadline(audit) + timedelta(minutes=40))
    with ctx.tx() as tx:  # finalised when tick ran, not at the deadline
        audits.mark_finalised(tx, audit.audit_id, at=tx.at, by=SYSTEM)
    checks = Invariants(ctx)
    assert _fig(checks, "finalisations early") == 0
    assert _fig(checks, "automatic finalisations not at exactly") == 1


def test_an_automatic_finalisation_over_an_open_query_is_counted(ctx):
    audit = submitted_audit(ctx)
    add_comment(as_user(ctx, "w1"), audit.audit_id, "Please look again.", query=True)
    ctx.clock.set(_deadline(audit) + timedelta(minutes=5))
    with ctx.tx() as tx:
        audits.mark_finalised(tx, audit.audit_id, at=iso(_deadline(audit)), by=SYSTEM)
    assert _fig(Invariants(ctx), "automatic finalisations over an open") == 1


def test_a_late_resolution_finalised_automatically_is_counted_twice_over(ctx):
    audit = submitted_audit(ctx)
    query = add_comment(as_user(ctx, "w1"), audit.audit_id, "Please look again.", query=True)
    ctx.clock.set(_deadline(audit) + timedelta(hours=3))
    resolve_comment(as_user(ctx, "aud1"), query.comment_id, "It stands.")  # the trail: 'by the auditor'
    with ctx.tx() as tx:
        audits.mark_finalised(tx, audit.audit_id, at=iso(_deadline(audit)), by=SYSTEM)
    checks = Invariants(ctx)
    assert _fig(checks, "automatic finalisations over an open") == 1
    assert _fig(checks, "finalisations not by whom") == 1


def test_a_manual_finalisation_without_a_late_resolution_is_counted(ctx):
    audit = submitted_audit(ctx)
    ctx.clock.set(_deadline(audit) + timedelta(hours=2))
    with ctx.tx() as tx:
        audits.mark_finalised(tx, audit.audit_id, at=tx.at, by="aud1")
    checks = Invariants(ctx)
    assert _fig(checks, "manual finalisations not after") == 1
    assert _fig(checks, "manual finalisations (by the auditor") == 1


def test_an_audit_left_submitted_past_its_window_by_a_tick_is_counted(ctx):
    audit = submitted_audit(ctx)
    checks = Invariants(ctx)
    ctx.clock.set(_deadline(audit) + timedelta(seconds=1))
    checks.after_tick(ctx.now())  # as if a tick ran and did not finalise it
    assert _fig(checks, "audits past their window") == 1


def test_a_comment_taken_after_the_window_is_counted(ctx):
    audit = submitted_audit(ctx)
    ctx.clock.set(_deadline(audit))
    with ctx.tx() as tx:  # the refusal skipped: stored straight through the store
        comments.insert(tx, audit_id=audit.audit_id, author="w1", text="Late.", is_query=False)
    assert _fig(Invariants(ctx), "comments taken outside the window") == 1


def test_a_comment_after_the_window_while_a_query_holds_it_is_allowed(ctx):
    audit = submitted_audit(ctx)
    add_comment(as_user(ctx, "w1"), audit.audit_id, "Please look again.", query=True)
    ctx.clock.set(_deadline(audit) + timedelta(hours=1))
    add_comment(as_user(ctx, "m1"), audit.audit_id, "I agree with the worker.")
    assert _fig(Invariants(ctx), "comments taken outside the window") == 0


def test_an_escalation_left_with_the_manager_is_counted_when_referral_is_off(ctx):
    """Tick run with auto-referral off, the checker expecting referral: it reports it
    (flagged overdue, so that figure stays 0)."""
    audit = submitted_audit(ctx)
    esc = escalate(as_user(ctx, "aud1"), audit.audit_id, "Concern.", phoned="reached")
    checks = Invariants(ctx)
    off = as_user(ctx, SYSTEM)
    off.settings = ctx.settings.model_copy(deep=True)
    off.settings.workflow.auto_refer_head_of_service = False
    ctx.clock.set(from_iso(esc.respond_by) + timedelta(minutes=3))
    run_scheduler(off, deliver=False)
    checks.after_tick(ctx.now())
    assert _fig(checks, "escalations past respond-by not referred") == 1
    assert _fig(checks, "escalations past respond-by not flagged") == 0


def test_a_respond_by_not_one_working_day_on_is_counted(ctx):
    """Thursday 7 May 2020 16:30 BST: one working day on is Monday 11 May 16:30 (Friday 8
    May was a bank holiday). A respond-by of Friday 16:30 is counted, and so is one at
    another clock time; the default one is not."""
    ctx.clock.set(datetime(2020, 5, 7, 15, 30, tzinfo=UTC))
    audit = submitted_audit(ctx)
    aud = as_user(ctx, "aud1")
    right = escalate(aud, audit.audit_id, "Concern.")
    assert right.respond_by == "2020-05-11T15:30:00Z"
    escalate(aud, audit.audit_id, "Concern.", respond_by="2020-05-08T16:30")
    escalate(aud, audit.audit_id, "Concern.", respond_by="2020-05-11T17:30")
    assert _fig(Invariants(ctx), "respond-by times not") == 2
    assert _fig(Invariants(ctx, default_respond_by=False), "respond-by times not") == 0


def test_an_escalation_not_flagged_overdue_by_a_tick_is_counted(ctx):
    audit = submitted_audit(ctx)
    esc = escalate(as_user(ctx, "aud1"), audit.audit_id, "Concern.", to_hos=True)
    checks = Invariants(ctx)
    ctx.clock.set(from_iso(esc.respond_by) + timedelta(milliseconds=300))
    checks.after_tick(ctx.now())  # no tick: the Head of Service's respond-by passed unflagged
    assert _fig(checks, "escalations past respond-by not flagged") == 1
    assert _fig(checks, "escalations past respond-by not referred") == 0  # level 2 already


def test_a_review_due_not_flagged_is_counted(ctx):
    submitted_audit(ctx)
    checks = Invariants(ctx)
    ctx.clock.advance(days=14, seconds=1)
    checks.after_tick(ctx.now())  # no tick ran flag_reviews_due
    assert _fig(checks, "reviews due not surfaced") == 1


def test_a_review_due_flagged_without_alerting_the_pdt_is_counted(ctx):
    audit = submitted_audit(ctx)
    checks = Invariants(ctx)
    ctx.clock.advance(days=14, seconds=1)
    with ctx.tx() as tx:  # the flag without its outbox rows
        tx.event("audit", audit.audit_id, "review_due", after={"open_actions": 2}, actor=SYSTEM)
    checks.after_tick(ctx.now())
    assert _fig(checks, "reviews due not surfaced") == 1


def test_a_review_due_flagged_by_tick_is_not_counted(ctx):
    submitted_audit(ctx)
    checks = Invariants(ctx)
    ctx.clock.advance(days=14, seconds=1)
    run_scheduler(as_user(ctx, SYSTEM), deliver=False)
    checks.after_tick(ctx.now())
    assert _fig(checks, "reviews due not surfaced") == 0


def test_the_same_message_under_another_key_is_counted(ctx):
    audit = submitted_audit(ctx)
    with ctx.tx() as tx:  # audit_submitted to the worker again, under a key that differs
        tx.outbox("w1", "audit_submitted", {"audit_id": audit.audit_id}, f"audit:{audit.audit_id}:submitted:w1:again",
                  recipient_role="worker", entity="audit", entity_id=audit.audit_id)
    checks = Invariants(ctx)
    assert _fig(checks, "notifications queued twice (same message") == 1
    assert _fig(checks, "notifications queued twice (same idempotency key)") == 0


def test_a_repeated_idempotency_key_is_counted(tmp_path, clock):
    """The database refuses a repeated key; on a scratch copy of the outbox without that
    constraint, the checker is what notices."""
    from core.config import Settings
    from core.context import Context

    store = Store.open(tmp_path / "scratch.db")
    try:
        ctx = Context(store=store, clock=clock, settings=Settings(), user="admin1", os_login="tester")
        submitted_audit(ctx)
        db = store.db.conn
        db.executescript("""
            CREATE TABLE outbox_copy AS SELECT * FROM outbox;
            DROP TABLE outbox;
            ALTER TABLE outbox_copy RENAME TO outbox;
            INSERT INTO outbox SELECT outbox_id + 100, created_at, recipient, recipient_role, template,
                   payload, entity, entity_id, idempotency_key, status, attempts, next_attempt_at,
                   last_error, sent_at FROM outbox;
        """)
        checks = Invariants(ctx)
        assert _fig(checks, "notifications queued twice (same idempotency key)") == 2
        assert _fig(checks, "notifications queued twice (same message") == 2
    finally:
        store.close()


def _reports_ctx(ctx):
    add_people(ctx, [{"login": "smt1", "roles": ["smt"]}, {"login": "dir1", "roles": ["director"]}])
    audit = submitted_audit(ctx)  # the database's first use
    return audit


def test_a_slot_missed_while_tick_ran_is_counted_and_a_sent_one_is_not(ctx):
    _reports_ctx(ctx)  # Mon 27 Apr 2020 09:00 UTC; the next SMT slot is Tue 28 Apr 08:00 BST
    checks = Invariants(ctx)
    off = as_user(ctx, SYSTEM)
    off.settings = ctx.settings.model_copy(deep=True)
    off.settings.reports.scheduled = False
    ctx.clock.set(datetime(2020, 4, 28, 7, 30, tzinfo=UTC))
    run_scheduler(off, deliver=False)  # in the slot's time, with scheduling off
    checks.after_tick(ctx.now())
    assert _fig(checks, "report slots missed") == 1
    ctx.clock.set(datetime(2020, 4, 30, 7, 5, tzinfo=UTC))  # Thursday's slot, sent
    run_scheduler(as_user(ctx, SYSTEM), deliver=False)
    checks.after_tick(ctx.now())
    assert _fig(checks, "report slots missed") == 1
    assert _fig(checks, "scheduled report slots sent") == 1
    assert _fig(checks, "report slots sent more than once") == 0
    assert _fig(checks, "reports sent outside their slot") == 0


def test_a_slot_stored_twice_under_another_spelling_is_counted(ctx):
    _reports_ctx(ctx)
    checks = Invariants(ctx)
    ctx.clock.set(datetime(2020, 4, 28, 7, 30, tzinfo=UTC))
    run_scheduler(as_user(ctx, SYSTEM), deliver=False)
    checks.after_tick(ctx.now())
    [row] = ctx.store.query("SELECT * FROM reports")
    with ctx.tx() as tx:  # the same slot again, its time written with an offset
        stored_reports.insert_report(tx, {**row, "slot": row["slot"].replace("Z", "+00:00"),
                                          "recipients": [], "renders": {}})
    assert _fig(checks, "report slots sent more than once") == 1


def test_a_report_for_the_wrong_period_is_counted(ctx):
    _reports_ctx(ctx)
    checks = Invariants(ctx)
    rs = ctx.settings.reports
    ctx.clock.set(datetime(2020, 4, 28, 7, 30, tzinfo=UTC))
    slot = latest_slot(rs, "smt", ctx.now())
    period = slot_period(rs, "smt", slot)
    with ctx.tx() as tx:  # a slot's report covering a day too many
        stored_reports.insert_report(tx, {
            "kind": "smt", "slot": iso(slot), "period_from": iso(period.start - timedelta(days=1)),
            "period_to": iso(period.end), "generated_at": tx.at, "generated_by": SYSTEM,
            "trigger": "schedule", "recipients": [], "content_hash": "x", "model": "{}", "renders": {}})
    checks.after_tick(ctx.now())
    assert _fig(checks, "reports sent outside their slot") == 1

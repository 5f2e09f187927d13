"""Email delivery through Apprise to a real SMTP server (aiosmtpd on 127.0.0.1)."""

from __future__ import annotations

import email
import email.policy
import socket
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from conftest import as_user
from factories import submitted_audit

from core.clock import iso
from core.comments import add_comment
from core.outbox import list_outbox
from notify.delivery import deliver_pending, send_test


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


class SmtpServer:
    def __init__(self, port: int):
        self.inbox = Inbox()
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=port)

    def __enter__(self):
        self.controller.start()
        return self.inbox

    def __exit__(self, *exc):
        self.controller.stop()


def body_of(msg) -> str:
    part = msg.get_body(preferencelist=("plain", "html"))
    return part.get_content()


@pytest.fixture
def port():
    return free_port()


@pytest.fixture
def mail_ctx(ctx, port):
    ctx.settings.notify.email_url = f"mailto://127.0.0.1:{port}?from=noreply@example.org"
    return ctx


def test_submission_alerts_reach_worker_and_manager_by_email(mail_ctx, port):
    submitted_audit(mail_ctx)  # queues audit_submitted for w1 and m1
    with SmtpServer(port) as inbox:
        counts = deliver_pending(mail_ctx)
    assert counts == {"delivered": 2, "failed": 0, "dead": 0}
    assert sorted(e.rcpt_tos[0] for e in inbox.envelopes) == ["m1@example.org", "w1@example.org"]
    msg = inbox.messages[0]
    assert msg["Subject"] == "QA audit of child C1 (A.E.): comments welcome until Thu 30 Apr 2020 10:00"
    text = body_of(msg)
    assert "Ann Auditor has completed a QA dip sample audit of child C1 (A.E.)" in text
    assert "within 72 hours" in text
    for m in inbox.messages:  # children are named by id and initials only
        assert "Alex" not in m["Subject"] and "Alex" not in body_of(m)
    assert {r.status for r in list_outbox(mail_ctx)} == {"sent"}
    assert deliver_pending(mail_ctx) == {"delivered": 0, "failed": 0, "dead": 0}


def test_full_names_when_the_council_turns_them_on(mail_ctx, port):
    mail_ctx.settings.notify.full_names = True
    audit = submitted_audit(mail_ctx)
    add_comment(as_user(mail_ctx, "m1"), audit.audit_id, "Query on partners", query=True)
    with SmtpServer(port) as inbox:
        deliver_pending(mail_ctx)
    by_rcpt = {e.rcpt_tos[0]: m for e, m in zip(inbox.envelopes, inbox.messages, strict=True)}
    alert = by_rcpt["aud1@example.org"]
    assert alert["Subject"] == "Query on QA audit 1 for child Alex Example (C1)"
    assert "Query on partners" in body_of(alert)


def test_failed_send_is_retried_with_backoff_and_delivered_once(mail_ctx, port):
    submitted_audit(mail_ctx)
    # nobody listening on the port: connection refused
    counts = deliver_pending(mail_ctx)
    assert counts == {"delivered": 0, "failed": 2, "dead": 0}
    rows = list_outbox(mail_ctx)
    assert {r.status for r in rows} == {"failed"}
    assert all(r.attempts == 1 for r in rows)
    assert {r.last_error for r in rows} == {'E-Mail: failure (Connection error while submitting email to "127.0.0.1")'}
    assert {r.next_attempt_at for r in rows} == {"2020-04-27T09:05:00Z"}  # retry_minutes later
    with SmtpServer(port) as inbox:
        assert deliver_pending(mail_ctx)["delivered"] == 0  # not due yet
        mail_ctx.clock.advance(minutes=5)
        assert deliver_pending(mail_ctx)["delivered"] == 2
        assert deliver_pending(mail_ctx)["delivered"] == 0
    assert len(inbox.messages) == 2  # never twice
    assert {(r.status, r.attempts) for r in list_outbox(mail_ctx)} == {("sent", 2)}


def test_backoff_doubles_then_gives_up(mail_ctx, port):
    mail_ctx.settings.notify.max_attempts = 3
    submitted_audit(mail_ctx)
    for gap in (5, 10):  # retry_minutes, then doubled
        deliver_pending(mail_ctx)
        row = list_outbox(mail_ctx)[0]
        assert row.status == "failed"
        assert row.next_attempt_at == iso(mail_ctx.now() + timedelta(minutes=gap))
        mail_ctx.clock.advance(minutes=gap)
    assert deliver_pending(mail_ctx)["dead"] == 2
    assert {r.status for r in list_outbox(mail_ctx)} == {"dead"}
    assert deliver_pending(mail_ctx) == {"delivered": 0, "failed": 0, "dead": 0}


def test_secrets_never_reach_the_stored_error(mail_ctx, port):
    mail_ctx.settings.notify.email_url = f"mailto://dipaudit:S3cretPass@127.0.0.1:{port}?from=noreply@example.org"
    submitted_audit(mail_ctx)
    deliver_pending(mail_ctx)
    for row in list_outbox(mail_ctx):
        assert row.status == "failed"
        assert "S3cretPass" not in row.last_error


def test_a_person_with_no_channel_fails_clearly(ctx):
    submitted_audit(ctx)  # no email_url configured, no Teams addresses
    deliver_pending(ctx)
    row = list_outbox(ctx)[0]
    assert row.status == "failed"
    assert row.last_error.startswith("no way to reach")


def test_send_test_message(mail_ctx, port):
    from factories import add_audit_people

    add_audit_people(mail_ctx)
    with SmtpServer(port) as inbox:
        result = send_test(mail_ctx, "pdt1")
    assert result["delivered"] is True and result["channels"] == ["email"]
    assert inbox.messages[0]["Subject"] == "dipaudit test message"


def test_a_council_template_overrides_the_packaged_one(mail_ctx, port):
    from factories import add_audit_people

    from core import locations

    add_audit_people(mail_ctx)
    own = locations.templates_dir() / "notify"
    own.mkdir(parents=True)
    (own / "test.j2").write_text("{{ council }}: hello {{ recipient.name }}\nFrom our own template.\n")
    with SmtpServer(port) as inbox:
        assert send_test(mail_ctx, "pdt1")["delivered"]
    assert inbox.messages[0]["Subject"] == "Example Council Children's Services: hello Pat Developer"
    assert body_of(inbox.messages[0]).strip() == "From our own template."
    (own / "test.j2").write_text("{% if %}\n")
    result = send_test(mail_ctx, "pdt1")
    assert not result["delivered"] and result["error"].startswith("template 'test.j2':")


def test_two_deliverers_at_once_never_send_a_message_twice(mail_ctx, port, db_path):
    import threading

    from core.context import Context
    from core.store import Store

    audit = submitted_audit(mail_ctx)
    for i in range(4):
        add_comment(as_user(mail_ctx, "w1"), audit.audit_id, f"comment {i}")
    totals, start = [], threading.Barrier(2)

    def run():
        store = Store.open(db_path)  # its own connection, as cron and a TUI would have
        try:
            ctx = Context(store=store, clock=mail_ctx.clock, settings=mail_ctx.settings, user="cron")
            start.wait()
            totals.append(deliver_pending(ctx)["delivered"])
        finally:
            store.close()

    with SmtpServer(port) as inbox:
        threads = [threading.Thread(target=run) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert sum(totals) == 6
    assert len(inbox.messages) == 6
    assert {r.attempts for r in list_outbox(mail_ctx)} == {1}

"""Reports delivered for real: the HTML email with its plain-text alternative and the CSV
attached, to an SMTP server (aiosmtpd); a headline card, and nothing more, to a Teams
Workflows endpoint over HTTPS."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest
import report_data as rd
from test_notify_email import SmtpServer, free_port
from test_notify_teams import Workflows

from core.outbox import list_outbox
from core.reports import queue_due_reports, show_stored
from notify.delivery import deliver_pending


@pytest.fixture
def queued(ctx):
    """The history, then Thursday's SMT slot queued by the scheduler to smt1 and smt2
    (Tuesday's went before it: Thursday's covers Tuesday 08:00 to Thursday 08:00)."""
    rd.build(ctx)
    ctx.settings.reports.scheduled = True
    ctx.clock.set(datetime(2020, 4, 28, 7, 5, tzinfo=UTC))
    queue_due_reports(ctx)
    with ctx.tx() as tx:  # only Thursday's report is under test here
        tx.execute("UPDATE outbox SET status = 'sent'")
    ctx.clock.set(datetime(2020, 4, 30, 7, 5, tzinfo=UTC))
    done = [d for d in queue_due_reports(ctx) if d.kind == "smt"]
    with ctx.tx() as tx:  # the weekly report is not under test here
        tx.execute("UPDATE outbox SET status = 'sent' WHERE template = 'report_weekly'")
    return done[0].report_id


def test_the_smt_report_arrives_as_html_email_with_the_csv_attached(ctx, queued):
    port = free_port()
    ctx.settings.notify.email_url = f"mailto://127.0.0.1:{port}?from=dipaudit@example.org"
    with SmtpServer(port) as inbox:
        assert deliver_pending(ctx) == {"delivered": 2, "failed": 0, "dead": 0}
    assert sorted(e.rcpt_tos[0] for e in inbox.envelopes) == ["smt1@example.org", "smt2@example.org"]
    msg = inbox.messages[0]
    assert msg["Subject"] == ("SMT report, Tue 28 Apr 2020 08:00 to Thu 30 Apr 2020 08:00: 3 audit(s),"
                              " 69% of standards met")
    assert msg.get_content_type() == "multipart/mixed"
    parts = [p.get_content_type() for p in msg.walk()]
    assert parts[:4] == ["multipart/mixed", "multipart/alternative", "text/plain", "text/html"]
    html = msg.get_body(preferencelist=("html",)).get_content()
    plain = msg.get_body(preferencelist=("plain",)).get_content()
    stored = show_stored(ctx, queued, "html")
    assert html.replace("\r\n", "\n").strip() == stored.strip()  # the report exactly as stored
    assert "<!DOCTYPE html>" in html and "Team A" in html and "Wendy Worker" in html
    assert "Team A" in plain and "Standards met" in plain and "<td" not in plain  # a readable alternative
    [attachment] = list(msg.iter_attachments())
    assert attachment.get_content_type() == "text/csv"
    assert attachment.get_filename() == "dipaudit-smt-report-2020-04-28.csv"
    content = attachment.get_content()
    text = content.decode("utf-8") if isinstance(content, bytes) else content
    assert text.replace("\r\n", "\n") == show_stored(ctx, queued, "csv").replace("\r\n", "\n")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["section", "team", "worker", "measure", "value", "n"]
    assert ["totals", "", "", "audits", "3", ""] in rows
    for m in inbox.messages:  # children by id and initials only, in every part
        raw = m.as_string()
        assert not any(name in raw for name in rd.NAMES.values())
    assert {r.status for r in list_outbox(ctx) if r.entity == "report"} == {"sent"}
    with SmtpServer(port) as again:
        deliver_pending(ctx)
    assert again.messages == []  # never twice


def test_teams_gets_the_headline_figures_only(ctx, queued):
    server = Workflows()
    try:
        with ctx.tx() as tx:
            tx.execute("UPDATE people SET teams_address = ? WHERE login IN ('smt1', 'smt2')", [server.url()])
        assert deliver_pending(ctx) == {"delivered": 2, "failed": 0, "dead": 0}
        assert len(server.posts) == 2
        card = json.dumps(server.posts[0]["json"]["attachments"][0]["content"], ensure_ascii=False)
        assert "SMT report, Tue 28 Apr 2020 08:00 to Thu 30 Apr 2020 08:00" in card
        assert "Audits completed: 3" in card and "Escalations open: 3, 1 overdue" in card
        assert "Actions open: 6, 2 overdue" in card
        # No tables, no teams or workers, no children, not even by id.
        for absent in ("Team A", "Team B", "Wendy", "Xena", "C1", "C2", "C5", "A.E.", "|", "<td", "<table"):
            assert absent not in card, absent
        assert not any(name in card for name in rd.NAMES.values())
        assert len(card) < 3000  # well within a card's limits
    finally:
        server.close()


def test_email_and_teams_together(ctx, queued):
    port = free_port()
    ctx.settings.notify.email_url = f"mailto://127.0.0.1:{port}?from=dipaudit@example.org"
    server = Workflows()
    try:
        with ctx.tx() as tx:
            tx.execute("UPDATE people SET teams_address = ? WHERE login = 'smt1'", [server.url()])
        with SmtpServer(port) as inbox:
            assert deliver_pending(ctx)["delivered"] == 2
        assert len(inbox.messages) == 2 and len(server.posts) == 1
        assert "Team A" not in json.dumps(server.posts[0]["json"])
    finally:
        server.close()


def test_a_failed_report_send_is_retried(ctx, queued):
    port = free_port()
    ctx.settings.notify.email_url = f"mailto://127.0.0.1:{port}?from=dipaudit@example.org"
    assert deliver_pending(ctx)["failed"] == 2  # nobody listening
    ctx.clock.advance(minutes=5)
    with SmtpServer(port) as inbox:
        assert deliver_pending(ctx)["delivered"] == 2
    assert len(inbox.messages) == 2

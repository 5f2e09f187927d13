"""The after-submission CLI, end to end on a real database file: comment, query, resolve,
escalate, respond, refer, close, tick, finalise, addendum, actions, outbox."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner
from conftest import REPO
from factories import full_audit_data, submitted_audit

from core.errors import PermissionDenied, StateError
from tui.cli import cli


@pytest.fixture
def audit(ctx):
    return submitted_audit(ctx, data=full_audit_data(due="2020-05-12"))


@pytest.fixture
def run(db_path):
    runner = CliRunner()

    def _run(user, *args, now="2020-04-27T10:00", ok=True):
        result = runner.invoke(cli, ["--db", str(db_path), "--user", user, "--now", now, *args])
        if ok:
            assert result.exit_code == 0, (result.output, result.exception)
        return result

    return _run


def _json(result):
    return json.loads(result.stdout)


def test_comment_query_resolve_and_list(run, audit):
    aid = str(audit.audit_id)
    noted = _json(run("w1", "comment", aid, "--text", "Thanks", "--json"))
    assert noted["author"] == "w1" and noted["status"] == "noted"
    query = _json(run("aud1", "comment", "add", aid, "--text", "Mgr by email: oversight 20/04",
                      "--query", "--on-behalf-of", "m1", "--json"))
    assert (query["author"], query["recorded_by"], query["status"]) == ("m1", "aud1", "open")
    out = run("aud1", "comment", "resolve", str(query["comment_id"]), "--text", "Checked: agreed")
    assert f"comment {query['comment_id']} resolved" in out.output
    listed = _json(run("aud1", "comments", aid, "--json"))
    assert [c["status"] for c in listed["comments"]] == ["noted", "resolved"]
    human = run("aud1", "comments", aid).output
    assert "Checked: agreed" in human


def test_refusals_surface_as_errors_and_write_nothing(run, audit, ctx):
    res = run("pdt1", "comment", str(audit.audit_id), "--text", "x", ok=False)
    assert isinstance(res.exception, PermissionDenied)
    res = run("w1", "action", "review", "1", "--outcome", "completed", ok=False)
    assert isinstance(res.exception, PermissionDenied)
    res = run("aud1", "audit", "finalise", str(audit.audit_id), ok=False)
    assert isinstance(res.exception, StateError)
    assert ctx.store.scalar("SELECT COUNT(*) FROM comments") == 0


def test_the_real_command_prints_one_line_and_exits_non_zero(audit, db_path):
    proc = subprocess.run(
        [sys.executable, "-c", "from tui.cli import main; main()", "--db", str(db_path), "--user", "w1",
         "--now", "2020-04-27T10:00", "escalate", str(audit.audit_id), "--concern", "x", "--json"],
        cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 3
    assert proc.stdout == ""
    assert proc.stderr.strip() == "w1 may not raise an escalation: needs the auditor role"


def test_escalation_life_by_cli(run, audit):
    esc = _json(run("aud1", "escalate", str(audit.audit_id), "--concern", "Unexplained bruising",
                    "--phoned", "no-answer", "--json"))
    eid = str(esc["escalation_id"])
    assert (esc["level"], esc["recipient"], esc["respond_by"]) == ("manager", "m1", "2020-04-28T09:00:00Z")
    listed = _json(run("aud1", "escalations", "--json"))
    assert [(e["escalation_id"], e["level"], e["status"], e["overdue"]) for e in listed] == [
        (esc["escalation_id"], "manager", "open", False)]
    run("m1", "escalation", "respond", eid, "--text", "Visit booked for tomorrow")
    referred = _json(run("aud1", "escalation", "hos", eid, "--reason", "not soon enough", "--json"))
    assert (referred["level"], referred["recipient"]) == ("head_of_service", "hos1")
    run("aud1", "escalation", "close", eid, "--outcome", "Child seen same day; strategy meeting held")
    shown = _json(run("aud1", "escalation", "show", eid, "--json"))
    assert [s["kind"] for s in shown["steps"]] == [
        "raised", "phoned", "emailed", "responded", "referred", "emailed", "closed"]
    assert "closed" in run("aud1", "escalation", "show", eid).output
    assert _json(run("aud1", "escalations", "--json")) == []
    assert len(_json(run("aud1", "escalations", "--all", "--json"))) == 1


def test_tick_finalises_and_the_auditor_adds_an_addendum(run, audit):
    quiet = _json(run("cron", "tick", "--json", "--no-send", now="2020-04-30T09:59"))  # 71:59 in London time
    assert quiet["finalised"] == [] and quiet["delivered"] == 0
    done = _json(run("cron", "tick", "--json", "--no-send", now="2020-04-30T10:00"))
    assert done["finalised"] == [audit.audit_id]
    assert set(done) >= {"finalised", "reviews_due", "reminders", "escalations_overdue", "referred",
                         "delivered", "failed"}
    again = _json(run("cron", "tick", "--json", "--no-send", now="2020-04-30T10:00"))
    assert again["finalised"] == []
    add = _json(run("aud1", "audit", "addendum", str(audit.audit_id), "--text", "Typo in overview", "--json"))
    assert add["audit_id"] == audit.audit_id
    assert "Typo in overview" in run("aud1", "comments", str(audit.audit_id)).output


def test_actions_and_pdt_review_by_cli(run, audit):
    rows = _json(run("pdt1", "actions", "--json"))
    assert [r["owner"] for r in rows] == ["w1", "m1"]
    assert run("pdt1", "actions", "--due", "--json").stdout.strip() == "[]"
    due = _json(run("pdt1", "actions", "--due", "--json", now="2020-05-11T10:00"))
    assert len(due) == 2 and all(r["review_is_due"] for r in due)
    aid = str(rows[0]["action_id"])
    out = run("pdt1", "action", "review", aid, "--outcome", "not_completed", "--new-due", "2020-05-26",
              now="2020-05-11T10:00")
    assert "now due 2020-05-26" in out.output
    res = run("pdt1", "action", "review", str(rows[1]["action_id"]), "--outcome", "not_completed",
              now="2020-05-11T10:00", ok=False)
    assert "needs a new due date" in str(res.exception)
    assert "REVIEW" in run("pdt1", "actions", now="2020-05-11T10:00").output


def test_tick_sends_the_outbox_to_a_real_mail_server(run, audit, monkeypatch):
    from test_notify_email import SmtpServer, free_port

    port = free_port()
    monkeypatch.setenv("DIPAUDIT_NOTIFY__EMAIL_URL", f"mailto://127.0.0.1:{port}?from=noreply@example.org")
    failed = _json(run("cron", "tick", "--json"))  # the server is not up yet
    assert (failed["delivered"], failed["failed"]) == (0, 2)
    outbox = _json(run("admin1", "notify", "outbox", "--status", "failed", "--json"))
    assert {r["template"] for r in outbox} == {"audit_submitted"}
    with SmtpServer(port) as inbox:
        early = _json(run("cron", "tick", "--json", now="2020-04-27T10:01"))
        assert early["delivered"] == 0  # backing off
        later = _json(run("cron", "tick", "--json", now="2020-04-27T10:06"))
        assert later["delivered"] == 2
        assert _json(run("cron", "tick", "--json", now="2020-04-27T10:30"))["delivered"] == 0
        test = run("admin1", "notify", "test", "pdt1")
        assert "test message delivered to pdt1 (email)" in test.output
    assert len(inbox.messages) == 3


def test_notify_flush_retries_failed_rows_at_once(run, audit, monkeypatch):
    from test_notify_email import SmtpServer, free_port

    port = free_port()
    monkeypatch.setenv("DIPAUDIT_NOTIFY__EMAIL_URL", f"mailto://127.0.0.1:{port}?from=noreply@example.org")
    run("cron", "tick", "--json")
    with SmtpServer(port) as inbox:
        flushed = _json(run("admin1", "notify", "flush", "--json"))
    assert flushed == {"delivered": 2, "failed": 0, "dead": 0}
    assert len(inbox.messages) == 2


def test_notify_test_that_reaches_nobody_exits_non_zero_with_or_without_json(run, audit):
    res = run("admin1", "notify", "test", "pdt1", "--json", ok=False)
    assert res.exit_code == 1
    assert _json(res)["delivered"] is False
    res = run("admin1", "notify", "test", "pdt1", ok=False)
    assert res.exit_code == 1 and "test message to pdt1 not delivered" in str(res.exception)


@pytest.mark.parametrize("args", [
    ("escalation", "show", "99999999999999999999"),
    ("action", "review", "99999999999999999999", "--outcome", "completed"),
    ("notify", "outbox", "--limit", "99999999999999999999"),
    ("log", "--limit", "99999999999999999999"),
    ("sample", "--seed", "99999999999999999999"),
])
def test_a_number_too_large_for_sqlite_is_a_usage_error_not_a_traceback(run, audit, args):
    res = run("aud1", *args, ok=False)
    assert res.exit_code == 2 and "is too large" in res.output

"""One whole audit life, as its users live it: the CLI (with --now to move the clock)
for the steps that happen elsewhere, and the real TUI in tmux for the auditor's and
PDT's screens: comment review, escalation tracker, action review."""

from __future__ import annotations

import json
import subprocess
from datetime import date

import pytest
from factories import add_audit_people, add_child, full_audit_data
from tmux_driver import DIPAUDIT, Tmux, eventually, requires_tmux

pytestmark = [pytest.mark.tmux, requires_tmux]


def run(db, user: str, now: str, *args: str, env: dict | None = None) -> dict | list | str:
    """One CLI command; JSON when it was asked for. Fails the test on a non-zero exit."""
    out = subprocess.run([str(DIPAUDIT), "--db", str(db), "--user", user, "--now", now, *args],
                         capture_output=True, text=True, env=env)
    assert out.returncode == 0, f"{args}: {out.stderr}"
    return json.loads(out.stdout) if "--json" in args else out.stdout


def test_whole_audit_life(ctx, db_path, tmp_path):
    add_audit_people(ctx)  # aud1, w1 supervised by m1, hos1, pdt1
    add_child(ctx, "C1", name="Alex Example")
    fill = tmp_path / "audit.json"
    fill.write_text(json.dumps(full_audit_data(date(2020, 4, 27))))
    db = db_path

    # Monday 27 April (BST): the auditor starts, fills and submits by the CLI.
    audit_id = run(db, "aud1", "2020-04-27T10:00", "audit", "start", "C1", "--json")["audit_id"]
    run(db, "aud1", "2020-04-27T10:00", "audit", "fill", str(audit_id), "--from", str(fill))
    run(db, "aud1", "2020-04-27T10:00", "audit", "submit", str(audit_id))
    # The worker comments; the manager raises a query.
    run(db, "w1", "2020-04-27T12:00", "comment", str(audit_id), "--text", "Thanks, agreed")
    query_id = run(db, "m1", "2020-04-27T13:00", "comment", str(audit_id), "--text",
                   "Partner agencies are in the strategy minutes", "--query", "--json")["comment_id"]

    # The auditor resolves the query in the comment review screen.
    with Tmux.dipaudit(db, user="aud1", now="2020-04-27T14:00") as term:
        term.wait_for("Sample queue")
        term.press("F3")
        screen = term.wait_for("1 open")
        assert "Thu 30 Apr 10:00" in screen  # the window closes 72 h after submission, London time
        assert "QUERY open" in screen
        term.press("r")
        term.wait_for(f"Resolve query {query_id}")
        term.type("Rating changed to met; minutes attached")
        term.press("Enter")
        # Wait on the database, not the toast: a toast can come and go between two captures.
        assert eventually(lambda: ctx.store.scalar(
            "SELECT status FROM comments WHERE comment_id=?", [query_id]) == "resolved")
        term.press("q")
    row = ctx.store.one("SELECT status, resolved_by FROM comments WHERE comment_id=?", [query_id])
    assert row == {"status": "resolved", "resolved_by": "aud1"}
    assert ctx.store.scalar("SELECT status FROM audits WHERE audit_id=?", [audit_id]) == "submitted"

    # Thursday 30 April 10:00, exactly 72 hours on: the scheduler finalises it.
    done = run(db, "admin1", "2020-04-30T10:00", "tick", "--json")
    assert audit_id in done["finalised"]
    assert ctx.store.one("SELECT status, finalised_at, finalised_by FROM audits WHERE audit_id=?",
                         [audit_id]) == {"status": "finalised", "finalised_at": "2020-04-30T09:00:00Z",
                                         "finalised_by": "system"}
    assert run(db, "admin1", "2020-04-30T10:00", "tick", "--json")["finalised"] == []  # twice: nothing

    # A concern: the auditor escalates; the phone call to the manager gets no answer.
    esc = run(db, "aud1", "2020-04-30T11:00", "escalate", str(audit_id), "--concern",
              "Bruising seen on a video call", "--phoned", "no-answer", "--json")
    escalation_id = esc["escalation_id"]

    # Friday 1 May 12:00: no response; the auditor refers it to the Head of Service by keys.
    # (Automatic referral off for this session, so the referral on screen is the auditor's.)
    with Tmux.dipaudit(db, user="aud1", now="2020-05-01T12:00",
                       env={"DIPAUDIT_WORKFLOW__AUTO_REFER_HEAD_OF_SERVICE": "false"}) as term:
        term.wait_for("Sample queue")
        term.press("F4")
        screen = term.wait_for("overdue 1h 00m")
        assert "Bruising seen on a video call" in screen
        term.press("h")
        term.wait_for(f"Refer escalation {escalation_id} to the Head of Service now?")
        term.press("y")
        screen = term.wait_for("Referred to Head of Service")
        assert "Head of Service" in screen
        term.press("q")
    assert ctx.store.one("SELECT level, recipient FROM escalations WHERE escalation_id=?",
                         [escalation_id]) == {"level": "head_of_service", "recipient": "hos1"}
    assert ctx.store.scalar("SELECT by FROM escalation_steps WHERE escalation_id=? AND kind='referred'",
                            [escalation_id]) == "aud1"

    # Two weeks after submission: PDT reviews the first action by keys.
    first_action = ctx.store.scalar("SELECT MIN(action_id) FROM actions WHERE audit_id=?", [audit_id])
    with Tmux.dipaudit(db, user="pdt1", now="2020-05-12T10:00") as term:
        term.wait_for("Sample queue")
        term.press("F5")
        term.wait_for("review due")
        term.press("c")
        term.wait_for("Note (optional")
        term.type("Notes re-recorded as virtual contacts")
        term.press("Enter")
        assert eventually(lambda: ctx.store.scalar(
            "SELECT COUNT(*) FROM action_reviews WHERE action_id=?", [first_action]) == 1)
        term.press("q")
    assert ctx.store.one("SELECT by, outcome, note FROM action_reviews WHERE action_id=?", [first_action]) == {
        "by": "pdt1", "outcome": "completed", "note": "Notes re-recorded as virtual contacts"}
    trail = {r["action"] for r in ctx.store.query("SELECT action FROM events")}
    assert {"submitted", "query_raised", "resolved", "finalised", "referred", "reviewed"} <= trail

"""The checklist in a real terminal (tmux, 80x24), as an auditor over SSH would use it:
open the child from the queue, rate a standard, type evidence, see the case-note preview,
and find the draft in the database without ever pressing save."""

from __future__ import annotations

import os
import re
import uuid

import pytest
from tmux_driver import DEADLINE, Tmux, eventually, requires_tmux
from tui_helpers import seed_queue, tui_ctx  # noqa: F401

from tui.app import HANGUP_GRACE_SECONDS

pytestmark = [pytest.mark.tmux, requires_tmux]


def test_auditor_rates_types_and_previews_in_tmux(tui_ctx, db_path):
    seed_queue(tui_ctx)
    with Tmux.dipaudit(db_path, user="auditor1", now="2020-04-27T10:00", size=(80, 24)) as term:
        term.wait_for("Sample queue")
        term.wait_for("C001")
        term.press("Enter")  # the first item: starts the audit and opens the checklist
        term.wait_for("Audit checklist")
        term.wait_for("saved 10:00:00")
        term.press("m")
        term.wait_for(re.compile(r"^Met\s+A COVID-19 case note", re.M))
        term.press("Up", "e")  # back to the standard just rated (rating moves on), edit its evidence
        term.type("Seen alone on a video call")
        term.wait_for("Seen alone on a video call")  # in the editor, whose footer has no rating keys
        term.press("Escape")
        # An Escape with a letter close behind reads as alt+letter in a terminal: wait for the
        # list to have focus again (its rating keys are back in the footer).
        term.wait_for("Accept suggestion")
        term.press("v")
        screen = term.wait_for("Evidence: Seen alone on a video call")
        assert "Rating: Met" in screen and "QA Audit" in screen

        def saved():
            return tui_ctx.store.one(
                "SELECT r.rating, r.evidence FROM ratings r JOIN audits a USING (audit_id)"
                " WHERE a.child_id = 'C001' AND r.standard_id = 'covid_note'"
                " AND r.evidence = 'Seen alone on a video call'")

        assert eventually(saved) == {"rating": "met", "evidence": "Seen alone on a video call"}
        term.press("Escape")  # from the preview back home to the standards list...
        term.wait_for("Accept suggestion")
        term.press("Escape")  # ...and out to the queue
        term.wait_for("Sample queue")
        term.press("q")
        eventually(lambda: not term.alive())
        assert not term.alive()


def test_killed_terminal_keeps_the_draft(tui_ctx, db_path):
    """The SSH session drops mid-edit (the terminal is killed, no clean exit): reopening
    the child from the queue resumes the draft with what was typed."""
    seed_queue(tui_ctx)
    with Tmux.dipaudit(db_path, user="auditor1", now="2020-04-27T10:00", size=(80, 24)) as term:
        term.wait_for("C001")
        term.press("Enter")
        term.wait_for("saved 10:00:00")
        term.press("o")
        term.type("Typed just before the line dropped")
        term.wait_for("Typed just before the line dropped")

        def saved():
            return tui_ctx.store.scalar("SELECT overview FROM audits WHERE child_id = 'C001'")

        assert eventually(lambda: saved() == "Typed just before the line dropped")
        term.kill()  # no escape, no quit
    with Tmux.dipaudit(db_path, user="auditor1", now="2020-04-27T10:05", size=(80, 24)) as term:
        term.wait_for("C001")
        term.press("Enter")
        term.wait_for("saved 10:00:00")
        term.press("o")
        term.wait_for("Typed just before the line dropped")


@requires_tmux
def test_hangup_straight_after_typing_still_saves(tui_ctx, db_path):
    """The SSH line drops within the autosave delay (tmux kill-session sends SIGHUP):
    the app closes properly on SIGHUP and the checklist writes what was typed."""
    seed_queue(tui_ctx)
    with Tmux.dipaudit(db_path, user="auditor1", now="2020-04-27T10:00", size=(80, 24)) as term:
        term.wait_for("C001")
        term.press("Enter")
        term.wait_for("saved 10:00:00")
        term.press("o")
        term.type("Lost line")
        term.wait_for("Lost line")
        pid = term.pid()
        term.kill()  # at once: well inside the one-second autosave delay

    def saved():
        return tui_ctx.store.scalar("SELECT overview FROM audits WHERE child_id = 'C001'")

    assert eventually(lambda: saved() == "Lost line")
    # And the program is gone: never left asleep with the database open once its terminal is.
    assert eventually(lambda: not running(pid), timeout=HANGUP_GRACE_SECONDS + 5 + DEADLINE)



@requires_tmux
def test_tmux_kill_server_saves_the_draft_and_ends_dipaudit(tui_ctx, db_path):
    """``tmux kill-server`` while the checklist is open (every session gone at once, as
    when a machine's tmux is restarted): what was typed is saved and no dipaudit process
    is left behind with the database open."""
    seed_queue(tui_ctx)
    socket = f"dipaudit-kill-{uuid.uuid4().hex[:8]}"  # its own server: the shared one serves other tests
    term = Tmux.dipaudit(db_path, user="auditor1", now="2020-04-27T10:00", size=(80, 24), socket=socket)
    with term:
        term.wait_for("C001")
        term.press("Enter")
        term.wait_for("saved 10:00:00")
        term.press("o")
        term.type("Typed before the server went")
        term.wait_for("Typed before the server went")
        pid = term.pid()
        term.kill_server()

    def saved():
        return tui_ctx.store.scalar("SELECT overview FROM audits WHERE child_id = 'C001'")

    assert eventually(lambda: saved() == "Typed before the server went")
    assert eventually(lambda: not running(pid), timeout=HANGUP_GRACE_SECONDS + 5 + DEADLINE)

def running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True

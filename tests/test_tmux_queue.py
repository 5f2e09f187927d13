"""The real dipaudit in a real terminal (tmux), driven by keys as an auditor would."""

from __future__ import annotations

import pytest
from tmux_driver import Tmux, requires_tmux
from tui_helpers import tui_ctx  # noqa: F401

pytestmark = [pytest.mark.tmux, requires_tmux]


def test_auditor_draws_a_sample_and_claims_a_child(tui_ctx, db_path):
    with Tmux.dipaudit(db_path, user="auditor1", now="2020-04-27T10:00") as term:
        term.wait_for("0 of 0 shown")  # the first start imports textual: the ceiling is generous
        term.press("d")
        term.wait_for("Team A")  # the form is up and its team list loaded
        # Children per worker has the focus, its value selected: type over it, then Tab
        # past tiers 1-3 and the team list to the seed, as fast as tmux sends keys.
        term.type("1")
        term.press("Tab", "Tab", "Tab", "Tab", "Tab")
        term.type("42")
        term.press("Enter")  # enter in a field draws
        screen = term.wait_for("Drew 6 children into the queue")
        assert "seed 42" in screen
        for child_id in ("C001", "C005", "C009", "C013", "C017", "C021"):  # each worker's tier-1 child
            assert child_id in screen
        assert "Every worker was filled." in screen

        term.press("Escape")
        term.wait_for("6 of 6 shown")
        screen = term.wait_for("Child protection plan")  # the detail pane follows the table
        assert "C001" in screen and "C021" in screen

        term.press("/")
        term.type("team b")  # typed straight after "/": lands in the filter, not on the table
        term.press("Enter")
        term.wait_for("2 of 6 shown")
        term.press("c")  # the first filtered row: C009, assigned to auditor1
        term.wait_for("1 claimed")
        row = tui_ctx.store.one("SELECT status, claimed_by FROM queue_items WHERE child_id = 'C009'")
        assert row == {"status": "claimed", "claimed_by": "auditor1"}

        term.press("q")
        term.wait_exit()

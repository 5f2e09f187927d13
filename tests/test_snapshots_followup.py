"""Snapshots of the three after-submission screens: fixed clock, deterministic data.

Baselines live in tests/__snapshots__/; after a deliberate change of appearance,
look at the new SVGs and accept them with ``pytest --snapshot-update``.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from conftest import as_user
from factories import submitted_audit
from tui_helpers import SIZE, SIZE_SMALL, freeze_header, make_app, settle

from core.comments import add_comment, resolve_comment
from core.escalation import escalate, refer_to_hos
from core.tick import tick


def followup_world(ctx) -> None:
    """Audit 1 (C1) submitted Mon 27 Apr, finalised, its actions' review due on 11 May.
    Audits 2 and 3 submitted Tue 12 May (a query open on 3, a resolved one on 2), two
    escalations (one 2h 20m overdue, one referred). The clock ends Wed 13 May 11:20 UTC."""
    submitted_audit(ctx, child_id="C1")
    ctx.clock.set(datetime(2020, 5, 12, 9, 0, tzinfo=UTC))
    tick(ctx)
    a2 = submitted_audit(ctx, child_id="C2", child_name="Blake Example").audit_id
    ctx.clock.advance(minutes=30)
    a3 = submitted_audit(ctx, child_id="C3", child_name="Casey Example").audit_id
    worker, manager, auditor = as_user(ctx, "w1"), as_user(ctx, "m1"), as_user(ctx, "aud1")
    q2 = add_comment(worker, a2, "Please check the virtual contact dates", query=True).comment_id
    resolve_comment(auditor, q2, "Dates corrected in the evidence")
    add_comment(manager, a2, "Agree with the overview")
    add_comment(auditor, a3, "The partner agencies were named in the strategy notes", query=True,
                on_behalf_of="m1")
    escalate(auditor, a2, "Bruising seen on a video call; no response from the school", phoned="no-answer",
             respond_by="2020-05-13T10:00")
    e2 = escalate(auditor, a3, "Parent refused the last two visits", phoned="reached").escalation_id
    refer_to_hos(auditor, e2, "Significant concern: refusal pattern")
    ctx.clock.set(datetime(2020, 5, 13, 11, 20, tzinfo=UTC))


def shot(mode_key: str):
    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press(mode_key)
        await freeze_header(pilot)

    return run_before


@pytest.mark.parametrize("size", [SIZE, SIZE_SMALL], ids=["120x40", "80x24"])
def test_comment_review(ctx, snap_compare, size):
    followup_world(ctx)
    assert snap_compare(make_app(as_user(ctx, "aud1")), terminal_size=size, run_before=shot("2"))


@pytest.mark.parametrize("size", [SIZE, SIZE_SMALL], ids=["120x40", "80x24"])
def test_escalation_tracker(ctx, snap_compare, size):
    followup_world(ctx)
    assert snap_compare(make_app(as_user(ctx, "aud1")), terminal_size=size, run_before=shot("3"))


@pytest.mark.parametrize("size", [SIZE, SIZE_SMALL], ids=["120x40", "80x24"])
def test_action_review(ctx, snap_compare, size):
    followup_world(ctx)
    assert snap_compare(make_app(as_user(ctx, "pdt1")), terminal_size=size, run_before=shot("4"))

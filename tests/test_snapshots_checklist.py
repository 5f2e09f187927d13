"""Snapshots of the audit checklist at 80x24 and 120x40: fixed clock, deterministic data.

The "saved HH:MM:SS" indicator shows the audit's stored ``updated_at``, which the
FixedClock makes constant. Baselines live in tests/__snapshots__/; after a deliberate
change of appearance, look at the new SVGs and accept them with ``pytest --snapshot-update``.
"""

from __future__ import annotations

import pytest
from factories import full_audit_data
from tui_helpers import SIZE, SIZE_SMALL, freeze_header, make_app, seed_queue, settle, tui_ctx  # noqa: F401

from core.audit import fill_audit, start_audit, submit_audit
from tui.screens.checklist import ChecklistScreen


def draft(ctx) -> int:
    """C001's audit with two standards rated, evidence on one, an overview and an action."""
    audit_id = start_audit(ctx, str(seed_queue(ctx)[0])).audit_id
    fill_audit(ctx, audit_id, {
        "ratings": {"covid_note": {"rating": "not_met", "evidence": "Only a COVID-19 note from 02/03/2020."},
                    "virtual_contact": {"rating": "met"}},
        "overview": "Oversight is current; the COVID-19 note predates virtual practice.",
        "actions": [{"owner_role": "worker", "description": "Add a COVID-19 case note", "due": "2020-05-12"}],
    })
    return audit_id


def opened(audit_id: int, *keys: str):
    async def run_before(pilot) -> None:
        await settle(pilot)
        pilot.app.push_screen(ChecklistScreen(audit_id))
        await settle(pilot)
        if keys:
            await pilot.press(*keys)
            await settle(pilot)
        await freeze_header(pilot)

    return run_before


@pytest.mark.parametrize("size", [SIZE_SMALL, SIZE], ids=["80x24", "120x40"])
def test_checklist_standards(snap_compare, tui_ctx, size):
    audit_id = draft(tui_ctx)
    assert snap_compare(make_app(tui_ctx), terminal_size=size, run_before=opened(audit_id))


def test_checklist_actions_80x24(snap_compare, tui_ctx):
    audit_id = draft(tui_ctx)
    assert snap_compare(make_app(tui_ctx), terminal_size=SIZE_SMALL, run_before=opened(audit_id, "r"))


def test_checklist_case_note_preview_120x40(snap_compare, tui_ctx):
    audit_id = draft(tui_ctx)
    assert snap_compare(make_app(tui_ctx), terminal_size=SIZE, run_before=opened(audit_id, "v"))


def test_checklist_submitted_read_only_80x24(snap_compare, tui_ctx):
    audit_id = start_audit(tui_ctx, str(seed_queue(tui_ctx)[0])).audit_id
    fill_audit(tui_ctx, audit_id, full_audit_data())
    submit_audit(tui_ctx, audit_id)
    assert snap_compare(make_app(tui_ctx), terminal_size=SIZE_SMALL, run_before=opened(audit_id))

"""How the report preview looks, at the smallest supported terminal and a common one,
over the hand-built history of tests/report_data.py (the clock fixed at rd.BUILT).

Update baselines deliberately: ``pytest tests/test_snapshots_reports.py --snapshot-update``.
"""

from __future__ import annotations

import pytest
import report_data as rd
from conftest import as_user
from tui_helpers import SIZE, SIZE_SMALL, freeze_header, make_app, settle

from core.reports import send_report


@pytest.fixture
def aud(ctx):
    rd.build(ctx)
    return as_user(ctx, "aud1")


def keys(*pressed: str):
    async def run_before(pilot):
        await settle(pilot)
        for key in ("5", *pressed):
            await pilot.press(key)
            await settle(pilot)
        await freeze_header(pilot)

    return run_before


def test_smt_report_80x24(snap_compare, aud):
    assert snap_compare(make_app(aud), terminal_size=SIZE_SMALL, run_before=keys())


def test_smt_report_slot_120x40(snap_compare, aud):
    assert snap_compare(make_app(aud), terminal_size=SIZE, run_before=keys("left_square_bracket"))


def test_weekly_trend_120x40(snap_compare, aud):
    assert snap_compare(make_app(aud), terminal_size=SIZE, run_before=keys("w", "end"))


def test_weekly_trend_80x24(snap_compare, aud):
    assert snap_compare(make_app(aud), terminal_size=SIZE_SMALL, run_before=keys("w", "end"))


def test_export_dialog_80x24(snap_compare, aud):
    assert snap_compare(make_app(aud), terminal_size=SIZE_SMALL, run_before=keys("e"))


def test_history_80x24(snap_compare, aud, ctx):
    send_report(as_user(ctx, "admin1"), "smt", rd.PERIOD)
    assert snap_compare(make_app(aud), terminal_size=SIZE_SMALL, run_before=keys("h"))

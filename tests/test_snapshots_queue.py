"""How the sample queue looks, at the smallest supported terminal and a common one.

Deterministic: seeded rows, a FixedClock, no tick timer, a fixed header, no cursor
blink. Update baselines deliberately: ``pytest tests/test_snapshots_queue.py --snapshot-update``.
"""

from __future__ import annotations

from textual.widgets import Input
from tui_helpers import SIZE, SIZE_SMALL, freeze_header, make_app, seed_queue, settle, tui_ctx  # noqa: F401


def queue_app(ctx):
    ids = seed_queue(ctx)
    from core.queue import claim

    claim(ctx, ids[0])  # one claimed row, so both states show
    return make_app(ctx)


def test_queue_120x40(snap_compare, tui_ctx):
    assert snap_compare(queue_app(tui_ctx), terminal_size=SIZE, run_before=freeze_header)


def test_queue_80x24(snap_compare, tui_ctx):
    assert snap_compare(queue_app(tui_ctx), terminal_size=SIZE_SMALL, run_before=freeze_header)


async def _draw_with_seed(pilot):
    await settle(pilot)
    await pilot.press("d")
    await settle(pilot)
    pilot.app.screen.query_one("#seed", Input).value = "42"
    await pilot.press("ctrl+s")
    await freeze_header(pilot)


def test_draw_result_120x40(snap_compare, tui_ctx):
    assert snap_compare(make_app(tui_ctx), terminal_size=SIZE, run_before=_draw_with_seed)


def test_draw_form_80x24(snap_compare, tui_ctx):
    async def open_form(pilot):
        await settle(pilot)
        await pilot.press("d")
        await freeze_header(pilot)

    assert snap_compare(make_app(tui_ctx), terminal_size=SIZE_SMALL, run_before=open_form)

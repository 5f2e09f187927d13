"""The app's scheduler banner: shown while no run has delivered the outbox (a live
database whose `dipaudit tick` has stopped, or never ran), gone after the next tick once
one has, never on a demo database (issue 9 item 7)."""

from __future__ import annotations

from conftest import as_user
from tui_helpers import SIZE, make_app, settle, tui_ctx  # noqa: F401

from core.demo import DEMO_USER, build_demo
from core.health import record_run
from tui.widgets.scheduler_banner import SchedulerBanner


def banner_text(app) -> str | None:
    """What the active screen's banner says, or None while it is hidden."""
    banner = app.screen.query_one(SchedulerBanner)
    return str(banner.render()) if banner.display else None


async def test_banner_until_a_delivering_run_then_gone_after_the_tick(tui_ctx):
    app = make_app(tui_ctx, scheduler_delivering=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert banner_text(app) == ("Alerts are not going out: the scheduler (dipaudit tick) has never"
                                    " delivered on this database")
        await pilot.press("2")  # every screen says it, not only the first
        await settle(pilot)
        assert banner_text(app).startswith("Alerts are not going out")
        record_run(tui_ctx, delivered=True)  # dipaudit tick ran (elsewhere, as the service account)
        app.run_tick()
        await settle(pilot)
        assert banner_text(app) is None
        await pilot.press("1")
        await settle(pilot)
        assert banner_text(app) is None
        tui_ctx.clock.advance(minutes=tui_ctx.settings.scheduler.stale_minutes + 1)
        app.run_tick()  # the TUI's own tick does not deliver: alerts stop going out again
        await settle(pilot)
        assert banner_text(app) == "Alerts are not going out: the scheduler last ran at Mon 27 Apr 2020 10:00"


async def test_demo_database_shows_no_banner(ctx):
    build_demo(ctx)
    app = make_app(as_user(ctx, DEMO_USER), scheduler_delivering=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.scheduler_health is not None and app.scheduler_health.demo
        assert banner_text(app) is None

"""The banner widget the app shows while the scheduler is stale (the app's wiring is the
lead's: it calls core.health.scheduler_health after each tick and passes it here)."""

from __future__ import annotations

from textual.app import App, ComposeResult

from core.health import scheduler_health
from notify.scheduler import run_scheduler
from tui.widgets.scheduler_banner import SchedulerBanner


class _BannerApp(App):
    def compose(self) -> ComposeResult:
        yield SchedulerBanner()


async def test_the_banner_shows_while_stale_and_hides_when_alerts_go_out(ctx, clock):
    app = _BannerApp()
    async with app.run_test(size=(80, 24)) as pilot:
        banner = app.query_one(SchedulerBanner)
        assert not banner.display  # nothing said before it is told
        banner.show_health(scheduler_health(ctx))  # never delivered
        await pilot.pause()
        assert banner.display and "Alerts are not going out" in str(banner.render())
        run_scheduler(ctx, deliver=True)
        banner.show_health(scheduler_health(ctx))
        await pilot.pause()
        assert not banner.display
        clock.advance(hours=1)
        banner.show_health(scheduler_health(ctx))
        await pilot.pause()
        assert banner.display
        assert str(banner.render()) == "Alerts are not going out: the scheduler last ran at Mon 27 Apr 2020 10:00"

"""What the peer screens share: a screen that shows data read from core."""

from __future__ import annotations

from textual.screen import Screen

from core.context import Context
from core.read_models import SchedulerHealth

from ..messages import DataChanged
from ..widgets.scheduler_banner import SchedulerBanner


class DataScreen(Screen):
    """A screen whose rows come from core. ``refresh_data()`` reads them again (in a
    worker, ``tui.workers.run_service``); the App posts ``DataChanged`` to the active
    screen after each scheduler tick, and this reads again then.

    It also carries the scheduler banner (hidden while alerts go out): the App shows
    what ``core.health.scheduler_health`` found through ``show_scheduler_health``."""

    def on_mount(self) -> None:
        self.mount(SchedulerBanner(), before=0)
        self._show_latest_health()

    def on_screen_resume(self) -> None:
        self._show_latest_health()

    def _show_latest_health(self) -> None:
        health = self.app.scheduler_health
        if health is not None:
            self.show_scheduler_health(health)

    def show_scheduler_health(self, health: SchedulerHealth) -> None:
        for banner in self.query(SchedulerBanner):
            banner.show_health(health)

    @property
    def ctx(self) -> Context:
        return self.app.ctx

    def refresh_data(self) -> None:
        raise NotImplementedError

    def on_data_changed(self, message: DataChanged) -> None:
        self.refresh_data()

"""``SchedulerBanner``: one line saying alerts are not going out, shown only while the
scheduler is stale (``core.health.scheduler_health``); hidden otherwise.

Use: yield ``SchedulerBanner()`` (e.g. docked at the top of the screen), then after each
of the app's ticks, from the tick's thread worker::

    health = scheduler_health(self.ctx)          # a few reads; never on the UI thread
    self.call_from_thread(banner.show_health, health)

and once on mount, the same way, so a stale scheduler is said from the first frame.
"""

from __future__ import annotations

from textual.widgets import Static

from core.models import SchedulerHealth


class SchedulerBanner(Static):
    DEFAULT_CSS = """
    SchedulerBanner {
        dock: top;
        height: 1;
        width: 100%;
        padding: 0 1;
        background: $error;
        color: $text;
        text-style: bold;
        display: none;
    }
    SchedulerBanner.-stale {
        display: block;
    }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__("", markup=False, **kwargs)
        self.health: SchedulerHealth | None = None

    def show_health(self, health: SchedulerHealth) -> None:
        """Show ``health.message`` while stale, hide the banner once alerts go out again."""
        self.health = health
        stale = bool(health.stale and health.message)
        self.update(health.message if stale else "")
        self.set_class(stale, "-stale")

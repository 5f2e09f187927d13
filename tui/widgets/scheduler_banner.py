"""``SchedulerBanner``: one line saying alerts are not going out, shown only while the
scheduler is stale (``core.health.scheduler_health``); hidden otherwise.

Every ``DataScreen`` (``tui/screens/base.py``) mounts one first, so it sits under the
Header (in the flow, not docked: a second top dock would cover the Header). The App reads
``scheduler_health`` in a worker once on mount and after each of its ticks
(``DipauditApp.check_scheduler``), and its ``SchedulerChecked`` handler passes the result
to the active screen's banner (``show_health``); a screen coming back shows the latest.
"""

from __future__ import annotations

from textual.widgets import Static

from core.read_models import SchedulerHealth


class SchedulerBanner(Static):
    DEFAULT_CSS = """
    SchedulerBanner {
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

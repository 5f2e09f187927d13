"""What the peer screens share: a screen that shows data read from core."""

from __future__ import annotations

from textual.screen import Screen

from core.context import Context

from ..messages import DataChanged


class DataScreen(Screen):
    """A screen whose rows come from core. ``refresh_data()`` reads them again (in a
    worker, ``tui.workers.run_service``); the App posts ``DataChanged`` to the active
    screen after each scheduler tick, and this reads again then."""

    @property
    def ctx(self) -> Context:
        return self.app.ctx

    def refresh_data(self) -> None:
        raise NotImplementedError

    def on_data_changed(self, message: DataChanged) -> None:
        self.refresh_data()

"""What the three after-submission screens (comments, escalations, actions) share.

Every core call runs in a thread worker; widgets are only touched back on the
main thread (``call_from_thread``). A refusal from core (``DipauditError``)
becomes a toast; anything unexpected does too, never a traceback. The app's
tick calls ``refresh_data()`` on the active screen.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual import work
from textual.widgets import DataTable
from textual.worker import get_current_worker

from core.errors import DipauditError

from .base import DataScreen

FOLLOWUP_CSS = "../followup.tcss"


class FollowupScreen(DataScreen):
    """A screen that loads its rows in a worker and changes things through core services."""

    CSS_PATH = FOLLOWUP_CSS

    @property
    def ctx(self):
        return self.app.ctx

    # -- loading -----------------------------------------------------------
    def on_mount(self) -> None:
        self.refresh_data()

    def on_screen_resume(self) -> None:
        # Coming back to this mode (or from a modal): show what changed meanwhile.
        if self.is_mounted:
            self.refresh_data()

    def refresh_data(self) -> None:
        """Re-read the screen's rows (called after every change and on the app's tick)."""
        self._load()

    @work(thread=True, exclusive=True, group="followup-load", exit_on_error=False)
    def _load(self) -> None:
        try:
            data = self.fetch()
        except Exception as exc:  # never a traceback on the auditor's screen
            self.app.call_from_thread(self.app.show_error, _message(exc), "Could not load")
            return
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self.show_data, data)

    def fetch(self) -> Any:
        """Read everything the screen shows (runs in a thread; no widgets here)."""
        raise NotImplementedError

    def show_data(self, data: Any) -> None:
        """Put fetched data on screen (main thread)."""
        raise NotImplementedError

    # -- changing ----------------------------------------------------------
    def change(self, done: str, service: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Call ``service(ctx, *args, **kwargs)`` in a worker; toast ``done`` and reload on success."""
        self._change(done, service, args, kwargs)

    @work(thread=True, exclusive=True, group="followup-change", exit_on_error=False)
    def _change(self, done: str, service: Callable[..., Any], args: tuple, kwargs: dict) -> None:
        try:
            service(self.ctx, *args, **kwargs)
        except Exception as exc:
            self.app.call_from_thread(self.app.show_error, _message(exc))
            return
        self.app.call_from_thread(self._changed, done)

    def _changed(self, done: str) -> None:
        self.notify(done, timeout=4)
        self.refresh_data()

    # -- helpers -------------------------------------------------------------
    def error_style(self) -> str:
        """The theme's $error colour, for cells that must stand out (overdue)."""
        return f"bold {self._theme_colour('error', 'red')}"

    def warning_style(self) -> str:
        return f"bold {self._theme_colour('warning', 'yellow')}"

    def _theme_colour(self, name: str, default: str) -> str:
        """A theme variable, read once per theme: ``get_css_variables`` takes about a
        millisecond, and a table of 5,000 rows asks for a colour on each."""
        key = (self.app.theme, name)
        colours = self.__dict__.setdefault("_theme_colours", {})
        if key not in colours:
            colours[key] = self.app.get_css_variables().get(name, default)
        return colours[key]

    def flagged(self, text: str, flag: bool, style: str | None = None) -> Text | str:
        return Text(text, style=style or self.error_style()) if flag else text


def selected_key(table: DataTable) -> str | None:
    """The row key under the cursor, or None for an empty table."""
    if table.row_count == 0:
        return None
    try:
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
    except Exception:
        return None


def refill(table: DataTable, rows: list[tuple[str, list]], keep: str | None) -> None:
    """Replace a table's rows, keeping the cursor on the same key when it is still there."""
    table.clear()
    if hasattr(table, "add_keyed_rows"):  # a PlainTable: every row in one pass
        table.add_keyed_rows(rows)
    else:
        for key, cells in rows:
            table.add_row(*cells, key=key)
    if keep is not None and rows:
        keys = [k for k, _ in rows]
        if keep in keys:
            table.move_cursor(row=keys.index(keep), animate=False)


def _message(exc: Exception) -> str:
    if isinstance(exc, DipauditError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"

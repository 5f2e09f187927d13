"""What the three after-submission screens (comments, escalations, actions) share.

Every core call runs in a thread worker (``tui.workers.run_service``) and comes back
as a message (``tui.messages``) whose handler changes the widgets; no worker touches
the screen. A failure goes to the App's one error path (a ``DipauditError`` a toast,
anything else the error modal). The app's tick posts ``DataChanged``: the screen reads
its rows again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual import on
from textual.message import Message
from textual.worker import Worker, WorkerState

from core.errors import DatabaseBusy

from ..messages import FollowupChanged, ServiceFailed
from ..widgets.row_table import RowTable
from ..workers import run_service
from .base import DataScreen

FOLLOWUP_CSS = "../followup.tcss"


class FollowupScreen(DataScreen):
    """A screen that loads its rows in a worker and changes things through core services.
    A subclass's ``refresh_data()`` asks for its rows (``run_service(..., request="load")``)
    and handles the message they come back in."""

    CSS_PATH = FOLLOWUP_CSS

    # -- loading -----------------------------------------------------------
    _loading = False  # a read of the rows is under way
    _load_next: tuple | None = None  # the read asked for meanwhile, made once that one is back
    _change_again: Callable[[], None] | None = None  # the prompt of the change under way, to ask again

    def on_mount(self) -> None:
        self.refresh_data()

    def on_screen_resume(self) -> None:
        # Coming back to this mode (or from a modal): show what changed meanwhile. Not
        # while a read is under way: it began moments ago (on the first show Textual
        # resumes the screen twice just after mounting it), and each read of thousands
        # of rows would share the interpreter with the others.
        if self.is_mounted and not self._loading:
            self.refresh_data()

    def load(self, reader: Callable[..., Message], *args: Any) -> None:
        """Read the screen's rows in a worker: ``reader(ctx, *args)`` (a function of the
        screen's module, a few core reads) returns the message that brings them back. One
        read at a time: one asked for while another is under way (a tick's ``DataChanged``,
        a toggle) is made once that one is back, the latest asked for only."""
        if self._loading:
            self._load_next = (reader, args)
            return
        self._loading = True
        run_service(self, reader, *args, request="load", title="Could not load", done=_posted)

    @on(Worker.StateChanged)
    def _read_done(self, event: Worker.StateChanged) -> None:
        # Not stopped: the App reports a worker that failed.
        if event.worker.group != "load" or event.state not in (WorkerState.SUCCESS, WorkerState.ERROR,
                                                                 WorkerState.CANCELLED):
            return
        self._loading = False
        if self._load_next is not None:
            (reader, args), self._load_next = self._load_next, None
            self.load(reader, *args)

    # -- changing ----------------------------------------------------------
    def change(self, done: str, service: Callable[..., Any], *args: Any, again: Callable[[], None] | None = None,
               **kwargs: Any) -> None:
        """Call ``service(ctx, *args, **kwargs)`` in a worker; toast ``done`` and reload on success.

        ``again``: what asked for the change, asked again with what was typed (a prompt
        opened with its text), when the database was too busy to save it (another
        process held it past the busy timeout): the toast says try again, and the text is
        there to try with, not lost."""
        self._change_again = again
        run_service(self, service, *args, request="change", done=lambda _result: FollowupChanged(done),
                    **kwargs)

    def on_followup_changed(self, message: FollowupChanged) -> None:
        self._change_again = None
        self.notify(message.done, timeout=4)
        self.refresh_data()

    @on(ServiceFailed)
    def _change_failed(self, message: ServiceFailed) -> None:
        # Not stopped: the App shows the failure as it shows every other. A failed read
        # (another request) leaves the change under way, and its prompt, as they are.
        if message.request != "change":
            return
        again, self._change_again = self._change_again, None
        if again is not None and isinstance(message.error, DatabaseBusy):
            again()

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


def selected_key(table: RowTable) -> str | None:
    """The row key under the cursor, or None for an empty table."""
    return table.cursor_key


def refill(table: RowTable, rows: list[tuple[str, list]], keep: str | None) -> None:
    """Replace a table's rows (in one pass), keeping the cursor on the same key when it is
    still there."""
    table.clear()
    table.add_keyed_rows(rows)
    if keep is not None and table.has_row(keep):
        table.move_cursor(row=table.get_row_index(keep), animate=False)



def _posted(message: Message) -> Message:
    return message

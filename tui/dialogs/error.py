"""The modal for failures nobody planned for: a plain message, never a traceback.

Expected refusals (``core.errors.DipauditError``) are toasts (``App.show_error``);
``App.report_exception`` decides which of the two an exception gets.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class ErrorScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,enter", "close", "Close", id="error_close")]

    def __init__(self, title: str, message: str, hint: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.message = message
        self.hint = hint

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog error-dialog"):
            yield Static(self.title_text, classes="dialog-title error-text", markup=False)
            yield Static(self.message, markup=False, id="error-message")
            if self.hint:
                yield Static(self.hint, classes="muted", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Close", id="close", variant="error")

    def on_mount(self) -> None:
        self.query_one("#close", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)

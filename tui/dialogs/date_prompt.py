"""A date prompt in a modal, prefilled with a suggestion (ISO ``YYYY-MM-DD``).

Enter gives a ``date`` (refusing anything that is not a date, or is before
``not_before``); Escape gives None.
"""

from __future__ import annotations

from datetime import date

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static


class DatePrompt(ModalScreen[date | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="date_cancel")]

    def __init__(
        self,
        title: str,
        suggestion: date | None = None,
        *,
        hint: str = "",
        not_before: date | None = None,
    ) -> None:
        super().__init__()
        self.title_text = title
        self.suggestion = suggestion
        self.hint = hint
        self.not_before = not_before

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.title_text, classes="dialog-title")
            yield Label("Date (YYYY-MM-DD)", classes="field-label")
            yield Input(
                value=self.suggestion.isoformat() if self.suggestion else "",
                placeholder="YYYY-MM-DD",
                id="date_input",
            )
            if self.hint:
                yield Static(self.hint, classes="muted")
            yield Static("", id="date_error", classes="error-text")
            yield Static("Enter to save · Escape to cancel", classes="muted")

    @on(Input.Submitted, "#date_input")
    def _submitted(self, event: Input.Submitted) -> None:
        error = self.query_one("#date_error", Static)
        try:
            chosen = date.fromisoformat(event.value.strip())
        except ValueError:
            error.update(f"'{event.value.strip()}' is not a date: use YYYY-MM-DD")
            return
        if self.not_before and chosen < self.not_before:
            error.update(f"The date must be on or after {self.not_before.isoformat()}")
            return
        self.dismiss(chosen)

    def action_cancel(self) -> None:
        self.dismiss(None)

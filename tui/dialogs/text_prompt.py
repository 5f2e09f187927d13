"""A one-line text prompt in a modal: Enter gives the text, Escape gives None.

Used wherever a screen needs a sentence from the auditor (a resolution, an
outcome, a concern) without leaving the keyboard.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static


class TextPrompt(ModalScreen[str | None]):
    """Ask for one line of text. Blank text is refused unless ``allow_blank``."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="prompt_cancel")]

    def __init__(
        self,
        title: str,
        label: str = "",
        *,
        value: str = "",
        placeholder: str = "",
        allow_blank: bool = False,
    ) -> None:
        super().__init__()
        self.title_text = title
        self.label_text = label
        self.value = value
        self.placeholder = placeholder
        self.allow_blank = allow_blank

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.title_text, classes="dialog-title")
            if self.label_text:
                yield Label(self.label_text, classes="field-label")
            yield Input(value=self.value, placeholder=self.placeholder, id="prompt_input")
            yield Static("", id="prompt_error", classes="error-text")
            yield Static("Enter to save · Escape to cancel", classes="muted")

    @on(Input.Submitted, "#prompt_input")
    def _submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text and not self.allow_blank:
            self.query_one("#prompt_error", Static).update("Please type something, or Escape to cancel.")
            return
        self.dismiss(text)

    def action_cancel(self) -> None:
        self.dismiss(None)

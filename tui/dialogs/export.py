"""Export a report: a modal asking for the file and its format.

``ExportDialog(suggestion)`` is a ``ModalScreen[tuple[str, str] | None]``: it dismisses
with ``(path, fmt)`` (``~`` expanded; ``fmt`` one of ``core.reports.FORMATS``) or None
(Escape). The format follows the file's extension until one is chosen; choosing one
changes a known extension to match. The writing itself (``core.reports.export_report``)
is the screen's, in a worker: this dialog only asks.
"""

from __future__ import annotations

import os
from pathlib import PurePath

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from core.reports import FORMATS
from core.reports.render import EXTENSIONS

AUTO = "auto"  # the Select's value for "from the file's extension"
SUFFIX = {fmt: f".{fmt}" for fmt in FORMATS}


def resolve(path_text: str, choice: str) -> tuple[str, str]:
    """``(path, fmt)`` for what was typed, or ValueError with the line to show."""
    text = path_text.strip()
    if not text:
        raise ValueError("Type the file to write, or Escape to cancel.")
    path = os.path.expanduser(text)
    if choice != AUTO:
        return path, choice
    ext = PurePath(path).suffix.lower()
    if not ext:
        return path, "txt"
    if ext not in EXTENSIONS:
        raise ValueError(f"Cannot tell the format from '{ext}': choose one below"
                         f" ({', '.join(FORMATS)}).")
    return path, EXTENSIONS[ext]


def with_format(path_text: str, fmt: str) -> str:
    """``path_text`` with its extension changed to ``fmt``'s, when it has a report extension."""
    path = PurePath(path_text)
    if path.suffix.lower() in EXTENSIONS and EXTENSIONS[path.suffix.lower()] != fmt:
        return str(path.with_suffix(SUFFIX[fmt]))
    return path_text


class ExportDialog(ModalScreen[tuple[str, str] | None]):
    CSS_PATH = "../reports.tcss"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="export_cancel"),
        Binding("ctrl+s", "export", "Export", id="export_go"),
    ]

    def __init__(self, title: str, suggestion: str) -> None:
        super().__init__()
        self.title_text = title
        self.suggestion = suggestion

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="export-dialog"):
            yield Static(self.title_text, classes="dialog-title", markup=False)
            yield Label("File", classes="field-label")
            yield Input(value=self.suggestion, id="export-path", compact=True)
            yield Label("Format", classes="field-label")
            yield Select([("From the file's extension", AUTO)] + [(f, f) for f in FORMATS],
                         value=AUTO, allow_blank=False, id="export-format", compact=True)
            yield Static("", id="export-error", classes="error-text", markup=False)
            yield Static("Written private (only you can read it). Enter or ctrl+s exports,"
                         " Escape cancels.", classes="muted")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Export", id="export", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#export-path", Input).focus()

    @on(Select.Changed, "#export-format")
    def _format_chosen(self, event: Select.Changed) -> None:
        if event.value != AUTO:
            box = self.query_one("#export-path", Input)
            box.value = with_format(box.value, str(event.value))

    @on(Input.Submitted, "#export-path")
    def _submitted(self) -> None:
        self.action_export()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "export":
            self.action_export()
        else:
            self.dismiss(None)

    def action_export(self) -> None:
        try:
            answer = resolve(self.query_one("#export-path", Input).value,
                             str(self.query_one("#export-format", Select).value))
        except ValueError as exc:
            self.query_one("#export-error", Static).update(str(exc))
            return
        self.dismiss(answer)

    def action_cancel(self) -> None:
        self.dismiss(None)

"""Sample queue screen (placeholder until its issue lands)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Header, Static


class QueueScreen(Screen):
    TITLE = "Sample queue"

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Sample queue: not built yet.", classes="muted")
        yield Footer()

"""Action review screen (placeholder until its issue lands)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Header, Static


class ActionsScreen(Screen):
    TITLE = "Action review"

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Action review: not built yet.", classes="muted")
        yield Footer()

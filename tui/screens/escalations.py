"""Escalations screen (placeholder until its issue lands)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Header, Static


class EscalationsScreen(Screen):
    TITLE = "Escalations"

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Escalations: not built yet.", classes="muted")
        yield Footer()

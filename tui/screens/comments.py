"""Comment review screen (placeholder until its issue lands)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Header, Static


class CommentsScreen(Screen):
    TITLE = "Comment review"

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Comment review: not built yet.", classes="muted")
        yield Footer()

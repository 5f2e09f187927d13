"""The comment form: who the comment is from, its text, and whether it is a query.

An auditor recording a reply received by email fills in the sender's login; left
blank, the comment is the acting user's own.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Checkbox, Input, Label, Static


@dataclass(frozen=True)
class CommentDraft:
    text: str
    query: bool
    on_behalf_of: str | None


class CommentForm(ModalScreen[CommentDraft | None]):
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="comment_cancel"),
        Binding("ctrl+s", "save", "Save", id="comment_save"),
    ]

    def __init__(self, audit_label: str, *, query: bool = False, draft: CommentDraft | None = None) -> None:
        """``draft``: the form filled in as it was sent (the database was too busy to save it)."""
        super().__init__()
        self.audit_label = audit_label
        self.query_flag = draft.query if draft else query
        self.draft = draft

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(f"Comment on {self.audit_label}", classes="dialog-title")
            yield Label("Comment", classes="field-label")
            yield Input(self.draft.text if self.draft else "", id="comment_text", placeholder="what was said")
            yield Label("From (login; blank = you)", classes="field-label")
            yield Input((self.draft.on_behalf_of or "") if self.draft else "", id="comment_from",
                        placeholder="e.g. the worker's login")
            yield Checkbox("Query: pauses finalisation until resolved", self.query_flag, id="comment_query")
            yield Static("", id="comment_error", classes="error-text")
            yield Static("Enter or ctrl+s to save · Escape to cancel", classes="muted")

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_save()

    def action_save(self) -> None:
        text = self.query_one("#comment_text", Input).value.strip()
        if not text:
            self.query_one("#comment_error", Static).update("Please type the comment.")
            self.query_one("#comment_text", Input).focus()
            return
        sender = self.query_one("#comment_from", Input).value.strip() or None
        query = self.query_one("#comment_query", Checkbox).value
        self.dismiss(CommentDraft(text=text, query=query, on_behalf_of=sender))

    def action_cancel(self) -> None:
        self.dismiss(None)

"""The checklist's dialogs: confirm a submission (saying who will be alerted), list
the gaps that stop one, and the conflict when someone else saved the audit first."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class _Dialog(ModalScreen[bool]):
    BINDINGS = [
        Binding("escape,n", "answer(False)", "Cancel", id="dialog_cancel"),
        Binding("y", "answer(True)", "Yes", id="dialog_yes", show=False),
    ]

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id in ("yes", "reload"))


class SubmitConfirm(_Dialog):
    """Submit? Names the worker and manager who will be alerted. ``y``/enter submits."""

    def __init__(self, child: str, recipients: list[str], comment_hours: int,
                 not_alerted: list[str] | None = None) -> None:
        super().__init__()
        self.child = child
        self.recipients = recipients
        self.comment_hours = comment_hours
        self.not_alerted = not_alerted or []

    def compose(self) -> ComposeResult:
        who = "\n".join(f"  • {r}" for r in self.recipients) or "  (nobody: no worker or manager is known)"
        with Vertical(classes="dialog"):
            yield Static(f"Submit the audit of {self.child}?", classes="dialog-title")
            yield Static(f"These people will be alerted and invited to comment within "
                         f"{self.comment_hours} hours:\n{who}")
            if self.not_alerted:
                yield Static("Not alerted (tell them another way, or fix the people directory):\n"
                             + "\n".join(f"  • {p}" for p in self.not_alerted), classes="error-text")
            yield Static("After submission the audit is read-only.", classes="muted")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel (n)", id="no")
                yield Button("Submit (y)", id="yes", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#yes", Button).focus()


class GapsDialog(_Dialog):
    """Why the audit cannot be submitted yet; nothing was submitted."""

    BINDINGS = [Binding("escape,enter,n,y", "answer(False)", "Close", id="gaps_close")]

    def __init__(self, gaps: list[str]) -> None:
        super().__init__()
        self.gaps = gaps

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static("Not submitted: these gaps remain", classes="dialog-title")
            yield Static("\n".join(f"• {g}" for g in self.gaps), id="gaps")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Close", id="no", variant="primary")


class ConflictDialog(_Dialog):
    """Someone else saved this audit first. Reload (losing the unsaved edits) or not now."""

    BINDINGS = [
        Binding("escape,n", "answer(False)", "Not now", id="conflict_later"),
        Binding("r,y", "answer(True)", "Reload", id="conflict_reload"),
    ]

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static("This audit was changed elsewhere", classes="dialog-title")
            yield Static(self.message, id="conflict-message")
            yield Static("Your latest edits are NOT saved and nothing was overwritten. "
                         "Reload to see the saved audit (your unsaved edits are dropped), or "
                         "choose Not now to copy what you typed first (saving stays paused; "
                         "ctrl+r reloads later).", classes="muted field-label")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Not now (n)", id="no")
                yield Button("Reload (r)", id="reload", variant="warning")

    def on_mount(self) -> None:
        self.query_one("#reload", Button).focus()

"""Recommended actions for the checklist: one row per action with its owner (the
worker or the manager), what must be done, and a due date.

The editor only edits; the screen decides when to save. A due date can be typed
as ``YYYY-MM-DD`` or ``DD/MM/YYYY``; a half-typed date is kept on screen and not
sent until it reads as a date.
"""

from __future__ import annotations

from datetime import date, datetime

from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Input, Static

from core.vocabulary import OWNER_ROLE_BUTTONS

from ..messages import DraftEdited


def parse_due(text: str) -> date | None:
    """``2020-05-11`` or ``11/05/2020`` -> a date; anything else -> None."""
    text = text.strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a date, no time zone
        except ValueError:
            continue
    return None


class ActionRow(Horizontal):
    """One recommended action."""

    DEFAULT_CSS = """
    ActionRow { height: 3; }
    ActionRow .owner { width: 11; min-width: 11; }
    ActionRow .description { width: 1fr; }
    ActionRow .due { width: 16; }
    """

    def __init__(self, action: dict, *, read_only: bool = False) -> None:
        super().__init__()
        self.action_id = action.get("action_id")
        self.status = action.get("status") or "open"
        self.owner_role = action.get("owner_role") or "worker"
        self.read_only = read_only
        # Held here, not only found in the DOM: the last-chance save on unmount reads
        # them after the screen's widgets are detached (and before any Changed message).
        self.description_box = Input(action.get("description") or "", placeholder="What must be done",
                                     classes="description", disabled=read_only)
        self.due_box = Input(str(action.get("due") or ""), placeholder="YYYY-MM-DD", classes="due",
                             disabled=read_only)

    def compose(self) -> ComposeResult:
        yield Button(OWNER_ROLE_BUTTONS[self.owner_role], classes="owner", compact=True,
                     disabled=self.read_only, tooltip="Owner: enter toggles worker / manager")
        yield self.description_box
        yield self.due_box

    def toggle_owner(self) -> None:
        self.owner_role = "manager" if self.owner_role == "worker" else "worker"
        self.query_one(".owner", Button).label = OWNER_ROLE_BUTTONS[self.owner_role]

    @property
    def due_text(self) -> str:
        return self.due_box.value.strip()

    @property
    def due_ok(self) -> bool:
        return not self.due_text or parse_due(self.due_text) is not None

    def value(self) -> dict:
        due = parse_due(self.due_text)
        out = {
            "owner_role": self.owner_role,
            "description": self.description_box.value,
            "due": due.isoformat() if due else None,
        }
        if self.action_id is not None:
            out["action_id"] = self.action_id
        return out


class ActionsEditor(VerticalScroll):
    """The list of action rows; posts ``DraftEdited`` on every edit."""

    DEFAULT_CSS = """
    ActionsEditor { height: 1fr; }
    ActionsEditor .empty { color: $text-muted; padding: 0 1; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.read_only = False
        self._rows: list[ActionRow] = []  # in order; kept here so it outlives the DOM on unmount

    def compose(self) -> ComposeResult:
        yield Static("No actions yet: ctrl+n adds one.", classes="empty")

    @property
    def rows(self) -> list[ActionRow]:
        return list(self._rows)

    async def load(self, actions: list[dict], *, read_only: bool = False) -> None:
        self.read_only = read_only
        await self.remove_children(ActionRow)
        self._rows = [ActionRow(a, read_only=read_only) for a in actions]
        await self.mount_all(self._rows)
        self._empty_hint(not actions)

    def _empty_hint(self, show: bool) -> None:
        self.query_one(".empty", Static).display = show

    async def add(self, owner_role: str, due: date | None) -> ActionRow:
        """A new action; the cursor goes to its description."""
        row = ActionRow({"owner_role": owner_role, "due": due.isoformat() if due else ""})
        self._rows.append(row)
        await self.mount(row)
        self._empty_hint(False)
        # At once, so the words typed straight after ctrl+n land in the description.
        self.screen.set_focus(row.description_box)
        row.scroll_visible()
        self.post_message(DraftEdited())
        return row

    def focused_row(self) -> ActionRow | None:
        node = self.screen.focused
        while node is not None and not isinstance(node, ActionRow):
            node = node.parent
        return node

    def delete_focused(self) -> bool:
        row = self.focused_row()
        if row is None:
            return False
        index = self._rows.index(row)
        self._rows.remove(row)
        row.remove()
        rest = self._rows
        if rest:
            self.call_after_refresh(rest[min(index, len(rest) - 1)].description_box.focus)
        self._empty_hint(not rest)
        self.post_message(DraftEdited())
        return True

    def all_dates_ok(self) -> bool:
        return all(r.due_ok for r in self.rows)

    def value(self) -> list[dict]:
        return [r.value() for r in self.rows]

    def on_button_pressed(self, event: Button.Pressed) -> None:
        row = event.button.parent
        if isinstance(row, ActionRow):
            event.stop()
            row.toggle_owner()
            self.post_message(DraftEdited())

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        row = event.input.parent
        if isinstance(row, ActionRow) and event.input.has_class("due"):
            event.input.set_class(not row.due_ok, "-invalid")
        self.post_message(DraftEdited())

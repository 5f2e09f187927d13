"""Keys typed ahead of a focus change go where the focus now is.

Textual hands each key to the widget that has focus when the key *arrives*. A burst of
keys (a fast typist, a laggy SSH link delivering keystrokes together) that starts with
a key moving the focus (``e`` to edit evidence, ``ctrl+n`` for a new action, ``escape``
out of an editor) would otherwise leave the rest of the burst with the old widget:
dropped by a list, or typed into the wrong box. Widgets with this mixin pass such keys
on to the widget focused now, in order.
"""

from __future__ import annotations

from textual import events
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Input, TextArea


class TypeAhead:
    # Printable keys are text here (editors), not commands.
    TAKES_TEXT = False

    async def _on_key(self, event: events.Key) -> None:
        focused = self.screen.focused if self.is_attached else None
        if focused is not None and focused is not self:
            # Focus moved on while this key waited in our queue: it belongs to the new widget.
            event.stop()
            event.prevent_default()
            focused._forward_event(events.Key(event.key, event.character))
            return
        if not (self.TAKES_TEXT and event.is_printable):
            # Run the key's binding now rather than when the key reaches the App, so a
            # focus change it makes already applies to the keys queued behind it.
            # (App._check_bindings walks the usual focus chain; textual is pinned.)
            if await self.app._check_bindings(event.key):
                event.stop()
                event.prevent_default()
                return
        await super()._on_key(event)


class Editor(TypeAhead, TextArea):
    """A TextArea for the checklist's free text."""

    TAKES_TEXT = True


class Field(TypeAhead, Input):
    """An Input for the checklist's action fields."""

    TAKES_TEXT = True


class Scroller(TypeAhead, VerticalScroll):
    """A scrolling pane (the case-note preview)."""


class Table(TypeAhead, DataTable):
    """A table (the case-note timeline)."""

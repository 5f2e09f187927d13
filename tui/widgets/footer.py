"""``KeysFooter``: Textual's Footer, rebuilt only when the keys it shows change.

Textual's Footer throws away and remakes every key it shows whenever its screen says its
bindings may have changed (``Screen.refresh_bindings``): on each focus change, screen
resume, a cursor moving onto a row whose actions differ... Each key is a widget whose
styles are worked out when it mounts and again when its ``compact`` flag is bound: on the
sample queue's start-up, four rebuilds of eight keys, an eighth of the time from the app
starting to its first screen settled (bench/bench_tui.py, py-spy). Most of those
rebuilds show the same keys; this one skips them.

It leans on Footer's ``bindings_changed(screen)`` hook and ``_bindings_ready`` flag
(Textual 8.2; tests/test_tui_compat.py fails if they change).
"""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer


def shown_keys(footer: Footer, screen: Screen) -> tuple:
    """What the footer would show for ``screen``'s bindings now: each shown binding (and the
    command palette's) with whether it is enabled and its tooltip, in order."""
    palette = footer.app.COMMAND_PALETTE_BINDING
    return tuple(
        (key, binding.key, binding.action, binding.description, binding.key_display,
         binding.group, enabled, tooltip)
        for key, (_node, binding, enabled, tooltip) in screen.active_bindings.items()
        if binding.show or key == palette
    )


class KeysFooter(Footer):
    """A Footer that is rebuilt only when what it shows changes (``shown_keys``)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._composed_for: tuple | None = None  # the keys of the last rebuild asked for

    def bindings_changed(self, screen: Screen) -> None:
        shown = shown_keys(self, screen)
        if self._bindings_ready and shown == self._composed_for:
            return  # the same keys: nothing to rebuild
        super().bindings_changed(screen)
        if screen.app.app_focus and self.is_attached and screen is self.screen:
            self._composed_for = shown  # Footer rebuilds (after the next refresh) in this case only

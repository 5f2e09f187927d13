"""The Textual application: a thin shell. Screens live in ``tui/screens/``, one per module.

Peer screens are modes (queue, comments, escalations, actions); the audit
checklist is pushed on top of the queue. Services are called through ``self.ctx``
(a core ``Context``); blocking calls run in thread workers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from importlib import import_module

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from core.context import Context

from .commands import ScreenCommands
from .screens.help import HelpScreen


def _screen(path: str) -> Callable[[], Screen]:
    """A mode's screen, imported when first opened (``module:Class``): startup stays fast."""

    def build() -> Screen:
        module, name = path.split(":")
        return getattr(import_module(module), name)()

    return build


class DipauditApp(App[None]):
    TITLE = "dipaudit"
    CSS_PATH = "app.tcss"
    ENABLE_COMMAND_PALETTE = True
    COMMANDS = App.COMMANDS | {ScreenCommands}

    MODES = {
        "queue": _screen("tui.screens.queue:QueueScreen"),
        "comments": _screen("tui.screens.comments:CommentsScreen"),
        "escalations": _screen("tui.screens.escalations:EscalationsScreen"),
        "actions": _screen("tui.screens.actions:ActionsScreen"),
    }
    # Screen names and the keys that reach them (F-keys and digits survive SSH and tmux).
    SCREENS_NAV = [
        ("queue", "Sample queue", "1", "f2"),
        ("comments", "Comment review", "2", "f3"),
        ("escalations", "Escalations", "3", "f4"),
        ("actions", "Action review", "4", "f5"),
    ]

    BINDINGS = [
        Binding("f1,question_mark", "help", "Help", id="help"),
        Binding("ctrl+p", "command_palette", "Commands", id="palette", show=False),
        Binding("q", "quit", "Quit", id="quit"),
    ] + [
        Binding(f"{digit},{fkey}", f"switch_mode('{mode}')", title, id=f"go_{mode}", show=False)
        for mode, title, digit, fkey in SCREENS_NAV
    ]

    def __init__(self, ctx: Context, *, tick_seconds: float | None = 60.0, **kwargs):
        super().__init__(**kwargs)
        self.ctx = ctx
        self.tick_seconds = tick_seconds
        self.sub_title = f"{ctx.user} · {ctx.store.path}"
        keymap = dict(ctx.settings.keys)
        if keymap:
            self.set_keymap(keymap)

    def on_mount(self) -> None:
        self.theme = "textual-dark"
        self.switch_mode("queue")

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for mode, title, digit, _fkey in self.SCREENS_NAV:
            yield SystemCommand(f"Go to {title}", f"Open the {title} screen (key {digit})",
                                lambda m=mode: self.switch_mode(m))

    def show_error(self, message: str, title: str = "Not done") -> None:
        """Errors reach the auditor as a toast, never a traceback."""
        self.notify(message, title=title, severity="error", timeout=8)


def create_app(ctx: Context, **kwargs) -> DipauditApp:
    """The one app factory, used by the CLI and the tests."""
    return DipauditApp(ctx, **kwargs)

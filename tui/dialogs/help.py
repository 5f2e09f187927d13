"""Help: the keys of the screen underneath, and how to move between screens."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

HELP = """\
# dipaudit help

**Screens** (press the digit or F-key from anywhere):
`1`/`F2` sample queue · `2`/`F3` comment review · `3`/`F4` escalations · `4`/`F5` action review · `5`/`F6` reports

**Everywhere**: `F1` or `?` this help · `ctrl+p` command palette · `q` quit (drafts are already saved)

The footer at the bottom of each screen lists that screen's own keys.
Over SSH, *copy* uses the terminal's clipboard (OSC 52): it reaches the clipboard of the machine you are sitting at.

Press `Escape` to close.
"""


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,f1,question_mark", "dismiss", "Close", id="help_close")]

    def __init__(self, below=None) -> None:
        super().__init__()
        self.below = below

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog"):
            extra = ""
            if self.below is not None:
                # Every key with a description, also those the footer leaves out for room.
                keys = [b for b in self.below.BINDINGS if isinstance(b, Binding) and b.description]
                # ...and the named keys of the focused widget (e.g. the queue table's enter).
                focused = self.below.focused
                keys += [b for b in getattr(focused, "BINDINGS", [])
                         if isinstance(b, Binding) and b.id and b.description]
                if keys:
                    extra = "\n**This screen**:\n\n" + "\n".join(
                        f"- {self._keys_shown(b)} {b.description}" for b in keys
                    )
            yield Markdown(HELP + extra)

    def _keys_shown(self, binding: Binding) -> str:
        """The key(s) that run ``binding`` now: those the ``[keys]`` keymap gives its id
        (as the footer shows them), else its own."""
        ctx = getattr(self.app, "ctx", None)
        keys = (ctx.settings.keys or {}).get(binding.id) if ctx is not None and binding.id else None
        if not keys:
            return f"`{self.app.get_key_display(binding)}`"
        return " / ".join(f"`{self.app.get_key_display(binding.with_key(k.strip()))}`"
                          for k in keys.split(",") if k.strip())

    async def action_dismiss(self, result=None) -> None:
        self.dismiss(result)

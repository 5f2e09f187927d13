"""The help screen, driven with Pilot against a real database file."""

from __future__ import annotations

from textual.widgets import Markdown
from tui_helpers import SIZE, make_app, settle, tui_ctx  # noqa: F401

from core.config import Settings
from core.context import Context
from tui.dialogs.help import HelpScreen


async def test_help_names_the_keys_a_keymap_gives(tui_ctx):
    """README: ``[keys]`` remaps a binding by its id. The footer then shows the new key,
    and so must the help: an auditor told "d Draw sample" presses d and nothing happens."""
    ctx = Context(store=tui_ctx.store, clock=tui_ctx.clock, user=tui_ctx.user, os_login=tui_ctx.os_login,
                  settings=Settings(keys={"queue_draw": "g", "queue_sort": "o,ctrl+o"}))
    app = make_app(ctx)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        lines = app.screen.query_one(Markdown).source.splitlines()
        assert "- `g` Draw sample" in lines
        assert "- `o` / `^o` Sort by the next column" in lines
        assert "- `c` Claim" in lines  # a key the keymap leaves alone
        assert not any(line.startswith("- `d` ") for line in lines)

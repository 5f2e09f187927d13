"""The help screen, driven with Pilot against a real database file."""

from __future__ import annotations

from textual.widgets import Markdown
from tui_helpers import SIZE, make_app, settle, tui_ctx  # noqa: F401

from core.config import Settings
from core.context import Context
from tui.dialogs.help import HelpScreen


def with_keymap(tui_ctx, keys: dict[str, str]) -> Context:
    """The same database and person, with a ``[keys]`` keymap."""
    return Context(store=tui_ctx.store, clock=tui_ctx.clock, user=tui_ctx.user, os_login=tui_ctx.os_login,
                   settings=Settings(keys=keys))


async def test_help_names_the_keys_a_keymap_gives(tui_ctx):
    """README: ``[keys]`` remaps a binding by its id. The footer then shows the new key,
    and so must the help: an auditor told "d Draw sample" presses d and nothing happens."""
    app = make_app(with_keymap(tui_ctx, {"queue_draw": "g", "queue_sort": "o,ctrl+o"}))
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


async def test_a_keymap_id_that_names_no_binding_is_said_at_start(tui_ctx):
    """``[keys] draw = "g"`` (the id is ``queue_draw``) would remap nothing, silently:
    the app says which ids name no binding, and keeps the rest of the keymap."""
    from tui_helpers import toasts

    app = make_app(with_keymap(tui_ctx, {"draw": "g", "queue_sort": "o", "sort_rows": "x"}))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        [shown] = [t for t in toasts(app) if "[keys]" in t]
        assert "names no key binding: draw, sort_rows" in shown
        assert "queue_sort" not in shown


def test_readme_lists_the_binding_ids_the_screens_have():
    """README "Key binding ids" is what a council remaps by: every id it lists exists,
    and every id of the app and its five screens is listed."""
    import re
    from pathlib import Path

    from tui.keymap import binding_ids

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("Key binding ids for `[keys]`", 1)[1].split("\nTemplates:", 1)[0]
    listed = set(re.findall(r"`([a-z_]+)` \(", section))
    everything = binding_ids()
    screens = binding_ids(("tui.screens",), own=True)
    go = {i for i in screens if i.startswith("go_")}  # the screen digits: not worth remapping
    assert listed <= everything, sorted(listed - everything)
    assert screens - go - listed == set(), sorted(screens - go - listed)

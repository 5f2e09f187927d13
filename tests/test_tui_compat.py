"""Each use of Textual's insides in tui/compat.py, tested on its own: when a Textual
upgrade breaks one, a test here fails and names it (Textual is pinned exactly)."""

from __future__ import annotations

import pytest
from textual import events
from textual.app import App
from textual.binding import Binding
from textual.widgets import Button, DataTable, Input
from tui_helpers import SIZE, settle

from tui.compat import KeysAhead, notifications
from tui.widgets.row_table import RowTable


class Rows(App):
    CSS = "RowTable { width: 40; height: 12; }"

    def __init__(self, cls: type[RowTable]) -> None:
        super().__init__()
        self.cls = cls

    def compose(self):
        yield self.cls(zebra_stripes=True, cursor_type="row")

    def on_mount(self) -> None:
        table = self.query_one(RowTable)
        table.add_columns("Child", "Team", "Status")
        table.add_rows([(f"C{i:03d}", f"Team {i % 4}", ("queued", "claimed")[i % 2]) for i in range(40)])


async def test_steady_scrollbars_draw_as_textuals_and_only_when_they_change():
    from textual.scrollbar import ScrollBar

    from tui.compat import SteadyScrollBar

    drawn = []
    app = Rows(RowTable)
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(RowTable)
        table.add_keyed_rows((None, [f"D{i}", "Team", "queued"]) for i in range(2_000))  # a long table
        await settle(pilot)
        bar = table.vertical_scrollbar
        assert type(bar) is SteadyScrollBar and type(table.horizontal_scrollbar) is SteadyScrollBar
        original = ScrollBar.render_lines

        def counting(self, crop):
            drawn.append(self.position)
            return original(self, crop)

        ScrollBar.render_lines = counting
        try:
            moves = 0
            for row in [*range(1, 40), 700, 1300, 1999, 5, 1300]:  # then pages apart
                table.move_cursor(row=row, animate=False)
                await settle(pilot)
                moves += 1
                crop = bar.size.region
                ours = bar.render_lines(crop)
                before = len(drawn)
                bar._styles_cache.clear()
                bar._dirty_regions.add(crop)
                assert ours == original(bar, crop), row  # Textual's own, for this position
                del drawn[before:]
        finally:
            ScrollBar.render_lines = original
        assert table.scroll_y > 1000  # it scrolled all the way
        assert 0 < len(drawn) < moves / 2  # drawn again only when the thumb moved


@pytest.mark.parametrize("css", [
    "",
    "RowTable { border: round red; padding: 1 2; tint: blue 20%; }",
    "RowTable { outline: heavy green; text-opacity: 70%; hatch: cross red 30%; }",
])
async def test_styled_lines_are_textuals_and_a_scroll_styles_only_new_lines(css):
    """``SteadyStylesCache`` gives every line as Textual's own ``StylesCache`` styles it
    (borders, padding, outline, tint, text opacity, hatch; focused and not; after a
    theme change), and a scroll by one row styles again only the lines that show
    something new."""
    from textual._styles_cache import StylesCache

    from tui.compat import SteadyStylesCache

    class Styled(Rows):
        CSS = Rows.CSS + css

    styled: list[int] = []
    original = StylesCache.render_line

    def counting(self, styles, y, *args):
        if isinstance(self, SteadyStylesCache):
            styled.append(y)
        return original(self, styles, y, *args)

    def textuals(table) -> list:
        return StylesCache().render_widget(table, table.size.region)

    app = Styled(RowTable)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.query_one(RowTable)
        assert type(table._styles_cache) is SteadyStylesCache
        StylesCache.render_line = counting
        try:
            for row in range(14, 20):  # each move scrolls by one row
                table.move_cursor(row=row, animate=False)
                await settle(pilot)
                styled.clear()
                ours = table.render_lines(table.size.region)
                # the new bottom line, the two rows the cursor changed, and the border,
                # padding or outline lines (styled by Textual every time)
                assert len(styled) <= 3 + (table.size.height - table.content_size.height), styled
                assert ours == textuals(table), row
            table.blur()
            await settle(pilot)
            assert table.render_lines(table.size.region) == textuals(table)
            app.theme = "textual-light" if app.theme != "textual-light" else "nord"
            await settle(pilot)
            assert table.render_lines(table.size.region) == textuals(table)
        finally:
            StylesCache.render_line = original


class Around(App):
    """A table with widgets above, beside and below it."""

    CSS = """
    #top, #bottom { height: 1; }
    #middle { height: 12; }
    RowTable { width: 40; }
    #side { width: 1fr; height: 100%; }
    """

    def compose(self):
        from textual.containers import Horizontal
        from textual.widgets import Static

        yield Static("top line", id="top")
        with Horizontal(id="middle"):
            yield RowTable(zebra_stripes=True, cursor_type="row")
            yield Static("side\n" * 12, id="side")
        yield Static("bottom line", id="bottom")

    def on_mount(self) -> None:
        table = self.query_one(RowTable)
        table.add_columns("Child", "Team", "Status")
        table.add_rows([(f"C{i:03d}", f"Team {i % 4}", ("queued", "claimed")[i % 2]) for i in range(40)])


async def test_an_update_draws_only_the_widgets_it_touches_as_textual_would():
    """``draws_only_widgets_in_updates``: an update of the table (a row, the whole table,
    the table and the pane beside it) writes to the screen exactly what Textual's own
    compositor writes, without drawing the lines above and below it."""
    from textual._compositor import Compositor
    from textual.geometry import Region

    from tui.compat import draws_only_widgets_in_updates

    draws_only_widgets_in_updates()  # what the App does; again is harmless
    ours = Compositor._get_renders
    assert ours.draws_only_widgets_in_updates and ours.textuals is not ours
    drawn: list[str] = []
    app = Around()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for widget in app.query("#top, #bottom, #side"):
            widget.render_lines = (lambda w: lambda crop, _o=w.render_lines: (drawn.append(w.id), _o(crop))[1])(widget)
        table = app.query_one(RowTable)
        compositor = app.screen._compositor
        side = app.query_one("#side").region
        for region in (table.region, Region(0, table.region.y + 3, 40, 1),
                       table.region.union(side), Region(0, table.region.y, SIZE[0], 1)):
            table.move_cursor(row=(table.cursor_row + 5) % 40, animate=False)
            table.refresh()
            drawn.clear()
            compositor._dirty_regions.add(region)
            update = compositor.render_partial_update()
            assert "top" not in drawn and "bottom" not in drawn
            assert ("side" in drawn) == region.overlaps(side)
            Compositor._get_renders = ours.textuals
            try:
                compositor._dirty_regions.add(region)
                theirs = compositor.render_partial_update()
            finally:
                Compositor._get_renders = ours
            assert update.render_segments(app.console) == theirs.render_segments(app.console), region


class Filled(App):
    CSS = "RowTable { width: 40; height: 12; }"

    def compose(self):
        yield RowTable(id="bulk", zebra_stripes=True, cursor_type="row")


async def test_a_large_fill_is_frozen_out_of_the_collectors_way():
    """After a fill of many rows, what lives on is frozen (gc.freeze) once the rows are
    drawn, so full collections while scrolling do not walk 10,000 rows of objects."""
    import gc

    from tui.widgets.row_table import FREEZE_FROM_ROWS

    app = Filled()
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one("#bulk", RowTable)
        table.add_columns("Child")
        await settle(pilot)
        gc.unfreeze()
        table.add_keyed_rows([(None, [f"C{i}"]) for i in range(FREEZE_FROM_ROWS - 1)])
        await settle(pilot)
        assert gc.get_freeze_count() == 0  # a small fill leaves the collector alone
        table.add_keyed_rows([(None, [f"D{i}"]) for i in range(FREEZE_FROM_ROWS)])
        await settle(pilot)
        assert gc.get_freeze_count() > 4 * FREEZE_FROM_ROWS  # rows, their keys and cells
        # A refill of the same cells (a filter, a sort) collects and freezes nothing again:
        # a full collection of everything alive is a pause the user sees after the frame.
        same = [(None, cells) for cells in (table.get_row_at(i) for i in range(table.row_count))]
        full = []

        def watch(phase, info):
            if phase == "start" and info["generation"] == 2:
                full.append(info)

        gc.callbacks.append(watch)
        try:
            table.clear()
            table.add_keyed_rows(same, fresh=False)
            await settle(pilot)
        finally:
            gc.callbacks.remove(watch)
        assert full == [] and table.row_count == len(same)
    gc.unfreeze()


class Keys(App):
    """A button with a key that moves the focus to a box, and one that comes back."""

    BINDINGS = [Binding("e", "edit", "Edit"), Binding("escape", "back", "Back"), Binding("x", "mark", "Mark")]

    def __init__(self, ahead: bool) -> None:
        super().__init__()
        self.ahead = KeysAhead(self) if ahead else None
        self.marked_on: str | None = None

    def compose(self):
        yield Button("list", id="list")
        yield Input(id="box", select_on_focus=False)

    def on_mount(self) -> None:
        self.set_focus(self.query_one("#list"))

    async def on_event(self, event) -> None:
        if self.ahead and isinstance(event, events.Key) and await self.ahead.handle(event):
            return
        await super().on_event(event)

    def action_edit(self) -> None:
        self.set_focus(self.query_one("#box"))

    def action_back(self) -> None:
        self.set_focus(self.query_one("#list"))

    def action_mark(self) -> None:
        self.marked_on = self.focused.id if self.focused else None


async def burst(app: App, keys: list[str]) -> None:
    for key in keys:  # all queued before any is handled, as from a laggy SSH link
        app.post_message(events.Key(key, key if len(key) == 1 else None))


async def test_textual_alone_leaves_keys_typed_ahead_with_the_old_focus():
    """What KeysAhead exists for: if this starts failing, Textual routes typed-ahead keys
    itself, and KeysAhead (and this test) can go."""
    app = Keys(ahead=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await burst(app, ["e", *"hi"])
        await settle(pilot)
        assert app.query_one("#box", Input).value == ""


async def test_keys_ahead_follow_the_focus_in_the_order_typed():
    app = Keys(ahead=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await burst(app, ["e", *"hi", "escape", "x"])
        await settle(pilot)
        assert app.query_one("#box", Input).value == "hi"  # typed before the escape: in the box
        assert app.marked_on == "list"  # the x after the escape: where the focus went back
        await burst(app, ["e", "x"])  # in the box, x is text, not the binding
        await settle(pilot)
        assert app.query_one("#box", Input).value == "hix" and app.marked_on == "list"


async def test_notifications_are_read_back():
    app = Keys(ahead=False)
    async with app.run_test(size=SIZE) as pilot:
        app.notify("Claimed C001")
        await settle(pilot)
        assert [str(n.message) for n in notifications(app)] == ["Claimed C001"]


# -- tui/widgets/footer.py: Footer's bindings_changed hook and _bindings_ready flag ------------
class Footers(App):
    BINDINGS = [Binding("q", "quit", "Quit")]

    def __init__(self, footer_class):
        super().__init__()
        self.footer_class = footer_class

    def compose(self):
        yield Input(id="box")
        yield DataTable(id="table")
        yield self.footer_class()

    def on_mount(self):
        table = self.query_one(DataTable)
        table.add_column("A")
        table.add_row("1")
        table.focus()


def _footer_keys(app) -> list[str]:
    from textual.widgets._footer import FooterKey

    return [k.description for k in app.query(FooterKey)]


async def test_keys_footer_is_rebuilt_only_when_its_keys_change():
    """Textual's Footer remakes its keys on every bindings refresh, also one showing the
    same keys (what KeysFooter is for); KeysFooter skips those."""
    from textual.widgets import Footer
    from textual.widgets._footer import FooterKey

    from tui.widgets.footer import KeysFooter

    assert hasattr(Footer, "bindings_changed") and hasattr(Footer, "_bindings_ready")
    made = {Footer: 0, KeysFooter: 0}
    key_init = FooterKey.__init__

    for footer_class in (Footer, KeysFooter):
        def counted(self, *args, _cls=footer_class, **kwargs):
            made[_cls] += 1
            key_init(self, *args, **kwargs)

        FooterKey.__init__ = counted
        try:
            app = Footers(footer_class)
            async with app.run_test(size=SIZE) as pilot:
                await settle(pilot)
                assert "Quit" in _footer_keys(app)
                before = made[footer_class]
                for _ in range(3):
                    app.screen.refresh_bindings()  # the same keys
                    await settle(pilot)
                rebuilt = made[footer_class] - before
                assert "Quit" in _footer_keys(app)
        finally:
            FooterKey.__init__ = key_init
        if footer_class is Footer:
            assert rebuilt > 0  # Textual rebuilds on a refresh showing the same keys
        else:
            assert rebuilt == 0


async def test_keys_footer_shows_the_keys_a_focus_change_brings():
    """The keys change with the focus (the table's enter, none in the filter box): shown."""
    from tui.widgets.footer import KeysFooter

    class Keys(App):
        def compose(self):
            yield Input(id="box")
            yield QueueLikeTable(id="table")
            yield KeysFooter()

    class QueueLikeTable(DataTable):
        BINDINGS = [Binding("enter", "select_cursor", "Open audit")]

    app = Keys()
    async with app.run_test(size=SIZE) as pilot:
        app.set_focus(app.query_one("#table"))
        await settle(pilot)
        assert "Open audit" in _footer_keys(app)
        app.set_focus(app.query_one(Input))
        await settle(pilot)
        assert "Open audit" not in _footer_keys(app)
        app.set_focus(app.query_one("#table"))
        await settle(pilot)
        assert "Open audit" in _footer_keys(app)

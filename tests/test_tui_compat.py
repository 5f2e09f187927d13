"""Each use of Textual's insides in tui/compat.py, tested on its own: when a Textual
upgrade breaks one, a test here fails and names it (Textual is pinned exactly)."""

from __future__ import annotations

import types

import pytest
from rich.text import Text
from textual import events
from textual.app import App
from textual.binding import Binding
from textual.coordinate import Coordinate
from textual.widgets import Button, DataTable, Input
from textual.widgets.data_table import DuplicateKey
from tui_helpers import SIZE, settle

from tui.compat import KeysAhead, notifications, redraw_rows_after_measuring
from tui.widgets.plain_table import PlainTable

ROWS = [("C001", "Wendy Worker", None, "Ünïcode 名前"), ("C0002", "W", "x" * 17, "")]


class Tables(App):
    # A fixed size, as the screens' tables have: a new width then resizes nothing.
    CSS = "DataTable { width: 60; height: 10; }"

    def compose(self):
        yield PlainTable(id="plain")
        yield DataTable(id="real")


async def test_plain_table_override_runs_and_measures_as_datatable_does():
    """(Moved here from tests/test_tui_queue.py, with its assertions, plus that the override runs.)"""
    calls = []

    class Counted(PlainTable):
        def _update_dimensions(self, new_rows):
            calls.append(len(list(new_rows)))
            return PlainTable._update_dimensions(self, self.rows)

    assert PlainTable._update_dimensions is not DataTable._update_dimensions  # the override is in place

    class Both(App):
        def compose(self):
            yield DataTable(id="real")
            yield Counted(id="plain")

    app = Both()
    async with app.run_test(size=SIZE) as pilot:
        for table in app.query(DataTable):
            for key in "abcd":
                table.add_column(key, key=key)
            table.add_rows(ROWS)
        await settle(pilot)
        real, plain = app.query_one("#real", DataTable), app.query_one("#plain", DataTable)
        assert calls, "DataTable no longer calls _update_dimensions: PlainTable measures nothing"
        assert [c.content_width for c in plain.columns.values()] == [
            c.content_width for c in real.columns.values()]
        assert plain.virtual_size == real.virtual_size


@pytest.mark.parametrize("table_id", ["plain", "real"])
async def test_rows_drawn_before_measuring_are_redrawn_at_full_width(table_id):
    """A frame can fall between adding rows and the idle measure (a loaded machine): the
    rows drawn in it must not stay cut to the header's width (the flakes of the queue
    snapshot and the tmux lifecycle test; Textual issue #4470)."""
    redraw_rows_after_measuring()  # what the App does
    app = Tables()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.query_one(f"#{table_id}", DataTable)
        table.add_column("Status", key="status")
        table.add_row("claimed")
        assert table.render_line(1).text.startswith(" claime ")  # drawn (and cached) before measuring
        await settle(pilot)
        assert table.render_line(1).text.startswith(" claimed ")


class Rows(App):
    CSS = "DataTable { width: 40; height: 12; }"

    def __init__(self, cls: type[DataTable]) -> None:
        super().__init__()
        self.cls = cls

    def compose(self):
        yield self.cls(zebra_stripes=True, cursor_type="row")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Child", "Team", "Status")
        table.add_rows([(f"C{i:03d}", f"Team {i % 4}", ("queued", "claimed")[i % 2]) for i in range(40)])


def _all_lines(table: DataTable, render) -> list[list]:
    style = table.rich_style
    return [list(render(y, 0, table.size.width, style)) for y in range(table.size.height)]


def _textuals_lines(table: DataTable) -> list[list]:
    """The lines as Textual's own DataTable draws them: its ``_render_line`` over its own
    ``_render_line_in_row`` (PlainTable overrides both), from empty caches."""
    for cache in (table._line_cache, table._row_render_cache, table._cell_render_cache):
        cache.clear()
    table._render_line_in_row = types.MethodType(DataTable._render_line_in_row, table)
    try:
        return _all_lines(table, lambda *a: DataTable._render_line(table, *a))
    finally:
        del table._render_line_in_row
        for cache in (table._line_cache, table._row_render_cache, table._cell_render_cache):
            cache.clear()


async def test_row_cursor_lines_render_as_datatable_does():
    """PlainTable's cache-friendly ``_render_line`` draws exactly what Textual's draws, at
    each cursor row and with a hover row (the queue's snapshots rely on it too)."""
    app = Rows(PlainTable)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.query_one(DataTable)
        table._show_hover_cursor = True
        for cursor, hover in ((0, 0), (3, 5), (7, 7), (10, -1)):
            table.move_cursor(row=cursor, animate=False)
            table.hover_coordinate = Coordinate(hover, 0)
            await settle(pilot)
            for cache in (table._line_cache, table._row_render_cache):
                cache.clear()
            ours = _all_lines(table, table._render_line)
            assert ours == _textuals_lines(table)


class Varied(App):
    """Cells of every kind PlainTable draws itself, and some it leaves to DataTable."""

    CSS = "DataTable { width: 44; height: 12; }"

    def compose(self):
        yield PlainTable(zebra_stripes=True, cursor_type="row")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column("Id", key="id")
        table.add_column("Cut", key="cut", width=4)  # a fixed width: longer text is cut
        table.add_columns("Flags", "Name")
        styles = [None, "bold red", "italic #00ff00 on #202020", "", "reverse"]
        for i in range(24):
            flag = Text(f"flag {i}", style=styles[i % 5]) if i % 5 else f"flag {i}"
            name = ["Zoë", "名前テスト", None, "a  b ", Text("two\nlines"), "tab\there"][i % 6]
            table.add_row(str(i), ["x", "wide名前", "abcdefg", None][i % 4], flag, name, key=f"k{i}")


async def test_plain_rows_render_as_datatable_does():
    """``renders_plain_rows`` draws each row exactly as Textual's own DataTable: plain,
    missing, cut, wide and styled cells, zebra stripes, the cursor and the hover row, and
    rows it leaves to DataTable (a cell over two lines, a tab) beside them."""
    app = Varied()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.query_one(DataTable)
        table._show_hover_cursor = True
        for cursor, hover in ((0, 2), (3, 3), (9, -1), (20, 4)):
            table.move_cursor(row=cursor, animate=False)
            table.hover_coordinate = Coordinate(hover, 0)
            await settle(pilot)
            for cache in (table._line_cache, table._row_render_cache):
                cache.clear()
            ours = _all_lines(table, table._render_line)
            assert ours == _textuals_lines(table)
        table.blur()
        await settle(pilot)
        assert _all_lines(table, table._render_line) == _textuals_lines(table)
        app.theme = "textual-light" if app.theme != "textual-light" else "nord"  # new row colours
        await settle(pilot)
        assert _all_lines(table, table._render_line) == _textuals_lines(table)


async def test_plain_rows_show_markup_as_text():
    """A string cell is drawn as it reads: DataTable would parse "[b]" away, and "[/]"
    raised while drawing (an imported name can hold brackets)."""
    app = Rows(PlainTable)
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(DataTable)
        table.add_row("[b]C999[/b]", "Team [/]", "x", key="odd")
        await settle(pilot)
        table.move_cursor(row=table.get_row_index("odd"), animate=False)
        await settle(pilot)
        table.scroll_end(animate=False)
        await settle(pilot)
        assert any("[b]C999[/b]" in line.text and "Team [/]" in line.text
                   for line in (table.render_line(y) for y in range(table.size.height)))


async def test_a_click_on_a_plain_row_selects_it():
    """The row and column meta mouse clicks read are on the rows PlainTable draws."""
    selected = []

    class Clicked(Rows):
        def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
            selected.append(event.row_key.value)

    app = Clicked(PlainTable)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.query_one(DataTable)
        await pilot.click(table, offset=(3, 4))  # the header, then rows 0, 1, 2: row 3
        await settle(pilot)
        assert table.cursor_row == 3
        await pilot.click(table, offset=(3, 4))  # a click on the cursor row selects it
        await settle(pilot)
        assert selected == [table.coordinate_to_cell_key(Coordinate(3, 0)).row_key.value]


async def test_the_style_is_read_once_a_draw_and_lines_are_textuals():
    reads = []

    class Counting(PlainTable):
        @property
        def rich_style(self):
            reads.append(1)
            return super().rich_style

    app = Rows(Counting)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.query_one(DataTable)
        table.move_cursor(row=30, animate=False)  # scrolled: the header stays, rows move
        await settle(pilot)
        assert table.scroll_y > 0
        crop = table.size.region
        table._styles_cache.clear()
        reads.clear()
        ours = table.render_lines(crop)
        assert len(reads) == 1
        assert [table.render_line(y) for y in range(crop.height)] == [
            DataTable.render_line(table, y) for y in range(crop.height)]
        table._styles_cache.clear()
        table.render_line = types.MethodType(DataTable.render_line, table)
        try:
            assert ours == table.render_lines(crop)
        finally:
            del table.render_line


async def test_steady_scrollbars_draw_as_textuals_and_only_when_they_change():
    from textual.scrollbar import ScrollBar

    from tui.compat import SteadyScrollBar

    drawn = []
    app = Rows(PlainTable)
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(DataTable)
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


def _counting_rows(cls: type[DataTable], rendered: list) -> type[DataTable]:
    """``cls``, appending to ``rendered`` the key of every row it draws."""

    class Counting(cls):
        def _render_line_in_row(self, row_key, *args, **kwargs):
            rendered.append(row_key)
            return super()._render_line_in_row(row_key, *args, **kwargs)

    return Counting


@pytest.mark.parametrize(("cls", "rendered_again"), [(PlainTable, 2), (DataTable, 12)])
async def test_a_cursor_move_renders_only_the_two_rows_it_changed(cls, rendered_again):
    """What ``caches_rows_apart_from_cursor`` is for: Textual's own DataTable renders every
    line again after a cursor move, the header too (if this starts failing with 2 for DataTable, Textual
    caches them itself and the override can go)."""
    rendered: list = []
    app = Rows(_counting_rows(cls, rendered))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.query_one(DataTable)
        _all_lines(table, table._render_line)
        rendered.clear()
        table.move_cursor(row=1, animate=False)
        await settle(pilot)
        _all_lines(table, table._render_line)
        assert len(rendered) == rendered_again


@pytest.mark.parametrize("css", [
    "",
    "PlainTable { border: round red; padding: 1 2; tint: blue 20%; }",
    "PlainTable { outline: heavy green; text-opacity: 70%; hatch: cross red 30%; }",
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

    app = Styled(PlainTable)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.query_one(DataTable)
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
    DataTable { width: 40; }
    #side { width: 1fr; height: 100%; }
    """

    def compose(self):
        from textual.containers import Horizontal
        from textual.widgets import Static

        yield Static("top line", id="top")
        with Horizontal(id="middle"):
            yield PlainTable(zebra_stripes=True, cursor_type="row")
            yield Static("side\n" * 12, id="side")
        yield Static("bottom line", id="bottom")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
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
        table = app.query_one(DataTable)
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


async def test_rows_found_by_index_are_where_datatable_finds_them():
    """``finds_rows_by_index``: the same regions as Textual's sum over the rows above,
    with the header shown and hidden, and (Textual's own path) with a taller row."""
    app = Rows(PlainTable)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.query_one(DataTable)
        assert type(table)._get_row_region is not DataTable._get_row_region
        for show_header in (True, False):
            table.show_header = show_header
            await settle(pilot)
            for i in (0, 1, 17, 39, 40, -1):
                assert table._get_row_region(i) == DataTable._get_row_region(table, i), (show_header, i)
        table.add_row("tall", "T", "x", height=3)
        await settle(pilot)
        assert table._total_row_height != table.row_count
        for i in (0, 39, 40):
            assert table._get_row_region(i) == DataTable._get_row_region(table, i)


async def test_a_plain_table_keeps_few_lines_drawn_and_scrolls_back_without_drawing():
    """``keeps_few_lines_drawn``: fewer lines and rows kept than DataTable's 1,000, and
    enough that moving back up a screenful draws no row again."""
    from tui.compat import LINES_KEPT, ROWS_KEPT

    rendered: list = []
    app = Rows(_counting_rows(PlainTable, rendered))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.query_one(DataTable)
        assert (table._line_cache.maxsize, table._row_render_cache.maxsize) == (LINES_KEPT, ROWS_KEPT)
        assert DataTable()._line_cache.maxsize > LINES_KEPT
        table.move_cursor(row=30, animate=False)
        await settle(pilot)
        _all_lines(table, table._render_line)
        table.move_cursor(row=29, animate=False)  # back one row: only the two it changed
        await settle(pilot)
        rendered.clear()
        _all_lines(table, table._render_line)
        assert len(rendered) <= 2


class Filled(App):
    CSS = "DataTable { width: 40; height: 12; }"

    def compose(self):
        yield PlainTable(id="bulk", zebra_stripes=True, cursor_type="row")
        yield PlainTable(id="one_by_one", zebra_stripes=True, cursor_type="row")

    def on_mount(self) -> None:
        self.highlighted: dict[str, list] = {"bulk": [], "one_by_one": []}

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.highlighted[event.data_table.id].append((event.cursor_row, event.row_key.value))


async def test_rows_added_at_once_end_as_add_row_leaves_them():
    rows = [(f"k{i}", [f"C{i:03d}", f"Team {i % 4}", None if i % 3 else "claimed"]) for i in range(30)]
    app = Filled()
    async with app.run_test(size=SIZE) as pilot:
        bulk, single = app.query_one("#bulk", PlainTable), app.query_one("#one_by_one", PlainTable)
        for table in (bulk, single):
            table.add_columns("Child", "Team", "Status")
        keys = bulk.add_keyed_rows(iter(rows))
        for key, cells in rows:
            single.add_row(*cells, key=key)
        await settle(pilot)
        assert [k.value for k in keys] == [k for k, _ in rows]
        assert app.highlighted["bulk"] == app.highlighted["one_by_one"] == [(0, "k0")]
        for table in (bulk, single):
            table.move_cursor(row=4, animate=False)
        await settle(pilot)
        assert bulk.row_count == single.row_count == 30
        assert [bulk.get_row_at(i) for i in range(30)] == [single.get_row_at(i) for i in range(30)]
        assert bulk.get_row_index("k7") == single.get_row_index("k7") == 7
        assert bulk.cursor_coordinate == single.cursor_coordinate
        assert bulk.virtual_size == single.virtual_size
        assert ([c.content_width for c in bulk.columns.values()]
                == [c.content_width for c in single.columns.values()])
        drawn = []
        for table in (bulk, single):  # each drawn as the focused table
            table.focus()
            await settle(pilot)
            drawn.append(_all_lines(table, table._render_line))
        assert drawn[0] == drawn[1]
        with pytest.raises(DuplicateKey):
            bulk.add_keyed_rows([("k1", ["again"])])
        assert bulk.add_keyed_rows([]) == []


async def test_a_large_fill_is_frozen_out_of_the_collectors_way():
    """After a fill of many rows, what lives on is frozen (gc.freeze) once the rows are
    drawn, so full collections while scrolling do not walk 10,000 rows of objects."""
    import gc

    from tui.widgets.plain_table import FREEZE_FROM_ROWS

    app = Filled()
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one("#bulk", PlainTable)
        table.add_columns("Child")
        await settle(pilot)
        gc.unfreeze()
        table.add_keyed_rows([(None, [f"C{i}"]) for i in range(FREEZE_FROM_ROWS - 1)])
        await settle(pilot)
        assert gc.get_freeze_count() == 0  # a small fill leaves the collector alone
        table.add_keyed_rows([(None, [f"D{i}"]) for i in range(FREEZE_FROM_ROWS)])
        await settle(pilot)
        assert gc.get_freeze_count() > 4 * FREEZE_FROM_ROWS  # rows, their keys and cells
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

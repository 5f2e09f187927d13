"""``tui.widgets.row_table.RowTable``: the line-API table the queue and the action review
use. It must draw exactly what Textual's DataTable draws for the same rows (the
snapshots rely on it), move as DataTable moves, and post DataTable's messages."""

from __future__ import annotations

import pytest
from rich.text import Text
from textual.app import App
from textual.widgets import DataTable
from textual.widgets.data_table import DuplicateKey
from tui_helpers import SIZE, settle

from tui.screens.followup_base import refill, selected_key
from tui.widgets.row_table import RowTable, shown_text

STYLES = [None, "bold red", "italic #00ff00 on #202020", "", "reverse"]


def varied_rows(n: int = 40) -> list[tuple[str, list]]:
    """Plain, missing, cut (a fixed width), wide and styled cells."""
    rows = []
    for i in range(n):
        flag = Text(f"flag {i}", style=STYLES[i % 5]) if i % 5 else f"flag {i}"
        name = ["Zoë", "名前テスト", None, "a  b ", "[b]not bold[/b]", "x" * 30][i % 6]
        rows.append((f"k{i}", [str(i), ["x", "wide名前", "abcdefg", None][i % 4], flag, name]))
    return rows


class Pair(App):
    """A DataTable and a RowTable of the same rows, the same size."""

    def __init__(self, css: str, rows: list[tuple[str, list]], zebra: bool = True) -> None:
        self.CSS = css
        super().__init__()
        self.rows, self.zebra = rows, zebra

    def compose(self):
        yield DataTable(id="real", zebra_stripes=self.zebra, cursor_type="row")
        yield RowTable(id="ours", zebra_stripes=self.zebra, cursor_type="row")

    def on_mount(self) -> None:
        for table in (self.real, self.ours):
            table.add_column("Id", key="id")
            table.add_column("Cut", key="cut", width=4)  # a fixed width: longer text is cut
            table.add_column("Flags", key="flags")
            table.add_column("Name", key="name")
        for key, cells in self.rows:
            # DataTable parses strings as markup: give it the text as Text to compare like with like.
            self.real.add_row(*[Text(c) if isinstance(c, str) else c for c in cells], key=key)
        self.ours.add_keyed_rows(self.rows)

    @property
    def real(self) -> DataTable:
        return self.query_one("#real", DataTable)

    @property
    def ours(self) -> RowTable:
        return self.query_one("#ours", RowTable)


def lines(table) -> list[list]:
    """The table's lines as segments: their text and style, less the meta (DataTable's
    names the row and column, RowTable's the column), which neither colours nor moves
    anything on screen; where the segments break is compared too."""
    return [[(text, style.clear_meta_and_links() if style else style) for text, style, _ in table.render_line(y)]
            for y in range(table.size.height)]


CSS_WIDE = "DataTable, RowTable { width: 60; height: 12; }"
CSS_NARROW = "DataTable, RowTable { width: 24; height: 10; }"  # wider rows than the table: it scrolls sideways


@pytest.mark.parametrize("css", [CSS_WIDE, CSS_NARROW])
async def test_rows_draw_exactly_as_datatable_draws_them(css):
    app = Pair(css, varied_rows())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        real, ours = app.real, app.ours
        assert ours.virtual_size == real.virtual_size
        for row in (0, 3, 9, 25, 39, 12):
            for table in (real, ours):
                table.move_cursor(row=row, animate=False)
            await settle(pilot)
            assert ours.scroll_offset == real.scroll_offset
            drawn = {}
            for table in (real, ours):  # each drawn focused (the cursor's colours differ)
                table.focus()
                await settle(pilot)
                drawn[table.id] = lines(table)
            assert drawn["ours"] == drawn["real"], row
            app.set_focus(None)
            await settle(pilot)
            assert lines(ours) == lines(real), row
        if css == CSS_NARROW:
            for table in (real, ours):
                table.scroll_to(x=7, animate=False)
            await settle(pilot)
            assert ours.scroll_x == real.scroll_x == 7
            assert lines(ours) == lines(real)
        # the mouse over a row: the hover style, as DataTable draws it
        drawn = {}
        for table in (real, ours):  # (the mouse leaves the one for the other)
            await pilot.hover(table, offset=(2, 3))
            await settle(pilot)
            drawn[table.id] = lines(table)
        assert drawn["ours"] == drawn["real"]
        assert drawn["ours"] != lines(real)  # the hover is drawn, and gone once the mouse left
        await pilot.hover(offset=(100, 35))  # off both tables
        await settle(pilot)
        assert lines(ours) == lines(real)
        # a key hides the hover; the mouse moved again within the same row draws it again
        ours.focus()
        await pilot.hover(ours, offset=(2, 3))
        await settle(pilot)
        hovered = lines(ours)
        await pilot.press("down", "up")
        await settle(pilot)
        drawn_again = []
        refresh_line = ours.refresh_line
        ours.refresh_line = lambda y: (drawn_again.append(y), refresh_line(y))[1]
        await pilot.hover(ours, offset=(3, 3))
        await settle(pilot)
        del ours.refresh_line
        assert drawn_again == [ours._hover + 1] and lines(ours) == hovered  # its line, under the header
        app.set_focus(None)
        await pilot.hover(offset=(100, 35))
        await settle(pilot)
        app.theme = "textual-light" if app.theme != "textual-light" else "nord"  # new colours
        await settle(pilot)
        assert lines(ours) == lines(real)


async def test_rows_without_zebra_stripes_draw_as_datatable_draws_them():
    app = Pair(CSS_WIDE, varied_rows(8), zebra=False)
    async with app.run_test(size=SIZE) as pilot:
        app.set_focus(None)
        await settle(pilot)
        assert lines(app.ours) == lines(app.real)


@pytest.mark.parametrize("keys", [
    ["down", "down", "up", "pagedown", "pagedown", "pageup", "ctrl+end", "pageup", "ctrl+home"],
    ["pagedown"] * 6 + ["pageup"] * 6,
    ["ctrl+end", "up", "up", "pagedown", "down"],
])
async def test_keys_move_the_cursor_and_the_view_as_datatable_does(keys):
    app = Pair(CSS_WIDE, varied_rows(100))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for key in keys:
            for table in (app.real, app.ours):
                table.focus()
                await settle(pilot)
                await pilot.press(key)
                await settle(pilot)
            assert app.ours.cursor_row == app.real.cursor_row, key
            assert app.ours.scroll_offset == app.real.scroll_offset, key
        app.set_focus(None)
        await settle(pilot)
        assert lines(app.ours) == lines(app.real)


class One(App):
    CSS = "RowTable { height: 12; }"

    def __init__(self, rows: list[tuple[str | None, list]]) -> None:
        super().__init__()
        self.rows = rows
        self.got: list = []

    def compose(self):
        yield RowTable(id="t", zebra_stripes=True, cursor_type="row")

    def on_mount(self) -> None:
        table = self.query_one(RowTable)
        table.add_columns("Child", "Team", "Status")
        table.add_keyed_rows(self.rows)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.got.append(("highlighted", event.cursor_row, event.row_key.value, event.data_table))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.got.append(("selected", event.cursor_row, event.row_key.value))

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        self.got.append(("header", event.column_key.value, event.column_index, event.label.plain))


def plain_rows(n: int) -> list[tuple[str, list]]:
    return [(f"q{i}", [f"C{i:03d}", f"Team {i % 4}", ("queued", "claimed")[i % 2]]) for i in range(n)]


async def test_messages_are_datatables_with_the_rows_key():
    app = One(plain_rows(30))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.query_one(RowTable)
        assert app.got == [("highlighted", 0, "q0", table)]  # the first row, once filled
        app.got.clear()
        await pilot.press("down", "down", "enter")
        await settle(pilot)
        assert app.got == [("highlighted", 1, "q1", table), ("highlighted", 2, "q2", table),
                           ("selected", 2, "q2")]
        assert table.cursor_key == "q2" == selected_key(table)
        app.got.clear()
        await pilot.press("ctrl+end")
        await settle(pilot)
        assert table.cursor_row == 29 and app.got == [("highlighted", 29, "q29", table)]
        await pilot.press("down")  # at the last row: nothing moves, nothing posted
        await settle(pilot)
        assert table.cursor_row == 29 and len(app.got) == 1


async def test_a_click_selects_a_row_and_a_header_click_names_its_column():
    app = One(plain_rows(30))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.query_one(RowTable)
        app.got.clear()
        await pilot.click(table, offset=(3, 4))  # the header, then rows 0, 1, 2: row 3
        await settle(pilot)
        assert table.cursor_row == 3 and app.got == [("highlighted", 3, "q3", table)]
        await pilot.click(table, offset=(3, 4))  # again on the cursor's row: selected
        await settle(pilot)
        assert app.got[-1] == ("selected", 3, "q3")
        app.got.clear()
        await pilot.click(table, offset=(8, 0))  # "Team": the second column's header
        await settle(pilot)
        assert app.got == [("header", None, 1, "Team")]
        assert table.cursor_row == 3  # a header click moves no cursor


async def test_an_empty_table_and_a_table_of_one_row():
    app = One([])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.query_one(RowTable)
        assert table.row_count == 0 and table.cursor_key is None and selected_key(table) is None
        await pilot.press("down", "pagedown", "ctrl+end", "enter", "up")
        await settle(pilot)
        assert app.got == [] and table.cursor_row == 0
        assert lines(table)[0][0][0].startswith(" Child ")  # the header alone
        assert all(not "".join(s[0] for s in line).strip() for line in lines(table)[1:])
        table.add_keyed_rows([("only", ["C1", "Team 1", "queued"])])
        await settle(pilot)
        assert app.got == [("highlighted", 0, "only", table)]
        await pilot.press("down", "pagedown", "ctrl+end", "enter")
        await settle(pilot)
        assert table.cursor_row == 0 and app.got[-1] == ("selected", 0, "only")


async def test_more_rows_than_the_screen_scroll_with_the_cursor():
    app = One(plain_rows(500))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.query_one(RowTable)
        await pilot.press("pagedown", "pagedown")
        await settle(pilot)
        assert table.cursor_row == 2 * (table.size.height - 1)
        assert table.scroll_y > 0
        shown = "".join(s.text for s in table.render_line(table.cursor_row - int(table.scroll_y) + 1))
        assert shown.startswith(f" C{table.cursor_row:03d} ")  # the cursor's row is on screen
        await pilot.press("ctrl+end")
        await settle(pilot)
        last = "".join(s.text for s in table.render_line(table.size.height - 1))
        assert last.startswith(" C499 ") and table.scroll_y == table.max_scroll_y
        await pilot.press("ctrl+home")
        await settle(pilot)
        assert table.cursor_row == 0 and table.scroll_y == 0


async def test_a_refill_keeps_the_cursor_on_the_same_key():
    app = One(plain_rows(50))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.query_one(RowTable)
        table.move_cursor(row=table.get_row_index("q40"))
        await settle(pilot)
        rows = list(reversed(plain_rows(50)))  # another order (a sort)
        refill(table, rows, keep=selected_key(table))
        await settle(pilot)
        assert table.cursor_key == "q40" and table.cursor_row == 9
        assert table.get_row_at(0) == ["C049", "Team 1", "claimed"]
        refill(table, rows[20:], keep="q40")  # q40 filtered out: the cursor stays inside
        await settle(pilot)
        assert table.row_count == 30 and 0 <= table.cursor_row < 30
        with pytest.raises(DuplicateKey):
            table.add_keyed_rows([("q0", ["x", "y", "z"])])
        # a batch refused part way (a repeated key, too many cells) adds none of its rows
        for bad in ([("n1", ["a", "b", "c"]), ("n2", ["d", "e", "f"]), ("n1", ["g", "h", "i"])],
                    [("n1", ["a", "b", "c"]), ("n2", ["d", "e", "f", "extra"])]):
            with pytest.raises((DuplicateKey, ValueError)):
                table.add_keyed_rows(bad)
            assert table.row_count == 30 and not table.has_row("n1") and not table.has_row("n2")
        table.add_keyed_rows([("n1", ["a", "b"])])  # then the same key is free, a short row padded
        assert table.get_row_index("n1") == 30 and table.get_row_at(30) == ["a", "b", None]


async def test_cells_show_as_they_read_and_cannot_break_the_layout():
    hostile = ["[b]C999[/b]", "Team [/]", "tab\there\nnewline\x1b[31m\u202ebidi\x00"]
    app = One([("odd", hostile), ("wide", ["名前テスト", "Zoë", "ok"])])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.query_one(RowTable)
        drawn = ["".join(s[0] for s in line) for line in lines(table)]
        width = table.size.width
        assert all(sum(2 if "\u3000" <= ch <= "\u9fff" or "\u30a0" <= ch <= "\u30ff" else 1 for ch in line) == width
                   for line in drawn[:3])
        row = drawn[1]
        assert "[b]C999[/b]" in row and "Team [/]" in row  # markup shown as text
        assert "tab here newline\ufffd[31m\ufffdbidi\ufffd" in row  # controls made visible
        assert "\x1b" not in row and "\n" not in row and "\t" not in row
        assert drawn[2].startswith(" 名前テスト ")
        assert shown_text("plain") == "plain"


async def test_a_cursor_move_draws_only_the_rows_it_changed():
    """Lines are kept by row and cursor state, not by position: a first move draws the
    two rows it changed, a scroll by one row draws only the row scrolled in, and lines
    drawn before come back as the same objects (the styles cache keeps them styled)."""
    drawn: list[int] = []

    class Counting(RowTable):
        def _draw_row(self, row, *args):
            drawn.append(row)
            return super()._draw_row(row, *args)

    class App1(One):
        def compose(self):
            yield Counting(id="t", zebra_stripes=True, cursor_type="row")

    app = App1(plain_rows(200))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.query_one(RowTable)
        height = table.size.height
        first = [table.render_line(y) for y in range(height)]
        drawn.clear()
        await pilot.press("down")
        await settle(pilot)
        again = [table.render_line(y) for y in range(height)]
        assert sorted(drawn) == [0, 1]  # the row left and the row reached
        assert all(a is b for a, b in zip(first[3:], again[3:], strict=True))
        table.move_cursor(row=height - 2)  # the last row on screen
        await settle(pilot)
        [table.render_line(y) for y in range(height)]
        drawn.clear()
        await pilot.press("down")  # scrolls by one row
        await settle(pilot)
        [table.render_line(y) for y in range(height)]
        # only the row scrolled in: the row left was drawn without the cursor before
        assert drawn == [height - 1]


async def test_a_refill_keeps_the_widths_and_resets_the_view_as_datatable_does():
    """Widths grow to fit new rows and never shrink while the columns stay (a filter that
    empties the table leaves the header where it was); a clear goes back to the top."""
    app = Pair(CSS_WIDE, varied_rows(60))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for table in (app.real, app.ours):
            table.move_cursor(row=50, animate=False)
        await settle(pilot)
        narrow = [(f"n{i}", [str(i), "a", "b", "c"]) for i in range(3)]
        for rows in ([], narrow, varied_rows(30)):
            for table in (app.real, app.ours):
                table.clear()
            for key, cells in rows:
                app.real.add_row(*[Text(c) if isinstance(c, str) else c for c in cells], key=key)
            app.ours.add_keyed_rows(rows)
            app.set_focus(None)
            await settle(pilot)
            assert app.ours.virtual_size == app.real.virtual_size
            assert app.ours.scroll_offset == app.real.scroll_offset
            assert app.ours.cursor_row == app.real.cursor_row == 0
            assert lines(app.ours) == lines(app.real), len(rows)

"""``RowTable``: a table of one-line rows with a row cursor, drawn line by line.

Textual's DataTable keeps a ``Row``, a ``RowKey`` and a dict of cells per row, measures
every cell by rendering it, and draws each cell through Rich: at 10,000 rows that
bookkeeping was most of the queue's first screen and of a page move
(bench/bench_tui.py). A RowTable holds its rows as given (a key and a sequence of
cells each), measures the new rows' cells once per fill (widths grow, never shrink,
as DataTable's), and draws only the lines on screen (Textual's line API: a
``ScrollView`` whose ``render_line(y)`` draws row ``y``), each row as one segment per
cell in the styles DataTable gives it, the styles made once per kind of row (parity,
cursor, hover) and shared by every row of that kind. Drawn lines are kept by row and
cursor state (``LINES_KEPT``), so a cursor move draws the two rows it changed and a
scroll by a row draws the row scrolled in.

It looks and behaves as the DataTable it replaces (``cursor_type="row"``): the same
component classes (``datatable--header``, ``datatable--cursor``, ``datatable--hover``,
``datatable--even-row``/``--odd-row``) and CSS, the same keys, the same segments
and styles (so screenshots are the same: a cell's meta names its column where
DataTable's names its row too, which keeps the segments apart at the same places and
draws nothing), mouse clicks found by position (a row selects, a header posts
``HeaderSelected``), and DataTable's own messages (``DataTable.RowHighlighted``,
``RowSelected``, ``HeaderSelected``: handlers written for a DataTable work unchanged;
their ``data_table`` is this widget).

Cells are strings, None (a blank) or one-line ``rich.text.Text`` (drawn in its
``style``; spans are not drawn). A string is shown as it reads, never parsed as markup.
Control and other unprintable characters (a tab, a newline, a bidi override in an
imported name) are shown as a space (whitespace) or U+FFFD, so a hostile cell cannot
break the layout or hide text.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Sequence
from typing import ClassVar, NamedTuple

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.coordinate import Coordinate
from textual.geometry import Region, Size, Spacing
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey, DuplicateKey, RowKey

from ..compat import steady_scrollbars, steady_styles

# From this many rows a fill moves what lives on out of the garbage collector's way.
FREEZE_FROM_ROWS = 2_000
# Lines kept drawn (by row, cursor and hover state, horizontal scroll): six screenfuls.
LINES_KEPT = 256
REPLACEMENT = "\ufffd"


def _refreeze() -> None:
    """Collect once, then freeze what is alive (``gc.freeze``): full collections while
    scrolling walk only what was made since. The App freezes once after its first frame;
    a large table filled later would otherwise be walked by every full collection. Rows
    a later fill replaces are freed by reference counting, as they hold no cycles."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def shown_text(text: str) -> str:
    """``text`` as one line a terminal draws as it reads: whitespace (tab, newline...)
    becomes a space and any other unprintable character U+FFFD."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else " " if ch.isspace() else REPLACEMENT for ch in text)


def _cell_text(value) -> tuple[str, str | Style | None]:
    """A cell's one line of text and its own style (None for none)."""
    if value is None:
        return "", None
    if isinstance(value, Text):
        return shown_text(value.plain), (value.style or None)
    return shown_text(value if type(value) is str else str(value)), None


def _width(value) -> int:
    """The cells a cell's text takes on screen."""
    if type(value) is str and value.isascii() and value.isprintable():
        return len(value)
    if value is None:
        return 0
    return cell_len(_cell_text(value)[0])


def _column_width(values: Sequence) -> int:
    """The widest of a column's cells: for a column of printable ASCII strings (the
    usual case) their longest length, found at C speed."""
    if not values:
        return 0
    try:
        joined = "".join(values)
    except TypeError:  # None or Text among them
        return max(map(_width, values))
    if joined.isascii() and joined.isprintable():
        return max(map(len, values))
    return max(map(_width, values))


class RowColumn(NamedTuple):
    key: ColumnKey
    label: str
    width: int | None  # fixed content width, or None to follow the content


@steady_styles
@steady_scrollbars
class RowTable(ScrollView, can_focus=True):
    """A table of one-line rows with a row cursor (see the module's docstring)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "Select", show=False),
        Binding("up", "cursor_up", "Cursor up", show=False),
        Binding("down", "cursor_down", "Cursor down", show=False),
        Binding("right", "scroll_right", "Scroll right", show=False),
        Binding("left", "scroll_left", "Scroll left", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("ctrl+home", "scroll_top", "Top", show=False),
        Binding("ctrl+end", "scroll_bottom", "Bottom", show=False),
        Binding("home", "scroll_home", "Home", show=False),
        Binding("end", "scroll_end", "End", show=False),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = set(DataTable.COMPONENT_CLASSES)

    # DataTable's DEFAULT_CSS (Textual 8.2.8) for this type, filling the height it is
    # given as app.tcss has every DataTable do.
    DEFAULT_CSS = """
    RowTable {
        background: $surface;
        color: $foreground;
        height: 1fr;
        &:focus {
            background-tint: $foreground 5%;
            & > .datatable--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
            & > .datatable--header {
                background-tint: $foreground 5%;
            }
        }
        &:dark {
            & > .datatable--even-row {
                background: $surface-darken-1 40%;
            }
        }
        & > .datatable--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        &:ansi > .datatable--header {
            background: ansi_bright_blue;
            color: ansi_default;
        }
        & > .datatable--fixed {
            background: $secondary-muted;
            color: $foreground;
        }
        & > .datatable--odd-row {
        }
        & > .datatable--even-row {
            background: $surface-lighten-1 50%;
        }
        & > .datatable--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        & > .datatable--fixed-cursor {
            background: $block-cursor-blurred-background;
            color: $foreground;
        }
        & > .datatable--header-cursor {
            background: $accent-darken-1;
            color: $foreground;
        }
        & > .datatable--header-hover {
            background: $accent 30%;
        }
        & > .datatable--hover {
            background: $block-hover-background;
        }
    }
    """

    cursor_type = "row"
    show_cursor = True
    cell_padding = 1

    def __init__(self, *, show_header: bool = True, zebra_stripes: bool = False, cursor_type: str = "row",
                 name: str | None = None, id: str | None = None, classes: str | None = None,
                 disabled: bool = False) -> None:
        if cursor_type != "row":
            raise ValueError("a RowTable has a row cursor only")
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self.show_header = show_header
        self.zebra_stripes = zebra_stripes
        self.columns: list[RowColumn] = []
        self._keys: list[str | None] = []
        self._rows: list[Sequence] = []
        self._index: dict[str, int] = {}
        self._widths: list[int] = []  # each column's content width (cells, no padding)
        self._cursor = 0
        self._hover = -2  # the row under the mouse (-1 the header), -2 none
        self._show_hover = False
        self._lines: dict[tuple, Strip] = {}
        self._lines_for: tuple | None = None  # what every kept line was drawn with
        self._styles: dict = {}
        self._draw: tuple | None = None  # what every line of the draw under way reads

    # -- columns and rows ---------------------------------------------------
    def add_column(self, label: str, *, key: str | None = None, width: int | None = None) -> ColumnKey:
        column_key = ColumnKey(key)
        self.columns.append(RowColumn(column_key, str(label), width))
        if self._rows:  # every row has a cell per column
            self._rows = [[*cells, None] for cells in self._rows]
        self._measure()
        return column_key

    def add_columns(self, *labels: str) -> list[ColumnKey]:
        return [self.add_column(label) for label in labels]

    @property
    def row_count(self) -> int:
        return len(self._rows)

    def clear(self) -> RowTable:
        """Remove every row (the columns and their widths stay); the cursor goes to the
        first row and the view to the top, as DataTable's."""
        self._keys, self._rows, self._index = [], [], {}
        self._cursor = 0
        self._hover = -2
        self._measure()
        self.scroll_to(0, 0, animate=False, immediate=True)
        return self

    def add_keyed_rows(self, rows: Iterable[tuple[str | None, Sequence]], *, fresh: bool = True) -> list[RowKey]:
        """Add rows ``(key, cells)`` at the bottom (keys unique, or None; a repeated key or
        a row of more cells than columns refuses the whole batch). Highlights the
        cursor's row (posting ``RowHighlighted``) when the table was empty. ``fresh=False``:
        the cells are ones already shown (a filter or sort of the same rows), frozen out of
        the collector's way then, so no collect-and-freeze follows."""
        start = len(self._rows)
        width = len(self.columns)
        keys, cells_list, index = self._keys, self._rows, self._index
        new_keys, new_cells = [], []
        try:
            for key, cells in rows:
                if len(cells) != width:
                    if len(cells) > width:
                        raise ValueError("More values provided than there are columns.")
                    cells = [*cells, *[None] * (width - len(cells))]
                if key is not None:
                    if key in index:
                        raise DuplicateKey(f"The row key {key!r} already exists.")
                    index[key] = start + len(new_keys)
                new_keys.append(key)
                new_cells.append(cells)
        except BaseException:  # none of them added
            for key in new_keys:
                index.pop(key, None)
            raise
        if not new_keys:
            return []
        keys += new_keys
        cells_list += new_cells
        added = list(map(RowKey, new_keys))
        self._measure(new_cells)
        if start == 0:
            self._highlight()
        if fresh and len(cells_list) >= FREEZE_FROM_ROWS and self.is_attached and gc.isenabled():
            # Once the rows are drawn. While the collector is paused (the App's start-up)
            # the App freezes what lives once its first screen is drawn.
            self.call_after_refresh(_refreeze)
        return added

    def add_row(self, *cells, key: str | None = None) -> RowKey:
        return self.add_keyed_rows([(key, cells)])[0]

    def add_rows(self, rows: Iterable[Sequence]) -> list[RowKey]:
        """Add rows of cells without keys (as DataTable's ``add_rows``)."""
        return self.add_keyed_rows((None, cells) for cells in rows)

    def has_row(self, key: str) -> bool:
        return key in self._index

    def get_row_index(self, key: str) -> int:
        """The position of the row with ``key`` (KeyError when there is none)."""
        return self._index[key]

    def get_row_at(self, index: int) -> list:
        """The cells of the row at ``index``, one per column (None for a missing one)."""
        cells = list(self._rows[index])
        return cells + [None] * (len(self.columns) - len(cells))

    def get_column(self, key: str) -> list:
        """The cells of column ``key``, top to bottom."""
        i = next(i for i, c in enumerate(self.columns) if c.key.value == key)
        return [cells[i] if i < len(cells) else None for cells in self._rows]

    @property
    def row_keys(self) -> list[str | None]:
        return list(self._keys)

    def _measure(self, new_rows: Sequence[Sequence] = ()) -> None:
        """The columns' widths, grown to fit ``new_rows`` (as DataTable's: they never
        shrink while the columns stay, so a filter that empties the table or narrows its
        rows leaves the header where it was), and the virtual size; every kept line is
        drawn again."""
        widths = []
        # a column at a time, as one pass over the rows makes them (every row has a cell per column)
        by_column = list(zip(*new_rows, strict=True)) if new_rows else [()] * len(self.columns)
        for i, column in enumerate(self.columns):
            if column.width is not None:
                widths.append(column.width)
                continue
            known = self._widths[i] if i < len(self._widths) else cell_len(column.label)
            widths.append(max(known, _column_width(by_column[i])))
        self._widths = widths
        self._lines.clear()
        self._styles = {}
        header = 1 if self.show_header else 0
        self.virtual_size = Size(self._table_width(), len(self._rows) + header)
        self.refresh()

    def _table_width(self) -> int:
        return sum(w + 2 * self.cell_padding for w in self._widths)

    # -- the cursor ---------------------------------------------------------
    @property
    def cursor_row(self) -> int:
        return self._cursor

    @property
    def cursor_coordinate(self) -> Coordinate:
        return Coordinate(self._cursor, 0)

    @property
    def cursor_key(self) -> str | None:
        """The key of the row under the cursor; None for an empty table."""
        return self._keys[self._cursor] if self._rows else None

    @property
    def hover_coordinate(self) -> Coordinate:
        return Coordinate(self._hover, 0)

    def move_cursor(self, *, row: int | None = None, column: int | None = None, animate: bool = False,
                    scroll: bool = True) -> None:
        """Move the cursor to ``row`` (kept inside the table), scrolled into view."""
        if row is not None:
            self._set_cursor(row, scroll=False)
        if scroll:
            self._scroll_cursor_into_view(animate=animate)

    def _set_cursor(self, row: int, *, scroll: bool = True) -> None:
        row = max(0, min(row, len(self._rows) - 1))
        old, self._cursor = self._cursor, row
        if old != row:
            self._refresh_row(old)
            self._refresh_row(row)
            self._highlight()
            if scroll:
                self._scroll_cursor_into_view()

    def _highlight(self) -> None:
        if self._rows:
            self.post_message(DataTable.RowHighlighted(self, self._cursor, RowKey(self._keys[self._cursor])))

    def _scroll_cursor_into_view(self, animate: bool = False) -> None:
        header = 1 if self.show_header else 0
        width = max(self.size.width, self._table_width())
        region = Region(int(self.scroll_x), self._cursor + header, width, 1)
        self.scroll_to_region(region, animate=animate, spacing=Spacing(header, 0, 0, 0), force=True)

    def _page_height(self) -> int:
        return self.scrollable_content_region.height - (1 if self.show_header else 0)

    def _set_hover(self, active: bool) -> None:
        if active != self._show_hover:
            self._show_hover = active
            self._refresh_row(self._hover)

    def _refresh_row(self, row: int) -> None:
        """Draw row ``row`` (-1 the header, -2 none) again."""
        if row >= 0:
            self.refresh_line(row + (1 if self.show_header else 0))
        elif row == -1:
            self.refresh(Region(0, 0, self.size.width, 1))

    # -- keys ---------------------------------------------------------------
    def action_cursor_up(self) -> None:
        self._set_hover(False)
        self._set_cursor(self._cursor - 1)

    def action_cursor_down(self) -> None:
        self._set_hover(False)
        self._set_cursor(self._cursor + 1)

    def action_page_down(self) -> None:
        """As DataTable's: a page on, the view scrolled with it."""
        self._set_hover(False)
        height = self._page_height()
        self.scroll_relative(y=height, animate=False, force=True)
        self._set_cursor(self._cursor + height, scroll=False)

    def action_page_up(self) -> None:
        self._set_hover(False)
        height = self._page_height()
        self.scroll_relative(y=-height, animate=False)
        self._set_cursor(self._cursor - height, scroll=False)

    def action_scroll_top(self) -> None:
        self._set_hover(False)
        self._set_cursor(0)

    def action_scroll_bottom(self) -> None:
        self._set_hover(False)
        self._set_cursor(len(self._rows) - 1)

    def action_scroll_home(self) -> None:
        self._set_hover(False)
        self.scroll_x = 0

    def action_scroll_end(self) -> None:
        self._set_hover(False)
        self.scroll_x = self.max_scroll_x

    def action_select_cursor(self) -> None:
        self._set_hover(False)
        self._post_selected()

    def _post_selected(self) -> None:
        if self._rows:
            self.post_message(DataTable.RowSelected(self, self._cursor, RowKey(self._keys[self._cursor])))

    # -- the mouse ----------------------------------------------------------
    def _cell_at(self, event: events.MouseEvent) -> tuple[int, int | None] | None:
        """The row (-1 the header) and column (None past the last) under the mouse, or
        None off the rows."""
        offset = event.get_content_offset(self)
        if offset is None:
            return None
        x, pos, column = offset.x + int(self.scroll_x), 0, None
        for i, inner in enumerate(self._widths):
            pos += inner + 2 * self.cell_padding
            if x < pos:
                column = i
                break
        header = 1 if self.show_header else 0
        if offset.y < header:
            return -1, column
        row = offset.y - header + int(self.scroll_y)
        return (row, column) if row < len(self._rows) else None

    def _on_mouse_move(self, event: events.MouseMove) -> None:
        where = self._cell_at(event)
        row = -2 if where is None else where[0]
        self._set_hover(True)  # shown again after a key hid it: the row is drawn again
        if row != self._hover:
            old, self._hover = self._hover, row
            self._refresh_row(old)
            self._refresh_row(row)

    def _on_leave(self, _: events.Leave) -> None:
        self._set_hover(False)

    async def _on_click(self, event: events.Click) -> None:
        self._set_hover(True)
        where = self._cell_at(event)
        if where is None:
            return
        row, column = where
        if row == -1:
            if column is not None:
                col = self.columns[column]
                self.post_message(DataTable.HeaderSelected(self, col.key, column, label=Text(col.label)))
        else:
            again = row == self._cursor
            self._set_cursor(row, scroll=False)
            if again:
                self._post_selected()
            self._scroll_cursor_into_view(animate=True)
            event.stop()

    # -- drawing ------------------------------------------------------------
    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles = {}
        self._lines.clear()

    def render_lines(self, crop: Region) -> list[Strip]:
        # What every line of this draw reads, read once (nothing changes it meanwhile).
        width = self.size.width
        scroll_x, scroll_y = self.scroll_offset
        base = self.rich_style
        state = (width, base, self.get_pseudo_class_state(), self.app.theme)
        if state != self._lines_for:
            self._lines.clear()
            self._styles = {}
            self._lines_for = state
        self._draw = (width, scroll_x, scroll_y, base)
        try:
            return super().render_lines(crop)
        finally:
            self._draw = None

    def render_line(self, y: int) -> Strip:
        draw = self._draw
        if draw is None:
            width, height = self.size
            scroll_x, scroll_y = self.scroll_offset
            draw = (width, scroll_x, scroll_y, self.rich_style)
        width, scroll_x, scroll_y, base = draw
        header = 1 if self.show_header else 0
        row = -1 if y < header else y - header + scroll_y
        if row >= len(self._rows):
            return Strip.blank(width, base)
        cursor = row == self._cursor and row >= 0
        hover = self._show_hover and row == self._hover
        key = (row, cursor, hover, scroll_x, width)
        lines = self._lines
        strip = lines.get(key)
        if strip is None:
            strip = self._draw_row(row, cursor, hover, scroll_x, width, base)
            if len(lines) >= LINES_KEPT:
                del lines[next(iter(lines))]  # the oldest
            lines[key] = strip
        return strip

    def _style_of(self, name: str) -> Style:
        return self.get_component_styles(name).rich_style

    def _row_styles(self, row: int, cursor: bool, hover: bool, base: Style) -> tuple:
        """As DataTable's ``_get_row_style`` and ``_get_styles_to_render_cell``: the row's
        style under the cursor's or hover's (``under``), the post style, each column's
        cell style, the filler's, and the cells' own styles met so far. Made once per
        kind of row (parity, cursor, hover) until the styles change: every row of a
        kind shares them (a cell's meta names its column, not its row; the mouse is
        placed by position), so Rich and Textual's style caches hold across rows."""
        header = row == -1
        parity = -1 if header else (row % 2 if self.zebra_stripes else 2)
        key = (parity, cursor, hover)
        styles = self._styles.get(key)
        if styles is None:
            if header:
                row_style = self._style_of("datatable--header")
            elif self.zebra_stripes:
                row_style = self._style_of("datatable--odd-row" if row % 2 else "datatable--even-row")
            else:
                row_style = base
            get = self.get_component_rich_style
            component = Style()
            if hover:
                component += get("datatable--hover")
                if header:
                    component += get("datatable--header-hover")
            if cursor:
                component += get("datatable--cursor")
            post = Style.from_color(color=component.color)  # cursor_foreground_priority "css"
            under = row_style + component
            cell_style = under + post
            fills = [cell_style + meta for meta in self._column_metas()]
            filler = under + Style.from_meta({"out_of_bounds": True})
            styles = self._styles[key] = (under, post, fills, filler, {})
        return styles

    def _column_metas(self) -> list[Style]:
        metas = self._styles.get("metas")
        if metas is None or len(metas) != len(self._widths):
            metas = self._styles["metas"] = [Style.from_meta({"column": i}) for i in range(len(self._widths))]
        return metas

    def _draw_row(self, row: int, cursor: bool, hover: bool, scroll_x: int, width: int, base: Style) -> Strip:
        """Row ``row`` (-1 the header) as DataTable draws it: per cell the padding and its
        text cut or padded to the column's width, in the row's style with the cursor's
        or hover's on top and the cell's own (``Text.style``) for its text; then a filler
        to the widget's width. Each cell's segments carry a meta naming its column, so
        they stay apart where DataTable's do (its meta names the row and column)."""
        under, post, fills, filler, owns = self._row_styles(row, cursor, hover, base)
        if row == -1:
            cells = [(c.label, None) for c in self.columns]
        else:
            values = self._rows[row]
            cells = [_cell_text(values[i] if i < len(values) else None) for i in range(len(self._widths))]
        pad = " " * self.cell_padding
        get_style = self.app.console.get_style
        widths = self._widths
        table_width = sum(widths) + 2 * len(pad) * len(widths)

        def pieces():
            """The row's segments from left to right, made as they are asked for."""
            for column, (inner, (text, own)) in enumerate(zip(widths, cells, strict=True)):
                fill = fills[column]
                body = set_cell_size(text, inner) if cell_len(text) > inner else text
                tail = " " * (inner - cell_len(body))
                own_style = None
                if own is not None:
                    own_style = owns.get((own, column))
                    if own_style is None:
                        parsed = get_style(own)
                        own_style = owns[(own, column)] = \
                            (under + parsed + post + self._column_metas()[column]) if parsed else False
                if not own_style:
                    yield Segment(pad + body + tail + pad, fill)
                else:
                    yield Segment(pad, fill)
                    yield Segment(body, own_style)
                    yield Segment(tail + pad, fill)
            yield Segment(" " * max(0, width - table_width), filler)
        # DataTable's line: cut at scroll_x (textual._segment_tools.line_crop), then made
        # the widget's width (Strip.adjust_cell_length: cut, or padded in the base style).
        segments: list[Segment] = []
        shown = max(width, table_width) - scroll_x  # the cells left after the cut on the left
        parts = pieces()
        pos = 0
        for segment in parts:
            end = pos + segment.cell_length
            if end > scroll_x:
                segments.append(segment.split_cells(scroll_x - pos)[1])
                break
            pos = end
        if shown > width:
            length = segments[0].cell_length if segments else 0
            if length >= width:
                segments = [Segment(set_cell_size(segments[0].text, width), segments[0].style)]
            else:
                for segment in parts:
                    cells_ = segment.cell_length
                    if length + cells_ < width:
                        segments.append(segment)
                        length += cells_
                    else:
                        segments.append(Segment(set_cell_size(segment.text, width - length), segment.style))
                        break
        else:
            segments.extend(parts)
            if shown < width:
                segments.append(Segment(" " * (width - max(shown, 0)), base))
        return Strip(Segment.simplify(segments), width)

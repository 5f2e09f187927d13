"""Where dipaudit leans on how Textual works inside, and nowhere else.

Textual is pinned exactly (pyproject.toml). Each entry says what it relies on and why
no public API does the job in Textual 8.2.8; each has a test that fails when an
upgrade breaks it (tests/test_tui_compat.py, and the tests named below). On an
upgrade, run those first.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from itertools import chain, zip_longest

from rich.cells import cell_len, set_cell_size
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual._ansi_theme import DEFAULT_TERMINAL_THEME
from textual._compositor import Compositor
from textual._context import active_app
from textual._segment_tools import line_crop
from textual._styles_cache import StylesCache
from textual.app import App
from textual.cache import LRUCache
from textual.coordinate import Coordinate
from textual.dom import DOMNode
from textual.geometry import Region, Size
from textual.notifications import Notification
from textual.scrollbar import ScrollBar, ScrollBarRender
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import DataTable
from textual.widgets.data_table import DuplicateKey, Row, RowKey


def _redraw_if_widths_changed(table: DataTable, before: list[int]) -> None:
    """Rows drawn before the table measured them (a frame can fall between adding rows
    and the idle measure) are cached under the table's update count, cut to the old
    widths; a new count draws them again at the new ones."""
    if [c.content_width for c in table.columns.values()] != before:
        table._update_count += 1
        table.refresh()


def redraw_rows_after_measuring() -> None:
    """Make every DataTable draw its rows again once it has measured their widths.

    Why: Textual 8.2.8's DataTable measures new cells on idle, after a frame may already
    have drawn (and cached) them at the header's widths, and keeps showing them cut
    ("claime" for "claimed") until something else redraws the row (Textual issue #4470,
    open). That made the queue snapshot and the tmux lifecycle test flaky under load,
    and shows users cut cells. This wraps the private ``DataTable._update_dimensions``
    and bumps the private ``_update_count`` (the key of its render caches) when a width
    changed. Called once by the App; harmless to call again.

    Tests: tests/test_tui_compat.py (rows drawn before measuring are drawn again in full).
    """
    original = DataTable._update_dimensions
    if getattr(original, "redraws_after_measuring", False):
        return

    def _update_dimensions(self: DataTable, new_rows: Iterable[RowKey]) -> None:
        before = [c.content_width for c in self.columns.values()]
        original(self, new_rows)
        _redraw_if_widths_changed(self, before)

    _update_dimensions.redraws_after_measuring = True
    DataTable._update_dimensions = _update_dimensions


def _get_renders(self: Compositor, crop: Region | None = None):
    """Textual's ``Compositor._get_renders``, leaving out widgets outside ``crop`` and the
    lines of a widget above or below it (``_render_chops``, its only caller, reads a
    widget's lines from the clip it is given: here the part of its clip in the crop's
    lines)."""
    items = self.visible_widgets.items()
    if crop:
        overlaps, top, bottom = crop.overlaps, crop.y, crop.bottom
        widget_regions = []
        for widget, (region, clip) in items:
            if overlaps(clip) and overlaps(region):
                if clip.y < top or clip.bottom > bottom:
                    y = max(clip.y, top)
                    clip = Region(clip.x, y, clip.width, min(clip.bottom, bottom) - y)
                widget_regions.append((widget, region, clip))
    else:
        widget_regions = [(widget, region, clip) for widget, (region, clip) in items]
    for widget, region, clip in widget_regions:
        if clip.contains_region(region):
            yield region, clip, widget.render_lines(Region(0, 0, region.width, region.height))
        else:
            new_x, new_y, new_width, new_height = region.intersection(clip)
            if new_width and new_height:
                yield region, clip, widget.render_lines(
                    Region(new_x - region.x, new_y - region.y, new_width, new_height))


def draws_only_widgets_in_updates() -> None:
    """Make the screen's compositor draw, for an update, only the widgets the update
    touches.

    Why: Textual 8.2.8's ``Compositor._get_renders`` (private) picks the widgets to draw
    for an update by their clip (the area of their container), not by where they are,
    so a key that changes the queue table has the header, the footer and its keys, the
    status line, the filter box and the child detail render every line too (from their
    caches, then cut up and thrown away: about a tenth of a cursor move's cost,
    bench/bench_tui.py), and a keystroke in the filter box has the screen, its
    containers and the table render all their lines for the one line that changed. A
    widget wholly outside the update's area, or a line above or below it, gives nothing
    to it (``ChopsUpdate`` writes only the spans updated), so this leaves them out; the
    body is Textual's otherwise. Full updates and screenshots (a crop of the whole screen) are
    unchanged. The App installs it (beside ``redraw_rows_after_measuring``); harmless to call again.

    Tests: tests/test_tui_compat.py (an update leaves out widgets outside it, and the
    screen ends as a full redraw draws it).
    """
    if getattr(Compositor._get_renders, "draws_only_widgets_in_updates", False):
        return
    if not callable(getattr(Compositor, "_get_renders", None)) or not hasattr(Compositor, "visible_widgets"):
        raise RuntimeError("textual changed: Compositor._get_renders is gone (tui/compat.py)")
    _get_renders.draws_only_widgets_in_updates = True
    _get_renders.textuals = Compositor._get_renders
    Compositor._get_renders = _get_renders


def measures_plain_text(cls: type[DataTable]) -> type[DataTable]:
    """Make a DataTable subclass measure its columns as plain one-line text.

    Why: DataTable measures every new cell on idle by rendering it: about 3 s for the
    queue's 10,000 rows of 9 columns, during which the table shows wrong widths. Plain
    strings measure as ``cell_len``, the same numbers in milliseconds. Textual has no
    public hook for this; the class decorated overrides the private
    ``DataTable._update_dimensions(new_rows)``, reads ``_data``, ``_total_row_height``
    and ``_row_label_column_width``, and redraws rows drawn before it measured (see
    ``redraw_rows_after_measuring``). Cells must be strings, None or one-line Text.

    Tests: tests/test_tui_compat.py (the override still runs, gives DataTable's own
    widths and virtual size, and redraws rows drawn before it measured).
    """

    def _update_dimensions(self: DataTable, new_rows: Iterable[RowKey]) -> None:
        columns = list(self.columns.values())
        before = [c.content_width for c in columns]
        widths = list(before)
        data = self._data
        for row_key in new_rows:
            cells = data.get(row_key)
            if cells is None:  # removed before idle
                continue
            for i, column in enumerate(columns):
                value = cells.get(column.key)
                if value is not None:
                    width = cell_len(str(value))
                    if width > widths[i]:
                        widths[i] = width
        for column, width in zip(columns, widths, strict=True):
            column.content_width = width
        _redraw_if_widths_changed(self, before)
        total_width = sum(c.get_render_width(self) for c in columns) + self._row_label_column_width
        header_height = self.header_height if self.show_header else 0
        self.virtual_size = Size(total_width, self._total_row_height + header_height)

    if not callable(getattr(DataTable, "_update_dimensions", None)):
        raise RuntimeError("textual changed: DataTable._update_dimensions is gone (tui/compat.py)")
    cls._update_dimensions = _update_dimensions
    return cls


def add_rows_at_once(table: DataTable, rows: Iterable[tuple[str | None, Sequence]]) -> list[RowKey]:
    """Add one-line rows ``(key, cells)`` at the bottom of ``table`` as ``add_row`` would
    one by one, with its bookkeeping done once.

    Why: ``DataTable.add_row`` (and ``add_rows``, a loop over it) sorts the columns twice,
    sets the cursor reactive (validator and watcher) and checks idle per row: about
    0.15 ms a row here, 1.5 s for the queue's 10,000 rows. This writes the private
    ``_row_locations``, ``_data``, ``rows`` and ``_new_rows`` as ``add_row`` does, then
    sets the cursor, highlights the first row of an empty table (posting
    ``RowHighlighted``), bumps ``_update_count`` and checks idle once.

    Tests: tests/test_tui_compat.py (the table ends as ``add_row`` leaves it: keys, cells,
    cursor, size, rendering and the highlight message).
    """
    columns = [c.key for c in table.ordered_columns]
    locations, data, metadata, new = table._row_locations, table._data, table.rows, table._new_rows
    start = table.row_count
    added: list[RowKey] = []
    for key, cells in rows:
        row_key = RowKey(key)
        if row_key in locations:
            raise DuplicateKey(f"The row key {row_key!r} already exists.")
        if len(cells) > len(columns):
            raise ValueError("More values provided than there are columns.")
        locations[row_key] = start + len(added)
        data[row_key] = dict(zip_longest(columns, cells))
        metadata[row_key] = Row(row_key, 1, None, False)
        new.add(row_key)
        added.append(row_key)
    if not added:
        return added
    table._require_update_dimensions = True
    table.cursor_coordinate = table.cursor_coordinate
    if start == 0 and table.columns and table.show_cursor and table.cursor_type != "none":
        table._highlight_cursor()
    table._update_count += 1
    table.check_idle()
    return added


def finds_rows_by_index(cls: type[DataTable]) -> type[DataTable]:
    """Make a DataTable subclass find a row's region without adding up the rows above it.

    Why: Textual 8.2.8's private ``DataTable._get_row_region`` sums the heights of every
    row above the one asked for, and a cursor move asks four times (the old and new row
    redrawn, the new one highlighted, then scrolled into view): work that grows with
    the cursor's row, ~40,000 steps a key at the foot of a 10,000-row queue. When every
    row is one line high (the table's total row height, ``_total_row_height``, equals
    its row count) the row at index i starts at line i; otherwise Textual's own method
    runs. The body is Textual's otherwise.

    Tests: tests/test_tui_compat.py (the regions are DataTable's own, with and without
    a header, and with a taller row).
    """

    def _get_row_region(self: DataTable, row_index: int) -> Region:
        if not self.is_valid_row_index(row_index) or self._total_row_height != self.row_count:
            return DataTable._get_row_region(self, row_index)
        row = self.rows[self._row_locations.get_key(row_index)]
        row_width = sum(column.get_render_width(self) for column in self.columns.values()) + \
            self._row_label_column_width
        y = row_index + (self.header_height if self.show_header else 0)
        return Region(0, y, max(self.size.width, row_width), row.height)

    for name in ("_get_row_region", "_total_row_height", "is_valid_row_index"):
        if not hasattr(DataTable, name):
            raise RuntimeError(f"textual changed: DataTable.{name} is gone (tui/compat.py)")
    cls._get_row_region = _get_row_region
    return cls


# A cursor (or hover) on another row: every row away from the cursor renders the same.
_ELSEWHERE = Coordinate(-2, -2)


def _line_state(table: DataTable) -> tuple:
    """What ``_render_line`` reads of the table for every line (as Textual's
    ``_render_line`` and ``_get_offsets`` read it): the width, the cursor and hover, the
    rest of the line cache's key, the lines' rows and the header's height (0 when
    hidden). Read once a draw while ``render_lines`` runs (nothing can change them during
    it), else each time."""
    draw = table.__dict__.get("_drawing")
    state = draw.get("rows") if draw is not None else None
    if state is None:
        state = (table.size.width, table.cursor_coordinate, table.hover_coordinate,
                 (table.cursor_type, table._show_hover_cursor, table._update_count,
                  table._pseudo_class_state),
                 table._y_offsets, table.header_height if table.show_header else 0)
        if draw is not None:
            draw["rows"] = state
    return state


def caches_rows_apart_from_cursor(cls: type[DataTable]) -> type[DataTable]:
    """Make a DataTable subclass with a row cursor keep its rendered lines when the
    cursor moves.

    Why: Textual 8.2.8's DataTable keys its line and row render caches on the cursor's
    coordinate, so after a cursor move every line it draws again misses the cache and
    renders each cell anew through Rich, though only two rows changed. Any full repaint
    (a layout refresh, such as the queue's child detail changing, a page move) then
    renders every visible row: most of a key press's cost at 10,000 rows
    (bench/bench_tui.py). With a row cursor a row renders the same wherever the cursor
    is, as long as it is not on that row, so this passes the cursor (and the hover) to
    the private ``_render_line_in_row`` as "elsewhere" for every other row and keys the
    private ``_line_cache`` the same way. The body is Textual's ``_render_line`` with
    those two coordinates changed; other cursor types take Textual's own path.

    Tests: tests/test_tui_compat.py (lines render as DataTable's own at each cursor
    position, and lines away from the cursor come from the cache after a move).
    """
    original = DataTable._render_line

    def _render_line(self: DataTable, y: int, x1: int, x2: int, base_style) -> Strip:
        if self.cursor_type != "row":
            return original(self, y, x1, x2, base_style)
        width, cursor, hover, rest, offsets, header = _line_state(self)
        if y < header:
            row_key, y_offset_in_row = self._header_row_key, y
        elif y - header < len(offsets):
            row_key, y_offset_in_row = offsets[y - header]
        else:
            return Strip.blank(width, base_style)
        locations = self._row_locations
        row_index = locations.get(row_key) if row_key in locations else -1
        if cursor.row != row_index:
            cursor = _ELSEWHERE
        if hover.row != row_index:
            hover = _ELSEWHERE
        cache_key = (y, x1, x2, width, cursor, hover, base_style, *rest)
        if cache_key in self._line_cache:
            return self._line_cache[cache_key]
        fixed, scrollable = self._render_line_in_row(row_key, y_offset_in_row, base_style,
                                                     cursor_location=cursor, hover_location=hover)
        fixed_width = sum(column.get_render_width(self) for column in self.ordered_columns[: self.fixed_columns])
        fixed_line: list[Segment] = list(chain.from_iterable(fixed)) if fixed else []
        scrollable_line: list[Segment] = list(chain.from_iterable(scrollable))
        segments = fixed_line + line_crop(scrollable_line, x1 + fixed_width, x2, width)
        # Textual's Strip(segments).adjust_cell_length(width, base_style).simplify(), in
        # one Strip rather than three when the line is not too long (a new screenful of
        # rows makes ~40 of them, and each Strip is 15 objects for the collector).
        length = sum(cell_len(text) for text, _style, control in segments if not control)
        if length <= width:
            if length < width:
                segments.append(Segment(" " * (width - length), base_style))
            strip = Strip(Segment.simplify(segments), width)
        else:
            strip = Strip(segments).adjust_cell_length(width, base_style).simplify()
        self._line_cache[cache_key] = strip
        return strip

    for name in ("_render_line", "_render_line_in_row", "_get_offsets"):
        if not callable(getattr(DataTable, name, None)):
            raise RuntimeError(f"textual changed: DataTable.{name} is gone (tui/compat.py)")
    cls._render_line = _render_line
    return cls


def _plain_cell(value) -> tuple[str, object] | None:
    """A cell's one line of text and its own style (a style string, a Style or None),
    when it is plain enough to draw without Rich; None sends its row to DataTable's path."""
    if value is None:
        return "", None
    if type(value) is str:
        return (value, None) if value.isprintable() else None
    if (type(value) is Text and not value.spans and value.justify is None
            and value.overflow in (None, "fold", "crop") and value.plain.isprintable()):
        return value.plain, (value.style or None)
    return None


def _row_state(table: DataTable) -> tuple:
    """What ``renders_plain_rows`` reads of the table for every row: whether it may draw
    rows itself, the rest of the row cache's key, the columns and their widths, the cell
    padding, the console's style parser, the cursor settings, the row label's width and
    the table's width. Read once a draw (as ``_line_state``), else each time."""
    draw = table.__dict__.get("_drawing")
    state = draw.get("cells") if draw is not None else None
    if state is None:
        columns = table.ordered_columns
        plain = not (table.cursor_type != "row" or table.fixed_rows or table.fixed_columns
                     or (table._labelled_row_exists and table.show_row_labels))
        show_cursor, show_hover = table.show_cursor, table._show_hover_cursor
        state = (plain, (table.cursor_type, show_cursor, show_hover, table._update_count,
                         table._pseudo_class_state),
                 columns, [c.get_render_width(table) for c in columns], " " * table.cell_padding,
                 table.app.console.get_style, show_cursor, show_hover,
                 table.cursor_foreground_priority == "css", table.cursor_background_priority == "css",
                 table._row_label_column_width, table.size.width)
        if draw is not None:
            draw["cells"] = state
    return state


def renders_plain_rows(cls: type[DataTable]) -> type[DataTable]:
    """Make a DataTable subclass with a row cursor draw rows of plain one-line cells
    without Rich.

    Why: a row drawn for the first time (a page move shows a screenful of them) goes
    through Rich for each cell (``Styled(Padding(Text.from_markup(cell)))``, about
    0.3 ms a cell here): most of a page move's cost at 10,000 rows
    (bench/bench_tui.py). A cell that is a printable string, None or a one-style
    ``Text`` draws as its text cut or padded to the column's width between the cell
    padding, in the style DataTable gives it; the segments come out as DataTable's
    own. The body follows the private ``DataTable._render_line_in_row`` (its cache, its
    key, ``_get_row_style``, ``_get_styles_to_render_cell``, the ``row``/``column``
    meta that mouse clicks and hover read, the filler to the right); the header, rows
    with labels, fixed rows or columns, rows taller than one line and any row with
    another kind of cell take Textual's own path. A string is drawn as it reads:
    DataTable parses strings as Rich markup, so "[b]" in an imported name vanished and
    "[/]" raised while drawing.

    Tests: tests/test_tui_compat.py (rows draw exactly as DataTable's own, with the
    cursor, hover, zebra stripes, styled, cut, wide and missing cells; markup is shown
    as text; a click on a row still selects it).
    """
    original = DataTable._render_line_in_row

    def _render_line_in_row(self: DataTable, row_key: RowKey, line_no: int, base_style: Style,
                            cursor_location: Coordinate, hover_location: Coordinate):
        (plain, rest, columns, widths, pad, get_style, show_cursor, show_hover, fg_css, bg_css,
         label_width, size_width) = _row_state(self)
        if line_no or not plain or row_key is self._header_row_key:
            return original(self, row_key, line_no, base_style, cursor_location, hover_location)
        cache_key = (row_key, line_no, base_style, cursor_location, hover_location, *rest)
        cache = self._row_render_cache
        if cache_key in cache:
            return cache[cache_key]
        row, data = self.rows.get(row_key), self._data.get(row_key)
        locations = self._row_locations
        row_index = locations.get(row_key) if row_key in locations else -1
        cells = [_plain_cell(data.get(c.key)) for c in columns] if data is not None else [None]
        if row is None or row.height != 1 or row_index < 0 or None in cells:
            return original(self, row_key, line_no, base_style, cursor_location, hover_location)
        cursor, hover = cursor_location.row == row_index, hover_location.row == row_index
        component, post = self._get_styles_to_render_cell(
            False, False, False, hover, cursor, show_cursor, show_hover, fg_css, bg_css)
        # The row's style for its parity, read from the CSS once (until the styles change).
        styles = self.__dict__.setdefault("_plain_row_styles", {})
        parity_key = (row_index % 2, base_style, self._pseudo_class_state)
        row_style = styles.get(parity_key)
        if row_style is None:
            row_style = styles[parity_key] = self._get_row_style(row_index, base_style)
        # Textual's cell style is row + meta + component, then post (Styled); the meta
        # holds no colour or attribute, so that equals (row + component + post) + meta.
        under = row_style + component
        cell_style = under + post
        scrollable: list[list[Segment]] = []
        table_width = label_width
        for column_index, (width, (text, own)) in enumerate(zip(widths, cells, strict=True)):
            table_width += width
            meta = Style.from_meta({"row": row_index, "column": column_index})
            fill = cell_style + meta
            inner = max(width - 2 * len(pad), 0)
            body = set_cell_size(text, inner) if cell_len(text) > inner else text
            tail = " " * (inner - cell_len(body))
            own_style = get_style(own) if own is not None else None
            if own_style and (own_style.link or own_style.meta):  # not plain after all
                return original(self, row_key, line_no, base_style, cursor_location, hover_location)
            if not own_style:
                scrollable.append([Segment(pad + body + tail + pad, fill)])
            else:
                scrollable.append([Segment(pad, fill), Segment(body, under + own_style + post + meta),
                                   Segment(tail + pad, fill)])
        extend, _ = self._get_styles_to_render_cell(False, False, False, hover, cursor, show_cursor,
                                                    show_hover, False, False)
        extend = row_style + extend + Style.from_meta({"row": row_index, "column": 0, "out_of_bounds": True})
        scrollable.append([Segment(" " * max(0, size_width - table_width), extend)])
        cache[cache_key] = row_pair = ([], scrollable)
        return row_pair

    def notify_style_update(self: DataTable) -> None:
        self.__dict__.pop("_plain_row_styles", None)  # the theme or the CSS changed
        super(cls, self).notify_style_update()

    for name in ("_render_line_in_row", "_get_row_style", "_get_styles_to_render_cell"):
        if not callable(getattr(DataTable, name, None)):
            raise RuntimeError(f"textual changed: DataTable.{name} is gone (tui/compat.py)")
    cls._render_line_in_row = _render_line_in_row
    cls.notify_style_update = notify_style_update
    return cls


def reads_style_once_per_draw(cls: type[DataTable]) -> type[DataTable]:
    """Make a DataTable subclass read its own style once per draw, not once per line.

    Why: Textual 8.2.8's ``DataTable.render_line`` asks for ``self.rich_style`` (a walk
    up the DOM blending backgrounds) for every line it draws, and a scroll of one row
    draws every visible line: about a tenth of a cursor move's cost at 10,000 rows
    (bench/bench_tui.py). Nor can anything else a line reads of the table (its size,
    scroll offset, fixed rows; for ``caches_rows_apart_from_cursor`` the cursor, hover,
    line offsets, header height and update count, ``_line_state``): with a draw under
    way they are read once, by its first line, and kept in ``_drawing`` until it ends
    (outside a draw each line reads them as Textual does). ``render_line`` is Textual's
    body otherwise: the header and fixed rows stay put, the rest scroll; it reads the
    private ``_render_line``, ``_row_locations``, ``_header_row_key`` and
    ``_pseudo_class_state``.

    Tests: tests/test_tui_compat.py (lines render as DataTable's own, and the style is
    read once a draw).
    """

    def render_lines(self: DataTable, crop):
        self._pseudo_class_state = self.get_pseudo_class_state()
        self._drawing = {}  # what every line of this draw shares (see _line_state)
        try:
            return super(DataTable, self).render_lines(crop)
        finally:
            self._drawing = None

    def render_line(self: DataTable, y: int) -> Strip:
        draw = self.__dict__.get("_drawing")
        state = draw.get("line") if draw is not None else None
        if state is None:
            width, _height = self.size
            scroll_x, scroll_y = self.scroll_offset
            fixed = sum(self.get_row_height(self._row_locations.get_key(i)) for i in range(self.fixed_rows))
            if self.show_header:
                fixed += self.get_row_height(self._header_row_key)
            state = (width, scroll_x, scroll_y, fixed, self.rich_style)
            if draw is not None:
                draw["line"] = state
        width, scroll_x, scroll_y, fixed, style = state
        if y >= fixed:
            y += scroll_y
        return self._render_line(y, scroll_x, scroll_x + width, style)

    for name in ("render_lines", "render_line", "_render_line", "get_row_height"):
        if not callable(getattr(DataTable, name, None)):
            raise RuntimeError(f"textual changed: DataTable.{name} is gone (tui/compat.py)")
    cls.render_lines = render_lines
    cls.render_line = render_line
    return cls


class SteadyStylesCache(StylesCache):
    """A widget's styles cache that styles a line of content once, however often it is
    drawn and wherever it moves.

    Why: Textual 8.2.8's ``StylesCache`` (private) keeps a widget's styled lines by their
    position and forgets them all when the widget scrolls; a table scrolled by one row
    then styles every visible line again (tint, the background beneath, the line filters,
    a new ``Strip`` each, then cut again at the screen's edges): about a third of a cursor
    move's cost at 10,000 rows (bench/bench_tui.py), though every line shows what a line
    showed before. A line of content (not a border, padding or outline line) is styled
    by ``StylesCache.render_line`` from its content line and from values that are the
    same for every such line in one draw: the widget's size, colours, opacity, the
    styles it reads (gutter, border, outline, tint, text opacity, hatch) and the ANSI
    theme. So this keeps the styled line for each content ``Strip`` (by identity: a
    ``Strip`` is immutable, and the table's line cache hands back the same object for a
    line drawn before) and gives it back while those values stay the same; any change
    of them starts afresh. Everything else is Textual's own ``render``/``render_line``.

    Tests: tests/test_tui_compat.py (lines styled as Textual's own, with a border,
    padding, tint and a theme change; a scroll styles only the lines that are new).
    """

    # Styled lines kept, the oldest dropped first: three screenfuls (~40 lines each), few
    # enough that the collector has little more to walk.
    MAX_LINES = 128

    def __init__(self) -> None:
        super().__init__()
        self._steady_key: tuple | None = None
        self._steady_lines: dict[int, tuple[Strip, Strip]] = {}
        self._steady_rows = range(0)  # the content lines of the draw under way
        self._steady_top = 0

    def render(self, styles, size, base_background, background, render_content_line, filters,
               border_title, border_subtitle, content_size=None, padding=None, crop=None,
               opacity=1.0, ansi_theme=DEFAULT_TERMINAL_THEME, native_ansi=False):
        if content_size is None:
            content_size = size
        if padding is None:
            padding = styles.padding
        try:
            app_theme = active_app.get().ansi_theme  # what Textual's tint reads
        except LookupError:
            app_theme = DEFAULT_TERMINAL_THEME
        gutter, outline = styles.gutter, styles.outline
        key = (size, content_size, padding, base_background, background, opacity, ansi_theme,
               native_ansi, app_theme, gutter, styles.border, outline, styles.tint,
               styles.text_opacity, styles.hatch if styles.has_rule("hatch") else None)
        if key != self._steady_key:
            self._steady_lines.clear()
            self._steady_key = key
        # The lines Textual styles as content ("C" in render_line), less the outline's.
        first = max(gutter.top, 1 if outline.top[0] else 0)
        end = min(size.height - gutter.bottom, gutter.top + content_size.height,
                  size.height - 1 if outline.bottom[0] else size.height)
        self._steady_top = gutter.top
        self._steady_rows = range(first, end)
        try:
            return super().render(styles, size, base_background, background, render_content_line,
                                  filters, border_title, border_subtitle, content_size=content_size,
                                  padding=padding, crop=crop, opacity=opacity, ansi_theme=ansi_theme,
                                  native_ansi=native_ansi)
        finally:
            self._steady_rows = range(0)

    def render_line(self, styles, y, size, content_size, padding, base_background, background,
                    render_content_line, *rest):
        if y not in self._steady_rows:
            return super().render_line(styles, y, size, content_size, padding, base_background,
                                       background, render_content_line, *rest)
        content = render_content_line(y - self._steady_top)
        lines = self._steady_lines
        kept = lines.get(id(content))
        if kept is not None and kept[0] is content:
            return kept[1]
        strip = super().render_line(styles, y, size, content_size, padding, base_background,
                                    background, lambda _y: content, *rest)
        if len(lines) >= self.MAX_LINES:
            del lines[next(iter(lines))]  # the oldest
        lines[id(content)] = (content, strip)
        return strip


def steady_styles(cls: type[Widget]) -> type[Widget]:
    """Give a widget a ``SteadyStylesCache`` in place of Textual's (the private
    ``Widget._styles_cache``, set in ``Widget.__init__``).

    Tests: tests/test_tui_compat.py (a PlainTable's styles cache is a SteadyStylesCache).
    """
    init = cls.__init__

    def __init__(self, *args, **kwargs) -> None:
        init(self, *args, **kwargs)
        if not isinstance(getattr(self, "_styles_cache", None), StylesCache):
            raise RuntimeError("textual changed: Widget._styles_cache is gone (tui/compat.py)")
        self._styles_cache = SteadyStylesCache()

    cls.__init__ = __init__
    return cls


# What a PlainTable keeps drawn (Textual's DataTable keeps 1,000 of each).
LINES_KEPT = 256  # six screenfuls of lines: scrolling back a few pages draws nothing
ROWS_KEPT = 64  # rows as segments: a line is drawn from them only when the line is not kept


def keeps_few_lines_drawn(cls: type[DataTable]) -> type[DataTable]:
    """Make a DataTable subclass keep fewer drawn lines and rows.

    Why: Textual 8.2.8's DataTable keeps its last 1,000 drawn lines and 1,000 drawn rows
    (the private ``_line_cache`` and ``_row_render_cache``), ~60,000 objects once a few
    dozen pages of a long table have been shown: all of them walked by every full
    collection, the worst pauses of a page move at 10,000 rows (bench/bench_tui.py
    prints them). With rows drawn apart from the cursor (``caches_rows_apart_from_cursor``)
    a line drawn once is found again by the line cache, so a few screenfuls of lines and
    fewer rows keep every move among them as cheap; the rest are freed as they go. Sets
    their public ``LRUCache.maxsize``.

    Tests: tests/test_tui_compat.py (a PlainTable keeps that many).
    """
    init = cls.__init__

    def __init__(self, *args, **kwargs) -> None:
        init(self, *args, **kwargs)
        for name, size in (("_line_cache", LINES_KEPT), ("_row_render_cache", ROWS_KEPT)):
            cache = getattr(self, name, None)
            if not isinstance(cache, LRUCache):
                raise RuntimeError(f"textual changed: DataTable.{name} is gone (tui/compat.py)")
            cache.maxsize = size

    cls.__init__ = __init__
    return cls


class SteadyScrollBar(ScrollBar):
    """A scrollbar that draws again only when what it shows changes.

    Why: Textual 8.2.8 draws a scrollbar again (a Rich renderable through the whole
    visual pipeline, every line) whenever its position changes, and a table of 10,000
    rows scrolled by one row moves its position every time, though the thumb moves a
    cell only every few dozen rows: the vertical bar cost more than the table's own
    lines per cursor move (bench/bench_tui.py). This keys the drawn lines on the bar's
    segments (``ScrollBarRender.render_bar``, as its ``__rich_console__`` computes them:
    public) with the size, the widget's style and the App's line filters (the
    private ``App._filters``), and returns the lines drawn last time (the whole bar, cut
    to the crop asked for) when those are the same. When the thumb moves, a vertical bar
    with no border, padding or outline reuses the lines it drew before for the same
    segment (each line is drawn from its own segment: the track, the thumb, its ends), so
    a page move draws nothing new once those have been drawn. Anything but the stock
    renderer draws as Textual does.

    Tests: tests/test_tui_compat.py (the bar draws as Textual's own as it moves, and
    is drawn again only when its segments change).
    """

    def render_lines(self, crop):
        renderable = self.render()
        if type(renderable) is not ScrollBarRender:
            return super().render_lines(crop)
        width, height = self.size
        console = self.app.console
        style = console.get_style(renderable.style)
        bar = renderable.render_bar(
            size=height if renderable.vertical else width,
            window_size=renderable.window_size, virtual_size=renderable.virtual_size,
            position=renderable.position, vertical=renderable.vertical,
            thickness=width if renderable.vertical else height,
            back_color=style.bgcolor or Color.parse("#555555"),
            bar_color=style.color or Color.parse("bright_magenta"))
        frame = (self.size, self.rich_style, tuple(self.app._filters))
        segments = tuple(bar.segments)
        key = (frame, segments)
        last = self.__dict__.get("_steady_lines")
        if last is not None and last[0] == key:
            lines = last[1]
        else:
            # A vertical bar is one segment a line, and with no border, padding or
            # outline each line is drawn from its own segment alone: lines drawn before
            # (the track, the thumb, its ends) are reused as they are.
            known = self.__dict__.get("_steady_known")
            if known is None or known[0] != frame:
                known = self._steady_known = (frame, {})
            by_segment = known[1]
            local = (renderable.vertical and len(segments) == height and not any(self.styles.gutter)
                     and not any(edge for edge, _color in self.styles.outline))
            if local and all(segment in by_segment for segment in segments):
                lines = [by_segment[segment] for segment in segments]
            else:
                lines = super().render_lines(self.size.region)  # the whole bar, whatever the crop
                if local and len(lines) == len(segments):
                    if len(by_segment) > 64:
                        by_segment.clear()
                    by_segment.update(zip(segments, lines, strict=True))
            self._steady_lines = (key, lines)
        if crop == self.size.region:
            return lines
        x1, x2 = crop.column_span
        return [line.crop(x1, x2) for line in lines[crop.y:crop.bottom]]  # as Textual cuts a crop


def steady_scrollbars(cls: type[Widget]) -> type[Widget]:
    """Give a widget ``SteadyScrollBar``s: its ``vertical_scrollbar`` and
    ``horizontal_scrollbar`` properties are Textual's bodies (the private
    ``_vertical_scrollbar``/``_horizontal_scrollbar`` and ``App._start_widget``) with
    that class.

    Tests: tests/test_tui_compat.py (a PlainTable's bars are SteadyScrollBars).
    """

    def _bar(self, vertical: bool) -> ScrollBar:
        attr = "_vertical_scrollbar" if vertical else "_horizontal_scrollbar"
        bar = getattr(self, attr)
        if bar is None:
            size = self.scrollbar_size_vertical if vertical else self.scrollbar_size_horizontal
            bar = SteadyScrollBar(vertical=vertical, name="vertical" if vertical else "horizontal",
                                  thickness=size)
            setattr(self, attr, bar)
            bar.display = False
            self.app._start_widget(self, bar)
        return bar

    for name in ("_vertical_scrollbar", "_horizontal_scrollbar"):
        if name not in Widget.__init__.__code__.co_names:
            raise RuntimeError(f"textual changed: Widget.{name} is gone (tui/compat.py)")
    if not callable(getattr(App, "_start_widget", None)):
        raise RuntimeError("textual changed: App._start_widget is gone (tui/compat.py)")
    cls.vertical_scrollbar = property(lambda self: _bar(self, True))
    cls.horizontal_scrollbar = property(lambda self: _bar(self, False))
    return cls


class KeysAhead:
    """Keys typed ahead of a focus change go where the focus is by then, in order.

    Why: a burst of keys (a fast typist, an SSH link delivering keystrokes together) that
    starts with a key moving the focus (``e`` to edit evidence, ``/`` to the filter,
    ``escape`` out of an editor, ``tab``) must carry on where the focus now is. Textual
    hands every arriving key to the widget focused on arrival, and runs a non-priority
    binding only once the key has bubbled back up from that widget; so the rest of the
    burst is already queued at the old widget: dropped by a list, or typed into the
    wrong box.

    So the App (``on_event``) gives each arriving key to ``handle``: a key the focused
    widget would not take as text (``check_consume_key``) and that has an active
    binding (``Screen.active_bindings``) runs that binding at once (``App.run_action``),
    after the keys already handed to widgets have been handled (so text typed before an
    ``escape`` is in its box before the focus moves on). Text, priority bindings and
    keys with no binding take Textual's usual path. All of that is public API; what is
    relied on is the order of delivery inside ``App.on_event``.

    Tests: tests/test_tui_compat.py; tests/test_tui_checklist.py
    (test_keys_typed_ahead_of_a_focus_change_land_in_the_editor,
    test_enter_on_a_standard_edits_its_evidence_at_once); tests/test_tmux_queue.py.
    """

    # A widget that takes longer than this over keys already handed to it is not waited
    # for further (a ceiling against a stuck widget, never reached in normal use).
    DRAIN_SECONDS = 2.0

    def __init__(self, app: App) -> None:
        self.app = app
        self._queued_at: list[DOMNode] = []  # widgets holding keys not yet handled

    async def handle(self, event: events.Key) -> bool:
        """True when the key's binding ran here; False to let Textual deliver it."""
        app = self.app
        if event.is_forwarded:
            return False
        action = self._binding(event)
        if action is not None:
            await self._drain()
            if not app.app_focus:
                app.app_focus = True  # as Textual does for a key
            node, name = action
            if await app.run_action(name, node):
                event.stop()
                event.prevent_default()
                return True
        # Textual hands it to the focused widget (or the screen): wait for it there.
        target = app.focused or app.screen
        if target not in self._queued_at:
            self._queued_at.append(target)
        return False

    def _binding(self, event: events.Key) -> tuple[DOMNode, str] | None:
        app = self.app
        screen = app.screen
        if screen.maximized is not None:
            return None  # escape minimises: Textual's own path
        focused = app.focused
        if focused is not None and focused.check_consume_key(event.key, event.character):
            return None  # text for the focused box
        active = screen.active_bindings.get(event.key)
        if active is None or not active.enabled or active.binding.priority:
            return None
        return active.node, active.binding.action

    async def _drain(self) -> None:
        """Wait until every widget given keys has handled them."""
        nodes, self._queued_at = self._queued_at, []
        await messages_handled(nodes, self.DRAIN_SECONDS)


async def messages_handled(nodes: Iterable[DOMNode], timeout: float) -> None:
    """Wait (at most ``timeout`` seconds) until each node has handled every message
    queued to it so far.

    Why here: it relies on Textual handling a node's messages and its ``call_later``
    callbacks in the order they were queued (public calls, but an order Textual does
    not promise in writing). Used by ``KeysAhead`` and by the tests' ``settle``.

    Tests: tests/test_tui_compat.py (KeysAhead), and every test using tests/tui_helpers.settle.
    """
    flags = []
    for node in nodes:
        flag = asyncio.Event()
        if node.call_later(flag.set):
            flags.append(flag)
    if flags:
        waits = [asyncio.ensure_future(f.wait()) for f in flags]
        _done, late = await asyncio.wait(waits, timeout=max(timeout, 0.01))
        for task in late:
            task.cancel()


def notifications(app: App) -> list[Notification]:
    """The notifications (toasts) the app holds now, oldest first.

    Why: tests assert on the toasts an action shows; Textual offers ``notify`` and
    ``clear_notifications`` but no public read. Reads the private ``App._notifications``.

    Tests: tests/test_tui_compat.py, and every test using tests/tui_helpers.toasts.
    """
    return list(app._notifications)

"""``PlainTable``: a DataTable for large tables of plain one-line text.

Textual's DataTable renders every new cell once, on idle, just to measure column
widths: about 3 s for 10,000 rows of 9 columns here. Our cells are plain strings,
so their width is ``cell_len(text)``: the same numbers for a few milliseconds. The
queue (10,000 rows must scroll and filter without lag) and any other long listing
can use it in place of DataTable. Pass strings, None or one-line ``rich.text.Text``
(measured as its plain text) as cells, nothing that renders wider or taller.
It also draws those rows without Rich (a string is shown as it reads, never parsed as
markup), keeps rendered rows (and its scrollbars) across cursor moves, and fills many rows at once
(``add_keyed_rows``).

How it measures and draws leans on private DataTable methods: see ``tui.compat``
(``measures_plain_text``, ``renders_plain_rows``, ``caches_rows_apart_from_cursor``,
``finds_rows_by_index``, ``reads_style_once_per_draw``, ``steady_scrollbars``,
``steady_styles``, ``keeps_few_lines_drawn``; the App installs ``draws_only_widgets_in_updates``).
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Sequence

from textual.widgets import DataTable
from textual.widgets.data_table import RowKey

from ..compat import (
    add_rows_at_once,
    caches_rows_apart_from_cursor,
    finds_rows_by_index,
    keeps_few_lines_drawn,
    measures_plain_text,
    reads_style_once_per_draw,
    renders_plain_rows,
    steady_scrollbars,
    steady_styles,
)

# From this many rows a fill moves what lives on out of the garbage collector's way.
FREEZE_FROM_ROWS = 2_000


def _refreeze() -> None:
    """Collect once, then freeze what is alive (``gc.freeze``): full collections while
    scrolling walk only what was made since. The App freezes once after its first frame;
    a large table filled later would otherwise be walked by every full collection
    (measured: 40-200 ms pauses while scrolling 10,000 rows, bench/bench_tui.py). Rows a
    later fill replaces are freed by reference counting, as they hold no cycles."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


@keeps_few_lines_drawn
@steady_styles
@steady_scrollbars
@reads_style_once_per_draw
@finds_rows_by_index
@caches_rows_apart_from_cursor
@renders_plain_rows
@measures_plain_text
class PlainTable(DataTable):
    def add_keyed_rows(self, rows: Iterable[tuple[str | None, Sequence]]) -> list[RowKey]:
        """Add one-line rows ``(key, cells)`` at the bottom, as ``add_row`` for each would
        (10,000 rows in milliseconds rather than seconds)."""
        added = add_rows_at_once(self, rows)
        if len(added) >= FREEZE_FROM_ROWS and self.is_attached:
            self.call_after_refresh(_refreeze)  # once the rows are drawn
        return added

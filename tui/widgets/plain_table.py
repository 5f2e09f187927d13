"""``PlainTable``: a DataTable for large tables of plain one-line text.

Textual's DataTable renders every new cell once, on idle, just to measure column
widths: about 3 s for 10,000 rows of 9 columns here. Our cells are plain strings,
so their width is ``cell_len(text)``: the same numbers for a few milliseconds. The
queue (10,000 rows must scroll and filter without lag) and any other long listing
can use it in place of DataTable. Pass strings, None or one-line ``rich.text.Text``
(measured as its plain text) as cells, nothing that renders wider or taller.
It also keeps rendered rows across cursor moves, and fills many rows at once
(``add_keyed_rows``).

How it measures leans on a private DataTable method: see ``tui.compat.measures_plain_text``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from textual.widgets import DataTable
from textual.widgets.data_table import RowKey

from ..compat import add_rows_at_once, caches_rows_apart_from_cursor, measures_plain_text


@caches_rows_apart_from_cursor
@measures_plain_text
class PlainTable(DataTable):
    def add_keyed_rows(self, rows: Iterable[tuple[str | None, Sequence]]) -> list[RowKey]:
        """Add one-line rows ``(key, cells)`` at the bottom, as ``add_row`` for each would
        (10,000 rows in milliseconds rather than seconds)."""
        return add_rows_at_once(self, rows)

"""``PlainTable``: a DataTable for large tables of plain one-line text.

Textual's DataTable renders every new cell once, on idle, just to measure column
widths: about 3 s for 10,000 rows of 9 columns here. Our cells are plain strings,
so their width is ``cell_len(text)``: the same numbers for a few milliseconds. The
queue (10,000 rows must scroll and filter without lag) and any other long listing
can use it in place of DataTable. Pass strings (or None) as cells, not Rich objects.

It overrides one private DataTable method; textual is pinned exactly (pyproject.toml),
and tests/test_tui_queue.py checks the widths it computes on every upgrade.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.cells import cell_len
from textual.geometry import Size
from textual.widgets import DataTable
from textual.widgets.data_table import RowKey


class PlainTable(DataTable):
    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        columns = list(self.columns.values())
        widths = [c.content_width for c in columns]
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
        total_width = sum(c.get_render_width(self) for c in columns) + self._row_label_column_width
        header_height = self.header_height if self.show_header else 0
        self.virtual_size = Size(total_width, self._total_row_height + header_height)

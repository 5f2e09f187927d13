"""``PlainTable``: a DataTable for large tables of plain one-line text.

Textual's DataTable renders every new cell once, on idle, just to measure column
widths: about 3 s for 10,000 rows of 9 columns here. Our cells are plain strings,
so their width is ``cell_len(text)``: the same numbers for a few milliseconds. The
queue (10,000 rows must scroll and filter without lag) and any other long listing
can use it in place of DataTable. Pass strings (or None) as cells, not Rich objects.

How it measures leans on a private DataTable method: see ``tui.compat.measures_plain_text``.
"""

from __future__ import annotations

from textual.widgets import DataTable

from ..compat import caches_rows_apart_from_cursor, measures_plain_text


@caches_rows_apart_from_cursor
@measures_plain_text
class PlainTable(DataTable):
    pass

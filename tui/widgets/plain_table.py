"""``PlainTable``: the name large tables of plain one-line text had while they were a
patched DataTable; now the line-API ``RowTable`` (``tui/widgets/row_table.py``).
Kept for code (and bench/bench_tui.py's bare baseline) that imports it by this name."""

from __future__ import annotations

from .row_table import FREEZE_FROM_ROWS, RowTable

PlainTable = RowTable

__all__ = ["FREEZE_FROM_ROWS", "PlainTable"]

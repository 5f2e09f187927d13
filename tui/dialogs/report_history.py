"""The reports sent (``core.reports.list_stored``), newest first: pick one to read.

``ReportHistory(rows)`` is a ``ModalScreen[int | None]``: Enter dismisses with the
highlighted report's id (the screen then reads it back exactly as sent), Escape with
None. The rows come from the screen's worker; this dialog calls no service.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from core.clock import show_short
from core.reports import KIND_TITLES, StoredReport

from ..widgets.row_table import RowTable

COLUMNS = ("Id", "Report", "From", "To", "Sent", "To whom")


def kind_title(kind: str) -> str:
    """``SMT report``, ``Weekly report``: core's words, as a heading."""
    title = KIND_TITLES.get(kind, kind)
    return title[:1].upper() + title[1:]


def sent_text(row: StoredReport) -> str:
    return "on schedule" if row.trigger == "schedule" else f"by {row.generated_by}"


def cells(row: StoredReport) -> list[str]:
    return [str(row.report_id), kind_title(row.kind), show_short(row.from_), show_short(row.to),
            sent_text(row), ", ".join(row.recipients) or "(nobody had the role)"]


class ReportHistory(ModalScreen[int | None]):
    CSS_PATH = "../reports.tcss"
    BINDINGS = [Binding("escape,h", "cancel", "Close", id="history_close")]

    def __init__(self, rows: list[StoredReport]) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="history-dialog"):
            yield Static(f"Reports sent ({len(self.rows)})", classes="dialog-title")
            if self.rows:
                table = RowTable(id="history-table", cursor_type="row", zebra_stripes=True)
                table.add_columns(*COLUMNS)
                table.add_keyed_rows((str(row.report_id), cells(row)) for row in self.rows)
                yield table
                yield Static("Enter reads the one highlighted, exactly as sent · Escape closes",
                             classes="muted")
            else:
                yield Static("No report has been sent from this database yet: the scheduler"
                             " (dipaudit tick) sends them at their slots, or an admin sends one now.",
                             id="history-empty")
                yield Static("Escape closes", classes="muted")

    @on(DataTable.RowSelected, "#history-table")
    def _chosen(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.dismiss(int(str(event.row_key.value)))

    def action_cancel(self) -> None:
        self.dismiss(None)

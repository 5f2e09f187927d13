"""The sample queue: the first screen. Draw a sample, claim and release children,
open an audit, and see the highlighted child's record at a glance.

Every database call runs in a thread worker (``tui.workers.run_service``); its result
comes back as a message (``tui.messages``) whose handler changes the table, so no
worker ever touches a widget. Failures go to the App (a toast or the error modal).
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from operator import attrgetter

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Header, Input, Static

from core.queue import child_detail, claim, list_queue, reassign, release
from core.read_models import QueueItem
from core.vocabulary import HELD

from ..dialogs.confirm import ConfirmScreen
from ..dialogs.reassign import reassign_choices, reassign_prompt
from ..messages import (
    AuditStarted,
    ChildDetailLoaded,
    ColleaguesLoaded,
    QueueItemChanged,
    QueueItemReassigned,
    QueueLoaded,
    ServiceFailed,
)
from ..widgets.child_detail import ChildDetail
from ..widgets.footer import KeysFooter
from ..widgets.row_table import RowTable
from ..workers import run_service
from .base import DataScreen


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    width: int | None = None


# Widths follow the content (a RowTable measures it once per fill).
COLUMNS = [
    Column("queue_id", "Queue"),
    Column("child_id", "Child"),
    Column("cohort", "Cohort"),
    Column("tier", "Tier"),
    Column("status", "Status"),  # what an auditor scans for: before the long name columns
    Column("claimed_by", "Claimed by"),
    Column("worker", "Worker"),
    Column("team", "Team"),
    Column("auditor", "Auditor"),
]
COLUMN_KEYS = [c.key for c in COLUMNS]
# Above this many items the filter waits for a pause in typing (or enter) before
# rebuilding the table: one rebuild of 10,000 rows costs a noticeable fraction of a second.
LIVE_FILTER_MAX_ROWS = 2_000
FILTER_PAUSE_SECONDS = 0.3
# While the cursor keeps moving (an arrow key held, typed fast), the child detail is read
# at most this often: each read redraws the pane, which costs as much as the cursor
# move. The first move after a pause reads at once; the pane always ends on the child
# the cursor stops on.
DETAIL_EVERY_SECONDS = 0.1
# Fields the filter text is matched against (design: team, worker, tier, status, child id).
FILTER_FIELDS = ("team", "worker", "tier", "status", "child_id", "cohort", "auditor", "claimed_by")


def haystack(item: QueueItem) -> tuple[str, ...]:
    """The texts a filter word is looked for in (casefolded once per load, not per keystroke)."""
    return (*(str(getattr(item, f) or "").casefold() for f in FILTER_FIELDS), f"tier {item.tier}")


def matches(item: QueueItem, text: str, hay: tuple[str, ...] | None = None) -> bool:
    """Every word of the filter must appear in one of the item's filterable fields."""
    words = text.casefold().split()
    if not words:
        return True
    hay = haystack(item) if hay is None else hay
    return all(any(w in h for h in hay) for w in words)


def detail_after(ctx, wait: float, child_id: str) -> dict:
    """``core.queue.child_detail``, read after ``wait`` seconds (in the worker's thread)."""
    if wait > 0:
        time.sleep(wait)
    return child_detail(ctx, child_id)


_column_values = attrgetter(*COLUMN_KEYS)


def cells_of(item: QueueItem) -> list[str]:
    """The item's table cells, in ``COLUMNS`` order (a blank for None)."""
    return ["" if v is None else str(v) for v in _column_values(item)]


def holder_of(item: QueueItem) -> str | None:
    """Whose the item is: the auditor holding it, else the one it is assigned to."""
    return item.claimed_by if item.status in HELD else item.auditor


def sort_key(column: str):
    """Sort on one column, blanks last, then by queue id so the order is stable."""

    def key(item: QueueItem):
        value = getattr(item, column)
        return (value is None, value if value is not None else "", item.queue_id)

    return key


def sort_items(items: list[QueueItem], column: str, *, reverse: bool = False) -> None:
    """Sort ``items`` in place by ``sort_key(column)``; when no item lacks the value, by
    the value and queue id straight from the items (the same order, a third of the cost
    over 10,000 items)."""
    if None in map(attrgetter(column), items):
        items.sort(key=sort_key(column), reverse=reverse)
    else:
        items.sort(key=attrgetter(column, "queue_id"), reverse=reverse)


class QueueTable(RowTable):
    """The queue's table: enter (the table's select) opens the audit, and says so in the
    footer."""

    BINDINGS = [
        Binding("enter", "select_cursor", "Open audit", id="queue_open"),
        # Home/End go to the first/last child, as in a spreadsheet (DataTable scrolls sideways).
        Binding("home", "scroll_top", "First row", show=False, id="queue_first"),
        Binding("end", "scroll_bottom", "Last row", show=False, id="queue_last"),
    ]


class QueueScreen(DataScreen):
    TITLE = "Sample queue"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]
    AUTO_FOCUS = "#queue-table"

    BINDINGS = [
        Binding("d", "draw", "Draw sample", id="queue_draw"),
        Binding("c", "claim", "Claim", id="queue_claim"),
        Binding("r", "release", "Release", id="queue_release"),
        Binding("R", "reassign", "Reassign (admins)", id="queue_reassign", show=False),
        Binding("slash", "filter", "Filter", id="queue_filter"),
        Binding("s", "sort_next", "Sort by the next column", id="queue_sort", show=False),
        Binding("S", "sort_reverse", "Reverse the sort", id="queue_sort_reverse", show=False),
        Binding("m", "toggle_mine", "Only mine", id="queue_mine", show=False),
        Binding("a", "toggle_done", "Show done items too", id="queue_done", show=False),
        Binding("i", "toggle_detail", "Show or hide the child detail", id="queue_detail", show=False),
        Binding("ctrl+r", "refresh", "Refresh", id="queue_refresh", show=False),
        Binding("escape", "clear_filter", "Clear filter", id="queue_clear_filter", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.items: list[QueueItem] = []
        self.shown: list[QueueItem] = []
        # Per loaded item (by queue id): its table cells, made once per load, and its filter
        # haystack, made once per load when first filtered (``_haystacks``), so a filter
        # keystroke over 10,000 items is a list filter and a load without a filter pays none.
        self._hay: dict[int, tuple[str, ...]] = {}
        self._cells: dict[int, list[str]] = {}
        self.sort_column = "tier"
        self.sort_reverse = False
        self.filter_text = ""
        self.mine_only = False
        self.include_done = False
        self._detail_for: str | None = None  # the child the pane should show
        self._detail_busy = False  # one detail read at a time: holding an arrow key stays cheap
        self._detail_read_at = float("-inf")  # when the last detail read came back (monotonic)
        self._detail_waits_for_paint = True  # the first rows are drawn before the detail is read
        self._filter_timer = None

    # -- layout --------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="queue-body"):
            with Vertical(id="queue-main"):
                yield Input(placeholder="/ filter: team, worker, tier, status, child id",
                            id="queue-filter", compact=True)
                table = QueueTable(id="queue-table", zebra_stripes=True, cursor_type="row")
                for col in COLUMNS:
                    table.add_column(col.label, key=col.key, width=col.width)
                yield table
            yield ChildDetail(id="child-detail")
        yield Static("", id="queue-status", classes="status-bar")
        yield KeysFooter()

    def on_screen_resume(self) -> None:
        # Back from an audit or another screen: what we show may be stale.
        self.load()

    @property
    def table(self) -> QueueTable:
        return self.query_one("#queue-table", QueueTable)

    # -- loading (thread workers; results come back as messages) -------------
    def load(self) -> None:
        run_service(self, list_queue, include_done=self.include_done, done=QueueLoaded)

    def refresh_data(self) -> None:
        self.load()

    def on_queue_loaded(self, message: QueueLoaded) -> None:
        self.items = message.items
        self._hay = {}
        self._cells = {i.queue_id: cells_of(i) for i in self.items}
        self.refill(fresh=True)
        if self._detail_waits_for_paint:
            # The first screen is drawn before the child detail is read: that read (a worker
            # that loads core.people and core.last_audit) would share the interpreter with it.
            self.call_after_refresh(self._detail_after_paint)

    def _detail_after_paint(self) -> None:
        self._detail_waits_for_paint = False
        self.app.first_screen_shown()
        self._fetch_detail()

    def _fetch_detail(self) -> None:
        """One detail read at a time, and while the cursor keeps moving one per
        ``DETAIL_EVERY_SECONDS`` (the worker waits out the rest before reading), so
        holding an arrow key stays cheap; when a read comes back for a child the cursor
        has left, the latest is read."""
        if self._detail_waits_for_paint:
            return  # _detail_after_paint reads it
        if not self._detail_busy and self._detail_for is not None:
            self._detail_busy = True
            child_id = self._detail_for
            wait = max(0.0, self._detail_read_at + DETAIL_EVERY_SECONDS - time.monotonic())
            run_service(self, detail_after, wait, child_id, exclusive=False, request="detail",
                        done=lambda detail: ChildDetailLoaded(child_id, detail))

    def on_child_detail_loaded(self, message: ChildDetailLoaded) -> None:
        self._detail_busy = False
        self._detail_read_at = time.monotonic()
        if message.child_id == self._detail_for:
            self.query_one(ChildDetail).show(message.detail)
        else:
            self._fetch_detail()

    @on(ServiceFailed)
    def _failed(self, message: ServiceFailed) -> None:
        # Not stopped: the App shows it. A failed detail read must not block the next one.
        if message.request == "detail":
            self._detail_busy = False

    def _change(self, verb: str, queue_id: int) -> None:
        service = {"claim": claim, "release": release}[verb]
        run_service(self, service, queue_id, request="change",
                    done=lambda _item: QueueItemChanged(verb, queue_id))

    def on_queue_item_changed(self, message: QueueItemChanged) -> None:
        child = next((i.child_id for i in self.items if i.queue_id == message.queue_id), message.queue_id)
        self.notify(f"{'Claimed' if message.verb == 'claim' else 'Released'} {child}", timeout=3)
        self.load()

    # -- the table -----------------------------------------------------------
    def refill(self, *, fresh: bool = False) -> None:
        """Filter and sort ``items`` into the table, keeping the cursor on the same item
        (``fresh``: the items were just read; a filter or sort refills the same cells)."""
        table = self.table
        keep = self.current_item()
        me = self.ctx.user
        text = self.filter_text
        hay = self._haystacks() if text.split() else self._hay
        rows = [i for i in self.items if matches(i, text, hay.get(i.queue_id))] if text.split() else list(self.items)
        if self.mine_only:
            rows = [i for i in rows if me in (i.auditor, i.claimed_by)]
        sort_items(rows, self.sort_column, reverse=self.sort_reverse)
        unchanged = rows == self.shown and table.row_count == len(rows)
        self.shown = rows
        if not unchanged:  # e.g. a filter keystroke that matches the same rows
            table.clear()
            cells = self._cells
            table.add_keyed_rows(((str(item.queue_id), cells[item.queue_id]) for item in rows), fresh=fresh)
        if keep is not None and table.has_row(str(keep.queue_id)):
            table.move_cursor(row=table.get_row_index(str(keep.queue_id)), animate=False)
        self.update_status()
        self._show_detail_for_cursor()

    def _haystacks(self) -> dict[int, tuple[str, ...]]:
        """The loaded items' filter haystacks, made when the first filter needs them."""
        if not self._hay:
            self._hay = {i.queue_id: haystack(i) for i in self.items}
        return self._hay

    def current_item(self) -> QueueItem | None:
        table = self.table
        if not self.shown or table.cursor_row is None or not 0 <= table.cursor_row < len(self.shown):
            return None
        return self.shown[table.cursor_row]

    def update_status(self) -> None:
        counts = Counter(i.status for i in self.items)
        parts = [f"{len(self.shown)} of {len(self.items)} shown"]
        parts += [f"{counts[s]} {s}" for s in ("queued", "claimed", "in_progress", "done") if counts[s]]
        label = next(c.label for c in COLUMNS if c.key == self.sort_column)
        parts.append(f"sort: {label.lower()} {'▼' if self.sort_reverse else '▲'}")
        if self.mine_only:
            parts.append("mine only")
        if self.filter_text:
            parts.append(f"filter: {self.filter_text}")
        parts.append(f"you: {self.ctx.user}")
        self.query_one("#queue-status", Static).update(" · ".join(parts))

    @on(DataTable.RowHighlighted, "#queue-table")
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_detail_for_cursor()

    def _show_detail_for_cursor(self) -> None:
        item = self.current_item()
        child_id = item.child_id if item else None
        if child_id == self._detail_for:
            return
        self._detail_for = child_id
        if child_id is None:
            self.query_one(ChildDetail).show(None)
        else:
            self._fetch_detail()

    @on(DataTable.HeaderSelected, "#queue-table")
    def _header_clicked(self, event: DataTable.HeaderSelected) -> None:
        key = str(event.column_key.value)
        if key == self.sort_column:
            self.sort_reverse = not self.sort_reverse
        else:
            self.sort_column, self.sort_reverse = key, False
        self.refill()

    @on(DataTable.RowSelected, "#queue-table")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        # Enter on the table arrives here (the table binds enter itself).
        event.stop()
        self.action_open_audit()

    # -- filter ----------------------------------------------------------------
    @on(Input.Changed, "#queue-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        if self._filter_timer is not None:
            self._filter_timer.stop()
            self._filter_timer = None
        if len(self.items) <= LIVE_FILTER_MAX_ROWS:
            self._apply_filter()
        else:
            self._filter_timer = self.set_timer(FILTER_PAUSE_SECONDS, self._apply_filter)

    def _apply_filter(self) -> None:
        self._filter_timer = None
        text = self.query_one("#queue-filter", Input).value.strip()
        if text != self.filter_text:
            self.filter_text = text
            self.refill()

    @on(Input.Submitted, "#queue-filter")
    def _filter_submitted(self) -> None:
        self._apply_filter()
        self.set_focus(self.table)

    def action_filter(self) -> None:
        # set_focus now (not widget.focus(), which waits a turn): keys queued behind "/" follow it.
        self.set_focus(self.query_one("#queue-filter", Input))

    def action_clear_filter(self) -> None:
        box = self.query_one("#queue-filter", Input)
        box.value = ""
        self._apply_filter()
        self.set_focus(self.table)

    # -- keys --------------------------------------------------------------------
    def action_sort_next(self) -> None:
        i = COLUMN_KEYS.index(self.sort_column)
        self.sort_column, self.sort_reverse = COLUMN_KEYS[(i + 1) % len(COLUMN_KEYS)], False
        self.refill()

    def action_sort_reverse(self) -> None:
        self.sort_reverse = not self.sort_reverse
        self.refill()

    def sort_by(self, column: str) -> None:
        self.sort_column, self.sort_reverse = column, False
        self.refill()

    def action_toggle_mine(self) -> None:
        self.mine_only = not self.mine_only
        self.refill()

    def action_toggle_done(self) -> None:
        self.include_done = not self.include_done
        self.load()

    def action_toggle_detail(self) -> None:
        self.query_one(ChildDetail).toggle_class("-hidden")

    def action_refresh(self) -> None:
        self._detail_for = None
        self.load()

    def action_draw(self) -> None:
        from ..dialogs.draw import DrawScreen

        self.app.push_screen(DrawScreen(), lambda result: self.load())

    def action_claim(self) -> None:
        item = self.current_item()
        if item is None:
            self.notify("Nothing to claim: the queue is empty.", severity="warning")
            return
        self._change("claim", item.queue_id)

    def action_release(self) -> None:
        item = self.current_item()
        if item is None:
            self.notify("Nothing to release: the queue is empty.", severity="warning")
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._change("release", item.queue_id)

        self.app.push_screen(
            ConfirmScreen(f"Release {item.child_id}?",
                          "It goes back to the queue for any auditor to claim.", yes="Release"),
            answered,
        )

    def action_reassign(self) -> None:
        """Give the highlighted item to another auditor (admins: a leaver's work, say)."""
        item = self.current_item()
        if item is None:
            self.notify("Nothing to reassign: the queue is empty.", severity="warning")
            return
        queue_id = item.queue_id
        run_service(self, reassign_choices, "auditor", doing="reassign a queue item", request="colleagues",
                    title="Not reassigned", done=lambda people: ColleaguesLoaded("queue", queue_id, people))

    def on_colleagues_loaded(self, message: ColleaguesLoaded) -> None:
        item = next((i for i in self.items if i.queue_id == message.item_id), None)
        if item is None:
            return  # gone from the queue meanwhile
        queue_id = item.queue_id

        def chosen(login: str | None) -> None:
            if login:
                run_service(self, reassign, queue_id, login, request="change", title="Not reassigned",
                            done=QueueItemReassigned)

        holder = holder_of(item)
        self.app.push_screen(reassign_prompt(f"Reassign {item.child_id} (queue item {queue_id}, now {holder or 'nobody'}'s)",
                                             "auditor", message.people, holder), chosen)

    def on_queue_item_reassigned(self, message: QueueItemReassigned) -> None:
        item = message.item
        self.notify(f"{item.child_id} is now {holder_of(item)}'s", timeout=4)
        self.load()

    def action_open_audit(self) -> None:
        item = self.current_item()
        if item is None:
            return
        from core.audit import start_audit  # the audit modules load when first needed

        # start_audit resumes the auditor's own draft and refuses someone else's.
        run_service(self, start_audit, str(item.queue_id), request="change", done=AuditStarted)

    def on_audit_started(self, message: AuditStarted) -> None:
        from .checklist import ChecklistScreen

        self.app.push_screen(ChecklistScreen(message.audit.audit_id))

    # -- command palette ---------------------------------------------------------
    def palette_commands(self) -> list[tuple[str, str, object]]:
        commands = [
            ("Draw a sample", "Pick children at random, highest-risk tiers first (d)", self.action_draw),
            ("Claim highlighted child", "Take the highlighted queue item (c)", self.action_claim),
            ("Release highlighted child", "Give the item back to the queue (r)", self.action_release),
            ("Reassign highlighted child", "Give the item to another auditor: admins (R)", self.action_reassign),
            ("Open audit", "Start or resume the audit of the highlighted child (enter)", self.action_open_audit),
            ("Refresh queue", "Read the queue again (ctrl+r)", self.action_refresh),
            ("Show only my items" if not self.mine_only else "Show everyone's items",
             "Items assigned to or claimed by you (m)", self.action_toggle_mine),
            ("Show done items" if not self.include_done else "Hide done items",
             "Include audited and cancelled items (a)", self.action_toggle_done),
        ]
        commands += [(f"Sort queue by {c.label.lower()}", f"Order the table by {c.label.lower()}",
                      lambda k=c.key: self.sort_by(k)) for c in COLUMNS]
        return commands

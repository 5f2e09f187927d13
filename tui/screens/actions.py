"""Action review (Practice Development Team): reviews due first, overdue actions in $error.

Outcome keys: ``c`` completed, ``n`` not completed (a new due date, suggested a
realistic number of working days on, skipping weekends and bank holidays),
``x`` no longer needed; each takes an optional note. Only PDT may record a
review: core refuses anyone else and the refusal shows as a toast.
"""

from __future__ import annotations

from datetime import date, timedelta

from rich.cells import cell_len
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, Static

from core import actions as action_service
from core.clock import show, show_date, show_short, today
from core.context import Context
from core.models import ActionForReview
from core.vocabulary import ACTION_STATUS_LABELS, OWNER_ROLE_LABELS

from ..dialogs.date_prompt import DatePrompt
from ..dialogs.reassign import reassign_choices, reassign_prompt
from ..dialogs.text_prompt import TextPrompt
from ..messages import ActionReassigned, ActionsLoaded, ColleaguesLoaded
from ..workers import run_service
from .followup_base import FollowupScreen, refill, selected_key


def _status(status: str) -> str:
    """An action's status or review outcome, inside a sentence ('status open', 'not completed')."""
    return ACTION_STATUS_LABELS.get(status, status).lower()


def read_actions(ctx: Context, due_only: bool) -> ActionsLoaded:
    """The open actions (core orders them: reviews due first, then overdue, then by due
    date), today and the new due date a 'not completed' review would suggest."""
    rows = action_service.list_actions(ctx, due_only=due_only)
    return ActionsLoaded(rows, today(ctx.clock), action_service.suggest_new_due(ctx))


def _update_detail(detail: Static, text: str) -> None:
    """Show ``text`` in the detail pane. Its size is the layout's (``.detail``), not its
    text's, so a text with as many lines as the last, none wider than the pane (nothing
    wraps, so no scrollbar can come or go), is shown without a layout of the screen:
    that layout was half of a cursor move's cost at 5,000 actions (bench/bench_tui.py)."""
    lines = text.split("\n")
    fits = max(map(cell_len, lines)) <= detail.scrollable_content_region.width
    shape = (len(lines), fits)
    steady = fits and detail.__dict__.get("_shown_shape") == shape
    detail._shown_shape = shape
    detail.update(text, layout=not steady)


class ActionsScreen(FollowupScreen):
    TITLE = "Action review"

    BINDINGS = [
        Binding("c", "review('completed')", "Completed", id="actions_completed"),
        Binding("n", "review('not_completed')", "Not completed", id="actions_not_completed"),
        Binding("x", "review('not_needed')", "Not needed", id="actions_not_needed"),
        Binding("d", "toggle_due", "Due only", id="actions_due_only"),
        Binding("R", "reassign", "Reassign (admins)", id="actions_reassign", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, ActionForReview] = {}
        self.due_only = False

    def compose(self) -> ComposeResult:
        # A RowTable fills 5,000 rows at once and draws only the rows on screen.
        from ..widgets.row_table import RowTable

        yield Header()
        yield Static("Recommended actions: reviews due first", id="actions_heading", classes="pane-title")
        table = RowTable(id="actions_table", classes="followup-table", cursor_type="row")
        # Only open actions are listed (core), so their status lives in the detail pane.
        # Flags first: at 80 columns the right-hand columns are the ones cut off.
        table.add_columns("#", "Flags", "Child", "Owner", "Due", "Review due", "Audit")
        yield table
        yield Static("", id="action_detail", classes="detail detail-text", markup=False)  # typed text, not markup
        yield Footer()

    # -- data ----------------------------------------------------------------
    def current(self) -> ActionForReview | None:
        key = selected_key(self.query_one("#actions_table"))
        return self.rows.get(key) if key else None

    def refresh_data(self) -> None:
        self.load(read_actions, self.due_only)

    def on_actions_loaded(self, data: ActionsLoaded) -> None:
        table = self.query_one("#actions_table")
        keep = selected_key(table)
        self.rows = {str(r.action_id): r for r in data.rows}
        cells = []
        error, warning = self.error_style(), self.warning_style()  # once, not per row of thousands
        review_due_shown: dict = {}  # review dates shown, by date (many actions share one)
        for r in data.rows:
            flags = []
            if r.review_is_due:
                flags.append("review due")
            if r.overdue:
                flags.append("OVERDUE")
            flag_text = ", ".join(flags) or "-"
            owner = r.owner or ""
            if r.owner_role:
                owner = f"{owner} ({r.owner_role})" if owner else r.owner_role
            review_due = review_due_shown.get(r.review_due)
            if review_due is None:
                review_due = review_due_shown[r.review_due] = show_short(r.review_due, with_time=False)
            cells.append((str(r.action_id), [
                str(r.action_id),
                self.flagged(flag_text, r.overdue or r.review_is_due, error if r.overdue else warning),
                r.child_id or "", owner,
                self.flagged(str(r.due or ""), r.overdue, error),
                review_due,
                str(r.audit_id),
            ]))
        refill(table, cells, keep)
        heading = "Actions whose review is due" if self.due_only else "Recommended actions: reviews due first"
        self.query_one("#actions_heading", Static).update(heading)
        self._today = data.today
        self._suggested = data.suggested
        self._show_detail()

    @on(DataTable.RowHighlighted, "#actions_table")
    def _show_detail(self) -> None:
        row = self.current()
        detail = self.query_one("#action_detail", Static)
        if row is None:
            _update_detail(detail, "No actions to review." if not self.due_only else "No action reviews are due.")
            return
        text = f"Action {row.action_id} (audit {row.audit_id}, child {row.child_id})"
        if row.description:
            text += f"\n{row.description}"
        text += f"\nDue {row.due or '-'} · status {_status(row.status)}"
        last = row.last_review
        if last:
            text += f"\nLast review {show(last.at)} by {last.by}: {_status(last.outcome)}"
            if last.new_due:
                text += f", new due date {last.new_due}"
            if last.note:
                text += f" ({last.note})"
        _update_detail(detail, text)

    # -- reviewing -------------------------------------------------------------
    def action_review(self, outcome: str) -> None:
        row = self.current()
        if row is None:
            self.app.show_error("No action is selected.")
            return
        action_id = row.action_id
        label = _status(outcome)

        def ask_note(new_due: date | None, text: str = "") -> None:
            def save(note: str | None) -> None:
                if note is None:
                    return  # Escape: nothing recorded
                self.change(f"Review recorded: action {action_id} {label}", action_service.review_action, action_id, outcome,
                            new_due=new_due, note=note or None, again=lambda: ask_note(new_due, note))

            self.app.push_screen(TextPrompt(f"Action {action_id}: {label}", "Note (optional: Enter to skip)",
                                            value=text, allow_blank=True), save)

        if outcome != "not_completed":
            ask_note(None)
            return

        def got_date(new_due: date | None) -> None:
            if new_due is not None:
                ask_note(new_due)

        suggestion = self._suggested  # core.actions.suggest_new_due: working days from today
        self.app.push_screen(DatePrompt(
            f"Action {action_id} not completed: new due date", suggestion,
            hint=f"Suggested: {show_date(suggestion)}, "
                 f"{self.ctx.settings.workflow.action_due_working_days} working days on",
            not_before=self._today + timedelta(days=1)), got_date)

    # -- reassigning (admins) ---------------------------------------------------
    def action_reassign(self) -> None:
        """Give the highlighted action to another owner with its role (a leaver's, a mover's)."""
        row = self.current()
        if row is None:
            self.app.show_error("No action is selected.")
            return
        action_id = row.action_id
        run_service(self, reassign_choices, row.owner_role, doing="reassign an action", request="colleagues",
                    title="Not reassigned", done=lambda people: ColleaguesLoaded("action", action_id, people))

    def on_colleagues_loaded(self, message: ColleaguesLoaded) -> None:
        row = self.rows.get(str(message.item_id))
        if row is None:
            return  # closed meanwhile
        action_id = row.action_id

        def chosen(login: str | None) -> None:
            if login:
                run_service(self, action_service.reassign, action_id, login, request="change",
                            title="Not reassigned", done=ActionReassigned)

        role = OWNER_ROLE_LABELS.get(row.owner_role, row.owner_role)
        self.app.push_screen(reassign_prompt(f"Reassign action {action_id} (child {row.child_id}, now {row.owner}'s)",
                                             role, message.people, row.owner), chosen)

    def on_action_reassigned(self, message: ActionReassigned) -> None:
        self.notify(f"Action {message.action.action_id} is now {message.action.owner}'s", timeout=4)
        self.refresh_data()

    def action_toggle_due(self) -> None:
        self.due_only = not self.due_only
        self.refresh_data()

    def palette_commands(self):
        return [
            ("Action review: completed", "Record the highlighted action completed (key c)",
             lambda: self.action_review("completed")),
            ("Action review: not completed", "With a new due date (key n)",
             lambda: self.action_review("not_completed")),
            ("Action review: no longer needed", "Key x", lambda: self.action_review("not_needed")),
            ("Action review: reassign", "Give the action to another owner: admins (key R)", self.action_reassign),
            ("Action review: due only", "Show only actions whose review is due (key d)", self.action_toggle_due),
        ]

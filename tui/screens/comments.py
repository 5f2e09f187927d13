"""Comment review: audits in their comment window, open queries first.

The top table lists every submitted audit not yet finalised, with the time left
in its window (London times). The lower table shows the highlighted audit's
comments. The auditor records comments (their own, or a reply received by email
on someone's behalf), marks queries, resolves them, amends the audit in
response, and finalises once no query is open.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, Static

from core import comments as comment_service
from core.audit import audits_in_window, fill_audit, finalise_audit, get_audit
from core.clock import show_short, span
from core.comments import list_comments
from core.context import Context
from core.models import AuditInWindow, Comment
from core.vocabulary import COMMENT_STATUS_LABELS

from ..dialogs.comment_form import CommentDraft, CommentForm
from ..dialogs.confirm import ConfirmScreen
from ..dialogs.text_prompt import TextPrompt
from ..messages import CommentsLoaded, CommentWindowLoaded, OverviewLoaded
from ..widgets.row_table import RowTable
from ..workers import run_service
from .followup_base import FollowupScreen, refill, selected_key


def read_window(ctx: Context, keep: int | None) -> CommentWindowLoaded:
    """The audits in their comment window and the comments of the one to show: ``keep``
    while it is still in the window, else the first."""
    audits = audits_in_window(ctx)
    ids = [a.audit_id for a in audits]
    chosen = keep if keep in ids else (ids[0] if ids else None)
    comments = list_comments(ctx, chosen) if chosen is not None else []
    return CommentWindowLoaded(audits, chosen, comments)


def read_overview(ctx: Context, audit_id: int) -> str:
    return get_audit(ctx, audit_id).overview


class CommentsScreen(FollowupScreen):
    TITLE = "Comment review"

    BINDINGS = [
        Binding("c", "add_comment", "Comment", id="comments_add"),
        Binding("k", "add_query", "Query", id="comments_query"),
        Binding("r", "resolve", "Resolve", id="comments_resolve"),
        Binding("e", "amend", "Amend", id="comments_amend"),
        Binding("v", "view", "View audit", id="comments_view"),
        Binding("f", "finalise", "Finalise", id="comments_finalise"),
        Binding("tab", "app.focus_next", "Switch pane", id="comments_switch", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.audits: dict[str, AuditInWindow] = {}
        self.comments: dict[str, Comment] = {}
        self._cursor_audit: int | None = None  # the audit whose comments are shown

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Audits in their comment window (open queries first)", classes="pane-title")
        table = RowTable(id="window_table", classes="followup-table", cursor_type="row")
        table.add_columns("Audit", "Child", "Worker", "Team", "Window closes", "Left", "Queries")
        yield table
        yield Static("Comments", id="comments_title", classes="pane-title", markup=False)  # names a child id
        notes = RowTable(id="comments_table", classes="detail-table", cursor_type="row")
        notes.add_columns("#", "From", "Kind", "When", "Text")
        yield notes
        yield Footer()

    # -- data ----------------------------------------------------------------
    def current_audit(self) -> AuditInWindow | None:
        key = selected_key(self.query_one("#window_table", RowTable))
        return self.audits.get(key) if key else None

    def refresh_data(self) -> None:
        self.load(read_window, self._cursor_audit)

    def on_comment_window_loaded(self, message: CommentWindowLoaded) -> None:
        table = self.query_one("#window_table", RowTable)
        self.audits = {str(a.audit_id): a for a in message.audits}
        rows = [(str(a.audit_id), self._audit_cells(a)) for a in message.audits]
        keep = str(message.chosen) if message.chosen is not None else None
        refill(table, rows, keep)
        self._show_comments(message.chosen, message.comments)

    def _audit_cells(self, a: AuditInWindow) -> list:
        left = a.seconds_left
        if a.open_queries:
            left_text = self.flagged(span(left) if left > 0 else "held", True, self.warning_style())
            queries = self.flagged(f"{a.open_queries} open", True, self.warning_style())
        else:
            # Past the deadline with no open query: tick finalises it, or the auditor does (f).
            left_text = span(left) if left > 0 else "closed"
            queries = "-"
        return [str(a.audit_id), a.child_id, a.worker or "", a.team or "",
                show_short(a.closes_at), left_text, queries]

    def _show_comments(self, audit_id: int | None, comments: list[Comment]) -> None:
        self._cursor_audit = audit_id
        title = self.query_one("#comments_title", Static)
        table = self.query_one("#comments_table", RowTable)
        keep = selected_key(table)
        self.comments = {str(c.comment_id): c for c in comments}
        if audit_id is None:
            title.update("Comments: no audit is in its comment window")
        else:
            audit = self.audits.get(str(audit_id))
            title.update(f"Comments on audit {audit_id} (child {audit.child_id if audit else ''})")
        rows = []
        for c in comments:
            kind = COMMENT_STATUS_LABELS.get(c.status, c.status)
            kind_cell = self.flagged(kind, c.status == "open", self.warning_style())
            sender = c.author if c.author == c.recorded_by else f"{c.author} (via {c.recorded_by})"
            text = c.text
            if c.resolution:
                text += f" -> {c.resolution}"
            rows.append((str(c.comment_id), [str(c.comment_id), sender, kind_cell,
                                              show_short(c.created_at), text]))
        refill(table, rows, keep)

    @on(DataTable.RowHighlighted, "#window_table")
    def _audit_highlighted(self) -> None:
        # Use where the cursor is now: a refill queues several highlights; only the last matters.
        key = selected_key(self.query_one("#window_table", RowTable))
        if key is None:
            return
        audit_id = int(key)
        if audit_id != self._cursor_audit:
            self._cursor_audit = audit_id
            run_service(self, list_comments, audit_id, request="comments",
                        done=lambda rows: CommentsLoaded(audit_id, rows))

    def on_comments_loaded(self, message: CommentsLoaded) -> None:
        self._show_comments(message.audit_id, message.comments)

    # -- actions ---------------------------------------------------------------
    def _need_audit(self) -> AuditInWindow | None:
        audit = self.current_audit()
        if audit is None:
            self.app.show_error("No audit is in its comment window.")
        return audit

    def action_add_comment(self, query: bool = False) -> None:
        audit = self._need_audit()
        if audit is not None:
            self._ask_comment(audit, query=query)

    def _ask_comment(self, audit: AuditInWindow, *, query: bool = False, draft: CommentDraft | None = None) -> None:
        """The comment form (asked again with ``draft``: the database was too busy to save it)."""

        def save(draft: CommentDraft | None) -> None:
            if draft is None:
                return
            what = "Query" if draft.query else "Comment"
            self.change(f"{what} recorded on audit {audit.audit_id}", comment_service.add_comment,
                        audit.audit_id, draft.text, query=draft.query, on_behalf_of=draft.on_behalf_of,
                        again=lambda: self._ask_comment(audit, draft=draft))

        self.app.push_screen(CommentForm(f"audit {audit.audit_id} (child {audit.child_id})",
                                         query=query, draft=draft), save)

    def action_add_query(self) -> None:
        self.action_add_comment(query=True)

    def _target_query(self) -> Comment | None:
        """The highlighted comment if it is an open query, else the audit's first open query."""
        table = self.query_one("#comments_table", RowTable)
        if table.has_focus:
            chosen = self.comments.get(selected_key(table) or "")
            if chosen and chosen.status == "open":
                return chosen
        return next((c for c in self.comments.values() if c.status == "open"), None)

    def action_resolve(self) -> None:
        query = self._target_query()
        if query is None:
            self.app.show_error("There is no open query on this audit.")
            return
        self._ask_resolution(query)

    def _ask_resolution(self, query: Comment, text: str = "") -> None:
        """The resolution prompt (asked again with ``text``: the database was busy)."""

        def save(typed: str | None) -> None:
            if typed:
                self.change(f"Query {query.comment_id} resolved", comment_service.resolve_comment,
                            query.comment_id, typed, again=lambda: self._ask_resolution(query, typed))

        self.app.push_screen(TextPrompt(f"Resolve query {query.comment_id}",
                                        f"From {query.author}: {query.text}", value=text,
                                        placeholder="how it was resolved"), save)

    def action_amend(self) -> None:
        audit = self._need_audit()
        if audit is not None:
            self._amend_overview(audit.audit_id)

    def action_view(self) -> None:
        """Open the whole audit in the checklist screen (read-only once submitted)."""
        audit = self._need_audit()
        if audit is None:
            return
        from .checklist import ChecklistScreen  # loads when first needed

        self.app.push_screen(ChecklistScreen(audit.audit_id))

    def _amend_overview(self, audit_id: int) -> None:
        """Amendment: rewrite the overview, with the reason (the change is an event)."""
        run_service(self, read_overview, audit_id, request="amend",
                    done=lambda overview: OverviewLoaded(audit_id, overview))

    def on_overview_loaded(self, message: OverviewLoaded) -> None:
        self._ask_amendment(message.audit_id, message.overview)

    def _ask_amendment(self, audit_id: int, overview: str, reason_text: str = "") -> None:
        """The new overview, then the reason (asked again with both as typed: the
        database was busy)."""

        def got_overview(text: str | None) -> None:
            if not text:
                return

            def got_reason(reason: str | None) -> None:
                if reason:
                    self.change(f"Audit {audit_id} amended", fill_audit, audit_id, {"overview": text},
                                amendment_reason=reason, again=lambda: self._ask_amendment(audit_id, text, reason))

            self.app.push_screen(TextPrompt("Why is the audit amended?", value=reason_text,
                                            placeholder="e.g. in response to query 3"), got_reason)

        self.app.push_screen(TextPrompt(f"Amend the overview of audit {audit_id}", value=overview), got_overview)

    def action_finalise(self) -> None:
        audit = self._need_audit()
        if audit is None:
            return
        if audit.open_queries:
            self.app.show_error(f"Audit {audit.audit_id} has {audit.open_queries} open "
                                "query(ies): resolve them first.")
            return

        def save(yes: bool | None) -> None:
            if yes:
                self.change(f"Audit {audit.audit_id} finalised", finalise_audit,
                            audit.audit_id)

        self.app.push_screen(ConfirmScreen(
            f"Finalise audit {audit.audit_id} now?",
            "A finalised audit is read-only: later corrections are addenda.", yes="Finalise"), save)

    def palette_commands(self):
        return [
            ("Comment: record a comment", "Your own, or on someone's behalf (key c)", self.action_add_comment),
            ("Comment: record a query", "Pauses finalisation until resolved (key k)", self.action_add_query),
            ("Comment: resolve the query", "With what was done (key r)", self.action_resolve),
            ("Comment: amend the audit", "Change the audit in response (key e)", self.action_amend),
            ("Comment: view the audit", "The whole audit, read-only (key v)", self.action_view),
            ("Comment: finalise the audit", "Once no query is open (key f)", self.action_finalise),
        ]

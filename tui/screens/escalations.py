"""Escalation tracker: open escalations by respond-by deadline, overdue ones in $error
with the time over, and the time-stamped timeline of the highlighted one.

Keys raise a new escalation from an audit id, record a response, refer to the
Head of Service and close with an outcome (referral and closing are confirmed).
"""

from __future__ import annotations

from datetime import datetime

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, Static

from core import escalation as escalation_service
from core.clock import from_iso, show_short, span
from core.context import Context
from core.models import Escalation, EscalationStep
from core.vocabulary import LEVEL_LABELS

from ..dialogs.confirm import ConfirmScreen
from ..dialogs.text_prompt import TextPrompt
from ..messages import EscalationsLoaded, TimelineLoaded
from ..widgets.escalation_timeline import EscalationTimeline
from ..widgets.row_table import RowTable
from ..workers import run_service
from .followup_base import FollowupScreen, refill, selected_key

PHONED = {"reached": "reached", "r": "reached", "no-answer": "no-answer", "n": "no-answer",
          "no answer": "no-answer"}


def due_text(esc: Escalation, now: datetime) -> tuple[str, bool]:
    """'overdue 3h 20m' once respond-by has passed with no response, else the time left."""
    if esc.overdue:
        return (f"overdue {esc.time_over}".strip(), True)
    respond_by = from_iso(esc.respond_by)
    if esc.status != "open" or respond_by is None:
        return ("responded" if esc.status == "responded" else "-", False)
    return (f"{span((respond_by - now).total_seconds())} left", False)


def read_escalations(ctx: Context, keep: int | None, include_closed: bool) -> EscalationsLoaded:
    """The escalations (open first, by respond-by) and the timeline of the one to show:
    ``keep`` while it is listed, else the first."""
    rows = escalation_service.list_escalations(ctx, include_closed=include_closed)
    rows.sort(key=lambda r: (r.status == "closed", r.respond_by or "9999", r.escalation_id))
    ids = [r.escalation_id for r in rows]
    chosen = keep if keep in ids else (ids[0] if ids else None)
    steps = escalation_service.escalation_timeline(ctx, chosen) if chosen is not None else []
    return EscalationsLoaded(rows, chosen, steps, ctx.now())


class EscalationsScreen(FollowupScreen):
    TITLE = "Escalations"

    BINDINGS = [
        Binding("n", "raise_escalation", "Raise", id="escalations_raise"),
        Binding("r", "respond", "Response", id="escalations_respond"),
        Binding("h", "refer", "Refer to HoS", id="escalations_refer"),
        Binding("x", "close_escalation", "Close", id="escalations_close"),
        Binding("t", "toggle_closed", "Show closed", id="escalations_closed"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, Escalation] = {}
        self.include_closed = False
        self._cursor: int | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Open escalations by respond-by deadline", id="escalations_heading", classes="pane-title")
        table = RowTable(id="escalations_table", classes="followup-table", cursor_type="row")
        table.add_columns("#", "Audit", "Child", "Level", "Status", "Respond by", "Deadline")
        yield table
        yield EscalationTimeline(id="timeline")
        yield Footer()

    # -- data ----------------------------------------------------------------
    def current(self) -> Escalation | None:
        key = selected_key(self.query_one("#escalations_table", RowTable))
        return self.rows.get(key) if key else None

    def refresh_data(self) -> None:
        self.load(read_escalations, self._cursor, self.include_closed)

    def on_escalations_loaded(self, data: EscalationsLoaded) -> None:
        table = self.query_one("#escalations_table", RowTable)
        self.rows = {str(r.escalation_id): r for r in data.rows}
        cells = []
        for r in data.rows:
            text, overdue = due_text(r, data.now)
            style = self.error_style()
            cells.append((str(r.escalation_id), [
                str(r.escalation_id), str(r.audit_id), r.child_id,
                self.flagged(LEVEL_LABELS.get(r.level, r.level), r.level == "head_of_service",
                             self.warning_style()),
                r.status, show_short(r.respond_by), self.flagged(text, overdue, style),
            ]))
        refill(table, cells, str(data.chosen) if data.chosen is not None else None)
        heading = "Escalations, open first" if self.include_closed else "Open escalations by respond-by deadline"
        self.query_one("#escalations_heading", Static).update(heading)
        self._show_timeline(data.chosen, data.steps)

    def _show_timeline(self, escalation_id: int | None, steps: list[EscalationStep]) -> None:
        self._cursor = escalation_id
        timeline = self.query_one(EscalationTimeline)
        if escalation_id is None:
            timeline.clear_steps("No open escalations.")
            return
        row = self.rows.get(str(escalation_id))
        timeline.show_steps(f"Escalation {escalation_id}: {row.concern if row else ''}".rstrip(": "), steps)

    @on(DataTable.RowHighlighted, "#escalations_table")
    def _highlighted(self) -> None:
        key = selected_key(self.query_one("#escalations_table", RowTable))
        if key is not None and int(key) != self._cursor:
            self._cursor = int(key)
            escalation_id = int(key)
            run_service(self, escalation_service.escalation_timeline, escalation_id, request="timeline",
                        done=lambda steps: TimelineLoaded(escalation_id, steps))

    def on_timeline_loaded(self, message: TimelineLoaded) -> None:
        self._show_timeline(message.escalation_id, message.steps)

    # -- actions ---------------------------------------------------------------
    def _need(self) -> Escalation | None:
        row = self.current()
        if row is None:
            self.app.show_error("No escalation is selected.")
        return row

    def action_raise_escalation(self) -> None:
        """Raise: the audit, the concern, then whether a phone call reached the manager."""
        self._ask_escalation()

    def _ask_escalation(self, audit_id: int | None = None, concern: str = "", phoned_text: str = "") -> None:
        """The raise prompts; with ``audit_id``, from the concern on, filled in with what was
        typed (the database was too busy to save it: nothing typed is lost)."""
        answers: dict = {"audit_id": audit_id}

        def got_phoned(text: str | None) -> None:
            if text is None:
                return
            phoned = PHONED.get(text.strip().lower()) if text.strip() else None
            if text.strip() and phoned is None:
                self.app.show_error(f"'{text}': answer reached, no-answer, or leave blank")
                return
            self.change(f"Escalation raised on audit {answers['audit_id']}", escalation_service.escalate,
                        answers["audit_id"], answers["concern"], phoned=phoned,
                        again=lambda: self._ask_escalation(answers["audit_id"], answers["concern"], text))

        def got_concern(text: str | None) -> None:
            if text:
                answers["concern"] = text
                self.app.push_screen(TextPrompt(
                    "Did a phone call reach the manager?", "reached / no-answer / blank if not phoned",
                    value=phoned_text, allow_blank=True), got_phoned)

        def ask_concern() -> None:
            self.app.push_screen(TextPrompt(f"Concern about significant harm (audit {answers['audit_id']})",
                                            value=concern, placeholder="what worries you, in one line"), got_concern)

        def got_audit(text: str | None) -> None:
            if not text:
                return
            if not text.isdigit():
                self.app.show_error(f"'{text}' is not an audit id")
                return
            answers["audit_id"] = int(text)
            ask_concern()

        if audit_id is None:
            self.app.push_screen(TextPrompt("Raise an escalation", "Audit id"), got_audit)
        else:
            ask_concern()

    def action_respond(self) -> None:
        row = self._need()
        if row is not None:
            self._ask_response(row)

    def _ask_response(self, row: Escalation, text: str = "") -> None:
        """The response prompt for ``row`` (asked again with ``text``: the database was busy)."""

        def save(typed: str | None) -> None:
            if typed:
                self.change(f"Response recorded on escalation {row.escalation_id}",
                            escalation_service.respond, row.escalation_id, typed,
                            again=lambda: self._ask_response(row, typed))

        self.app.push_screen(TextPrompt(f"Response to escalation {row.escalation_id}", value=text,
                                        placeholder="what the manager said or did"), save)

    def action_refer(self) -> None:
        row = self._need()
        if row is None:
            return

        def save(yes: bool | None) -> None:
            if yes:
                self.change(f"Escalation {row.escalation_id} referred to the Head of Service",
                            escalation_service.refer_to_hos, row.escalation_id)

        self.app.push_screen(ConfirmScreen(
            f"Refer escalation {row.escalation_id} to the Head of Service now?",
            f"Child {row.child_id}, audit {row.audit_id}. The Head of Service is alerted at once.",
            yes="Refer"), save)

    def action_close_escalation(self) -> None:
        row = self._need()
        if row is not None:
            self._ask_outcome(row)

    def _ask_outcome(self, row: Escalation, text: str = "") -> None:
        """The outcome prompt, then the confirmation (asked again with ``text``: the
        database was busy)."""

        def got_outcome(outcome: str | None) -> None:
            if not outcome:
                return

            def save(yes: bool | None) -> None:
                if yes:
                    self.change(f"Escalation {row.escalation_id} closed", escalation_service.close,
                                row.escalation_id, outcome, again=lambda: self._ask_outcome(row, outcome))

            self.app.push_screen(ConfirmScreen(f"Close escalation {row.escalation_id}?",
                                               f"Outcome: {outcome}", yes="Close it"), save)

        self.app.push_screen(TextPrompt(f"Close escalation {row.escalation_id}", "Outcome", value=text,
                                        placeholder="what was decided"), got_outcome)

    def action_toggle_closed(self) -> None:
        self.include_closed = not self.include_closed
        self.refresh_data()

    def palette_commands(self):
        return [
            ("Escalation: raise", "From an audit id (key n)", self.action_raise_escalation),
            ("Escalation: record a response", "Key r", self.action_respond),
            ("Escalation: refer to Head of Service", "Key h", self.action_refer),
            ("Escalation: close with outcome", "Key x", self.action_close_escalation),
            ("Escalation: show or hide closed", "Key t", self.action_toggle_closed),
        ]

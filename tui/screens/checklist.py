"""The audit checklist: judge each practice standard with evidence, write the overview,
positive practice and recommended actions, preview and copy the QA Audit case note,
and submit. Pushed by the queue screen with an audit id.

The screen is a view over a draft (``core.draft.Draft``): it shows the audit in five
tabs (``tui/widgets/checklist_panes.py``), tells the draft of every edit, and saves
what the draft says, when it says. Nothing typed is lost: a save runs about a second
after the last keystroke (never later than ``SAVE_MAX_WAIT`` after the first unsaved
one), in a thread worker, through ``core.audit.fill_audit`` with the version the draft
last saw. If someone else saved the audit first, core refuses (``Conflict``) and the
screen says so; it never overwrites. Leaving the screen or quitting saves first, and
closing the app (also on SIGHUP) saves what is left on unmount.

Workers post messages (``tui.messages``); only the handlers here change the screen.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import date

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Header, OptionList, TabbedContent, Tabs, TextArea

from core import audit as audits
from core import casenote
from core import child_record as timeline
from core.audit import RatingEntry
from core.clock import local
from core.context import Context
from core.draft import Draft, Form, Save
from core.errors import DatabaseBusy
from core.vocabulary import RATINGS, RECIPIENT_ROLE_LABELS
from core.workdays import suggest_due

from ..dialogs.submit import ConflictDialog, GapsDialog, SubmitConfirm
from ..messages import (
    AuditSubmitted,
    ChecklistLoaded,
    DraftEdited,
    DraftSaved,
    SaveConflict,
    SaveFailed,
    SubmissionChecked,
    save_outcome,
)
from ..widgets.checklist_panes import (
    ActionsPane,
    AuditHeader,
    CaseNotePane,
    OverviewPane,
    StandardsPane,
    TimelinePane,
)
from ..widgets.standards_list import StandardsList
from ..workers import run_service

RATE = Binding.Group("Rate", compact=True)
# A draft the database was too busy for (another process held it) is saved again this
# long after the failure, until it goes through.
SAVE_RETRY_SECONDS = 2.0


# -- what the workers run (core reads and writes; no widget here) -------------------
def read_checklist(ctx: Context, audit_id: int) -> dict:
    """The audit, its header facts, the child's notes and record: all the screen shows."""
    audit = audits.get_audit(ctx, audit_id)
    return {
        "audit": audit,
        "header": timeline.checklist_header(ctx, audit.child_id, worker=audit.worker,
                                            manager=audit.manager, team=audit.team),
        "notes": timeline.case_notes(ctx, audit.child_id),
        "note_kinds": timeline.note_kinds(ctx, audit.child_id),
        "child": timeline.child_record(ctx, audit.child_id),
        # Once submitted, the note is the stored one (with its addenda), not a preview.
        "stored_note": casenote.render_case_note(ctx, audit_id) if audit.status != "draft" else None,
    }


def check_submission(ctx: Context, audit_id: int) -> tuple[list[str], list[dict]]:
    """What stops the saved audit being submitted, and whom submitting would alert."""
    audit = audits.get_audit(ctx, audit_id)
    return audits.submission_gaps(audit), audits.submission_recipients(ctx, audit)


def submit(ctx: Context, audit_id: int) -> tuple[audits.Audit, list[dict]]:
    audit = audits.submit_audit(ctx, audit_id)
    return audit, audits.submission_recipients(ctx, audit)


def recipient_lines(recipients: list[dict]) -> list[str]:
    """'Wendy Worker (w1), worker' for each person a submission alerts."""
    return [f"{r['name']} ({r['login']}), {RECIPIENT_ROLE_LABELS[r['role']]}" if r["name"] != r["login"]
            else f"{r['login']}, {RECIPIENT_ROLE_LABELS[r['role']]}" for r in recipients if r["alerted"]]


class ChecklistScreen(Screen):
    """One audit, by keys. Rating keys act only while the standards list has focus."""

    TITLE = "Audit checklist"
    CSS_PATH = "../checklist.tcss"

    BINDINGS = [
        Binding("m", "rate('met')", "Met", id="rate_met", group=RATE),
        Binding("p", "rate('partly_met')", "Partly", id="rate_partly_met", group=RATE),
        Binding("n", "rate('not_met')", "Not met", id="rate_not_met", group=RATE),
        Binding("x", "rate('not_applicable')", "N/A", id="rate_not_applicable", group=RATE),
        Binding("a", "accept", "Accept suggestion", id="accept_suggestion"),
        Binding("e", "edit_evidence", "Evidence", id="edit_evidence"),
        Binding("o", "show_tab('overview')", "Overview", id="tab_overview"),
        Binding("r", "show_tab('actions')", "Actions", id="tab_actions"),
        Binding("v", "show_tab('note')", "Case note", id="tab_note"),
        Binding("t", "show_tab('timeline')", "Timeline", id="tab_timeline"),
        Binding("s", "show_tab('standards')", "Standards", id="tab_standards", show=False),
        Binding("f", "cycle_filter", "Filter notes", id="timeline_filter", show=False),
        Binding("ctrl+n,plus", "add_action", "New action", id="action_add"),
        Binding("ctrl+o", "toggle_owner", "Owner", id="action_owner"),
        Binding("f8", "delete_action", "Delete action", id="action_delete"),
        Binding("y", "copy_note", "Copy note", id="copy_note"),
        Binding("f9", "submit", "Submit", id="submit"),
        Binding("ctrl+r", "reload", "Reload", id="reload", show=False),
        Binding("escape", "back", "Back", id="back"),
        Binding("q", "quit_saved", "Quit", id="checklist_quit", show=False),
    ]

    def __init__(self, audit_id: int) -> None:
        super().__init__()
        self.audit_id = audit_id
        self.audit: audits.Audit | None = None  # as last loaded or saved
        self.draft: Draft | None = None  # until the audit has loaded
        self.header_info: dict = {}
        self.child: dict | None = None
        self.stored_note: str | None = None
        self.loaded = False
        # The tabs that hold what is typed, kept by reference: on unmount (app closing,
        # SIGHUP) the widgets are detached before this screen's last-chance save reads them.
        self._standards, self._overview, self._actions = StandardsPane(), OverviewPane(), ActionsPane()
        self._timer = None
        self._after_save: list[Callable[[], None]] = []  # run once nothing is left to save
        self._save_lock = threading.Lock()  # one writer: a save in flight, or the one on unmount
        self._unmounting = threading.Event()

    # -- what the tests and the App read -------------------------------------
    @property
    def read_only(self) -> bool:
        return self.draft is None or self.draft.read_only

    @property
    def version(self) -> int | None:
        return self.draft.version if self.draft else None

    @property
    def ratings(self) -> dict[str, dict]:
        return self._standards.ratings

    @property
    def note_filter(self) -> str | None:
        return self.query_one(TimelinePane).kind

    # -- layout and loading -----------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Header()
        yield AuditHeader(self.audit_id)
        with TabbedContent(initial="standards", id="checklist-tabs"):
            yield self._standards
            yield self._overview
            yield self._actions
            yield CaseNotePane()
            yield TimelinePane()
        yield Footer()

    def on_mount(self) -> None:
        self._set_editable(False)
        self._load()

    def _load(self) -> None:
        run_service(self, read_checklist, self.audit_id, request="load",
                    title=f"Cannot open audit {self.audit_id}",
                    done=lambda reads: ChecklistLoaded(**reads))

    async def on_checklist_loaded(self, message: ChecklistLoaded) -> None:
        audit = self.audit = message.audit
        self.header_info, self.child, self.stored_note = message.header, message.child, message.stored_note
        self.draft = Draft(audit)
        standards = [s.model_dump(mode="json") for s in audit.standards]
        ratings = {}
        for s in standards:
            entry = audit.ratings.get(s["id"]) or RatingEntry()
            ratings[s["id"]] = {"rating": entry.rating, "evidence": entry.evidence,
                                "suggested": entry.suggested.model_dump(mode="json") if entry.suggested else None}
        self._standards.show(standards, ratings, read_only=self.read_only)
        self._overview.show(audit.overview, audit.positive_practice)
        await self._actions.editor.load([a.model_dump(mode="json") for a in audit.actions],
                                                 read_only=self.read_only)
        self.query_one(TimelinePane).show(message.notes, message.note_kinds)
        self._set_editable(not self.read_only)
        self.refresh_bindings()
        self._show_header()
        self._show_preview()
        self.loaded = True
        if self.app.focused is None or not self.read_only:
            self.set_focus(self.query_one(StandardsList))

    def _set_editable(self, editable: bool) -> None:
        for area in self.query(TextArea):
            area.read_only = not editable
        self.query_one(AuditHeader).show_read_only(None if editable or self.audit is None else self.audit.status)

    # -- header, save state, preview --------------------------------------------
    def _show_header(self) -> None:
        self.query_one(AuditHeader).show(self.header_info, self.audit.status, self.audit.audit_date)
        self._show_save_state()

    def _show_save_state(self) -> None:
        if self.draft is not None:
            self.query_one(AuditHeader).show_save_state(self.draft)

    def preview_text(self) -> str:
        """The QA Audit case note as it reads now: the stored one once submitted."""
        if self.audit is None:
            return ""
        if self.read_only and self.stored_note:
            return self.stored_note
        try:
            return casenote.render_case_note_for(self._form().applied_to(self.audit), self.child,
                                                 self.app.ctx.settings)
        except Exception as exc:  # noqa: BLE001 - a half-written draft must never break the screen
            return f"(the case note cannot be previewed yet: {exc})"

    def _show_preview(self) -> None:
        self.query_one(CaseNotePane).show(self.preview_text())

    # -- keys: which act where ------------------------------------------------------
    # Actions that change the audit; offered in the footer only while they can act.
    _EDITING = {"rate", "accept", "add_action", "toggle_owner", "delete_action", "submit", "edit_evidence"}
    _IN_LIST = {"rate", "accept"}

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action in self._EDITING and self.loaded and self.read_only:
            return False
        if action in self._IN_LIST and not isinstance(self.focused, StandardsList):
            return False
        if action in ("toggle_owner", "delete_action") and (
                not self.is_mounted or self._actions.editor.focused_row() is None):
            return False
        return True

    def on_descendant_focus(self) -> None:
        self.refresh_bindings()

    def _refuse_if_read_only(self) -> bool:
        if self.read_only:
            self.notify(f"This audit is {self.audit.status if self.audit else 'loading'}: read-only.",
                        severity="warning")
            return True
        return False

    # -- the standards ----------------------------------------------------------------
    def _rating_keys_live(self) -> bool:
        return self.loaded and isinstance(self.focused, StandardsList)

    def action_rate(self, rating: str) -> None:
        if not self._rating_keys_live() or self._refuse_if_read_only():
            return
        assert rating in RATINGS
        self._standards.rate(rating)

    def action_accept(self) -> None:
        """Take the pre-check's suggestion: its rating, and its evidence (kept if already written)."""
        if not self._rating_keys_live() or self._refuse_if_read_only():
            return
        if not self._standards.accept():
            self.notify("No suggestion for this standard: rate it with m, p, n or x.")

    def action_edit_evidence(self) -> None:
        if not self.loaded:
            return
        pane = self._standards
        pane.show_standard()  # now, not when the highlight message arrives: typing follows at once
        self.query_one(TabbedContent).active = "standards"
        self.set_focus(pane.evidence)

    @on(OptionList.OptionSelected, "#standards-list")
    def _selected(self) -> None:
        self.action_edit_evidence()

    # -- tabs and navigation -----------------------------------------------------
    def action_show_tab(self, tab: str) -> None:
        tabs = self.query_one(TabbedContent)
        tabs.active = tab
        target = {"standards": "#standards-list", "overview": "#overview-text", "note": "#note-scroll",
                  "timeline": "#timeline-table"}.get(tab)
        # Focus at once (set_focus, not focus(), which waits for the queue): keys typed
        # straight after this one, or pasted with it, must land in the editor.
        if tab == "actions":
            rows = self._actions.editor.rows
            self.set_focus(rows[0].description_box if rows else tabs.query_one(Tabs))
        elif target:
            self.set_focus(self.query_one(target))
        if tab == "note":
            self._show_preview()

    @on(TabbedContent.TabActivated)
    def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id == "note":
            self._show_preview()

    def action_cycle_filter(self) -> None:
        self.query_one(TimelinePane).next_kind()

    def action_back(self) -> None:
        """Escape: out of an editor first; from the screen, save then leave."""
        if not isinstance(self.focused, StandardsList):
            # Home is the standards list.
            self.query_one(TabbedContent).active = "standards"
            self.set_focus(self.query_one(StandardsList))
            return
        self._then(self.app.pop_screen)

    def action_quit_saved(self) -> None:
        self._then(self.app.exit)

    # -- recommended actions -----------------------------------------------------
    def _audit_date(self) -> date:
        return self.audit.audit_date if self.audit else local(self.app.ctx.now()).date()

    async def action_add_action(self) -> None:
        if not self.loaded or self._refuse_if_read_only():
            return
        self.query_one(TabbedContent).active = "actions"
        due = suggest_due(self._audit_date(), self.app.ctx.settings)
        await self._actions.editor.add("worker", due)

    def action_toggle_owner(self) -> None:
        row = self._actions.editor.focused_row()
        if row is not None and not self.read_only:
            row.toggle_owner()
            self._changed()

    def action_delete_action(self) -> None:
        if self.read_only:
            return
        if not self._actions.editor.delete_focused():
            self.notify("Put the cursor on an action to delete it.")

    # -- the case note -------------------------------------------------------------
    def action_copy_note(self) -> None:
        text = self.preview_text()
        # OSC 52: reaches the clipboard of the auditor's own machine, also over SSH.
        self.app.copy_to_clipboard(text)
        self.notify(f"QA Audit case note copied ({len(text.splitlines())} lines): paste it into the child's record.",
                    title="Copied")

    # -- autosave ----------------------------------------------------------------------
    def _form(self) -> Form:
        """What the auditor has on screen, in the terms the draft and ``fill_audit`` use
        (read from the widgets themselves, so also on unmount, and also keys whose
        Changed message has not arrived yet)."""
        overview, positive = self._overview.values()
        editor = self._actions.editor
        return Form(ratings=self._standards.values(), overview=overview,
                    positive_practice=positive, actions=editor.value(), actions_ready=editor.all_dates_ok())

    def on_draft_edited(self, message: DraftEdited) -> None:
        message.stop()
        self._changed()

    def _changed(self) -> None:
        """An edit: (re)start the save timer the draft asks for, and refresh the preview."""
        if not self.loaded or self.draft is None:
            return
        form = self._form()
        delay = self.draft.edited(form, time.monotonic())
        if delay is not None:
            if self._timer is not None:
                self._timer.stop()
            self._timer = self.set_timer(delay, self._save_now)
        self._show_save_state()
        if self.query_one(TabbedContent).active == "note":
            self._show_preview()

    def _save_now(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        draft = self.draft
        if draft is None or draft.saving is not None or draft.conflict is not None:
            return  # a running save goes again when it finishes
        save = draft.next_save(self._form())
        self._show_save_state()
        if save is None:
            self._run_after_save()
        else:
            self._write(self.app.ctx, save)

    @work(thread=True, group="save", exit_on_error=False)
    def _write(self, ctx: Context, save: Save) -> None:
        """Run one save (a thread: it touches nothing on screen) and post what came of it.
        Under the save lock, so the last-chance save on unmount waits for it; skipped
        once the screen is closing (that save sends these changes too)."""
        with self._save_lock:
            if self._unmounting.is_set():
                return
            save.write(ctx, self.audit_id)
        self.post_message(save_outcome(save))

    def _current(self, save: Save) -> bool:
        """The message is about the save in flight (not one from before a reload)."""
        return self.draft is not None and save is self.draft.saving

    def on_draft_saved(self, message: DraftSaved) -> None:
        if not self._current(message.save):
            return
        ids = self.draft.finish(message.save)
        if ids is not None:
            for row, action_id in zip(self._actions.editor.rows, ids, strict=False):
                row.action_id = action_id
        saved = message.save.saved
        self.audit = self.audit.model_copy(update={"version": saved.version, "updated_at": saved.updated_at,
                                                   "status": saved.status})
        if self.draft.changes(self._form()):
            self._changed()  # typed on while saving: go again
        self._show_save_state()
        self._run_after_save()

    def on_save_failed(self, message: SaveFailed) -> None:
        if not self._current(message.save):
            return
        told = self.draft.failure is not None  # a retry that failed again: said already
        self.draft.finish(message.save)  # a second escape leaves anyway
        self._after_save.clear()
        self._show_save_state()
        if isinstance(message.save.error, DatabaseBusy) and self._timer is None:
            # Another process held the database: nothing was written, and the same save
            # goes again by itself (the text is never left waiting on the next key).
            self._timer = self.set_timer(SAVE_RETRY_SECONDS, self._save_now)
        if not told:
            self.app.report_exception(message.save.error, "Draft not saved")

    def on_save_conflict(self, message: SaveConflict) -> None:
        if not self._current(message.save):
            return
        self.draft.finish(message.save)
        self._after_save.clear()
        self._show_save_state()

        def answered(reload: bool | None) -> None:
            if reload:
                self.action_reload(force=True)

        self.app.push_screen(ConflictDialog(self.draft.conflict), answered)

    def _then(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once nothing typed is left unsaved. At once when nothing more
        can be saved from here (read-only, a conflict, a refusal already shown)."""
        draft = self.draft
        if not self.loaded or draft is None or draft.stuck:
            if draft is not None:
                draft.failure = None  # the auditor was told; this time they leave
            callback()
        elif draft.pending(self._form()):
            self._after_save.append(callback)
            self._save_now()
        else:
            callback()

    def _run_after_save(self) -> None:
        callbacks, self._after_save = self._after_save, []
        for callback in callbacks:
            callback()

    def action_reload(self, force: bool = False) -> None:
        draft = self.draft
        if not force and draft is not None and draft.conflict is None and draft.changes(self._form()):
            self.notify("Saving first; press ctrl+r again to reload.")
            self._save_now()
            return
        self.loaded = False
        self._load()

    def on_screen_suspend(self) -> None:
        # Another screen on top (a mode switch): save now rather than in a second.
        if self.loaded and self.draft is not None and self.draft.conflict is None \
                and self.draft.changes(self._form()):
            self._save_now()

    def on_unmount(self) -> None:
        """Last chance (the app is closing or the screen is gone): wait for a save in
        flight, then save what is left, here and now. Typing is never dropped silently."""
        self._unmounting.set()
        draft = self.draft
        if draft is None or not self.loaded:
            return
        if not self._save_lock.acquire(timeout=self.app.ctx.store.busy_timeout_ms / 1000 + 1):
            return
        try:
            if draft.saving is not None:
                draft.finish(draft.saving)  # the message with its outcome can no longer arrive
            save = draft.next_save(self._form())
            if save is not None:
                save.write(self.app.ctx, self.audit_id)
        finally:
            self._save_lock.release()

    # -- submission ------------------------------------------------------------------
    def action_submit(self) -> None:
        if not self.loaded or self._refuse_if_read_only():
            return
        if self.draft.conflict is not None:
            self.app.show_error("Saving is paused by a conflict: reload (ctrl+r) first.")
            return
        self._then(lambda: run_service(self, check_submission, self.audit_id, request="submit",
                                       done=lambda found: SubmissionChecked(*found)))

    def on_submission_checked(self, message: SubmissionChecked) -> None:
        if message.gaps:
            self.app.push_screen(GapsDialog(message.gaps))
            return
        child = f"{self.header_info.get('child_id', '')} {self.header_info.get('initials', '')}".strip()

        def answered(yes: bool | None) -> None:
            if yes:
                run_service(self, submit, self.audit_id, request="submit", title="Not submitted",
                            done=lambda done: AuditSubmitted(*done))

        self.app.push_screen(SubmitConfirm(child, recipient_lines(message.recipients),
                                           self.app.ctx.settings.workflow.comment_window_hours,
                                           [r["problem"] for r in message.recipients if not r["alerted"]]),
                             answered)

    def on_audit_submitted(self, message: AuditSubmitted) -> None:
        names = ", ".join(recipient_lines(message.recipients)) or "nobody"
        self.notify(f"Submitted. Alerted: {names}.", title="Audit submitted")
        self.loaded = False
        self._load()

    # -- command palette -----------------------------------------------------------
    def palette_commands(self):
        return [
            ("Submit audit", "Check for gaps, then submit (F9)", self.action_submit),
            ("Copy QA Audit case note", "Copy the note to your clipboard (y)", self.action_copy_note),
            ("Add recommended action", "A new action for the worker (ctrl+n)", self.action_add_action),
            ("Reload audit", "Read the audit again from the database (ctrl+r)", self.action_reload),
        ]

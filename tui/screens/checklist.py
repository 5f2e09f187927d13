"""The audit checklist: judge each practice standard with evidence, write the overview,
positive practice and recommended actions, preview and copy the QA Audit case note,
and submit. Pushed by the queue screen with an audit id.

Nothing typed is lost: every change is saved as a draft about a second after the
last keystroke (never later than ``SAVE_MAX_WAIT`` after the first unsaved one),
in a thread worker, through ``core.audit.fill_audit`` with the version this screen
last saw. If someone else saved the audit first, core refuses (``Conflict``) and the
screen says so; it never overwrites. Leaving the screen or quitting saves first.
"""

from __future__ import annotations

import threading
import time
from datetime import date

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import (
    DataTable,
    Footer,
    Header,
    Label,
    OptionList,
    Static,
    TabbedContent,
    TabPane,
    Tabs,
    TextArea,
)
from textual.worker import Worker, WorkerState

from core import audit as audits
from core import casenote
from core import child_record as timeline
from core.clock import local
from core.errors import Conflict, DipauditError
from core.vocabulary import RATINGS
from core.workdays import suggest_due

from ..widgets.actions_editor import ActionsEditor
from ..widgets.standards_list import StandardsList, rating_label
from ..widgets.type_ahead import Editor, Scroller, Table
from .submit_confirm import ConflictDialog, GapsDialog, SubmitConfirm

# Autosave timing: the issue asks for a saved draft within 2 seconds of typing.
SAVE_DEBOUNCE = 1.0  # seconds after the last change
SAVE_MAX_WAIT = 1.5  # seconds after the first unsaved change, even while typing goes on

RATE = Binding.Group("Rate", compact=True)
TABS = ("standards", "overview", "actions", "note", "timeline")


def _plain(obj) -> dict:
    return obj.model_dump(mode="json") if hasattr(obj, "model_dump") else dict(obj)


def _standards_of(audit: dict) -> list[dict]:
    """The standards of the programme snapshot the audit was started with."""
    return [dict(s) for s in audit.get("standards") or []]


class ChecklistScreen(Screen):
    """One audit, by keys. Rating keys act only while the standards list has focus."""

    TITLE = "Audit checklist"

    # Self-contained layout for this screen; colours are theme variables only.
    DEFAULT_CSS = """
    ChecklistScreen #checklist-top { height: 1; padding: 0 1; background: $boost; }
    ChecklistScreen #child-header { width: 1fr; height: 1; text-wrap: nowrap; text-overflow: ellipsis; }
    ChecklistScreen #child-people {
        height: 2; padding: 0 1; background: $boost; text-wrap: nowrap; text-overflow: ellipsis;
    }
    ChecklistScreen #save-state { width: auto; min-width: 12; height: 1; text-align: right; }
    ChecklistScreen #readonly-banner {
        height: 1; padding: 0 1; background: $warning-muted; color: $text; text-style: bold;
    }
    ChecklistScreen #checklist-tabs { height: 1fr; }
    ChecklistScreen TabPane { padding: 0; }
    ChecklistScreen #standard-detail { height: 4; padding: 0 1; background: $surface; }
    ChecklistScreen #evidence { height: 1fr; min-height: 4; }
    ChecklistScreen #overview-text, ChecklistScreen #positive-text { height: 1fr; min-height: 3; }
    ChecklistScreen .field-label { margin: 0 1; height: 1; }
    ChecklistScreen #note-scroll { height: 1fr; padding: 0 1; }
    ChecklistScreen #timeline-filter { height: 1; padding: 0 1; }
    ChecklistScreen #actions > Static { height: auto; padding: 0 1; }
    """

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
        self.audit: dict = {}
        self.audit_model: audits.Audit | None = None
        self.child: dict | None = None
        self.standards: list[dict] = []
        self.header_info: dict = {}
        self.notes: list[dict] = []
        self.note_filter: str | None = None
        self.version: int | None = None
        self.read_only = True  # until the audit has loaded
        self.loaded = False
        # Draft state: what the auditor sees (ratings) and what core holds (saved).
        self.ratings: dict[str, dict] = {}
        self._saved: dict = {}
        self._saving = False
        self._dirty_since: float | None = None
        self._timer = None
        self._conflicted = False
        self._after_save: list = []
        self._evidence_for: str | None = None
        self.saved_at: str | None = None
        self._latest: dict | None = None
        self._save_lock = threading.Lock()
        self._closing = False
        self._save_failed = False

    # -- layout ------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="checklist-top"):
            yield Static(f"Loading audit {self.audit_id}…", id="child-header")
            yield Static("", id="save-state")
        yield Static("", id="child-people")
        yield Static("", id="readonly-banner")
        with TabbedContent(initial="standards", id="checklist-tabs"):
            with TabPane("Standards", id="standards"):
                yield StandardsList(id="standards-list")
                with VerticalScroll(id="standard-detail"):
                    yield Static("", id="standard-text")
                yield Editor(id="evidence", soft_wrap=True, tab_behavior="focus",
                               placeholder="Evidence for this standard (e edits; escape returns)")
            with TabPane("Overview", id="overview"):
                yield Label("Objective, evidence based: were the standards met? (tab: next box)",
                            classes="field-label muted")
                yield Editor(id="overview-text", soft_wrap=True, tab_behavior="focus")
                yield Editor(id="positive-text", soft_wrap=True, tab_behavior="focus")
            with TabPane("Actions", id="actions"):
                yield Static("ctrl+n new action · enter on owner (or ctrl+o) toggles worker/manager"
                             " · F8 deletes · due dates skip weekends and bank holidays",
                             classes="muted")
                yield ActionsEditor(id="actions-editor")
            with TabPane("Case note", id="note"):
                with Scroller(id="note-scroll"):
                    yield Static("", id="note-preview")
            with TabPane("Timeline", id="timeline"):
                yield Static("", id="timeline-filter", classes="muted")
                yield Table(id="timeline-table", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#evidence", TextArea).border_title = "Evidence"
        self.query_one("#overview-text", TextArea).border_title = "Overview of findings"
        self.query_one("#positive-text", TextArea).border_title = "Positive practice"
        table = self.query_one("#timeline-table", DataTable)
        table.add_columns("Date", "Type", "Author", "Summary")
        self._set_editable(False)
        self.load()

    # -- loading -----------------------------------------------------------
    @work(thread=True, exclusive=True, group="load", exit_on_error=False)
    def load(self) -> None:
        """Read the audit, its header facts and the child's notes (thread)."""
        ctx = self.app.ctx
        try:
            model = audits.get_audit(ctx, self.audit_id)
            header = timeline.checklist_header(ctx, model.child_id, worker=model.worker,
                                               manager=model.manager, team=model.team)
            notes = timeline.case_notes(ctx, model.child_id)
            child = timeline.child_record(ctx, model.child_id)
            # Once submitted, the note is the stored one (with its addenda), not a preview.
            self._stored_note = (casenote.render_case_note(ctx, self.audit_id)
                                 if model.status != "draft" else None)
        except Exception as exc:  # noqa: BLE001 - any failure reaches the auditor as a message
            self.app.call_from_thread(self.app.show_error, f"Cannot open audit {self.audit_id}: {exc}")
            return
        self.app.call_from_thread(self._show_loaded, model, header, notes, child)

    async def _show_loaded(self, model: audits.Audit, header: dict, notes: list[dict], child: dict | None) -> None:
        audit = _plain(model)
        self.audit_model, self.child = model, child
        self.audit, self.header_info, self.notes = audit, header, notes
        self.version = audit.get("version")
        self.standards = _standards_of(audit)
        self.ratings = {
            s["id"]: {
                "rating": (audit.get("ratings", {}).get(s["id"]) or {}).get("rating"),
                "evidence": (audit.get("ratings", {}).get(s["id"]) or {}).get("evidence") or "",
                "suggested": (audit.get("ratings", {}).get(s["id"]) or {}).get("suggested"),
            }
            for s in self.standards
        }
        self.read_only = audit.get("status") != "draft"
        self._conflicted = False
        # Loading text posts Changed messages; they change nothing because every
        # edit handler compares with what is already held (see _changes).
        self.query_one(StandardsList).show(self.standards, self.ratings)
        self.query_one("#overview-text", TextArea).load_text(audit.get("overview") or "")
        self.query_one("#positive-text", TextArea).load_text(audit.get("positive_practice") or "")
        await self.query_one(ActionsEditor).load(audit.get("actions") or [], read_only=self.read_only)
        self._evidence_for = None
        self._show_standard()
        self._saved = self._collect()
        self._dirty_since = None
        self.saved_at = audit.get("updated_at")
        self._set_editable(not self.read_only)
        self.refresh_bindings()
        self._show_header()
        self._show_timeline()
        self._show_preview()
        self.loaded = True
        if self.app.focused is None or not self.read_only:
            self.set_focus(self.query_one(StandardsList))

    def _set_editable(self, editable: bool) -> None:
        for area in self.query(TextArea):
            area.read_only = not editable
        banner = self.query_one("#readonly-banner", Static)
        status = self.audit.get("status")
        if not editable and status and status != "draft":
            banner.update(f"READ-ONLY: this audit is {status}; it cannot be changed here.")
            banner.display = True
        else:
            banner.display = False

    # -- header, timeline, preview ----------------------------------------
    def _show_header(self) -> None:
        """Who the child is, who works with them, the dates that matter (three lines)."""
        h, a = self.header_info, self.audit

        def who(name, login):
            return f"{name} ({login})" if name and login and name != login else (login or "not known")

        line1 = Text.assemble(
            (f"{h.get('child_id', '')} {h.get('initials', '')}".strip(), "bold"),
            f"  {h.get('cohort_label', '')}  ", (h.get("team") or "", ""),
        )
        line2 = Text.assemble(("Worker ", "dim"), who(h.get("worker_name"), h.get("worker")),
                              ("  Supervising manager ", "dim"), who(h.get("manager_name"), h.get("manager")))
        line3 = Text.assemble(
            ("Audit ", "dim"), f"{self.audit_id} {a.get('status', '')} {a.get('audit_date') or ''}  ",
            ("  ".join(f"{label} {value}" for label, value in h.get("key_dates", [])), "dim"))
        self.query_one("#child-header", Static).update(line1)
        self.query_one("#child-people", Static).update(Text("\n").join([line2, line3]))
        self._show_save_state()

    def _show_save_state(self, text: str | None = None, style: str = "dim") -> None:
        if text is None:
            if self.read_only:
                text, style = "read-only", "bold"
            elif self._conflicted:
                text, style = "NOT SAVED: conflict", "bold red"
            elif self._dirty_since is not None or self._saving:
                text, style = "saving…", "yellow"
            elif self.saved_at:
                text = f"saved {local_time(self.saved_at)}"
            else:
                text = "saved"
        self.query_one("#save-state", Static).update(Text(text, style=style))

    def _show_timeline(self) -> None:
        table = self.query_one("#timeline-table", DataTable)
        table.clear()
        shown = [n for n in self.notes if self.note_filter is None or n["kind"] == self.note_filter]
        for n in shown:
            table.add_row(n["date"], n["type"], n.get("author") or "", n.get("summary") or "")
        label = timeline.KIND_LABELS.get(self.note_filter, "all types") if self.note_filter else "all types"
        self.query_one("#timeline-filter", Static).update(
            f"Case notes: {label} ({len(shown)} of {len(self.notes)}) · f changes the type")

    def _draft_model(self) -> audits.Audit:
        """The audit as it stands on screen, saved or not (for the live preview)."""
        model = self.audit_model
        data = self._collect()
        owners = {"worker": (model.worker, model.worker_name),
                  "manager": (model.manager, model.manager_name)}
        actions = [
            audits.Action(action_id=a.get("action_id") or 0, position=i, owner_role=a["owner_role"],
                          owner=owners[a["owner_role"]][0], owner_name=owners[a["owner_role"]][1],
                          description=a["description"], due=a["due"])
            for i, a in enumerate(data["actions"])
        ]
        ratings = {sid: audits.RatingEntry(rating=r["rating"], evidence=r["evidence"],
                                           suggested=model.ratings[sid].suggested if sid in model.ratings else None)
                   for sid, r in data["ratings"].items()}
        return model.model_copy(update={"ratings": ratings, "overview": data["overview"],
                                        "positive_practice": data["positive_practice"],
                                        "actions": actions})

    def _preview_text(self) -> str:
        if self.audit_model is None:
            return ""
        if self.read_only and getattr(self, "_stored_note", None):
            return self._stored_note
        try:
            return casenote.render_case_note_for(self._draft_model(), self.child, self.app.ctx.settings)
        except Exception as exc:  # noqa: BLE001 - a half-written draft must never break the screen
            return f"(the case note cannot be previewed yet: {exc})"

    def _show_preview(self) -> None:
        self.query_one("#note-preview", Static).update(Text(self._preview_text()))

    # -- the standards -----------------------------------------------------
    def _current_standard(self) -> dict | None:
        index = self.query_one(StandardsList).highlighted
        if index is None or not self.standards:
            return None
        return self.standards[index]

    def _show_standard(self) -> None:
        s = self._current_standard()
        evidence = self.query_one("#evidence", TextArea)
        if s is None:
            return
        entry = self.ratings.get(s["id"], {})
        # The suggestion first (it is what the auditor acts on), then the full title and guidance.
        text = Text()
        suggested = entry.get("suggested")
        if suggested:
            text.append("suggested: ", "dim")
            text.append(rating_label(suggested.get("rating")), "bold")
            text.append(f" — {suggested.get('evidence', '')}", "")
            if not self.read_only:
                text.append("  (a accepts)", "dim")
        else:
            text.append("no suggestion from the case notes: judge from the record", "dim")
        text.append("\n")
        text.append(s["title"], "bold")
        if s.get("guidance"):
            text.append("\n" + s["guidance"], "italic dim")
        self.query_one("#standard-text", Static).update(text)
        if self._evidence_for != s["id"]:
            self._sync_evidence()  # what was typed stays with the standard it was typed for
            self._evidence_for = s["id"]  # the standard the editor's text belongs to
            evidence.load_text(self.ratings[s["id"]].get("evidence", ""))

    def _sync_evidence(self) -> None:
        """Put the evidence editor's text into its standard (keys can outrun messages)."""
        sid = self._evidence_for
        if sid is None or self.read_only:
            return
        text = self.query_one("#evidence", TextArea).text
        if text != self.ratings[sid]["evidence"]:
            self.ratings[sid]["evidence"] = text
            self._changed()

    @on(OptionList.OptionHighlighted, "#standards-list")
    def _highlighted(self) -> None:
        self._show_standard()

    @on(OptionList.OptionSelected, "#standards-list")
    def _selected(self) -> None:
        self.action_edit_evidence()

    # Actions that change the audit; offered in the footer only while they can act.
    _EDITING = {"rate", "accept", "add_action", "toggle_owner", "delete_action", "submit", "edit_evidence"}
    _IN_LIST = {"rate", "accept"}

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action in self._EDITING and self.loaded and self.read_only:
            return False
        if action in self._IN_LIST and not isinstance(self.focused, StandardsList):
            return False
        if action in ("toggle_owner", "delete_action") and (
                not self.is_mounted or self.query_one(ActionsEditor).focused_row() is None):
            return False
        return True

    def on_descendant_focus(self) -> None:
        self.refresh_bindings()

    def _rating_keys_live(self) -> bool:
        return self.loaded and isinstance(self.focused, StandardsList)

    def _refuse_if_read_only(self) -> bool:
        if self.read_only:
            self.notify(f"This audit is {self.audit.get('status')}: read-only.", severity="warning")
            return True
        return False

    def action_rate(self, rating: str) -> None:
        if not self._rating_keys_live() or self._refuse_if_read_only():
            return
        assert rating in RATINGS
        s = self._current_standard()
        if s is None:
            return
        self.ratings[s["id"]]["rating"] = rating
        self._after_rating()

    def action_accept(self) -> None:
        """Take the pre-check's suggestion: its rating, and its evidence (kept if already written)."""
        if not self._rating_keys_live() or self._refuse_if_read_only():
            return
        s = self._current_standard()
        entry = self.ratings.get(s["id"]) if s else None
        if not entry or not entry.get("suggested"):
            self.notify("No suggestion for this standard: rate it with m, p, n or x.")
            return
        self._sync_evidence()
        entry["rating"] = entry["suggested"].get("rating")
        if not entry.get("evidence"):
            entry["evidence"] = entry["suggested"].get("evidence") or ""
            if self._evidence_for == s["id"]:
                self.query_one("#evidence", TextArea).load_text(entry["evidence"])
        self._after_rating()

    def _after_rating(self) -> None:
        lst = self.query_one(StandardsList)
        index = lst.highlighted or 0
        lst.show(self.standards, self.ratings)
        # Move on to the next standard: a rating is usually the last thing done on one.
        lst.highlighted = min(index + 1, len(self.standards) - 1)
        self._show_standard()
        self._changed()

    def action_edit_evidence(self) -> None:
        if not self.loaded:
            return
        self._show_standard()  # now, not when the highlight message arrives: typing follows at once
        self.query_one(TabbedContent).active = "standards"
        self.set_focus(self.query_one("#evidence", TextArea))

    @on(TextArea.Changed, "#evidence")
    def _evidence_changed(self, event: TextArea.Changed) -> None:
        sid = self._evidence_for
        if sid is None or self.read_only or event.text_area.text == self.ratings[sid]["evidence"]:
            return  # loaded, not typed
        self.ratings[sid]["evidence"] = event.text_area.text
        self._changed()

    @on(TextArea.Changed, "#overview-text")
    @on(TextArea.Changed, "#positive-text")
    def _text_changed(self) -> None:
        if not self.read_only:
            self._changed()

    @on(ActionsEditor.Changed)
    def _actions_changed(self) -> None:
        if not self.read_only:
            self._changed()

    # -- tabs and navigation -----------------------------------------------
    def action_show_tab(self, tab: str) -> None:
        tabs = self.query_one(TabbedContent)
        tabs.active = tab
        target = {
            "standards": "#standards-list",
            "overview": "#overview-text",
            "note": "#note-scroll",
            "timeline": "#timeline-table",
        }.get(tab)
        # Focus at once (set_focus, not focus(), which waits for the queue): keys typed
        # straight after this one, or pasted with it, must land in the editor.
        if tab == "actions":
            rows = self.query_one(ActionsEditor).rows
            if rows:
                self.set_focus(rows[0].query_one(".description"))
            else:
                self.set_focus(tabs.query_one(Tabs))
        elif target:
            self.set_focus(self.query_one(target))
        if tab == "note":
            self._show_preview()

    @on(TabbedContent.TabActivated)
    def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id == "note":
            self._show_preview()

    def action_cycle_filter(self) -> None:
        kinds = [None, *timeline.note_kinds(self.app.ctx, self.audit.get("child_id", ""))] \
            if self.audit else [None]
        i = kinds.index(self.note_filter) if self.note_filter in kinds else 0
        self.note_filter = kinds[(i + 1) % len(kinds)]
        self._show_timeline()

    def action_back(self) -> None:
        """Escape: out of an editor first; from the screen, save then leave."""
        focused = self.focused
        if not isinstance(focused, StandardsList):
            # Home is the standards list (its keys pass typed-ahead keys on; see TypeAhead).
            self.query_one(TabbedContent).active = "standards"
            self.set_focus(self.query_one(StandardsList))
            return
        self._then(self.app.pop_screen)

    def action_quit_saved(self) -> None:
        self._then(self.app.exit)

    def _then(self, callback) -> None:
        """Run ``callback`` once nothing is left unsaved (a conflict stops it)."""
        if self._conflicted or not self.loaded or self.read_only or self._save_failed:
            # Nothing more can be saved from here; the auditor has been told why.
            self._save_failed = False
            callback()
            return
        if self._changes() or self._saving:
            self._after_save.append(callback)
            self._save_now()
            return
        callback()

    # -- actions -----------------------------------------------------------
    def _audit_date(self) -> date:
        d = self.audit.get("audit_date")
        return date.fromisoformat(d) if d else local(self.app.ctx.now()).date()

    async def action_add_action(self) -> None:
        if not self.loaded or self._refuse_if_read_only():
            return
        self.query_one(TabbedContent).active = "actions"
        due = suggest_due(self._audit_date(), self.app.ctx.settings)
        await self.query_one(ActionsEditor).add("worker", due)

    def action_toggle_owner(self) -> None:
        editor = self.query_one(ActionsEditor)
        row = editor.focused_row()
        if row is not None and not self.read_only:
            row.toggle_owner()
            self._changed()

    def action_delete_action(self) -> None:
        if self.read_only:
            return
        if not self.query_one(ActionsEditor).delete_focused():
            self.notify("Put the cursor on an action to delete it.")

    # -- the case note -----------------------------------------------------
    def action_copy_note(self) -> None:
        text = self._preview_text()
        # OSC 52: reaches the clipboard of the auditor's own machine, also over SSH.
        self.app.copy_to_clipboard(text)
        self.notify(f"QA Audit case note copied ({len(text.splitlines())} lines): paste it into the child's record.",
                    title="Copied")

    # -- autosave ----------------------------------------------------------
    def _collect(self) -> dict:
        """What the auditor has on screen, in the shape ``fill_audit`` takes."""
        editor = self.query_one(ActionsEditor)
        if self._evidence_for is not None and not self.read_only:
            self.ratings[self._evidence_for]["evidence"] = self.query_one("#evidence", TextArea).text
        return {
            "ratings": {sid: {"rating": r.get("rating"), "evidence": r.get("evidence") or ""}
                        for sid, r in self.ratings.items()},
            "overview": self.query_one("#overview-text", TextArea).text,
            "positive_practice": self.query_one("#positive-text", TextArea).text,
            "actions": editor.value(),
            "_dates_ok": editor.all_dates_ok(),
        }

    def _changes(self, current: dict | None = None) -> dict:
        """Only what differs from what core last saved (a partial fill)."""
        if not self.loaded or self.read_only:
            return {}
        now, saved = current or self._collect(), self._saved
        out: dict = {}
        ratings = {}
        for sid, r in now["ratings"].items():
            before = saved.get("ratings", {}).get(sid, {})
            diff = {k: v for k, v in r.items() if v != before.get(k) and not (k == "rating" and v is None)}
            if diff:
                ratings[sid] = diff
        if ratings:
            out["ratings"] = ratings
        for key in ("overview", "positive_practice"):
            if now[key] != saved.get(key):
                out[key] = now[key]
        if now["_dates_ok"] and _without_ids(now["actions"]) != _without_ids(saved.get("actions", [])):
            out["actions"] = now["actions"]
        return out

    def _changed(self) -> None:
        """An edit: (re)start the save timer and refresh the preview."""
        if not self.loaded or self.read_only or self._conflicted:
            return
        self._latest = self._collect()  # kept for the save on unmount, when widgets are gone
        if not self._changes(self._latest) and not self._saving:
            self._dirty_since = None  # e.g. typed and deleted again: nothing to save
            self._show_save_state()
            return
        now = time.monotonic()
        if self._dirty_since is None:
            self._dirty_since = now
        delay = min(SAVE_DEBOUNCE, max(0.05, SAVE_MAX_WAIT - (now - self._dirty_since)))
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
        if self._conflicted or self._saving:
            return  # a running save picks up the rest when it finishes
        data = self._changes()
        if not data:
            self._dirty_since = None
            self._show_save_state()
            self._run_after_save()
            return
        self._saving = True
        self._show_save_state()
        self._save(data)

    @work(thread=True, group="save", exit_on_error=False)
    def _save(self, data: dict) -> tuple:
        """Write the changes (thread; no widget is touched here).

        Under ``_save_lock`` so the last-chance save on unmount waits for this one.
        Core refuses a save against a stale version (Conflict) and writes nothing.
        """
        with self._save_lock:
            if self._closing:
                return ("skipped", None, data)  # the unmount save covers it
            return self._write(data)

    def _write(self, data: dict) -> tuple:
        """fill_audit with the version last seen; keeps ``version`` and ``_saved`` current."""
        try:
            audit = audits.fill_audit(self.app.ctx, self.audit_id, data, expected_version=self.version)
        except Conflict as exc:
            self._conflicted = True
            return ("conflict", str(exc), data)
        except DipauditError as exc:
            return ("failed", str(exc), data)
        except Exception as exc:  # noqa: BLE001 - a failed save is a message, never a traceback
            return ("failed", f"{type(exc).__name__}: {exc}", data)
        self.version = audit.version
        for sid, diff in data.get("ratings", {}).items():
            self._saved.setdefault("ratings", {}).setdefault(sid, {}).update(diff)
        for key in ("overview", "positive_practice", "actions"):
            if key in data:
                self._saved[key] = data[key]
        return ("saved", _plain(audit), data)

    def _save_finished(self, outcome: tuple) -> None:
        """Back on the main thread: show what the save did."""
        self._saving = False
        status, detail, sent = outcome
        if status == "conflict":
            self._on_conflict(detail)
        elif status == "failed":
            self._on_save_failed(detail)
        elif status == "saved":
            self._on_saved(detail, sent)

    def _on_saved(self, audit: dict, sent: dict) -> None:
        self._save_failed = False
        self.saved_at = audit.get("updated_at") or self.saved_at
        if "actions" in sent:
            self._adopt_action_ids(audit.get("actions") or [], len(sent["actions"]))
        self.audit = {**self.audit, **{k: v for k, v in audit.items() if k in ("version", "updated_at", "status")}}
        self.audit_model = self.audit_model.model_copy(update={"version": audit.get("version")})
        self._dirty_since = None
        if self._changes():
            self._changed()  # typed on while saving: go again
        self._show_save_state()
        self._run_after_save()

    def _adopt_action_ids(self, saved: list[dict], count: int) -> None:
        rows = self.query_one(ActionsEditor).rows
        if len(saved) == count:
            for row, action in zip(rows[:count], saved, strict=False):
                row.action_id = action.get("action_id")

    def _on_save_failed(self, message: str) -> None:
        self._after_save.clear()
        self._save_failed = True  # a second escape leaves anyway
        self._show_save_state(f"NOT SAVED: {message}", "bold red")
        self.app.show_error(f"Draft not saved: {message}")

    def _on_conflict(self, message: str) -> None:
        self._conflicted = True
        self._after_save.clear()
        self._show_save_state()

        def answered(reload: bool | None) -> None:
            if reload:
                self.action_reload(force=True)

        self.app.push_screen(ConflictDialog(message), answered)

    def _run_after_save(self) -> None:
        callbacks, self._after_save = self._after_save, []
        for callback in callbacks:
            callback()

    def action_reload(self, force: bool = False) -> None:
        if not force and not self._conflicted and self._changes():
            self.notify("Saving first; press ctrl+r again to reload.")
            self._save_now()
            return
        self.loaded = False
        self.load()

    def on_screen_suspend(self) -> None:
        # Another screen on top (a mode switch): save now rather than in a second.
        if self._changes() and not self._conflicted:
            self._save_now()

    def on_unmount(self) -> None:
        """Last chance (the app is closing or the screen is gone): wait for a save in
        flight, then save what is left, here and now. Typing is never dropped silently."""
        self._closing = True
        if not self._save_lock.acquire(timeout=self.app.ctx.store.busy_timeout_ms / 1000 + 1):
            return
        try:
            if self._conflicted or self._latest is None:
                return
            data = self._changes(self._latest)
            if data:
                self._write(data)
        finally:
            self._save_lock.release()

    # -- submission --------------------------------------------------------
    def action_submit(self) -> None:
        if not self.loaded or self._refuse_if_read_only():
            return
        if self._conflicted:
            self.app.show_error("Saving is paused by a conflict: reload (ctrl+r) first.")
            return
        self._then(self._check_submission)

    @work(thread=True, exclusive=True, group="submit", exit_on_error=False)
    def _check_submission(self) -> None:
        ctx = self.app.ctx
        try:
            audit = audits.get_audit(ctx, self.audit_id)
            gaps = audits.submission_gaps(audit)
            recipients = audits.submission_recipients(ctx, audit)
        except Exception as exc:  # noqa: BLE001
            self.app.call_from_thread(self.app.show_error, str(exc))
            return
        self.app.call_from_thread(self._confirm_submission, gaps, recipients)

    @staticmethod
    def _recipients(recipients: list[dict]) -> list[str]:
        roles = {"worker": "worker", "manager": "supervising manager"}
        return [f"{r['name']} ({r['login']}), {roles[r['role']]}" if r["name"] != r["login"]
                else f"{r['login']}, {roles[r['role']]}" for r in recipients if r["alerted"]]

    def _confirm_submission(self, gaps: list[str], recipients: list[dict]) -> None:
        if gaps:
            self.app.push_screen(GapsDialog(gaps))
            return
        child = f"{self.header_info.get('child_id', '')} {self.header_info.get('initials', '')}".strip()

        def answered(yes: bool | None) -> None:
            if yes:
                self._submit()

        self.app.push_screen(SubmitConfirm(child, self._recipients(recipients),
                                           self.app.ctx.settings.workflow.comment_window_hours,
                                           [r["problem"] for r in recipients if not r["alerted"]]),
                             answered)

    @work(thread=True, exclusive=True, group="submit", exit_on_error=False)
    def _submit(self) -> None:
        ctx = self.app.ctx
        try:
            audit = audits.submit_audit(ctx, self.audit_id)
            recipients = audits.submission_recipients(ctx, audit)
        except DipauditError as exc:
            self.app.call_from_thread(self.app.show_error, str(exc), "Not submitted")
            return
        except Exception as exc:  # noqa: BLE001
            self.app.call_from_thread(self.app.show_error, f"{type(exc).__name__}: {exc}", "Not submitted")
            return
        self.app.call_from_thread(self._submitted, recipients)

    def _submitted(self, recipients: list[dict]) -> None:
        names = ", ".join(self._recipients(recipients)) or "nobody"
        self.notify(f"Submitted. Alerted: {names}.", title="Audit submitted")
        self.loaded = False
        self.load()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "save" and event.state == WorkerState.SUCCESS:
            self._save_finished(event.worker.result)
        # Workers catch what they expect; anything else still reaches the auditor as a message.
        if event.state == WorkerState.ERROR:
            self._saving = False
            self.app.show_error(f"{type(event.worker.error).__name__}: {event.worker.error}")

    # -- command palette ---------------------------------------------------
    def palette_commands(self):
        return [
            ("Submit audit", "Check for gaps, then submit (F9)", self.action_submit),
            ("Copy QA Audit case note", "Copy the note to your clipboard (y)", self.action_copy_note),
            ("Add recommended action", "A new action for the worker (ctrl+n)", self.action_add_action),
            ("Reload audit", "Read the audit again from the database (ctrl+r)", self.action_reload),
        ]


def _without_ids(actions: list[dict]) -> list[dict]:
    return [{k: v for k, v in a.items() if k in ("owner_role", "description", "due")} for a in actions]


def local_time(iso_text: str) -> str:
    from core.clock import from_iso

    return local(from_iso(iso_text)).strftime("%H:%M:%S")


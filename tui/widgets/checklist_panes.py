"""The parts of the audit checklist: its header and its five tabs, one widget each.
They show what the screen gives them and say when the auditor changed something
(``DraftEdited``); the screen owns the draft, the keys and the saving
(tui/screens/checklist.py). Styles: tui/checklist.tcss.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Label, OptionList, Static, TabPane, TextArea

from core.clock import show_time_of_day
from core.draft import Draft
from core.vocabulary import KIND_LABELS

from ..messages import DraftEdited
from .actions_editor import ActionsEditor
from .row_table import RowTable
from .standards_list import StandardsList, rating_label

SAVE_STATES = {  # the draft's state -> what the save indicator says, and its style
    "read-only": ("read-only", "bold"),
    "conflict": ("NOT SAVED: conflict", "bold red"),
    "saving": ("saving…", "yellow"),
}


class AuditHeader(Vertical):
    """Three lines: the child (id and initials), cohort and team, with the save
    indicator; the worker and manager; the audit and the child's key dates. Below them
    a banner while the audit is read-only."""

    def __init__(self, audit_id: int) -> None:
        super().__init__(id="audit-header")
        self.audit_id = audit_id

    def compose(self) -> ComposeResult:
        with Horizontal(id="checklist-top"):
            yield Static(f"Loading audit {self.audit_id}…", id="child-header")
            yield Static("", id="save-state")
        yield Static("", id="child-people")
        yield Static("", id="readonly-banner")

    def show(self, header: dict, status: str, audit_date) -> None:
        h = header

        def who(name, login):
            return f"{name} ({login})" if name and login and name != login else (login or "not known")

        line1 = Text.assemble(
            (f"{h.get('child_id', '')} {h.get('initials', '')}".strip(), "bold"),
            f"  {h.get('cohort_label', '')}  ", (h.get("team") or "", ""),
        )
        line2 = Text.assemble(("Worker ", "dim"), who(h.get("worker_name"), h.get("worker")),
                              ("  Supervising manager ", "dim"), who(h.get("manager_name"), h.get("manager")))
        line3 = Text.assemble(
            ("Audit ", "dim"), f"{self.audit_id} {status} {audit_date or ''}  ",
            ("  ".join(f"{label} {value}" for label, value in h.get("key_dates", [])), "dim"))
        self.query_one("#child-header", Static).update(line1)
        self.query_one("#child-people", Static).update(Text("\n").join([line2, line3]))

    def show_save_state(self, draft: Draft) -> None:
        state = draft.state
        if state == "failed":
            text, style = f"NOT SAVED: {draft.failure}", "bold red"
        elif state == "saved":
            saved_at = show_time_of_day(draft.saved_at, seconds=True)
            text, style = (f"saved {saved_at}" if saved_at else "saved"), "dim"
        else:
            text, style = SAVE_STATES[state]
        self.query_one("#save-state", Static).update(Text(text, style=style))

    def show_read_only(self, status: str | None) -> None:
        """The banner, for an audit past its draft (``status``), hidden otherwise."""
        banner = self.query_one("#readonly-banner", Static)
        banner.display = status not in (None, "draft")
        if banner.display:
            banner.update(f"READ-ONLY: this audit is {status}; it cannot be changed here.")


def _text_box(box_id: str, placeholder: str = "") -> TextArea:
    # Tab moves on to the next box: a checklist is filled by keys, not indented.
    return TextArea(id=box_id, soft_wrap=True, tab_behavior="focus", placeholder=placeholder)


class StandardsPane(TabPane):
    """The practice standards: one line each with its rating, the highlighted one's
    suggestion, title and guidance, and its evidence.

    ``ratings`` (``{standard_id: {"rating", "evidence", "suggested"}}``) is what the
    auditor has chosen and typed, saved or not."""

    def __init__(self) -> None:
        super().__init__("Standards", id="standards")
        self.standards: list[dict] = []
        self.ratings: dict[str, dict] = {}
        self.read_only = True
        self.evidence_for: str | None = None  # the standard the evidence box's text belongs to
        # Held, not only found in the DOM: read by the save on unmount (see ActionRow).
        self.evidence = _text_box("evidence", "Evidence for this standard (e edits; escape returns)")

    def compose(self) -> ComposeResult:
        yield StandardsList(id="standards-list")
        with VerticalScroll(id="standard-detail"):
            yield Static("", id="standard-text")
        yield self.evidence

    def on_mount(self) -> None:
        self.evidence.border_title = "Evidence"

    def show(self, standards: list[dict], ratings: dict[str, dict], *, read_only: bool) -> None:
        self.standards, self.ratings, self.read_only = standards, ratings, read_only
        self.evidence_for = None
        self.query_one(StandardsList).show(standards, ratings)
        self.show_standard()

    def current(self) -> dict | None:
        index = self.query_one(StandardsList).highlighted
        if index is None or not self.standards:
            return None
        return self.standards[index]

    def show_standard(self) -> None:
        """The highlighted standard: the suggestion first (what the auditor acts on),
        then the full title and guidance; its evidence in the box."""
        s = self.current()
        if s is None:
            return
        entry = self.ratings.get(s["id"], {})
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
        if self.evidence_for != s["id"]:
            self.sync_evidence()  # what was typed stays with the standard it was typed for
            self.evidence_for = s["id"]
            self.evidence.load_text(self.ratings[s["id"]].get("evidence", ""))

    def sync_evidence(self) -> None:
        """Put the evidence box's text into its standard (keys can outrun messages)."""
        sid = self.evidence_for
        if sid is None or self.read_only:
            return
        text = self.evidence.text
        if text != self.ratings[sid]["evidence"]:
            self.ratings[sid]["evidence"] = text
            self.post_message(DraftEdited())

    @on(TextArea.Changed, "#evidence")
    def _evidence_changed(self, event: TextArea.Changed) -> None:
        event.stop()
        sid = self.evidence_for
        if sid is None or self.read_only or event.text_area.text == self.ratings[sid]["evidence"]:
            return  # loaded, not typed
        self.ratings[sid]["evidence"] = event.text_area.text
        self.post_message(DraftEdited())

    @on(OptionList.OptionHighlighted, "#standards-list")
    def _highlighted(self) -> None:
        self.show_standard()

    def rate(self, rating: str) -> None:
        s = self.current()
        if s is not None:
            self.ratings[s["id"]]["rating"] = rating
            self._rated()

    def accept(self) -> bool:
        """Take the pre-check's suggestion: its rating, and its evidence (kept if already
        written). False when this standard has no suggestion."""
        s = self.current()
        entry = self.ratings.get(s["id"]) if s else None
        if not entry or not entry.get("suggested"):
            return False
        self.sync_evidence()
        entry["rating"] = entry["suggested"].get("rating")
        if not entry.get("evidence"):
            entry["evidence"] = entry["suggested"].get("evidence") or ""
            if self.evidence_for == s["id"]:
                self.evidence.load_text(entry["evidence"])
        self._rated()
        return True

    def _rated(self) -> None:
        lst = self.query_one(StandardsList)
        index = lst.highlighted or 0
        lst.show(self.standards, self.ratings)
        # Move on to the next standard: a rating is usually the last thing done on one.
        lst.highlighted = min(index + 1, len(self.standards) - 1)
        self.show_standard()
        self.post_message(DraftEdited())

    def values(self) -> dict[str, dict]:
        """Every standard's rating and evidence, as on screen, in ``fill_audit``'s terms."""
        if self.evidence_for is not None and not self.read_only:
            self.ratings[self.evidence_for]["evidence"] = self.evidence.text
        return {sid: {"rating": r.get("rating"), "evidence": r.get("evidence") or ""}
                for sid, r in self.ratings.items()}


class OverviewPane(TabPane):
    """The overview of findings and the positive practice."""

    def __init__(self) -> None:
        super().__init__("Overview", id="overview")
        self.overview = _text_box("overview-text")  # held: read by the save on unmount
        self.positive = _text_box("positive-text")

    def compose(self) -> ComposeResult:
        yield Label("Objective, evidence based: were the standards met? (tab: next box)",
                    classes="field-label muted")
        yield self.overview
        yield self.positive

    def on_mount(self) -> None:
        self.overview.border_title = "Overview of findings"
        self.positive.border_title = "Positive practice"

    def show(self, overview: str, positive_practice: str) -> None:
        # Loading posts Changed messages: they change nothing, since the draft compares.
        self.overview.load_text(overview)
        self.positive.load_text(positive_practice)

    def values(self) -> tuple[str, str]:
        return self.overview.text, self.positive.text

    @on(TextArea.Changed)
    def _changed(self, event: TextArea.Changed) -> None:
        event.stop()
        self.post_message(DraftEdited())


class ActionsPane(TabPane):
    """The recommended actions (``ActionsEditor``)."""

    def __init__(self) -> None:
        super().__init__("Actions", id="actions")
        self.editor = ActionsEditor(id="actions-editor")  # held: read by the save on unmount

    def compose(self) -> ComposeResult:
        yield Static("ctrl+n new action · enter on owner (or ctrl+o) toggles worker/manager"
                     " · F8 deletes · due dates skip weekends and bank holidays", classes="muted")
        yield self.editor


class CaseNotePane(TabPane):
    """The QA Audit case note as it will read: live while drafting, stored once submitted."""

    def __init__(self) -> None:
        super().__init__("Case note", id="note")

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="note-scroll"):
            yield Static("", id="note-preview")

    def show(self, note: str) -> None:
        self.query_one("#note-preview", Static).update(Text(note))


class TimelinePane(TabPane):
    """The child's case notes, newest first, one kind at a time or all."""

    def __init__(self) -> None:
        super().__init__("Timeline", id="timeline")
        self.notes: list[dict] = []
        self.kinds: list[str] = []  # the kinds the child's notes include
        self.kind: str | None = None  # the one shown, or None for all

    def compose(self) -> ComposeResult:
        yield Static("", id="timeline-filter", classes="muted")
        yield RowTable(id="timeline-table", cursor_type="row", zebra_stripes=True)  # imported text: never markup

    def on_mount(self) -> None:
        self.query_one(RowTable).add_columns("Date", "Type", "Author", "Summary")

    def show(self, notes: list[dict], kinds: list[str]) -> None:
        self.notes, self.kinds = notes, kinds
        if self.kind not in kinds:
            self.kind = None
        self._fill()

    def next_kind(self) -> None:
        """All notes, then each kind the child's notes include, then all again."""
        cycle = [None, *self.kinds]
        i = cycle.index(self.kind) if self.kind in cycle else 0
        self.kind = cycle[(i + 1) % len(cycle)]
        self._fill()

    def _fill(self) -> None:
        table = self.query_one(RowTable)
        table.clear()
        shown = [n for n in self.notes if self.kind is None or n["kind"] == self.kind]
        table.add_rows([n["date"], n["type"], n.get("author") or "", n.get("summary") or ""] for n in shown)
        label = KIND_LABELS.get(self.kind, "all types") if self.kind else "all types"
        self.query_one("#timeline-filter", Static).update(
            f"Case notes: {label} ({len(shown)} of {len(self.notes)}) · f changes the type")

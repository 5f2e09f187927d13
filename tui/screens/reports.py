"""The report preview: the SMT and weekly reports as they would be sent, scrolling,
with export to a file, send now (admins) and the history of the reports sent.

What is shown is core's txt rendering (``core.reports.render_report(report, "txt")``),
the same text the CLI prints and the email's plain-text part carries: every table
(totals, standards, teams and their workers, escalations, sample progress) and, in
the weekly report, the trend with its Unicode bars and sparklines. It scrolls both
ways (the widest tables are wider than 80 columns), so nothing is cut off over SSH.

Periods: the SMT report opens on ``default_period`` (from the latest SMT slot up to
now, "so far"); ``[`` and ``]`` step through the scheduled slots (``slot_period``),
``]`` past the newest returns to the default period; never into the future.

Every core call runs through ``tui.workers.run_service``; results come back as
messages (``tui.messages``) whose handlers change the widgets.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Header, Static

from core.clock import from_iso, local, show
from core.context import Context
from core.errors import PermissionDenied
from core.reports import (
    KIND_TITLES,
    Period,
    Report,
    build_report,
    default_period,
    export_report,
    get_stored,
    latest_slot,
    list_stored,
    next_slot,
    previous_slot,
    render_report,
    send_recipients,
    send_report,
    show_stored,
    slot_period,
    stored_model,
    write_report_file,
)
from core.reports.render import period_text

from ..dialogs.confirm import ConfirmScreen
from ..dialogs.report_history import ReportHistory, kind_title, sent_text
from ..messages import (
    ReportBuilt,
    ReportExported,
    ReportSent,
    SendChecked,
    ServiceFailed,
    StoredListed,
)
from ..widgets.report_view import ReportView
from ..workers import run_service
from .base import DataScreen


# -- the services a worker runs (each one core call, and the txt to show) ------------
def build_and_render(ctx: Context, kind: str, period: Period | None) -> ReportBuilt:
    report = build_report(ctx, kind, period)
    return ReportBuilt(report, render_report(report, "txt"))


def read_stored(ctx: Context, report_id: int) -> ReportBuilt:
    """A sent report exactly as it was sent (its stored txt, not rendered again)."""
    return ReportBuilt(stored_model(ctx, report_id), show_stored(ctx, report_id, "txt"),
                       get_stored(ctx, report_id))


def export_stored(ctx: Context, report_id: int, path: str, fmt: str) -> Path:
    """A sent report to a file, as sent (what ``dipaudit report show ID --out`` does)."""
    return write_report_file(ctx, path, show_stored(ctx, report_id, fmt))


# -- periods ---------------------------------------------------------------------------
def _same(a: Period, b: Period) -> bool:
    return (a.start, a.end) == (b.start, b.end)


def earlier_slot(rs, kind: str, slot: datetime | None, now: datetime) -> datetime:
    """The slot ``[`` moves to from ``slot`` (None: the default period): the newest
    scheduled report that covers something before what is shown."""
    if slot is not None:
        return previous_slot(rs, kind, slot)
    newest = latest_slot(rs, kind, now)
    if _same(slot_period(rs, kind, newest), default_period(rs, kind, now)):
        return previous_slot(rs, kind, newest)  # the weekly report: the default is that slot's
    return newest


def later_slot(rs, kind: str, slot: datetime, now: datetime) -> datetime | None:
    """The slot ``]`` moves to from ``slot``; None for the default period (past the
    newest slot, or a slot covering what the default period covers)."""
    after = next_slot(rs, kind, slot)
    if after > now or _same(slot_period(rs, kind, after), default_period(rs, kind, now)):
        return None
    return after


def export_name(report: Report, fmt: str = "html") -> str:
    """``~/dipaudit-smt-2026-12-01.html``: kind and the period's first London day."""
    day = local(from_iso(report.from_)).date().isoformat()
    return f"~/dipaudit-{report.kind}-{day}.{fmt}"


class ReportsScreen(DataScreen):
    TITLE = "Reports"
    CSS_PATH = "../reports.tcss"
    AUTO_FOCUS = "#report-scroll"

    BINDINGS = [
        Binding("s", "kind('smt')", "SMT", id="reports_smt"),
        Binding("w", "kind('weekly')", "Weekly", id="reports_weekly"),
        Binding("left_square_bracket", "earlier", "Earlier", key_display="[", id="reports_earlier"),
        Binding("right_square_bracket", "later", "Later", key_display="]", id="reports_later"),
        Binding("e", "export", "Export", id="reports_export"),
        Binding("h", "history", "Sent", id="reports_history"),
        Binding("S,ctrl+s", "send", "Send now (admins)", id="reports_send", show=False),
        Binding("ctrl+r", "refresh", "Build again", id="reports_refresh", show=False),
        Binding("escape", "live", "Back to the live report", id="reports_live", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.kind = "smt"
        self.slot: datetime | None = None  # None: the default period ("so far" for SMT)
        self.report: Report | None = None  # what is shown
        self.stored = None  # the StoredReport shown, when reading a sent one
        self.building = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="report-heading", markup=False)
        yield ReportView(id="report-scroll")
        yield Static("", id="report-status", classes="status-bar", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.build()

    @property
    def period(self) -> Period | None:
        """The period to build: a scheduled slot's, or None for the default."""
        if self.slot is None:
            return None
        return slot_period(self.ctx.settings.reports, self.kind, self.slot)

    # -- building --------------------------------------------------------------
    def build(self, *, quiet: bool = False) -> None:
        """Build the report of ``kind`` for the period chosen (a newer build cancels an
        older one still running: only the latest is shown). ``quiet`` (after the app's
        tick): the report shown stays in view, without the loading indicator, until
        the new one replaces it."""
        self.stored = None
        self.building = True
        if not quiet:
            what = kind_title(self.kind)
            when = f"the report due {show(self.slot)}" if self.slot else self._default_words()
            self._status(f"Building the {what} ({when})…")
            self.query_one("#report-scroll").loading = True
        run_service(self, build_and_render, self.kind, self.period, request="build", done=lambda r: r)

    def _default_words(self) -> str:
        return "so far, from the latest slot" if self.kind == "smt" else "the last complete week"

    def refresh_data(self) -> None:
        if self.stored is None and not self.building and self.report is not None:
            self.build(quiet=True)  # a sent report does not change; a refusal stays one

    def on_report_built(self, message: ReportBuilt) -> None:
        self.building = False
        self.report = message.report
        self.stored = message.stored
        scroll = self.query_one("#report-scroll", ReportView)
        scroll.loading = False
        scroll.show(message.text)
        self.query_one("#report-heading", Static).update(self.heading())
        self._status(self.hint())

    def heading(self) -> str:
        """Two lines: what is shown (kind, and which report), then its period (London)
        and when it was built ("as at")."""
        r = self.report
        if r is None:
            return ""
        when = f"{period_text(r)} · as at {show(r.generated_at)}"
        if self.stored is not None:
            s = self.stored
            who = ", ".join(s.recipients) or "nobody"
            return f"Sent report {s.report_id}: {kind_title(r.kind)}, sent {sent_text(s)} to {who}\n{when}"
        if r.slot:
            what = f"{kind_title(r.kind)} due {show(r.slot)}"
        elif r.kind == "smt":
            what = f"{kind_title(r.kind)} so far (from the latest slot up to now)"
        else:
            what = f"{kind_title(r.kind)} (the last complete week)"
        return f"{what}\n{when}"

    def hint(self) -> str:
        if self.stored is not None:
            return "A report as it was sent · Escape, s or w: the live report · e export it"
        newest = self.slot is None
        return ("[ earlier slot" + ("" if newest else " · ] later slot")
                + " · arrows and PgUp/PgDn scroll, ← → for wide tables")

    def _status(self, text: str) -> None:
        self.query_one("#report-status", Static).update(text)

    @on(ServiceFailed)
    def _failed(self, message: ServiceFailed) -> None:
        if message.request == "build":
            self.building = False
            self.query_one("#report-scroll").loading = False
            if isinstance(message.error, PermissionDenied):
                # Not a fault: this user's role does not see reports. Say so in place.
                message.stop()
                self.report = None
                self.query_one("#report-heading", Static).update(kind_title(self.kind))
                self.query_one(ReportView).show(str(message.error), wrap=True)
                self._status("Reports are for auditors, the PDT, admins, senior managers and directors")
                return
            self._status("Not built: see the message")
        elif message.request in ("export", "send", "history"):
            self._status(self.hint() if self.report else "")
        # Not stopped: the App shows it (a one-line toast for a refusal).

    # -- keys ------------------------------------------------------------------
    def action_kind(self, kind: str) -> None:
        if kind == self.kind and self.slot is None and self.stored is None and self.report is not None:
            return
        self.kind, self.slot = kind, None
        self.query_one("#report-scroll", ReportView).scroll_home(animate=False)
        self.build()

    def action_live(self) -> None:
        if self.stored is not None:
            self.build()

    def action_refresh(self) -> None:
        self.build()

    def action_earlier(self) -> None:
        rs, now = self.ctx.settings.reports, self.ctx.now()
        self.slot = earlier_slot(rs, self.kind, self.slot, now)
        self.build()

    def action_later(self) -> None:
        if self.slot is None:
            if self.stored is not None:
                self.build()
                return
            self.notify(f"This is the newest {KIND_TITLES[self.kind]}: nothing after it yet.", timeout=4)
            return
        self.slot = later_slot(self.ctx.settings.reports, self.kind, self.slot, self.ctx.now())
        self.build()

    # -- export ------------------------------------------------------------------
    def action_export(self) -> None:
        from ..dialogs.export import ExportDialog

        report = self.report
        if report is None or self.building:
            self.notify("Wait for the report to be built, then export it.", severity="warning")
            return
        stored = self.stored
        title = (f"Export sent report {stored.report_id}" if stored else f"Export the {KIND_TITLES[report.kind]}")

        def answered(answer: tuple[str, str] | None) -> None:
            if answer is None:
                return
            path, fmt = answer
            self._status(f"Writing {path} ({fmt})…")
            if stored is not None:
                run_service(self, export_stored, stored.report_id, path, fmt, request="export",
                            done=lambda p: ReportExported(p, fmt), title="Not exported")
            else:
                run_service(self, export_report, report, path, fmt, request="export",
                            done=lambda p: ReportExported(p, fmt), title="Not exported")

        self.app.push_screen(ExportDialog(f"{title}: {period_text(report)}", export_name(report)), answered)

    def on_report_exported(self, message: ReportExported) -> None:
        self._status(self.hint())
        self.notify(f"Wrote {message.path} ({message.fmt})", title="Exported", timeout=8)

    # -- send now (admins) ---------------------------------------------------------
    def action_send(self) -> None:
        if self.stored is not None:
            self.notify("This report was sent already: press s or w for the live one to send.",
                        severity="warning")
            return
        kind = self.kind
        run_service(self, send_recipients, kind, request="send", title="Not sent",
                    done=lambda people: SendChecked(kind, people))

    def on_send_checked(self, message: SendChecked) -> None:
        kind, slot = message.kind, self.slot
        if kind != self.kind or slot != self.slot:
            return  # moved on meanwhile
        period = self.period
        report = self.report
        if report is not None and report.kind == kind:
            covers = period_text(report)
            if slot is None and kind == "smt":
                covers = f"{show(report.from_)} up to the moment it is sent"
        else:
            covers = "the period shown"
        people = ", ".join(f"{p['name']} ({p['login']})" if p.get("name") else p["login"]
                           for p in message.recipients)
        text = (f"Period: {covers}\nTo ({len(message.recipients)}): {people}\n\n"
                "It is stored as sent and queued to each of them; dipaudit tick delivers it.")

        def answered(yes: bool | None) -> None:
            if yes:
                self._status(f"Sending the {KIND_TITLES[kind]}…")
                run_service(self, send_report, kind, period, request="send", title="Not sent",
                            done=ReportSent)

        self.app.push_screen(ConfirmScreen(f"Send the {KIND_TITLES[kind]} now?", text, yes="Send"), answered)

    def on_report_sent(self, message: ReportSent) -> None:
        s = message.stored
        self._status(self.hint())
        self.notify(f"{kind_title(s.kind)} {s.report_id} stored and queued to {len(s.recipients)}"
                    f" ({', '.join(s.recipients)}); dipaudit tick delivers it", title="Queued", timeout=8)

    # -- history -------------------------------------------------------------------
    def action_history(self) -> None:
        run_service(self, list_stored, request="history", done=StoredListed)

    def on_stored_listed(self, message: StoredListed) -> None:
        def chosen(report_id: int | None) -> None:
            if report_id is not None:
                self.building = True
                self._status(f"Reading sent report {report_id}…")
                self.query_one("#report-scroll").loading = True
                self.query_one("#report-scroll", ReportView).scroll_home(animate=False)
                run_service(self, read_stored, report_id, request="build", done=lambda r: r)

        self.app.push_screen(ReportHistory(message.rows), chosen)

    # -- command palette -------------------------------------------------------------
    def palette_commands(self) -> list[tuple[str, str, object]]:
        return [
            ("SMT report", "The SMT report so far, from the latest slot (s)", lambda: self.action_kind("smt")),
            ("Weekly report", "The weekly report for the last complete week (w)",
             lambda: self.action_kind("weekly")),
            ("Earlier report", "The report due at the slot before ([)", self.action_earlier),
            ("Later report", "The report due at the slot after (])", self.action_later),
            ("Export report", "Write the report shown to a file: txt, md, html, csv or json (e)",
             self.action_export),
            ("Send report now", "Admins: store the report and queue it to its recipients (S)",
             self.action_send),
            ("Reports sent", "The reports sent, to read one exactly as sent (h)", self.action_history),
            ("Build report again", "Build the report shown again, as at now (ctrl+r)", self.action_refresh),
        ]

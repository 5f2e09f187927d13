"""The draw form: a modal that runs ``core.sampling.draw_sample`` and shows what it did.

The result (children picked, every worker left unfilled and why) and any refusal stay
in the modal, so the auditor reads them before going back to the queue. Dismisses with
the last ``SampleResult`` drawn (or None).
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, SelectionList, Static

from core.errors import DipauditError
from core.models import SampleResult
from core.people import list_teams
from core.vocabulary import COHORT_SHORT_LABELS

from ..messages import SampleDrawn, ServiceFailed, TeamsLoaded
from ..workers import run_service


def tier_labels(settings) -> dict[int, str]:
    """``{1: "Tier 1 (unborn, CP plan, care leavers)", ...}`` from the configured tiers."""
    tiers: dict[int, list[str]] = {}
    for cohort, tier in settings.sampling.tiers.items():
        tiers.setdefault(tier, []).append(COHORT_SHORT_LABELS.get(cohort, cohort))
    tiers.setdefault(3, [])  # an unmapped cohort falls in tier 3
    return {t: f"Tier {t}" + (f" ({', '.join(c)})" if c else "") for t, c in sorted(tiers.items())}


def parse_form(per_worker: str, seed: str, auditors: str) -> tuple[int | None, int | None, list[str]]:
    """The typed fields, or a DipauditError naming the field at fault."""
    try:
        n = int(per_worker) if per_worker.strip() else None
    except ValueError:
        raise DipauditError(f"Children per worker: '{per_worker}' is not a whole number") from None
    try:
        s = int(seed) if seed.strip() else None
    except ValueError:
        raise DipauditError(f"Seed: '{seed}' is not a whole number (leave it blank for a new one)") from None
    logins = [a for a in auditors.replace(",", " ").split() if a]
    return n, s, logins


def describe(result: SampleResult, dry_run: bool) -> str:
    """The result as the auditor reads it (markup-free text)."""
    n = len(result.picks)
    if dry_run:
        head = f"Preview (nothing saved): would draw {n} {'child' if n == 1 else 'children'} with seed {result.seed}."
    else:
        head = (f"Drew {n} {'child' if n == 1 else 'children'} into the queue: "
                f"sample {result.sample_id}, seed {result.seed}.")
    lines = [head]
    for p in result.picks:
        lines.append(f"  {p.child_id:<10} tier {p.tier}  {p.worker or '-'} ({p.team or '-'})")
    if result.unfilled:
        lines.append("")
        lines.append(f"{len(result.unfilled)} worker(s) not filled:")
        lines += [f"  {u.worker} ({u.team or '-'}): {u.reason}" for u in result.unfilled]
    else:
        lines.append("Every worker was filled.")
    return "\n".join(lines)


class DrawScreen(ModalScreen[SampleResult | None]):
    # Focus set by the screen itself (not in on_mount), so keys typed ahead land in the form.
    AUTO_FOCUS = "#per-worker"
    BINDINGS = [
        Binding("escape", "close", "Close", id="draw_close"),
        Binding("ctrl+s", "draw", "Draw", id="draw_submit"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.result: SampleResult | None = None  # last real (saved) draw

    def compose(self) -> ComposeResult:
        settings = self.app.ctx.settings
        with Vertical(classes="dialog", id="draw-dialog"):
            yield Static("Draw a sample", classes="dialog-title")
            with VerticalScroll(id="draw-body", can_focus=False):
                with Vertical(id="draw-form"):
                    yield Label("Children per worker", classes="field-label")
                    yield Input(str(settings.sampling.per_worker), id="per-worker", type="integer", compact=True)
                    yield Label("Tiers (highest risk first)", classes="field-label")
                    for tier, label in tier_labels(settings).items():
                        yield Checkbox(label, True, id=f"tier-{tier}", compact=True)
                    yield Label("Teams (none ticked: every team)", classes="field-label")
                    yield SelectionList[str](id="teams", compact=True)
                    yield Label("Seed (blank: a new random seed, stored with the sample)", classes="field-label")
                    yield Input(placeholder="e.g. 2020", id="seed", type="integer", compact=True)
                    yield Label("Auditors to assign round-robin (logins; blank: none)", classes="field-label")
                    yield Input(placeholder="e.g. auditor1, auditor2", id="auditors", compact=True)
                    yield Checkbox("Preview only (dry run: nothing saved)", False, id="dry-run", compact=True)
                yield Static("", id="draw-error", classes="error-text", markup=False)
                yield Static("", id="draw-result", markup=False)
            # Buttons stay outside the scroll: always on screen, even at 80x24.
            with Horizontal(classes="dialog-buttons"):
                yield Button("Change and draw again", id="again", classes="-hidden")
                yield Button("Close", id="close")
                yield Button("Draw", id="draw", variant="primary")

    def on_mount(self) -> None:
        run_service(self, list_teams, done=TeamsLoaded)

    def on_teams_loaded(self, message: TeamsLoaded) -> None:
        teams = self.query_one("#teams", SelectionList)
        teams.clear_options()
        teams.add_options([(name, name) for name in message.teams])

    def on_sample_drawn(self, message: SampleDrawn) -> None:
        self._drawing(False)
        if not message.dry_run:
            self.result = message.result
        self.query_one("#draw-result", Static).update(describe(message.result, message.dry_run))
        self._show_result(True)
        self.query_one("#close", Button).focus()

    @on(ServiceFailed)
    def _failed(self, message: ServiceFailed) -> None:
        """A refusal stays in the form, beside what caused it; anything unexpected goes
        on to the App's error modal."""
        if message.request == "draw_sample":
            self._drawing(False)
        if isinstance(message.error, DipauditError):
            message.stop()
            self.query_one("#draw-error", Static).update(str(message.error))

    def _drawing(self, busy: bool) -> None:
        self.query_one("#draw-form").loading = busy  # visible progress while the draw runs
        self.query_one("#draw", Button).disabled = busy

    # -- actions -------------------------------------------------------------
    @on(Button.Pressed, "#draw")
    @on(Input.Submitted)
    def action_draw(self) -> None:
        if not self.query_one("#draw-form").display:
            return  # a result is shown: "Change and draw again" first
        error = self.query_one("#draw-error", Static)
        error.update("")
        try:
            per_worker, seed, auditors = parse_form(
                self.query_one("#per-worker", Input).value,
                self.query_one("#seed", Input).value,
                self.query_one("#auditors", Input).value,
            )
        except DipauditError as exc:
            error.update(str(exc))
            return
        tiers = [int(box.id.removeprefix("tier-")) for box in self.query(Checkbox)
                 if box.id and box.id.startswith("tier-") and box.value]
        if not tiers:
            error.update("Tiers: tick at least one tier")
            return
        params = {
            "per_worker": per_worker,
            "tiers": tiers,
            "teams": list(self.query_one("#teams", SelectionList).selected) or None,
            "seed": seed,
            "auditors": auditors or None,
            "dry_run": self.query_one("#dry-run", Checkbox).value,
        }
        self.query_one("#draw-result", Static).update("")
        self._drawing(True)
        from core.sampling import draw_sample

        run_service(self, draw_sample, **params,
                    done=lambda result: SampleDrawn(result, params["dry_run"]))

    def _show_result(self, shown: bool) -> None:
        """The result replaces the form (read it whole); 'Change and draw again' brings the form back."""
        self.query_one("#draw-form").display = not shown
        self.query_one("#draw", Button).display = not shown
        self.query_one("#again", Button).set_class(not shown, "-hidden")
        if not shown:
            self.query_one("#draw-result", Static).update("")
        self.query_one("#draw-body").scroll_home(animate=False)

    @on(Button.Pressed, "#again")
    def _again(self) -> None:
        self._show_result(False)
        self.set_focus(self.query_one("#per-worker", Input))

    @on(Button.Pressed, "#close")
    def action_close(self) -> None:
        self.dismiss(self.result)

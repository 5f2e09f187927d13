"""The timeline of one escalation: every time-stamped step, oldest first, London times."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from core.clock import show
from core.models import EscalationStep
from core.vocabulary import STEP_LABELS


class EscalationTimeline(Static):
    """Shows an escalation's ``steps`` under a one-line heading."""

    def show_steps(self, heading: str, steps: list[EscalationStep]) -> None:
        out = Text(heading + "\n", style="bold")
        if not steps:
            out.append("No steps recorded.", style="italic")
        for step in steps:
            out.append(f"{show(step.at)}  ", style="dim")
            kind = step.kind
            out.append(STEP_LABELS.get(kind, kind.capitalize()), style="bold red" if kind == "overdue" else "bold")
            if step.by:
                out.append(f" by {step.by}")
            if step.recipient:
                out.append(f" to {step.recipient}")
            if step.text:
                out.append(f": {step.text}")
            out.append("\n")
        self.update(out)

    def clear_steps(self, message: str = "") -> None:
        self.update(message)

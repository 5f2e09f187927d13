"""The timeline of one escalation: every time-stamped step, oldest first, London times."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from core.clock import show

STEP_LABELS = {
    "raised": "Raised",
    "phoned": "Phoned",
    "emailed": "Emailed",
    "responded": "Responded",
    "overdue": "Overdue",
    "referred": "Referred to Head of Service",
    "closed": "Closed",
}


class EscalationTimeline(Static):
    """Shows ``steps`` (dicts with at, by, kind, text) under a one-line heading."""

    def show_steps(self, heading: str, steps: list[dict]) -> None:
        out = Text(heading + "\n", style="bold")
        if not steps:
            out.append("No steps recorded.", style="italic")
        for step in steps:
            out.append(f"{show(step.get('at'))}  ", style="dim")
            kind = step.get("kind", "")
            out.append(STEP_LABELS.get(kind, kind.capitalize()), style="bold red" if kind == "overdue" else "bold")
            if step.get("by"):
                out.append(f" by {step['by']}")
            if step.get("recipient"):
                out.append(f" to {step['recipient']}")
            if step.get("text"):
                out.append(f": {step['text']}")
            out.append("\n")
        self.update(out)

    def clear_steps(self, message: str = "") -> None:
        self.update(message)

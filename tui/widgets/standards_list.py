"""The checklist's list of practice standards: one line each, its rating (or the
pre-check's suggestion, dimmed) then its title. Rating keys live on the screen,
so they only act while this list has focus, never inside a text editor."""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from core.vocabulary import RATING_LABELS

RATING_STYLES = {
    "met": "bold green",
    "partly_met": "bold yellow",
    "not_met": "bold red",
    "not_applicable": "bold",
}


def rating_label(rating: str | None) -> str:
    return RATING_LABELS.get(rating or "", "")


class StandardsList(OptionList):
    """Standards of the audit's programme with their current ratings."""

    # Enter edits the evidence at once (a screen action, not a message), so words typed
    # straight after it are evidence, not rating keys.
    BINDINGS = [Binding("enter", "screen.edit_evidence", "Evidence", show=False, id="standard_edit")]

    DEFAULT_CSS = """
    StandardsList {
        height: auto;
        max-height: 8;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, compact=True)
        self._shown: tuple[list[dict], dict[str, dict]] = ([], {})

    def show(self, standards: list[dict], ratings: dict[str, dict]) -> None:
        """(Re)draw every line, one line per standard, keeping the highlighted one."""
        self._shown = (standards, ratings)
        keep = self.highlighted
        self.clear_options()
        self.add_options([Option(self._line(s, ratings.get(s["id"]) or {}), id=s["id"])
                          for s in standards])
        if standards:
            self.highlighted = min(keep or 0, len(standards) - 1)

    @staticmethod
    def _line(standard: dict, entry: dict) -> Text:
        rating = entry.get("rating")
        suggested = (entry.get("suggested") or {}).get("rating")
        line = Text(no_wrap=True, overflow="ellipsis")
        if rating:
            line.append(f"{rating_label(rating):<15}", RATING_STYLES[rating])
        elif suggested:
            line.append(f"{'? ' + rating_label(suggested):<15}", "dim italic")
        else:
            line.append(f"{'-':<15}", "dim")
        line.append(standard["title"])
        return line

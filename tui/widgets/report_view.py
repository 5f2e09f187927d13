"""``ReportView``: a rendered report (plain text, wider than the terminal at times) in
a box that scrolls both ways from the keyboard.

Up/down a line, PgUp/PgDn (and space) a page, Home/End to the top (and left edge) or
the bottom, left/right eight columns (the trend and team tables are up to 150 columns
wide). Without animation, each at once: a burst of keys (held down, or delivered
together over SSH) scrolls as far as it was pressed.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

STEP_COLUMNS = 8


class ReportView(VerticalScroll):
    BINDINGS = [
        Binding("left", "columns(-1)", "Scroll left", show=False),
        Binding("right", "columns(1)", "Scroll right", show=False),
        Binding("up", "lines(-1)", "Scroll up", show=False),
        Binding("down", "lines(1)", "Scroll down", show=False),
        Binding("pageup", "pages(-1)", "Page up", show=False),
        Binding("pagedown,space", "pages(1)", "Page down", show=False),
        Binding("home", "top", "Top", show=False),
        Binding("end", "bottom", "Bottom", show=False),
    ]

    def compose(self) -> ComposeResult:
        yield Static("", id="report-body", markup=False)

    def show(self, text: str, *, wrap: bool = False) -> None:
        """Show ``text``: a report as it is, line for line (wide lines scroll sideways);
        with ``wrap`` a sentence (a refusal), wrapped to the width of the screen."""
        body = self.query_one("#report-body", Static)
        body.set_class(wrap, "-wrap")
        body.update(text)

    @property
    def text(self) -> str:
        return str(self.query_one("#report-body", Static).content)

    # Each key scrolls at once (``immediate``), from where the last one left it: a
    # deferred scroll would start every key of a burst from the same place.
    def action_columns(self, direction: int) -> None:
        self.scroll_relative(x=direction * STEP_COLUMNS, animate=False, immediate=True)

    def action_lines(self, direction: int) -> None:
        self.scroll_relative(y=direction, animate=False, immediate=True)

    def action_pages(self, direction: int) -> None:
        self.scroll_relative(y=direction * max(self.scrollable_content_region.height - 1, 1),
                             animate=False, immediate=True)

    def action_top(self) -> None:
        self.scroll_to(0, 0, animate=False, immediate=True)

    def action_bottom(self) -> None:
        self.scroll_to(0, self.max_scroll_y, animate=False, immediate=True)

"""The child detail pane: who the child is in the record, and what the record shows lately.

Fed the dict ``core.queue.child_detail`` returns; it never queries anything itself.
Text from imports is escaped: a name with ``[brackets]`` is shown, not interpreted.
"""

from __future__ import annotations

from rich.markup import escape
from textual.containers import VerticalScroll
from textual.widgets import Static

from core.vocabulary import COHORT_LABELS, key_date_label


def _person(value) -> str:
    """A person as 'Name (login)', whatever shape the service gave."""
    if not value:
        return "—"
    if isinstance(value, dict):
        name, login = value.get("name"), value.get("login")
        if name and login and name != login:
            return f"{name} ({login})"
        return str(name or login or "—")
    return str(value)


def render_detail(detail: dict | None) -> str:
    """Rich markup for one child's detail (escaped data)."""
    if not detail:
        return "[dim]No child selected.[/]"
    child = detail.get("child") or detail
    e = lambda v: escape("" if v is None else str(v))  # noqa: E731
    cohort = child.get("cohort")
    lines = [
        f"[b]{e(child.get('child_id'))}[/]  {e(child.get('name') or '')}",
        f"[dim]Cohort[/]   {e(COHORT_LABELS.get(cohort, cohort))} (tier {e(child.get('tier'))})",
    ]
    born = child.get("date_of_birth") or (
        f"due {child['expected_date_of_birth']}" if child.get("expected_date_of_birth") else None)
    if born:
        lines.append(f"[dim]Born[/]     {e(born)}")
    lines.append(f"[dim]Team[/]     {e(child.get('team') or '—')}")
    lines.append(f"[dim]Worker[/]   {e(_person(detail.get('worker') or child.get('worker')))}")
    lines.append(f"[dim]Manager[/]  {e(_person(detail.get('manager')))}")
    last = detail.get("last_audit") or detail.get("last_audit_date")
    lines.append(f"[dim]Last audit[/] {e(last or 'never')}")
    key_dates = detail.get("key_dates") or child.get("key_dates") or {}
    shown = {k: v for k, v in key_dates.items() if v}
    if shown:
        lines.append("")
        lines.append("[b]Key dates[/]")
        lines += [f"  {e(key_date_label(k))}: {e(v)}" for k, v in sorted(shown.items())]
    sources = detail.get("sources") or []
    if sources:
        names = [s.get("source") if isinstance(s, dict) else s for s in sources]
        lines.append(f"[dim]Lists[/]    {e(', '.join(str(n) for n in names))}")
    notes = detail.get("recent_notes") or detail.get("notes") or []
    lines.append("")
    lines.append("[b]Recent case notes[/]")
    if not notes:
        lines.append("  [dim]none imported[/]")
    for note in notes:
        lines.append(f"  {e(note.get('date'))}  {e(note.get('type'))}")
        if note.get("summary"):
            lines.append(f"    [dim]{e(note['summary'])}[/]")
    return "\n".join(lines)


class ChildDetail(VerticalScroll):
    """A scrolling pane; ``show(detail)`` replaces what it shows. Focusable (tab), so
    the keyboard can scroll it where it is short (80x24)."""

    def compose(self):
        yield Static(render_detail(None), id="child-detail-body")

    def show(self, detail: dict | None) -> None:
        self.query_one("#child-detail-body", Static).update(render_detail(detail))
        self.scroll_home(animate=False)

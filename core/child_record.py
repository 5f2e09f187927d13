"""The child's record beside the checklist: the case-note timeline the auditor reads and
the header facts (who the child is, who works with them, the dates that matter).

Read-only: nothing here writes.
"""

from __future__ import annotations

from .context import Context
from .models import initials
from .people import display_name, get_person
from .store import children
from .vocabulary import COHORT_LABELS, KIND_LABELS, key_date_label

__all__ = ["KIND_LABELS", "case_notes", "checklist_header", "child_record", "note_kinds"]


def case_notes(ctx: Context, child_id: str, kind: str | None = None) -> list[dict]:
    """The child's case notes, newest first; ``kind`` limits them to one canonical kind."""
    return children.case_notes(ctx.store, child_id, kind=kind)


def note_kinds(ctx: Context, child_id: str) -> list[str]:
    """The canonical kinds this child's notes include, in the order of ``KIND_LABELS``."""
    present = children.note_kinds(ctx.store, child_id)
    return [k for k in KIND_LABELS if k in present]


def _name(ctx: Context, login: str | None) -> str:
    return display_name(ctx, login) or ""


def checklist_header(ctx: Context, child_id: str, *, worker: str | None = None,
                     manager: str | None = None, team: str | None = None) -> dict:
    """The facts the checklist header shows for a child.

    ``worker``, ``manager`` and ``team`` are the audit's snapshot when given (an audit
    keeps the people it started with); otherwise they come from the child and the
    people directory. The child is named by id and initials only.
    """
    child = children.get(ctx.store, child_id) or {}
    worker = worker or child.get("worker_login") or child.get("worker")
    worker_person = get_person(ctx, worker) if worker else None
    if not manager and worker_person:
        manager = worker_person.get("manager")
    dates = [(key_date_label(k), v) for k, v in child.get("key_dates", {}).items() if v]
    if child.get("date_of_birth"):
        dates.insert(0, ("Born", child["date_of_birth"]))
    elif child.get("expected_date_of_birth"):
        dates.insert(0, ("Due", child["expected_date_of_birth"]))
    return {
        "child_id": child_id,
        "initials": initials(child.get("name")),
        "cohort": child.get("cohort"),
        "cohort_label": COHORT_LABELS.get(child.get("cohort") or "", child.get("cohort") or ""),
        "worker": worker,
        "worker_name": _name(ctx, worker),
        "manager": manager,
        "manager_name": _name(ctx, manager),
        "team": team or child.get("team") or (worker_person or {}).get("team"),
        "key_dates": dates,
    }


def child_record(ctx: Context, child_id: str) -> dict | None:
    """The child's row, for the case-note preview (``core.casenote.render_case_note_for``)."""
    return children.get(ctx.store, child_id)

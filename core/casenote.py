"""The QA Audit case note: plain text from a jinja2 template, ready to paste into the record.

The packaged template is ``core/templates/qa_audit_note.txt.j2``; a council's file of
the same name in ``core.locations.templates_dir()`` wins. Undefined names are errors
(StrictUndefined), so a council's template with a typo fails loudly, not silently.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from . import locations
from .audit import Audit, get_audit, list_addenda, window_closes_at
from .clock import show, show_date
from .config import Settings
from .context import Context
from .errors import DipauditError, NotFound
from .people import display_name
from .store import children
from .vocabulary import AUDIT_STATUS_LABELS, MET_OR_NA, OWNER_ROLE_LABELS, RATING_LABELS

if TYPE_CHECKING:
    import jinja2

TEMPLATE = "qa_audit_note.txt.j2"
NO_DATE = "(no date yet)"


class TemplateProblem(DipauditError):
    """A case note template that cannot be rendered (a typo in a council's override)."""


def _environment() -> jinja2.Environment:
    """The template environment; rebuilt only when the council's override appears or changes."""
    override = locations.templates_dir() / TEMPLATE
    st = override.stat() if override.is_file() else None
    stamp = (st.st_mtime_ns, st.st_size) if st else None
    return _environment_for(str(locations.templates_dir()), stamp)


@lru_cache(maxsize=4)
def _environment_for(templates_dir: str, override_stamp: tuple[int, int] | None) -> jinja2.Environment:
    import jinja2  # loaded when a case note is first rendered, not with every command

    return jinja2.Environment(
        loader=jinja2.ChoiceLoader([
            jinja2.FileSystemLoader(templates_dir),
            jinja2.PackageLoader("core", "templates"),
        ]),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # plain text for a case record, not HTML
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def note_context(audit: Audit, child: dict | None, settings: Settings,
                 addenda: list[dict] | None = None) -> dict:
    """What the template sees: everything already worded for a reader."""
    window = settings.workflow.comment_window_hours
    met = sum(1 for s in audit.standards
              if (audit.ratings.get(s.id) and audit.ratings[s.id].rating in MET_OR_NA))
    if audit.status == "draft":
        status_line = "Draft (not yet submitted)"
    elif audit.status == "finalised":
        status_line = f"Finalised {show(audit.finalised_at)}"
    else:
        status_line = f"{AUDIT_STATUS_LABELS.get(audit.status, audit.status)} {show(audit.submitted_at)}"
    deadline = show(window_closes_at(settings, audit.submitted_at)) or None
    child = child or {}
    return {
        "council": settings.council,
        "audit_id": audit.audit_id,
        "child_id": audit.child_id,
        "child_name": child.get("name") or "",
        "audit_date": show_date(audit.audit_date, missing=NO_DATE),
        "auditor": audit.auditor,
        "auditor_name": audit.auditor_name or audit.auditor,
        "programme_title": audit.programme.title,
        "programme_version": audit.programme.version,
        "status": audit.status,
        "status_line": status_line,
        "standards": [
            {"id": s.id, "title": s.title,
             "rating": RATING_LABELS.get(audit.ratings[s.id].rating or "", "Not yet rated"),
             "evidence": audit.ratings[s.id].evidence.strip()}
            for s in audit.standards
        ],
        "standards_met": audit.standards_met,
        "met_count": met,
        "standard_count": len(audit.standards),
        "overview": audit.overview.strip(),
        "positive_practice": audit.positive_practice.strip(),
        "actions": [
            {"owner": a.owner, "owner_name": a.owner_name or a.owner or "(no owner yet)",
             "owner_role": OWNER_ROLE_LABELS.get(a.owner_role, a.owner_role),
             "description": a.description.strip(), "due": show_date(a.due, missing=NO_DATE)}
            for a in audit.actions
        ],
        "worker_name": audit.worker_name or audit.worker or "The social worker",
        "manager_name": audit.manager_name or audit.manager or "the supervising manager",
        "comment_window_hours": window,
        "comment_deadline": deadline,
        "finalised_at": show(audit.finalised_at) if audit.finalised_at else None,
        # Corrections after finalisation: the audit itself is never rewritten.
        "addenda": [{"at": show(a["created_at"]), "by": a.get("by_name") or a["created_by"],
                     "text": a["text"].strip()} for a in (addenda or [])],
    }


def render_case_note_for(audit: Audit, child: dict | None, settings: Settings,
                         addenda: list[dict] | None = None) -> str:
    """The case note for an Audit in hand (the checklist's live preview uses this)."""
    import jinja2

    try:
        template = _environment().get_template(TEMPLATE)
        return template.render(note_context(audit, child, settings, addenda))
    except jinja2.TemplateError as exc:
        # Most likely a council's own template: say which file and what is wrong.
        where = getattr(exc, "filename", None) or locations.templates_dir() / TEMPLATE
        line = f", line {exc.lineno}" if getattr(exc, "lineno", None) else ""
        raise TemplateProblem(f"{where}{line}: the case note template failed: {exc}") from None


def render_case_note(ctx: Context, audit_id: int) -> str:
    """The QA Audit case note of a stored audit."""
    audit = get_audit(ctx, audit_id)
    child = children.get(ctx.store, audit.child_id)
    if child is None:
        raise NotFound(f"audit {audit_id}: no child {audit.child_id}")
    addenda = [a.model_dump() | {"by_name": display_name(ctx, a.created_by)}
               for a in list_addenda(ctx, audit_id)]
    return render_case_note_for(audit, child, ctx.settings, addenda)

"""Submitting a complete audit: what still stops it, who it alerts, and the submit itself."""

from __future__ import annotations

from datetime import timedelta

from ..clock import iso, show
from ..context import Context
from ..errors import StateError
from ..models import initials
from ..people import alert_problem
from ..store import actions, audits, children, people, queue
from ..vocabulary import NEEDS_EVIDENCE, OWNER_ROLE_LABELS, RATING_LABELS
from .record import Audit, RatingEntry, get_audit, require_auditor_of
from .window import window_closes_at


def submission_gaps(audit: Audit) -> list[str]:
    """Everything that stops an audit being submitted, one line each.

    Every standard rated; evidence for anything not met or partly met; the overview
    written; every action with an owner, a description and a due date after the
    audit date.
    """
    gaps = []
    for s in audit.standards:
        r = audit.ratings.get(s.id) or RatingEntry()
        if not r.rating:
            gaps.append(f"{s.title}: not rated")
        elif r.rating in NEEDS_EVIDENCE and not r.evidence.strip():
            gaps.append(f"{s.title}: evidence is needed for '{RATING_LABELS[r.rating]}'")
    if not audit.overview.strip():
        gaps.append("overview: not written")
    for i, a in enumerate(audit.actions, start=1):
        what = f"action {i} ({a.owner_role})"
        if not a.owner:
            gaps.append(f"{what}: no owner (no {a.owner_role} known for this child)")
        if not a.description.strip():
            gaps.append(f"{what}: no description of what must be done")
        if not a.due:
            gaps.append(f"{what}: no due date")
        elif a.due <= audit.audit_date:
            gaps.append(f"{what}: due {a.due.isoformat()} is not after the audit date"
                        f" {audit.audit_date.isoformat()}")
    return gaps


def submission_recipients(ctx: Context, audit: Audit) -> list[dict]:
    """Who a submission alerts: the worker and the supervising manager. Each entry has
    login, role, name, ``alerted`` (in the people directory and still here, so a message
    can reach them) and ``problem`` (why not: not in the directory, or left), so the
    auditor knows before submitting when someone cannot be told and must be contacted
    another way."""
    out: list[dict] = []
    for login, role in ((audit.worker, "worker"), (audit.manager, "manager")):
        label = OWNER_ROLE_LABELS[role]
        entry = {"login": login, "role": role, "name": None, "alerted": False, "problem": None}
        if not login:
            entry["problem"] = (f"no {label} is recorded for this child" if role == "worker" else
                                f"no {label} is recorded for {audit.worker or 'the worker'}"
                                " in the people directory")
        elif any(e["login"] == login for e in out):
            continue  # the worker is their own manager: one message
        else:
            name = people.name_of(ctx.store, login)
            problem = alert_problem(ctx, login, f"the {label}")
            if problem is None:
                entry.update(name=name, alerted=True)
            else:
                entry.update(name=name, problem=problem)
        out.append(entry)
    return out


def submit_audit(ctx: Context, audit_id: int) -> Audit:
    """Submit a complete draft: one transaction sets the status, the review due date
    (submitted + ``review_after_days``) on the audit and its actions, closes the queue
    item, writes the event and alerts the worker and supervising manager (outbox),
    inviting comments within ``comment_window_hours``. Refuses, listing every gap,
    unless complete. Only the audit's own auditor may submit.
    """
    wf = ctx.settings.workflow
    with ctx.tx() as tx:
        audit = get_audit(ctx, audit_id)
        require_auditor_of(ctx, audit, "submit")
        if audit.status != "draft":
            raise StateError(f"audit {audit_id} is already {audit.status}")
        gaps = submission_gaps(audit)
        if gaps:
            raise StateError(f"audit {audit_id} cannot be submitted yet ({len(gaps)} to do):\n"
                             + "\n".join(f"- {g}" for g in gaps))
        submitted = tx.now
        review_due = iso(submitted + timedelta(days=wf.review_after_days))
        deadline = iso(window_closes_at(ctx.settings, submitted))
        audits.mark_submitted(tx, audit_id, review_due_at=review_due, by=ctx.user)
        actions.set_review_due(tx, audit_id, review_due)
        for item in queue.live_for_audit(tx, audit_id, audit.queue_id):
            queue.mark_done(tx, item["queue_id"], audit_id=audit_id)
            tx.event("queue_item", item["queue_id"], "done", before={"status": item["status"]},
                     after={"status": "done", "audit_id": audit_id})
        child = children.facts(tx, audit.child_id) or {}
        payload = {
            "audit_id": audit_id,
            "child_id": audit.child_id,
            "child_initials": initials(child.get("name")),
            "auditor": audit.auditor,
            "auditor_name": audit.auditor_name,
            "submitted_at": tx.at,
            "submitted_at_local": show(submitted),
            "comment_deadline": deadline,
            "comment_deadline_local": show(deadline),
            "comment_window_hours": wf.comment_window_hours,
            "standards_met": audit.standards_met,
            "actions": len(audit.actions),
        }
        if ctx.settings.notify.full_names:
            payload["child_name"] = child.get("name")
        # Only people in the directory can be reached; who could not be is on the trail
        # (and was shown to the auditor before submitting: submission_recipients).
        alerted, not_alerted = [], []
        for r in submission_recipients(ctx, audit):
            if not r["alerted"]:
                not_alerted.append(r["problem"])
                continue
            tx.outbox(r["login"], "audit_submitted", {**payload, "recipient_role": r["role"]},
                      f"audit:{audit_id}:submitted:{r['login']}", recipient_role=r["role"],
                      entity="audit", entity_id=audit_id)
            alerted.append(r["login"])
        tx.event("audit", audit_id, "submitted", before={"status": "draft"}, after={
            "status": "submitted", "review_due_at": review_due, "comment_deadline": deadline,
            "standards_met": audit.standards_met, "actions": len(audit.actions), "alerted": alerted,
            "not_alerted": not_alerted})
    return get_audit(ctx, audit_id)

"""Finalising an audit after its comment window, and correcting a finalised one.

With no open query, an audit finalises by itself at exactly submitted_at + the window,
by 'system', even when the scheduler runs late. An audit whose query was resolved
after that deadline is finalised by its auditor. A finalised audit is read-only: a
correction is an addendum.
"""

from __future__ import annotations

from datetime import datetime

from ..clock import iso, show
from ..context import Context, in_batches
from ..errors import PermissionDenied, StateError
from ..models import Addendum
from ..people import require_role
from ..store import Reader, Tx, audits, comments
from ..vocabulary import SYSTEM
from .record import Audit, get_audit
from .window import comment_window, window_closes_at


def _resolved_late(r: Reader, audit: dict, deadline: datetime) -> bool:
    """A query resolved after the deadline takes the audit out of automatic finalisation."""
    return comments.query_resolved_after(r, audit["audit_id"], iso(deadline))


def needs_manual_finalise(ctx: Context, audit_id: int) -> bool:
    """True when the window has closed, no query is open, and a query was resolved late:
    the auditor finalises it (``finalise_audit``)."""
    audit = audits.need(ctx.store, audit_id)
    if audit["status"] != "submitted":
        return False
    deadline = window_closes_at(ctx.settings, audit["submitted_at"])
    return ctx.now() >= deadline and _resolved_late(ctx.store, audit, deadline)


def _finalise(tx: Tx, audit: dict, *, at: str, by: str) -> None:
    """Finalise inside the open transaction: the status, the event, and the worker and
    manager told (outbox)."""
    audits.mark_finalised(tx, audit["audit_id"], at=at, by=by)
    tx.event("audit", audit["audit_id"], "finalised", before={"status": audit["status"]},
             after={"status": "finalised", "finalised_at": at, "finalised_by": by}, actor=by)
    payload = {"audit_id": audit["audit_id"], "child_id": audit["child_id"], "finalised_at": at,
               "finalised_by": by}
    for login, role in ((audit["worker"], "worker"), (audit["manager"], "manager")):
        if login:
            tx.outbox(login, "audit_finalised", payload, f"audit:{audit['audit_id']}:finalised:{login}",
                      recipient_role=role, entity="audit", entity_id=audit["audit_id"])


def finalise_due(ctx: Context) -> list[int]:
    """The scheduler's part: finalise every audit whose window has closed with no open
    query and no late-resolved query, at its deadline (not at the time tick runs)."""
    # Stored times are UTC, so the deadline is 72 real hours on, whatever the clocks in London do.
    candidates = audits.submitted_by(ctx.store, iso(ctx.now() - comment_window(ctx.settings)))
    done = []
    for batch in in_batches(candidates):
        with ctx.tx() as tx:
            for audit_id in batch:
                audit = audits.get(tx, audit_id)
                if audit["status"] != "submitted":
                    continue  # finalised or queried meanwhile (another tick, a new query)
                deadline = window_closes_at(ctx.settings, audit["submitted_at"])
                if tx.now < deadline or _resolved_late(tx, audit, deadline):
                    continue
                _finalise(tx, audit, at=iso(deadline), by=SYSTEM)
                done.append(audit_id)
    return done


def finalise_audit(ctx: Context, audit_id: int) -> Audit:
    """The audit's auditor finalises an audit whose query was resolved after the deadline.

    Refused while a query is open or while the window runs. Where the automatic rule
    applies (no late-resolved query) the audit is finalised as the rule says: at the
    deadline, by 'system'.
    """
    audit = audits.need(ctx.store, audit_id)
    if ctx.user != audit["auditor"]:
        raise PermissionDenied(f"{ctx.user} may not finalise audit {audit_id}: only its auditor ({audit['auditor']})")
    with ctx.tx() as tx:
        audit = audits.get(tx, audit_id)
        if audit["status"] == "finalised":
            raise StateError(f"audit {audit_id} is already finalised ({show(audit['finalised_at'])})")
        if audit["status"] == "draft":
            raise StateError(f"audit {audit_id} is not submitted yet")
        if audit["status"] == "queried":
            raise StateError(f"audit {audit_id} has an open query: resolve it before finalising")
        deadline = window_closes_at(ctx.settings, audit["submitted_at"])
        if tx.now < deadline:
            raise StateError(f"the comment window for audit {audit_id} runs until {show(deadline)};"
                             " it finalises by itself then unless queried")
        if _resolved_late(tx, audit, deadline):
            _finalise(tx, audit, at=tx.at, by=ctx.user)
        else:
            _finalise(tx, audit, at=iso(deadline), by=SYSTEM)
    return get_audit(ctx, audit_id)


# --- addenda ----------------------------------------------------------------------
def list_addenda(ctx: Context, audit_id: int) -> list[Addendum]:
    """A finalised audit's corrections, in the order they were added."""
    return [Addendum.from_row(r) for r in audits.addenda(ctx.store, audit_id)]


def add_addendum(ctx: Context, audit_id: int, text: str) -> Addendum:
    """A correction to a finalised audit: the audit stays as it was; the addendum is added (auditors)."""
    require_role(ctx, "auditor", doing="add an addendum")
    text = (text or "").strip()
    if not text:
        raise StateError("an addendum needs some text")
    audit = audits.need(ctx.store, audit_id)
    if audit["status"] != "finalised":
        raise StateError(f"audit {audit_id} is {audit['status']}, not finalised: amend it instead")
    with ctx.tx() as tx:
        addendum_id = audits.insert_addendum(tx, audit_id, text, by=ctx.user)
        tx.event("audit", audit_id, "addendum", after={"addendum_id": addendum_id, "text": text})
    return Addendum.from_row(audits.get_addendum(ctx.store, addendum_id))

"""Starting an audit from the queue (or ad hoc, from a child id), and refreshing its pre-checks."""

from __future__ import annotations

import json
import sqlite3

from ..clock import today
from ..context import Context
from ..errors import Conflict, NotFound, PermissionDenied, StateError
from ..people import display_name, get_person, require_role, roles_of
from ..prechecks import Suggestion, run_prechecks
from ..programme import Programme, load_programme
from ..store import Tx, audits, children, queue
from ..vocabulary import LIVE_QUEUE
from .record import Audit, get_audit, programme_of, require_auditor_of


def _resolve(ctx: Context, ref: str) -> str:
    """The child a ref names: a queue id (digits, when such a queue item exists) or a child id."""
    ref = str(ref).strip()
    # ASCII digits only ('٣' is a digit to str.isdigit), and no more than a SQLite integer holds.
    if ref.isascii() and ref.isdigit() and int(ref) < 2**63:
        item = queue.get(ctx.store, int(ref))
        if item:
            if item["status"] not in LIVE_QUEUE and not queue.live_of_child(ctx.store, item["child_id"]):
                done = f" (audit {item['audit_id']})" if item["audit_id"] else ""
                raise StateError(f"queue item {ref} is {item['status']}{done}")
            return item["child_id"]
    if not children.exists(ctx.store, ref):
        raise NotFound(f"no queue item or child {ref!r}")  # repr: a control character shows escaped
    return ref


def prechecks_json(pre: dict[str, Suggestion], at: str) -> str:
    """How suggestions are stored on the audit: when computed, and one per standard."""
    return json.dumps({"computed_at": at,
                       "suggestions": {k: v.model_dump() for k, v in pre.items()}}, sort_keys=True)


def start_audit(ctx: Context, ref: str) -> Audit:
    """Start (or resume) an audit of a child, from a queue id or a child id.

    Only an auditor may start. Starting claims the child's live queue item; an item
    claimed by someone else, or another auditor's draft of the child, is a Conflict.
    The auditor's own draft of the child is resumed. A child with no queue item may
    still be audited ad hoc.
    """
    require_role(ctx, "auditor", doing="start an audit")
    child_id = _resolve(ctx, ref)
    programme = load_programme(ctx.settings)
    with ctx.tx() as tx:
        # Re-read inside the write lock: another auditor may have just claimed the child.
        draft = audits.draft_of_child(tx, child_id)
        if draft and draft["auditor"] == ctx.user:
            audit_id = draft["audit_id"]  # resumed: nothing to write
        elif draft:
            raise Conflict(f"child {child_id} already has a draft audit {draft['audit_id']}"
                           f" by {display_name(ctx, draft['auditor'])} ({draft['auditor']})")
        else:
            audit_id = _create(ctx, tx, child_id, programme)
    return get_audit(ctx, audit_id)


def _create(ctx: Context, tx: Tx, child_id: str, programme: Programme) -> int:
    """A new draft of the child with today's snapshot; its live queue item goes in progress."""
    item = queue.live_of_child(tx, child_id)
    if item and item["claimed_by"] and item["claimed_by"] != ctx.user:
        raise Conflict(f"queue item {item['queue_id']} (child {child_id}) is claimed by"
                       f" {display_name(ctx, item['claimed_by'])} ({item['claimed_by']})")
    # The queue's own rule (core.queue.claim): an item drawn for another auditor is theirs.
    if (item and item["auditor"] and item["auditor"] != ctx.user
            and item["claimed_by"] != ctx.user and "admin" not in roles_of(ctx, ctx.user)):
        raise PermissionDenied(f"queue item {item['queue_id']} (child {child_id}) is assigned to"
                               f" {item['auditor']}; only they or an admin may start it")
    audit_date = today(ctx.clock)
    child = children.get(tx, child_id)
    worker = child["worker_login"] or child["worker"]
    person = get_person(ctx, worker) if worker else None
    manager = person["manager"] if person else None
    pre = run_prechecks(ctx, programme, child_id, audit_date)
    try:
        audit_id = audits.insert(
            tx, queue_id=item["queue_id"] if item else None, child_id=child_id, auditor=ctx.user,
            programme_id=programme.id, programme_version=programme.version,
            programme=programme.model_dump_json(), worker=worker, manager=manager,
            team=child["team"], audit_date=audit_date.isoformat(),
            prechecks=prechecks_json(pre, tx.at), standard_ids=programme.standard_ids)
    except sqlite3.IntegrityError as exc:
        raise Conflict(f"child {child_id} already has a draft audit") from exc
    if item:
        queue.start(tx, item["queue_id"], audit_id=audit_id, by=ctx.user)
        tx.event("queue_item", item["queue_id"], "started",
                 before={"status": item["status"], "claimed_by": item["claimed_by"]},
                 after={"status": "in_progress", "claimed_by": ctx.user, "audit_id": audit_id})
    tx.event("audit", audit_id, "started", after={
        "child_id": child_id, "queue_id": item["queue_id"] if item else None,
        "programme": f"{programme.id} v{programme.version}", "worker": worker,
        "manager": manager, "audit_date": audit_date.isoformat()})
    return audit_id


def refresh_prechecks(ctx: Context, audit_id: int) -> Audit:
    """Recompute the suggestions from the case notes now on record (drafts only; the
    auditor's own ratings are untouched and ``version`` does not change)."""
    audit = get_audit(ctx, audit_id)
    require_auditor_of(ctx, audit, "refresh the pre-checks of")
    if audit.status != "draft":
        raise StateError(f"audit {audit_id} is {audit.status}: pre-checks are refreshed on drafts only")
    pre = run_prechecks(ctx, programme_of(ctx, audit_id), audit.child_id, audit.audit_date)
    with ctx.tx() as tx:
        audits.set_prechecks(tx, audit_id, prechecks_json(pre, tx.at))
        tx.event("audit", audit_id, "prechecks_refreshed",
                 after={k: v.rating for k, v in pre.items()})
    return get_audit(ctx, audit_id)

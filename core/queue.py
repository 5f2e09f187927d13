"""The sample queue: items drawn by a sample, claimed and released by auditors.

A claim is one conditional write (``store.queue.claim``: only a queued item) inside a
``BEGIN IMMEDIATE`` transaction: of two auditors claiming the same item at once,
exactly one wins and the other is told who holds it. Nothing is overwritten.
"""

from __future__ import annotations

from itertools import starmap

from .clock import show
from .context import Context
from .errors import Conflict, NotFound, PermissionDenied, StateError
from .read_models import QUEUE_ITEM_FIELDS, QueueItem
from .store import Reader, audits, children, queue
from .vocabulary import HELD

# QueueItem is a plain dataclass (core.read_models): reading the queue loads no pydantic,
# neither for ``dipaudit queue --json`` nor for the TUI's first screen and its child detail
# (which reads the last audit from core.last_audit, not core.sampling: the draw's models
# are pydantic). core.people is imported where used (tests/test_cli_startup_imports.py,
# tests/test_tui_startup.py).

RECENT_NOTES = 15  # case notes shown in a child's detail pane


def list_queue(
    ctx: Context,
    *,
    status: str | None = None,
    auditor: str | None = None,
    team: str | None = None,
    include_done: bool = False,
) -> list[QueueItem]:
    """Queue items, highest tier first. By default only live items (queued, claimed,
    in progress); ``status`` picks one status, ``include_done`` adds done and cancelled.
    ``auditor`` keeps items assigned to or claimed by that login."""
    rows = queue.items(ctx.store, QUEUE_ITEM_FIELDS, status=status, include_done=include_done, auditor=auditor,
                       team=team)
    return list(starmap(QueueItem, rows))


def _row(r: Reader, queue_id: int) -> dict:
    row = queue.get(r, queue_id)
    if row is None:
        raise NotFound(f"no queue item {queue_id}")
    return row


def get_item(ctx: Context, queue_id: int) -> QueueItem:
    return QueueItem.from_row(_row(ctx.store, queue_id))


def _holder(row: dict) -> str:
    when = f" since {show(row['claimed_at'])}" if row.get("claimed_at") else ""
    return f"{row['claimed_by']}{when}"


def claim(ctx: Context, queue_id: int) -> QueueItem:
    """Claim a queued item for the acting auditor. Atomic: if someone claimed it first,
    a Conflict names them. An item assigned to another auditor is theirs to claim
    (an admin may claim any). Claiming an item you already hold changes nothing."""
    from .people import require_role, roles_of

    require_role(ctx, "auditor", "admin", doing="claim a queue item")
    is_admin = "admin" in roles_of(ctx, ctx.user)
    with ctx.tx() as tx:
        row = _row(tx, queue_id)
        if row["auditor"] and row["auditor"] != ctx.user and not is_admin:
            raise PermissionDenied(
                f"queue item {queue_id} (child {row['child_id']}) is assigned to {row['auditor']};"
                " only they or an admin may claim it"
            )
        if not queue.claim(tx, queue_id, by=ctx.user):
            if row["claimed_by"] == ctx.user and row["status"] in HELD:
                return QueueItem.from_row(row)  # already yours
            if row["status"] in HELD:
                raise Conflict(
                    f"queue item {queue_id} (child {row['child_id']}) is already claimed by {_holder(row)}"
                )
            raise StateError(f"queue item {queue_id} is {row['status']}; only a queued item can be claimed")
        tx.event("queue_item", queue_id, "claimed",
                 before={"status": row["status"], "claimed_by": row["claimed_by"]},
                 after={"status": "claimed", "claimed_by": ctx.user, "child_id": row["child_id"]})
    return get_item(ctx, queue_id)


def release(ctx: Context, queue_id: int) -> QueueItem:
    """Put a claimed item back in the queue. Only its claimer or an admin may; an item
    whose audit is in progress stays with its auditor."""
    from .people import require_role, roles_of

    require_role(ctx, "auditor", "admin", doing="release a queue item")
    is_admin = "admin" in roles_of(ctx, ctx.user)
    with ctx.tx() as tx:
        row = _row(tx, queue_id)
        if row["status"] == "in_progress":
            raise StateError(
                f"queue item {queue_id} has an audit in progress (audit {row['audit_id']});"
                " it cannot be released"
            )
        if row["status"] != "claimed":
            raise StateError(f"queue item {queue_id} is {row['status']}, not claimed; nothing to release")
        if row["claimed_by"] != ctx.user and not is_admin:
            raise PermissionDenied(
                f"queue item {queue_id} is claimed by {row['claimed_by']}; only they or an admin may release it"
            )
        released = queue.release(tx, queue_id)
        assert released  # we hold the write lock since the read above
        tx.event("queue_item", queue_id, "released",
                 before={"status": "claimed", "claimed_by": row["claimed_by"]},
                 after={"status": "queued", "child_id": row["child_id"]})
    return get_item(ctx, queue_id)


def reassign(ctx: Context, queue_id: int, to: str) -> QueueItem:
    """Move a live queue item to another auditor (admins only): a leaver's, or anyone's.
    It becomes ``to``'s: assigned to them and, when claimed or in progress, held by them;
    an audit in progress (a draft) moves with it. ``to`` must still be here and an auditor."""
    from .people import require_colleague, require_role

    require_role(ctx, "admin", doing="reassign a queue item")
    require_colleague(ctx, to, "auditor", doing="reassign a queue item")
    with ctx.tx() as tx:
        row = _row(tx, queue_id)
        if row["status"] not in HELD and row["status"] != "queued":
            raise StateError(f"queue item {queue_id} is {row['status']}; only a live item can be reassigned")
        holder = row["claimed_by"] if row["status"] in HELD else row["auditor"]
        if holder == to and row["auditor"] == to:
            raise StateError(f"queue item {queue_id} is already {to}'s")
        queue.reassign(tx, queue_id, to=to)
        tx.event("queue_item", queue_id, "reassigned",
                 before={"auditor": row["auditor"], "claimed_by": row["claimed_by"], "status": row["status"]},
                 after={"auditor": to, "claimed_by": to if row["status"] in HELD else row["claimed_by"],
                        "child_id": row["child_id"]})
        if row["status"] == "in_progress" and row["audit_id"]:
            audit = audits.get(tx, row["audit_id"])
            if audit and audit["status"] == "draft":
                audits.set_auditor(tx, audit["audit_id"], to, by=ctx.user)
                tx.event("audit", audit["audit_id"], "reassigned", before={"auditor": audit["auditor"]},
                         after={"auditor": to, "queue_id": queue_id})
    return get_item(ctx, queue_id)


def child_detail(ctx: Context, child_id: str) -> dict:
    """What the queue's detail pane shows: the child (cohort, key dates), the lists it came
    from, its last 15 case notes newest first, its last audit, its live queue item, and
    its worker and supervising manager when the people directory knows them."""
    from .last_audit import last_audit_of
    from .people import find_person, get_person

    child = children.get(ctx.store, child_id)
    if child is None:
        raise NotFound(f"no child {child_id}")
    last = last_audit_of(ctx, child_id)
    worker = find_person(ctx, child["worker_login"] or child["worker"])
    manager = get_person(ctx, worker["manager"]) if worker and worker.get("manager") else None
    queue_item = queue.live_of_child(ctx.store, child_id)
    return {
        "child": child,
        "key_dates": child["key_dates"],
        "sources": children.sources(ctx.store, child_id),
        "notes": children.case_notes(ctx.store, child_id, limit=RECENT_NOTES),
        "last_audit": last.on if last else None,
        "last_audit_source": last.source if last else None,
        "queue_item": QueueItem.from_row(queue_item) if queue_item else None,
        "siblings": children.siblings(ctx.store, child["family_id"], child_id) if child["family_id"] else [],
        "worker": worker,
        "manager": manager,
    }

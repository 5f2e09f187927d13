"""The sample queue: items drawn by a sample, claimed and released by auditors.

A claim is one conditional UPDATE (``... WHERE status = 'queued'``) inside a
``BEGIN IMMEDIATE`` transaction: of two auditors claiming the same item at once,
exactly one wins and the other is told who holds it. Nothing is overwritten.
"""

from __future__ import annotations

import json

from .clock import show
from .context import Context
from .errors import Conflict, NotFound, PermissionDenied, StateError
from .models import QueueItem
from .people import find_person, get_person, require_role, roles_of
from .sampling import LIVE_QUEUE_STATUSES, _last_audits

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
    where, params = [], []
    if status:
        where.append("status = ?")
        params.append(status)
    elif not include_done:
        where.append(f"status IN ({','.join('?' * len(LIVE_QUEUE_STATUSES))})")
        params.extend(LIVE_QUEUE_STATUSES)
    if auditor:
        where.append("(auditor = ? OR claimed_by = ?)")
        params.extend([auditor, auditor])
    if team:
        where.append("team = ? COLLATE NOCASE")
        params.append(team.strip())
    sql = "SELECT * FROM queue_items"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY tier, team, worker, child_id, queue_id"
    return [QueueItem.from_row(r) for r in ctx.store.query(sql, params)]


def get_item(ctx: Context, queue_id: int) -> QueueItem:
    row = ctx.store.one("SELECT * FROM queue_items WHERE queue_id = ?", [queue_id])
    if row is None:
        raise NotFound(f"no queue item {queue_id}")
    return QueueItem.from_row(row)


def _holder(row: dict) -> str:
    when = f" since {show(row['claimed_at'])}" if row.get("claimed_at") else ""
    return f"{row['claimed_by']}{when}"


def claim(ctx: Context, queue_id: int) -> QueueItem:
    """Claim a queued item for the acting auditor. Atomic: if someone claimed it first,
    a Conflict names them. An item assigned to another auditor is theirs to claim
    (an admin may claim any). Claiming an item you already hold changes nothing."""
    require_role(ctx, "auditor", "admin", doing="claim a queue item")
    is_admin = "admin" in roles_of(ctx, ctx.user)
    with ctx.tx() as tx:
        row = ctx.store.one("SELECT * FROM queue_items WHERE queue_id = ?", [queue_id])
        if row is None:
            raise NotFound(f"no queue item {queue_id}")
        if row["auditor"] and row["auditor"] != ctx.user and not is_admin:
            raise PermissionDenied(
                f"queue item {queue_id} (child {row['child_id']}) is assigned to {row['auditor']};"
                " only they or an admin may claim it"
            )
        cur = tx.execute(
            "UPDATE queue_items SET status = 'claimed', claimed_by = ?, claimed_at = ?, updated_at = ?"
            " WHERE queue_id = ? AND status = 'queued'",
            [ctx.user, tx.at, tx.at, queue_id],
        )
        if cur.rowcount == 0:
            if row["claimed_by"] == ctx.user and row["status"] in ("claimed", "in_progress"):
                return QueueItem.from_row(row)  # already yours
            if row["status"] in ("claimed", "in_progress"):
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
    require_role(ctx, "auditor", "admin", doing="release a queue item")
    is_admin = "admin" in roles_of(ctx, ctx.user)
    with ctx.tx() as tx:
        row = ctx.store.one("SELECT * FROM queue_items WHERE queue_id = ?", [queue_id])
        if row is None:
            raise NotFound(f"no queue item {queue_id}")
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
        cur = tx.execute(
            "UPDATE queue_items SET status = 'queued', claimed_by = NULL, claimed_at = NULL, updated_at = ?"
            " WHERE queue_id = ? AND status = 'claimed'",
            [tx.at, queue_id],
        )
        assert cur.rowcount == 1  # we hold the write lock since the read above
        tx.event("queue_item", queue_id, "released",
                 before={"status": "claimed", "claimed_by": row["claimed_by"]},
                 after={"status": "queued", "child_id": row["child_id"]})
    return get_item(ctx, queue_id)


def child_detail(ctx: Context, child_id: str) -> dict:
    """What the queue's detail pane shows: the child (cohort, key dates), the lists it came
    from, its last 15 case notes newest first, its last audit, its live queue item, and
    its worker and supervising manager when the people directory knows them."""
    child = ctx.store.one("SELECT * FROM children WHERE child_id = ?", [child_id])
    if child is None:
        raise NotFound(f"no child {child_id}")
    child["key_dates"] = json.loads(child["key_dates"] or "{}")
    child["is_open"] = bool(child["is_open"])
    sources = ctx.store.query(
        "SELECT source, cohort, worker, team, family_id, ended_on, present, key_dates, updated_at"
        " FROM child_sources WHERE child_id = ? ORDER BY source",
        [child_id],
    )
    for s in sources:
        s["key_dates"] = json.loads(s["key_dates"] or "{}")
        s["present"] = bool(s["present"])
    notes = ctx.store.query(
        "SELECT note_id, date, kind, type, author, summary FROM case_notes WHERE child_id = ?"
        " ORDER BY date DESC, note_id DESC LIMIT ?",
        [child_id, RECENT_NOTES],
    )
    last = _last_audits_for(ctx, child_id)
    worker = find_person(ctx, child["worker_login"] or child["worker"])
    manager = get_person(ctx, worker["manager"]) if worker and worker.get("manager") else None
    queue_item = ctx.store.one(
        f"SELECT * FROM queue_items WHERE child_id = ? AND status IN ({','.join('?' * len(LIVE_QUEUE_STATUSES))})",
        [child_id, *LIVE_QUEUE_STATUSES],
    )
    siblings = []
    if child["family_id"]:
        siblings = [r["child_id"] for r in ctx.store.query(
            "SELECT child_id FROM children WHERE family_id = ? AND child_id != ? ORDER BY child_id",
            [child["family_id"], child_id])]
    return {
        "child": child,
        "key_dates": child["key_dates"],
        "sources": sources,
        "notes": notes,
        "last_audit": last.on if last else None,
        "last_audit_source": last.source if last else None,
        "queue_item": QueueItem.from_row(queue_item) if queue_item else None,
        "siblings": siblings,
        "worker": worker,
        "manager": manager,
    }


def _last_audits_for(ctx: Context, child_id: str):
    # One child: the same rule as the draw, without reading every child's history.
    return _last_audits(ctx, child_id=child_id).get(child_id)

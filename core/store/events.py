"""The append-only event trail: who did what, when (written in each change's transaction)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .database import Reader, Tx


def as_json(value: Any) -> str | None:
    """How a before/after value (or an outbox payload) is stored: sorted keys, text kept as is."""
    if value is None:
        return None
    return json.dumps(value, default=str, sort_keys=True, ensure_ascii=False)


def insert(tx: Tx, entity: str, entity_id: Any, action: str, *, actor: str,
           before: Any = None, after: Any = None) -> int:
    cur = tx.execute(
        "INSERT INTO events (at, actor, os_login, entity, entity_id, action, before, after)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [tx.at, actor, tx.os_login, entity, None if entity_id is None else str(entity_id), action,
         as_json(before), as_json(after)])
    return cur.lastrowid


def recent(r: Reader, *, entity: str | None = None, entity_id: str | None = None,
           limit: int = 200) -> list[dict]:
    """Events newest first, ``before`` and ``after`` decoded."""
    where, params = [], []
    if entity:
        where.append("entity = ?")
        params.append(entity)
    if entity_id is not None:
        where.append("entity_id = ?")
        params.append(str(entity_id))
    sql = "SELECT * FROM events"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY event_id DESC LIMIT ?"
    params.append(limit)
    rows = r.query(sql, params)
    for row in rows:
        row["before"] = json.loads(row["before"]) if row["before"] else None
        row["after"] = json.loads(row["after"]) if row["after"] else None
    return rows


def happened(r: Reader, entity: str, entity_id: Any, action: str) -> bool:
    """Whether the trail holds ``action`` on this entity (the scheduler's once-only marks)."""
    return bool(r.scalar("SELECT 1 FROM events WHERE entity = ? AND entity_id = ? AND action = ?",
                         [entity, str(entity_id), action]))

"""Reading the event trail (writing happens in ``Tx.event`` inside each change)."""

from __future__ import annotations

from .context import Context


def list_events(ctx: Context, *, entity: str | None = None, entity_id: str | None = None,
                limit: int = 200) -> list[dict]:
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
    return ctx.store.query(sql, params)

"""Reading the event trail (writing happens in ``Tx.event`` inside each change)."""

from __future__ import annotations

from .context import Context
from .models import Event
from .store import events


def list_events(ctx: Context, *, entity: str | None = None, entity_id: str | None = None,
                limit: int = 200) -> list[Event]:
    """Events newest first, ``before`` and ``after`` decoded; filtered by entity and id."""
    return [Event.from_row(r) for r in events.recent(ctx.store, entity=entity, entity_id=entity_id,
                                                      limit=limit)]

"""The tamper-evident trail: verify the chain of event links, and checkpoint its head.

Every event carries ``hash``, sha256 over the previous event's link and the row's
canonical form (``core.store.events.link``), written in the event's own transaction.
Verifying recomputes the chain in event order:

- an **edited** row no longer matches its link;
- a **deleted** row leaves a gap in the event ids (ids are given in sequence, one
  transaction at a time), and the next row no longer follows;
- an **inserted** row (``sqlite3`` with the triggers dropped) has no link, or one that
  does not follow from the row before;
- **truncation** of the newest rows: the trail ends before a checkpoint's event;
- a chain **rewritten** end to end (every link recomputed) no longer passes through
  the links its checkpoints recorded.

``dipaudit tick`` checkpoints the head (``checkpoint_trail``), verifying only the
events since the last checkpoint, so a quiet tick reads two rows and writes nothing.
``dipaudit log verify`` and ``dipaudit doctor`` verify the whole chain.
"""

from __future__ import annotations

from pydantic import BaseModel

from .clock import show
from .context import Context
from .store import events

BATCH = 5000


class TrailVerdict(BaseModel):
    """What a verification found. ``first_broken``: the event id where the chain first
    fails (the first missing id for a deletion or truncation); ``problem``: one line."""

    intact: bool
    events: int  # events verified by this check
    first_broken: int | None = None
    problem: str | None = None
    head: int | None = None  # the newest event id verified (None: an empty trail)
    head_hash: str | None = None
    after: int = 0  # verified the events after this id (0: the whole trail)
    checkpoint_at: str | None = None  # the checkpoint it started from or checked against


def _broken(n: int, event_id: int, problem: str, **kw) -> TrailVerdict:
    return TrailVerdict(intact=False, events=n, first_broken=event_id, problem=problem, **kw)


def verify_trail(ctx: Context, *, since_checkpoint: bool = False) -> TrailVerdict:
    """Verify the trail: the whole chain, or with ``since_checkpoint`` only the events
    after the last checkpoint (whose event must still be there, unchanged)."""
    store = ctx.store
    kept = {cp["event_id"]: cp for cp in _checkpoints(ctx)}
    last = max(kept.values(), key=lambda cp: cp["checkpoint_id"]) if kept else None
    after, prev, checked_at = 0, events.GENESIS, None
    if since_checkpoint and last:
        checked_at = last["at"]
        row = events.linked_row(store, last["event_id"])
        when = show(last["at"])
        if row is None:
            return _broken(0, last["event_id"], f"event {last['event_id']} is missing: it was in the trail"
                           f" at the checkpoint of {when} (events deleted)", checkpoint_at=checked_at)
        if row[-1] != last["hash"]:
            return _broken(0, last["event_id"], f"event {last['event_id']} is not the one checkpointed at"
                           f" {when} (its link changed: edited behind dipaudit's back)",
                           checkpoint_at=checked_at)
        after, prev = last["event_id"], last["hash"]
        kept = {}
    n, expected, head = 0, after + 1, None
    while True:
        rows = events.linked_rows(store, after_id=expected - 1, limit=BATCH)
        if not rows:
            break
        for row in rows:
            event_id, stored = row[0], row[-1]
            if event_id != expected:
                gap = (f"event {expected} is missing" if event_id == expected + 1
                       else f"events {expected} to {event_id - 1} are missing")
                return _broken(n, expected, f"{gap} (deleted from the trail)", head=head, after=after,
                               checkpoint_at=checked_at)
            computed = events.link(prev, row[:-1])
            if stored is None:
                return _broken(n, event_id, f"event {event_id} has no link: written outside dipaudit",
                               head=head, after=after, checkpoint_at=checked_at)
            if stored != computed:
                return _broken(n, event_id, f"event {event_id} does not match its link: edited, or"
                               " inserted, behind dipaudit's back", head=head, after=after,
                               checkpoint_at=checked_at)
            cp = kept.get(event_id)
            if cp is not None and cp["hash"] != computed:
                return _broken(n, event_id, f"event {event_id} is not the one checkpointed at"
                               f" {show(cp['at'])}: the trail was rewritten", head=head, after=after,
                               checkpoint_at=cp["at"])
            prev, head, expected, n = computed, event_id, event_id + 1, n + 1
    if last and (head or after) < last["event_id"]:
        end = head or after
        return _broken(n, end + 1, f"the trail ends at event {end} but event {last['event_id']} was in it"
                       f" at the checkpoint of {show(last['at'])} (newest events deleted)",
                       head=head, after=after, checkpoint_at=last["at"])
    if head is None and after:
        head = after  # nothing new since the checkpoint
    return TrailVerdict(intact=True, events=n, head=head, head_hash=prev if head else None, after=after,
                        checkpoint_at=last["at"] if last else None)


def _checkpoints(ctx: Context) -> list[dict]:
    return events.checkpoints(ctx.store)


def checkpoint_trail(ctx: Context) -> TrailVerdict:
    """The scheduler's part: verify the events since the last checkpoint and, when the
    trail is intact and has grown, record its head as the new checkpoint. A quiet
    trail (nothing new) is read, not written."""
    verdict = verify_trail(ctx, since_checkpoint=True)
    if verdict.intact and verdict.events and verdict.head is not None:
        with ctx.tx() as tx:
            events.add_checkpoint(tx, event_id=verdict.head, hash=verdict.head_hash or "",
                                  verified=verdict.events)
    return verdict

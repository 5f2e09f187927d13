"""The tamper-evident trail: verify the chain of event links, and checkpoint its head.

Every event carries ``hash``, sha256 over the previous event's link and the row's
canonical form (``core.store.events.link``), written in the event's own transaction.
Verifying recomputes the chain in event order:

- an **edited** row no longer matches its link;
- a **deleted** row leaves a gap in the event ids (ids are given in sequence, one
  transaction at a time), and the next row no longer follows;
- an **inserted** row (``sqlite3`` with the guards lifted: the CHECK on ``hash``, the
  append-only triggers) has no link, or one that does not follow from the row before;
- **truncation** of the newest rows: the trail ends before a checkpoint's event;
- a chain **rewritten** end to end (every link recomputed) no longer passes through
  the links its checkpoints recorded.

``dipaudit tick`` checkpoints the head (``checkpoint_trail``), verifying only the
events since the last checkpoint (and that checkpointed event), so a quiet tick reads
a few rows and writes nothing; once a day it verifies the whole chain. The events the
tick itself linked a moment before (a catch-up's tens of thousands) are taken as
linked, not hashed again: each of its chains must start where the verified chain has
got to and still end, with none missing, at the link it wrote; every other event since
the checkpoint (another process's) is verified. An edit of one of the tick's own rows
in that moment is found by the next whole check, as an edit of an older event is.
``dipaudit log verify`` and ``dipaudit doctor`` verify the whole chain.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from .clock import from_iso, show
from .context import Context
from .read_models import TrailVerdict  # a plain dataclass: a quiet tick loads no pydantic
from .store import events

BATCH = 5000
WHOLE_EVERY = timedelta(hours=24)  # the scheduler verifies the whole chain this often
__all__ = ["TrailVerdict", "checkpoint_trail", "verify_trail"]


def _broken(n: int, event_id: int, problem: str, **kw) -> TrailVerdict:
    return TrailVerdict(intact=False, events=n, first_broken=event_id, problem=problem, **kw)


def verify_trail(ctx: Context, *, since_checkpoint: bool = False,
                 linked: Sequence[tuple[int, str, int, str]] = ()) -> TrailVerdict:
    """Verify the trail: the whole chain, or with ``since_checkpoint`` only the events
    after the last checkpoint (whose event must still be there, unchanged).

    ``linked``: chains ``(from_id, from_hash, to_id, to_hash)`` this process wrote itself
    a moment ago (``Store.recording_links``). One that starts where the verification has
    got to (``from_id``, whose link it found to be ``from_hash``) and still ends with all
    its events there and ``to_hash`` as the last one's link is taken as it is (counted in
    ``own``), not hashed again; any other is verified row by row."""
    store = ctx.store
    if since_checkpoint:
        last, kept = events.last_checkpoint(store), {}
    else:
        kept = {cp["event_id"]: cp for cp in events.checkpoints(store)}
        last = max(kept.values(), key=lambda cp: cp["checkpoint_id"]) if kept else None
    after, prev, checked_at = 0, events.GENESIS, None
    if since_checkpoint and last:
        checked_at = last["at"]
        row = events.linked_row(store, last["event_id"])
        when = show(last["at"])
        if row is None:
            return _broken(0, last["event_id"], f"event {last['event_id']} is missing: it was in the trail"
                           f" at the checkpoint of {when} (events deleted)", checkpoint_at=checked_at)
        prev_link = events.hash_of(store, last["event_id"] - 1) if last["event_id"] > 1 else events.GENESIS
        if row[-1] != last["hash"] or events.link(prev_link or "", row[:-1]) != last["hash"]:
            return _broken(0, last["event_id"], f"event {last['event_id']} is not the one checkpointed at"
                           f" {when} (edited behind dipaudit's back)", checkpoint_at=checked_at)
        after, prev = last["event_id"], last["hash"]
    chains = {start: (start_hash, end, end_hash) for start, start_hash, end, end_hash in linked}
    n, own, expected, head = 0, 0, after + 1, None
    while True:
        chain = chains.get(expected - 1)
        if chain and chain[0] == prev and events.ends_as_linked(store, expected - 1, chain[1], chain[2]):
            own += chain[1] - (expected - 1)
            prev, head, expected = chain[2], chain[1], chain[1] + 1
            continue
        upto = min((start for start in chains if start >= expected), default=None)  # the next chain's start
        rows = events.linked_rows(store, after_id=expected - 1, limit=BATCH, upto=upto)
        if not rows and upto is not None:  # none up to the chain's start: a gap, or the trail's end
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
    written = max((end for _, _, end, _ in linked), default=0)
    if (head or after) < written:
        end = head or after
        return _broken(n, end + 1, f"the trail ends at event {end} but this process wrote event {written}"
                       " a moment ago (newest events deleted)", head=head, after=after, checkpoint_at=checked_at)
    if head is None and after:
        head = after  # nothing new since the checkpoint
    return TrailVerdict(intact=True, events=n, own=own, head=head, head_hash=prev if head else None, after=after,
                        checkpoint_at=last["at"] if last else None)


def checkpoint_trail(ctx: Context, *, linked: Sequence[tuple[int, str, int, str]] = ()) -> TrailVerdict:
    """The scheduler's part: verify the events since the last checkpoint (and the
    checkpointed event itself) and, when the trail is intact and has grown, record its
    head as the new checkpoint. Once every ``WHOLE_EVERY`` the whole chain is verified
    instead, so an edit to an older event is found within a day by the scheduler too,
    not only by ``dipaudit log verify`` and ``dipaudit doctor``. A quiet trail (nothing
    new, whole check done) is read, not written: two rows. ``linked``: the chains the
    caller's own transactions wrote (``Store.recording_links``), taken as linked between
    whole checks (``verify_trail``); the whole check hashes every event."""
    last_whole = events.last_whole_check(ctx.store)
    whole = last_whole is None or ctx.now() - from_iso(last_whole) >= WHOLE_EVERY
    verdict = verify_trail(ctx, since_checkpoint=not whole, linked=() if whole else linked)
    if verdict.intact and verdict.head is not None and (verdict.events or verdict.own or whole):
        with ctx.tx() as tx:
            events.add_checkpoint(tx, event_id=verdict.head, hash=verdict.head_hash or "",
                                  verified=verdict.events, whole=whole)
    return verdict

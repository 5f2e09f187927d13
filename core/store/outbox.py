"""The outbox: notifications written in the transaction of the change that causes them,
delivered (and retried) after commit. The idempotency key makes a repeat a no-op."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .events import as_json, insert_rows

if TYPE_CHECKING:
    from .database import Reader, Tx

# Rows a deliverer may (re)try: new, failed and due again, or claimed by a deliverer
# that never reported back (its lease ran out).
SENDABLE = ("pending", "failed", "sending")
# The index of rows by status holds only those not sent (m015, ``outbox_unsent``): a query
# by any other status says so, in these words, for the planner to use it.
_UNSENT = " AND status != 'sent'"


def _unsent(statuses) -> str:
    """``_UNSENT`` where none of ``statuses`` is 'sent' (else nothing: no index holds those)."""
    return "" if "sent" in statuses else _UNSENT


# The keys the scheduler writes by the thousand name their audit or action by its id
# zero-padded to this many digits (m012_tick_keys), so a batch of neighbouring ids lands
# on neighbouring entries of the key index (text order is id order) instead of across
# all of it: 'audit:99:...' sorts between 'audit:98999:...' and 'audit:990:...', so
# the oldest thousand audits' keys touched a page of the index each.
KEY_ID_WIDTH = 10
# Which keys take that form: entity -> what the notice is (the key's third part).
TICK_KEYS = {"audit": ("finalised", "review_due"), "action": ("reminder", "overdue")}


_TICK_KEY = f"%s:%0{KEY_ID_WIDTH}d:%s:%s"


def tick_key(entity: str, entity_id: int, notice: str, detail: str) -> str:
    """The idempotency key of a scheduler notice (``TICK_KEYS``): ``entity:ID:notice:detail``
    (the recipient, or the due date) with the id zero-padded to ``KEY_ID_WIDTH`` digits (an
    id longer than that is written whole, so keys stay distinct)."""
    return _TICK_KEY % (entity, entity_id, notice, detail)


def padded_key(key: str) -> str:
    """``key`` as the scheduler writes it now: a ``TICK_KEYS`` key written before m012
    (``audit:123:finalised:w1``) with its id padded (``tick_key``); any other key as it is.
    The migration converts stored keys with it, so a notice sent before the upgrade is
    recognised after it."""
    entity, _, tail = key.partition(":")
    number, _, rest = tail.partition(":")
    notice = rest.partition(":")[0]
    if notice not in TICK_KEYS.get(entity, ()) or not (number.isascii() and number.isdigit()):
        return key
    return f"{entity}:{int(number):0{KEY_ID_WIDTH}d}:{rest}"


def _decoded(row: dict) -> dict:
    row["payload"] = json.loads(row["payload"] or "{}")
    return row


def insert(tx: Tx, recipient: str, template: str, payload: dict, key: str, *,
           recipient_role: str | None = None, entity: str | None = None, entity_id: Any = None) -> bool:
    """Queue a message; True if it is new, False if ``key`` is queued already. Only the key's
    conflict is ignored (ON CONFLICT DO NOTHING): a row missing its recipient, template or
    payload raises, where INSERT OR IGNORE would have dropped it without a word."""
    cur = tx.execute(
        "INSERT INTO outbox (created_at, recipient, recipient_role, template, payload,"
        " entity, entity_id, idempotency_key, status, next_attempt_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?) ON CONFLICT (idempotency_key) DO NOTHING",
        [tx.at, recipient, recipient_role, template, as_json(payload), entity,
         None if entity_id is None else str(entity_id), key, tx.at])
    return cur.rowcount == 1


def insert_many(tx: Tx, items: Sequence[tuple]) -> list[bool]:
    """Queue messages ``(recipient, template, payload, key, recipient_role, entity, entity_id)``
    as ``insert`` queues each (ignoring only the key's conflict), many to a statement; per
    message, True if it is new. Nothing is looked up beforehand: the transaction holds the
    write lock, so the rows this insert added are exactly those after the outbox's newest
    row before it, and they are read back (keys only) only when some key was there already
    (a catch-up's keys are all new: one probe of the key index per message, not two)."""
    if not items:
        return []
    rows, at = [], tx.at
    last, text = None, None  # one payload object told to several people is encoded once
    for recipient, template, payload, key, recipient_role, entity, entity_id in items:
        if payload is not last:
            last, text = payload, as_json(payload)
        rows.append((recipient, recipient_role, template, text, entity,
                     None if entity_id is None else str(entity_id), key))
    newest = tx.scalar("SELECT max(outbox_id) FROM outbox") or 0
    added = insert_rows(tx, "INSERT INTO outbox (created_at, recipient, recipient_role, template, payload,"
                            " entity, entity_id, idempotency_key, status, next_attempt_at) VALUES", rows,
                        " ON CONFLICT (idempotency_key) DO NOTHING",
                        values="(?1, ?, ?, ?, ?, ?, ?, ?, 'pending', ?1)", shared=(at,),  # created and due now
                        alike=(0, 1, 2, 4))  # one recipient, role, template, entity: often the batch's
    if added == len(rows):
        return [True] * len(rows)
    added = {k for (k,) in tx.rows("SELECT idempotency_key FROM outbox WHERE outbox_id > ?", [newest])}
    new = []
    for item in items:  # a key twice in ``items``: its first is the one added
        new.append(item[3] in added)
        added.discard(item[3])
    return new


def recent(r: Reader, *, status: str | None = None, limit: int = 200) -> list[dict]:
    """Rows newest first, ``payload`` decoded; ``status`` filters."""
    sql = "SELECT * FROM outbox"
    params: list = []
    if status:
        sql += " WHERE status = ?" + _unsent((status,))
        params.append(status)
    sql += " ORDER BY outbox_id DESC LIMIT ?"
    params.append(limit)
    return [_decoded(row) for row in r.query(sql, params)]


def due(r: Reader, now: str, *, limit: int | None = None) -> list[dict]:
    """Rows due for a send attempt at ``now``, oldest first, ``payload`` decoded."""
    sql = (f"SELECT * FROM outbox WHERE status IN ({','.join('?' * len(SENDABLE))}){_unsent(SENDABLE)}"
           " AND (next_attempt_at IS NULL OR next_attempt_at <= ?) ORDER BY outbox_id")
    params: list = [*SENDABLE, now]
    if limit:
        sql += " LIMIT ?"
        params.append(limit)
    return [_decoded(row) for row in r.query(sql, params)]


def claim(tx: Tx, outbox_id: int, *, now: str, lease_until: str) -> bool:
    """Take a due row for sending until ``lease_until``; False if someone else took it first."""
    cur = tx.execute(
        f"UPDATE outbox SET status = 'sending', attempts = attempts + 1, next_attempt_at = ?"
        f" WHERE outbox_id = ? AND status IN ({','.join('?' * len(SENDABLE))})"
        " AND (next_attempt_at IS NULL OR next_attempt_at <= ?)",
        [lease_until, outbox_id, *SENDABLE, now])
    return cur.rowcount == 1


def mark_sent(tx: Tx, outbox_id: int, *, error: str | None) -> None:
    tx.execute("UPDATE outbox SET status = 'sent', sent_at = ?, last_error = ?, next_attempt_at = NULL"
               " WHERE outbox_id = ?", [tx.at, error, outbox_id])


def attempts(r: Reader, outbox_id: int) -> int:
    return r.scalar("SELECT attempts FROM outbox WHERE outbox_id = ?", [outbox_id])


def mark_failed(tx: Tx, outbox_id: int, *, status: str, error: str, next_attempt_at: str | None) -> None:
    tx.execute("UPDATE outbox SET status = ?, last_error = ?, next_attempt_at = ? WHERE outbox_id = ?",
               [status, error, next_attempt_at, outbox_id])


def retry_now(tx: Tx, statuses: tuple[str, ...]) -> int:
    """Make rows in ``statuses`` due at once (a dead row becomes failed); how many."""
    cur = tx.execute(
        f"UPDATE outbox SET status = CASE status WHEN 'dead' THEN 'failed' ELSE status END,"
        f" next_attempt_at = ? WHERE status IN ({','.join('?' * len(statuses))}){_unsent(statuses)}",
        [tx.at, *statuses])
    return cur.rowcount



def count_status(r: Reader, status: str) -> int:
    return r.scalar("SELECT count(*) FROM outbox WHERE status = ?" + _unsent((status,)), [status])

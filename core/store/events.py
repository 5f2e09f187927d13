"""The append-only event trail: who did what, when (written in each change's transaction).

Tamper-evident: each event carries ``hash``, its link in a chain, sha256 over the link
of the event before it and the row's canonical form (``link``), so an event edited,
deleted or inserted behind dipaudit's back breaks the chain from that row on
(``core.trail.verify_trail``). ``trail_checkpoints`` remember the head as a
verification found it.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Iterator, Sequence
from itertools import chain
from operator import itemgetter
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .database import Reader, Tx


# Made once: ``json.dumps`` with any option set builds a new encoder per call, which cost
# the scheduler's catch-up more than its SQL did. The C encoder (when the json module has
# it) gives the same text as ``json.dumps``; ``tests/test_tick_batched.py`` holds it to it.
_AS_JSON = json.JSONEncoder(default=str, sort_keys=True, ensure_ascii=False)
_c_as_json = (json.encoder.c_make_encoder(None, _AS_JSON.default, json.encoder.encode_basestring, None,
                                          ": ", ", ", True, False, True)
              if json.encoder.c_make_encoder is not None else None)


class Encoded(str):
    """A value's stored JSON text made beforehand, exactly as ``as_json`` writes the value:
    ``as_json`` gives it back as it is. The scheduler makes the few shapes it writes by the
    thousand (a notice's payload, an event's after) this way, from text quoted by ``quote``:
    a third of what the JSON encoder costs for a small dict. ``tests/test_tick_batched.py``
    holds each to ``as_json`` of its dict."""

    __slots__ = ()


quote = json.encoder.encode_basestring  # how ``as_json`` (and the canonical form) quote a text


def as_json(value: Any) -> str | None:
    """How a before/after value (or an outbox payload) is stored: sorted keys, text kept as
    is (``json.dumps(value, default=str, sort_keys=True, ensure_ascii=False)``); an
    ``Encoded`` text is that already."""
    if value is None:
        return None
    if type(value) is Encoded:
        return str.__str__(value)  # the text itself (a plain str binds without adaptation)
    if _c_as_json is not None and isinstance(value, dict | list):
        return "".join(_c_as_json(value, 0))
    return _AS_JSON.encode(value)


# The link before the first event.
GENESIS = "0" * 64
# A row's columns in its canonical form, in this order (``hash`` is the link itself).
LINKED = ("event_id", "at", "actor", "os_login", "entity", "entity_id", "action", "before", "after")
_SELECT_LINKED = "SELECT " + ", ".join(LINKED) + ", hash FROM events"
_INSERT = "INSERT INTO events (" + ", ".join(LINKED) + ", hash) VALUES"


# The canonical form's encoder, made once: ``json.dumps(list(row), ensure_ascii=False,
# separators=(",", ":"))`` builds a new encoder per call, which cost verifying and writing
# the trail more than the sha256 did. The C encoder (when the json module has it) gives
# the same text; ``tests/test_trail.py`` holds it to ``json.dumps``.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_c_encode = (json.encoder.c_make_encoder(None, _ENCODER.default, json.encoder.encode_basestring, None,
                                         ":", ",", False, False, True)
             if json.encoder.c_make_encoder is not None else None)


def canonical(row: Sequence) -> str:
    """A row's canonical form: its values as a compact JSON list, text kept as is."""
    if _c_encode is not None:
        return "".join(_c_encode(list(row), 0))
    return _ENCODER.encode(list(row))


# A fresh sha256 copied, not made: ``hashlib.sha256()`` looks the digest up in OpenSSL on
# every call, which cost a catch-up's links as much as the hashing itself.
_SHA256 = hashlib.sha256()


def _quoted(text: str | None) -> str:
    """A text column as the canonical form writes it."""
    return "null" if text is None else _quote(text)


_quote = quote  # what the canonical form's encoder quotes text with


def _quoted_parts(at, actor, os_login, entity, action) -> tuple[str, str] | None:
    """The canonical form's columns from ``at`` to ``entity`` (joined) and ``action``,
    quoted, when all are text (else None: ``canonical`` encodes the row)."""
    if not all(type(v) is str for v in (at, actor, os_login, entity, action)):
        return None
    return ",".join(map(_quote, (at, actor, os_login, entity))), _quote(action)


# Rows per INSERT of a bulk write (``insert_rows``): one statement of many VALUES rows, not
# one ``executemany`` step per row. Each step is a statement execution of its own (bound,
# run, halted, reset, each a statement transaction); one statement per 90 rows pays that
# once for them. More rows a
# statement saved no more (callgrind of the catch-up: 500 cost more than 90).
# Well inside SQLite's limit of bound parameters (32,766 since 3.32; 999 before: the
# widest bulk row binds 10, so 90 rows stay inside even that).
ROWS_PER_INSERT = 90


def insert_rows(tx: Tx, insert: str, rows: Sequence[Sequence], tail: str = "", *,
                values: str | None = None, shared: Sequence = (), alike: Sequence[int] = ()) -> int:
    """``insert`` (``INSERT INTO t (cols) VALUES``) of ``rows``, each a tuple of its own
    values (all of one width), ``ROWS_PER_INSERT`` to a statement, in order, ``tail`` (an
    ``ON CONFLICT`` clause) after each; how many rows went in (``changes()``). ``values``
    is one row's VALUES as written, ``?`` for each of the row's own values in order and
    ``?1``, ``?2``... for ``shared``'s, values every row holds (bound once a statement, not
    once a row); by default all the row's own. ``alike``: positions in a row of columns
    that often hold one text (or NULL) in every row (an event's actor, a notice's
    template): where all ``rows`` do, it is bound once a statement as a shared value is
    (SQLite copies each text bound: binding was a tenth of what a catch-up's INSERTs cost)."""
    if not rows:
        return 0
    width = len(rows[0])
    if values is None:
        values = "(" + ", ".join("?" * width) + ")"
    same = [i for i in alike if _one_text(rows, i)][:width - 1]  # a row keeps one value of its own
    if same:
        shared = [*shared, *(rows[0][i] for i in same)]
        values = _sharing(values, len(shared) - len(same) + 1, tuple(same))
        keep = [i for i in range(width) if i not in same]
        rows = [(row[keep[0]],) for row in rows] if len(keep) == 1 else list(map(itemgetter(*keep), rows))
    full = _values_sql(insert, values, tail, len(shared), ROWS_PER_INSERT)
    added = 0
    for start in range(0, len(rows), ROWS_PER_INSERT):
        part = rows[start:start + ROWS_PER_INSERT]
        sql = full if len(part) == ROWS_PER_INSERT else _values_sql(insert, values, tail, len(shared), len(part))
        added += tx.execute(sql, [*shared, *chain.from_iterable(part)]).rowcount
    return added


def _one_text(rows: Sequence[Sequence], i: int) -> bool:
    """Whether every row holds the same text, or NULL, at ``i`` (bound once, it is stored
    as each row's own would be: not so a number, 1 and 1.0 being equal)."""
    found = set(map(itemgetter(i), rows))
    return len(found) == 1 and (rows[0][i] is None or type(rows[0][i]) is str)


@functools.lru_cache(maxsize=64)
def _sharing(values: str, first: int, same: tuple[int, ...]) -> str:
    """``values`` with the row's own values at ``same`` (positions among its ``?``) bound
    as shared values ``?first``, ``?first+1``..."""
    pieces = re.split(r"\?(?!\d)", values)
    out, numbers = [pieces[0]], dict(zip(same, range(first, first + len(same)), strict=True))
    for own, piece in enumerate(pieces[1:]):
        out += [f"?{numbers[own]}" if own in numbers else "?", piece]
    return "".join(out)


@functools.lru_cache(maxsize=64)
def _values_sql(insert: str, values: str, tail: str, n_shared: int, n_rows: int) -> str:
    """``insert`` of ``n_rows`` rows of ``values`` (see ``insert_rows``), each own value
    numbered after the ``n_shared`` shared ones."""
    pieces = re.split(r"\?(?!\d)", values)  # around each own value's ``?``
    width, number, rows = len(pieces) - 1, n_shared, []
    for _ in range(n_rows):
        row = [pieces[0]]
        for piece in pieces[1:]:
            number += 1
            row += [f"?{number}", piece]
        rows.append("".join(row))
    assert number == n_shared + width * n_rows
    return f"{insert} {', '.join(rows)}{tail}"


def link(prev: str, row: Sequence) -> str:
    """The link of ``row`` (its ``LINKED`` values, as stored) after the link ``prev``."""
    digest = _SHA256.copy()
    digest.update(f"{prev}\n{canonical(row)}".encode())
    return digest.hexdigest()


def head(r: Reader) -> tuple[int, str | None] | None:
    """(event_id, hash) of the newest event, or None for an empty trail."""
    row = r.rows("SELECT event_id, hash FROM events ORDER BY event_id DESC LIMIT 1")
    return (row[0][0], row[0][1]) if row else None


def insert(tx: Tx, entity: str, entity_id: Any, action: str, *, actor: str,
           before: Any = None, after: Any = None) -> int:
    """Append one event, linked to the newest one. The transaction holds the write lock
    (``BEGIN IMMEDIATE``), so the newest event cannot change under it; it is read once
    per transaction and then carried on the ``Tx``."""
    if tx.trail_head is None:
        tx.trail_head = tx.trail_from = head(tx) or (0, GENESIS)
    last_id, last_hash = tx.trail_head
    row = (last_id + 1, tx.at, actor, tx.os_login, entity, None if entity_id is None else str(entity_id),
           action, as_json(before), as_json(after))
    digest = link(last_hash or "", row)
    tx.execute(_INSERT + " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [*row, digest])
    tx.trail_head = (row[0], digest)
    return row[0]


_NOT_YET = object()  # a batch's canonical parts not yet quoted


def insert_many(tx: Tx, items: Sequence[tuple]) -> list[int]:
    """Append events ``(entity, entity_id, action, actor, before, after)`` in order, each
    linked to the one before as ``insert`` links one (the chain computed here once, the
    rows written many to a statement: ``insert_rows``). Returns their ids."""
    if not items:
        return []
    if tx.trail_head is None:
        tx.trail_head = tx.trail_from = head(tx) or (0, GENESIS)
    last_id, prev = tx.trail_head
    prev = prev or ""
    at, os_login, rows = tx.at, tx.os_login, []
    # one ``before`` object shared by many events is encoded (and quoted) once
    last_before, before_text, before_quoted = None, None, "null"
    # The canonical form put together from parts quoted once per batch (the instant, the
    # actor, the OS login, the entity and action are the same for most events of a batch):
    # the same text as ``canonical(row)``, which quotes all nine again for each event.
    parts: dict[tuple, tuple[str, str] | None] = {}
    fresh, quote, missing = _SHA256.copy, _quote, _NOT_YET  # (looked up once, not once an event)
    for entity, entity_id, action, actor, before, after in items:
        last_id += 1
        if before is not last_before:
            last_before, before_text = before, as_json(before)
            before_quoted = _quoted(before_text)
        if entity_id is not None:
            entity_id = str(entity_id)
        after = str.__str__(after) if type(after) is Encoded else as_json(after)  # (``as_json``'s first case)
        fixed = parts.get(key := (actor, entity, action), missing)
        if fixed is missing:
            fixed = parts[key] = _quoted_parts(at, actor, os_login, entity, action)
        if fixed is None:
            prev = link(prev, (last_id, at, actor, os_login, entity, entity_id, action, before_text, after))
        else:
            digest = fresh()
            digest.update(f"{prev}\n[{last_id},{fixed[0]},{'null' if entity_id is None else quote(entity_id)},"
                          f"{fixed[1]},{before_quoted},{'null' if after is None else quote(after)}]".encode())
            prev = digest.hexdigest()
        rows.append((last_id, actor, entity, entity_id, action, before_text, after, prev))
    # the instant and the OS login, the same for all, bound once a statement
    insert_rows(tx, _INSERT, rows, values="(?, ?1, ?, ?2, ?, ?, ?, ?, ?, ?)", shared=(at, os_login),
                alike=(1, 2, 4, 5))  # the actor, entity, action and before: one each, most batches
    tx.trail_head = (last_id, prev)
    return [r[0] for r in rows]


def chained(rows: Sequence[Sequence], *, after: tuple[int, str] | None = None) -> Iterator[tuple]:
    """Bulk rows ``(at, actor, os_login, entity, entity_id, action, before, after)`` as
    whole events with their ids and links, following ``after`` (the head: ``head()``)."""
    last_id, prev = after or (0, GENESIS)
    for values in rows:
        last_id += 1
        row = (last_id, *values)
        prev = link(prev, row)
        yield (*row, prev)


def linked_rows(r: Reader, *, after_id: int = 0, limit: int = 5000, upto: int | None = None) -> list[tuple]:
    """Events after ``after_id`` (up to ``upto`` when given), oldest first, as (``LINKED``
    values..., hash) tuples."""
    if upto is None:
        return r.rows(_SELECT_LINKED + " WHERE event_id > ? ORDER BY event_id LIMIT ?", [after_id, limit])
    return r.rows(_SELECT_LINKED + " WHERE event_id > ? AND event_id <= ? ORDER BY event_id LIMIT ?",
                  [after_id, upto, limit])


def ends_as_linked(r: Reader, after_id: int, to_id: int, to_hash: str) -> bool:
    """Whether events ``after_id + 1`` to ``to_id`` are all there (none deleted) and the
    last still carries the link ``to_hash``."""
    found, last = r.rows("SELECT count(*), (SELECT hash FROM events WHERE event_id = ?) FROM events"
                         " WHERE event_id > ? AND event_id <= ?", [to_id, after_id, to_id])[0]
    return found == to_id - after_id and last == to_hash


def linked_row(r: Reader, event_id: int) -> tuple | None:
    rows = r.rows(_SELECT_LINKED + " WHERE event_id = ?", [event_id])
    return rows[0] if rows else None


def hash_of(r: Reader, event_id: int) -> str | None:
    return r.scalar("SELECT hash FROM events WHERE event_id = ?", [event_id])


def demo_built(r: Reader) -> bool:
    """Whether the trail records that ``dipaudit demo`` built this database."""
    return bool(r.scalar("SELECT 1 FROM events WHERE entity = 'demo' AND action = 'built' LIMIT 1"))


def count(r: Reader) -> int:
    return r.scalar("SELECT count(*) FROM events")


# --- checkpoints ---------------------------------------------------------------------
def last_checkpoint(r: Reader) -> dict | None:
    return r.one("SELECT * FROM trail_checkpoints ORDER BY checkpoint_id DESC LIMIT 1")


def last_whole_check(r: Reader) -> str | None:
    """When the whole chain was last verified by a checkpoint (None: never)."""
    return r.scalar("SELECT max(at) FROM trail_checkpoints WHERE whole = 1")


def checkpoints(r: Reader) -> list[dict]:
    """The checkpoints kept, oldest first."""
    return r.query("SELECT * FROM trail_checkpoints ORDER BY checkpoint_id")


def add_checkpoint(tx: Tx, *, event_id: int, hash: str, verified: int, whole: bool,
                   keep: int = 100) -> None:
    """Record the verified head (``whole``: the whole chain was verified); only the newest
    ``keep`` checkpoints are kept (the newest one commits to the whole chain before it)."""
    tx.execute("INSERT INTO trail_checkpoints (at, event_id, hash, verified, whole, os_login)"
               " VALUES (?, ?, ?, ?, ?, ?)", [tx.at, event_id, hash, verified, int(whole), tx.os_login])
    tx.execute("DELETE FROM trail_checkpoints WHERE checkpoint_id <= (SELECT max(checkpoint_id) - ?"
               " FROM trail_checkpoints)", [keep])


def acted_as(r: Reader, *, system: str) -> list[dict]:
    """Per OS login, the events written as another person: the actor is neither
    ``system``, nor the OS login itself, nor the person whose OS login it is.
    (os_login, actor, events, last_at), most recent first."""
    return r.query(
        "SELECT e.os_login, e.actor, count(*) AS events, max(e.at) AS last_at FROM events e"
        " WHERE e.actor != ? AND e.actor != e.os_login AND NOT EXISTS (SELECT 1 FROM people p"
        "   WHERE p.login = e.actor AND COALESCE(NULLIF(p.os_login, ''), p.login) = e.os_login)"
        " GROUP BY e.os_login, e.actor ORDER BY last_at DESC", [system])


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

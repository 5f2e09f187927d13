"""Samples: the stored record of each draw (seed, parameters, population, every reason)."""

from __future__ import annotations

import json

from .database import Reader, Tx

_JSON = ("params", "population", "log", "unfilled")


def insert(tx: Tx, *, seed: int, params: dict, population: dict, log: list[dict],
           unfilled: list[dict]) -> int:
    cur = tx.execute(
        "INSERT INTO samples (seed, params, created_at, created_by, population, log, unfilled)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        [seed, json.dumps(params), tx.at, tx.actor, json.dumps(population), json.dumps(log),
         json.dumps(unfilled)])
    return cur.lastrowid


def get(r: Reader, sample_id: int) -> dict | None:
    """A draw's record, its JSON columns decoded."""
    row = r.one("SELECT * FROM samples WHERE sample_id = ?", [sample_id])
    if row is not None:
        for key in _JSON:
            row[key] = json.loads(row[key])
    return row


def recent(r: Reader, *, limit: int = 50) -> list[dict]:
    """Recent draws, newest first, with their pick counts."""
    return r.query(
        "SELECT s.sample_id, s.seed, s.created_at, s.created_by,"
        " (SELECT COUNT(*) FROM queue_items q WHERE q.sample_id = s.sample_id) AS picks"
        " FROM samples s ORDER BY s.sample_id DESC LIMIT ?", [limit])

"""Each run of the scheduler: when, by which OS login, whether it delivered the outbox.
Bounded: the newest ``KEEP`` runs of each kind (delivering, not delivering)."""

from __future__ import annotations

from .database import Reader, Tx

KEEP = 500


def insert(tx: Tx, *, delivered: bool, sent: int, failed: int, dead: int, trail: str | None) -> int:
    cur = tx.execute(
        "INSERT INTO scheduler_runs (at, os_login, delivered, sent, failed, dead, trail) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [tx.at, tx.os_login, int(delivered), sent, failed, dead, trail])
    tx.execute(
        "DELETE FROM scheduler_runs WHERE delivered = ? AND run_id <= (SELECT run_id FROM scheduler_runs"
        " WHERE delivered = ? ORDER BY run_id DESC LIMIT 1 OFFSET ?)", [int(delivered), int(delivered), KEEP])
    return cur.lastrowid


def last(r: Reader, *, delivered: bool | None = None) -> dict | None:
    """The newest run (of that kind when ``delivered`` is given)."""
    if delivered is None:
        return r.one("SELECT * FROM scheduler_runs ORDER BY run_id DESC LIMIT 1")
    return r.one("SELECT * FROM scheduler_runs WHERE delivered = ? ORDER BY run_id DESC LIMIT 1",
                 [int(delivered)])


def count(r: Reader) -> int:
    return r.scalar("SELECT count(*) FROM scheduler_runs")

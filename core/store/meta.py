"""The ``meta`` table: small named facts about the database itself (its app id, the demo marker)."""

from __future__ import annotations

from .database import Reader, Tx


def get(r: Reader, key: str) -> str | None:
    return r.scalar("SELECT value FROM meta WHERE key = ?", [key])


def put(tx: Tx, key: str, value: str) -> None:
    tx.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", [key, value])


def holds_data(r: Reader) -> bool:
    """True once anyone, any child or any case note is in the database."""
    return bool(r.scalar(
        "SELECT (SELECT count(*) FROM people) + (SELECT count(*) FROM children)"
        " + (SELECT count(*) FROM case_notes)"))

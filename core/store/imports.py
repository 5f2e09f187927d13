"""Imports: the ``imports`` row each import writes, and the caseload import's staging.

A caseload import stages its new and changed rows in TEMP tables of the connection
(``import_*``), works out the children they make and compares them with the stored
ones in SQL, then writes only what changed (``core.importers.caseload`` decides; the
SQL is here). The staging lives in the open transaction: a write's ``Tx``, or a dry
run's ``Store.scratch`` (rolled back, TEMP tables with it); ``unstage`` drops it
after a write.
"""

from __future__ import annotations

import json

from .database import Tx


def record(tx: Tx, kind: str, file: str, sha256: str, by: str, counts: dict) -> int:
    """The ``imports`` row of one import (``kind``: caseload, notes, people); its id."""
    return tx.execute(
        "INSERT INTO imports (kind, file, sha256, at, by, counts) VALUES (?, ?, ?, ?, ?, ?)",
        [kind, file, sha256, tx.at, by, json.dumps(counts)],
    ).lastrowid

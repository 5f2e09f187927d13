"""Matching a caseload's allocated worker to a person: by login, else by name.

The bulk form of ``core.people.find_person`` (same rule), loaded once per import,
and the one UPDATE that re-matches every child after a people import.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Workers:
    by_login: set[str] = field(default_factory=set)
    by_name: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, db) -> Workers:
        """``db``: the store or the open transaction (anything with ``rows``)."""
        w = cls()
        for login, name in db.rows("SELECT login, name FROM people ORDER BY login"):
            w.by_login.add(login)
            w.by_name.setdefault(name.strip().casefold(), login)
        return w

    def match(self, worker: str | None) -> str | None:
        if not worker:
            return None
        if worker in self.by_login:
            return worker
        return self.by_name.get(worker.strip().casefold())


# The same rule in SQL: login first, else the first login (alphabetically) with that name.
REMATCH_SQL = """
UPDATE children SET worker_login = m.login
FROM (
    SELECT c.child_id,
           COALESCE(
               (SELECT p.login FROM people p WHERE p.login = c.worker),
               (SELECT p.login FROM people p WHERE p.name = TRIM(c.worker) COLLATE NOCASE
                ORDER BY p.login LIMIT 1)
           ) AS login
    FROM children c
) AS m
WHERE children.child_id = m.child_id AND children.worker_login IS NOT m.login
"""


def rematch_workers(tx) -> int:
    """Re-match every child's worker to the people directory (in the open transaction
    ``tx``); returns children changed."""
    return tx.execute(REMATCH_SQL).rowcount

"""Matching a caseload's allocated worker to a person: by login, else by name.

The bulk form of ``core.people.find_person`` (same rule), loaded once per import,
and the re-match of every child after a people import (its SQL: ``core.store.children``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..store import Reader, people
from ..store.children import rematch_workers

__all__ = ["Workers", "rematch_workers"]


@dataclass
class Workers:
    by_login: set[str] = field(default_factory=set)
    by_name: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, db: Reader) -> Workers:
        """``db``: the store or the open transaction."""
        w = cls()
        for login, name in people.logins_and_names(db):
            w.by_login.add(login)
            w.by_name.setdefault(name.strip().casefold(), login)
        return w

    def match(self, worker: str | None) -> str | None:
        if not worker:
            return None
        if worker in self.by_login:
            return worker
        return self.by_name.get(worker.strip().casefold())

"""What every service needs, passed explicitly: store, clock, settings and the acting user."""

from __future__ import annotations

import os
import pwd
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from .clock import Clock, SystemClock
from .config import Settings
from .store import Store, Tx

# The scheduler changes this many items per transaction: short enough that people saving
# at the same moment barely wait (a batch is written with one executemany per table, a
# tenth of a second or so), long enough that a catch-up run is not one commit per item
# (each commit is an fsync).
TICK_BATCH = 1000


def in_batches(items: Sequence, size: int | None = None) -> Iterator[Sequence]:
    """``items`` in slices of ``size`` (``TICK_BATCH`` as it is when called): the scheduler
    writes each slice in one transaction."""
    size = size or TICK_BATCH
    for start in range(0, len(items), size):
        yield items[start:start + size]


def os_login() -> str:
    """The OS login this process runs as, from its effective uid: never from ``USER``,
    ``LOGNAME`` or any other variable a person can set (``getpass.getuser`` reads those
    first, so ``USER=admin.robin dipaudit ...`` would claim another login)."""
    uid = os.geteuid()
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:  # no passwd entry (some containers): the uid itself
        return f"uid{uid}"


@dataclass
class Context:
    store: Store
    clock: Clock = field(default_factory=SystemClock)
    settings: Settings = field(default_factory=Settings)
    user: str = field(default_factory=os_login)
    os_login: str = field(default_factory=os_login)

    def now(self) -> datetime:
        return self.clock.now()

    @contextmanager
    def tx(self, *, durable: bool = True, batch: bool = False) -> Iterator[Tx]:
        """A write transaction stamped with this context's user and the clock's now
        (``durable=False``: see ``Store.write``; bookkeeping only, never a change.
        ``batch=True``: one of the scheduler's batches, see ``Store.catching_up``)."""
        with self.store.write(now=self.now(), actor=self.user, os_login=self.os_login,
                              durable=durable, batch=batch) as tx:
            yield tx

    @contextmanager
    def scratch(self) -> Iterator[Tx]:
        """A transaction that is always rolled back (``Store.scratch``): a dry run's."""
        with self.store.scratch(now=self.now(), actor=self.user, os_login=self.os_login) as tx:
            yield tx


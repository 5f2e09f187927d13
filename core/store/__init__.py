"""The store layer: the only place SQL lives.

``database`` holds the connection (``Store``) and the write transaction (``Tx``);
``schema`` the tables and their migrations. One module per aggregate (audits,
queue, children, people, outbox, events, ...) holds the queries and writes for its
tables as plain functions. Their first argument is what they run on: a ``Store``
for a read outside a transaction, the open ``Tx`` for a write (or a read that must
see the transaction's own writes). ``Store`` and ``Tx`` share ``query``, ``one``,
``scalar`` and ``rows``, so a read function takes either.

Services in ``core/`` call these functions and never write SQL, or touch
``store.db`` or ``store.lock``, themselves.
"""

from .database import Reader, Store, Tx

__all__ = ["Reader", "Store", "Tx"]

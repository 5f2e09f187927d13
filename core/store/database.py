"""The store: one SQLite file through sqlite-utils.

WAL, foreign keys on, an explicit busy timeout, and write transactions that
begin with ``BEGIN IMMEDIATE`` so several processes (auditors on one server,
cron's ``tick``) queue for the write lock instead of failing (field notes).
Every change is written with its event, and its outbox rows, in one transaction.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ..clock import iso
from ..errors import DatabaseBusy, DatabaseError
from ..files import IsALinkError, create_private, make_private_dir
from . import events, outbox
from .schema import APP_ID, MIGRATION_NAMES, MIGRATION_SET, MIGRATIONS_TABLE

if TYPE_CHECKING:
    from sqlite_utils import Database


def bind_none_directly() -> None:
    """Bind ``None`` as NULL without sqlite3's adapter search.

    Python's sqlite3 binds str, int, float and bytes straight away, but sends every other
    value, None too, through its adapter protocol first: a registry miss, then
    ``PrepareProtocol.__adapt__`` and ``None.__conform__`` looked up, and an AttributeError
    formatted and thrown away on the way. That is ~0.5 us per NULL bound: a caseload row
    binds three or four of them (no expected date of birth, no family, no end date), a
    tenth of a second per 100,000 rows. An adapter registered for None itself is found at
    the first look and gives None back, which sqlite3 binds as NULL as it did. Process-wide
    (sqlite3's registry is), and the same NULL for every connection; None is not one of the
    base types whose adaptation would slow every bind (``tests/test_store.py`` holds both)."""
    sqlite3.register_adapter(type(None), _NO_ADAPTATION)


_NO_ADAPTATION = {}.get  # None -> None, called in C (no Python frame per NULL)
bind_none_directly()


class Handle:
    """The store's connection, as ``Store.db`` and ``Tx.db``: ``conn`` at once, the rest of sqlite-utils' ``Database`` API (``db["table"].insert``, migrations)
    when first used. sqlite-utils costs a command tens of milliseconds to import, and a
    command that only reads and writes through the store modules never needs it."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn
        self._full: Database | None = None

    def full(self) -> Database:
        if self._full is None:
            self._full = _script_database()(self.conn, execute_plugins=False)
        return self._full

    def __getitem__(self, table: str):
        return self.full()[table]

    def __getattr__(self, name: str):
        if name.startswith("_"):  # never sqlite-utils' privates (nor a half-built Handle's own)
            raise AttributeError(name)
        return getattr(self.full(), name)


def script_statements(sql: str) -> Iterator[str]:
    """The statements of a script, each stripped, as sqlite-utils splits one to run it
    inside a transaction (its ``_iter_complete_sql_statements``: ``sqlite3.complete_statement``
    decides where one ends), but tested only where a ``;`` is, not after every character.
    Theirs joins the statement so far at each character: quadratic in a statement's length,
    a fifth of a second of a new database's migrations (its long CREATE TRIGGERs)."""
    start, at = 0, sql.find(";")
    while at != -1:
        candidate = sql[start:at + 1].strip()
        if candidate and sqlite3.complete_statement(candidate):
            yield candidate
            start = at + 1
        at = sql.find(";", at + 1)
    rest = sql[start:].strip()
    if rest:
        yield rest


_SCRIPT_DATABASE: type | None = None


def _script_database() -> type:
    """sqlite-utils' ``Database`` whose ``executescript`` inside a transaction splits the
    script with ``script_statements`` (same statements, run one by one so that sqlite3's
    ``executescript`` does not COMMIT the migration's transaction half way); outside a
    transaction it is sqlite-utils' own. Made when sqlite-utils is first needed."""
    global _SCRIPT_DATABASE
    if _SCRIPT_DATABASE is None:
        from sqlite_utils import Database

        class ScriptDatabase(Database):
            def executescript(self, sql: str) -> sqlite3.Cursor:
                if not self.conn.in_transaction:
                    return super().executescript(sql)
                cursor = self.conn.cursor()
                for statement in script_statements(sql):
                    cursor.execute(statement)
                return cursor

        _SCRIPT_DATABASE = ScriptDatabase
    return _SCRIPT_DATABASE


def applied_migrations(conn: sqlite3.Connection) -> list[str]:
    """Names of the migrations applied to the file, in order (sqlite-utils' own table,
    read directly: no import of sqlite-utils to find the file is up to date)."""
    if not conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                        [MIGRATIONS_TABLE]).fetchone():
        return []
    return [r[0] for r in conn.execute(f"SELECT name FROM {MIGRATIONS_TABLE} WHERE migration_set = ?"
                                       " ORDER BY rowid", [MIGRATION_SET])]


class Reader(Protocol):
    """What a store read function runs on: a ``Store``, or an open ``Tx``."""

    def query(self, sql: str, params: Sequence | dict | None = None) -> list[dict]: ...
    def one(self, sql: str, params: Sequence | dict | None = None) -> dict | None: ...
    def scalar(self, sql: str, params: Sequence | dict | None = None) -> Any: ...
    def rows(self, sql: str, params: Sequence | dict | None = None) -> list[tuple]: ...


def _dicts(cursor: sqlite3.Cursor) -> list[dict]:
    """A read's rows as dicts by column name (a repeated name gets ``_2``, as sqlite-utils
    does). Straight from the cursor: no savepoint per read, which a tick's thousands of
    small reads inside one transaction would pay for."""
    if cursor.description is None:
        raise ValueError("query() can only be used with SQL that returns rows - use execute() for other statements")
    keys = [d[0] for d in cursor.description]
    if len(set(keys)) != len(keys):
        from sqlite_utils.utils import dedupe_keys

        keys = dedupe_keys(keys)
    return [dict(zip(keys, row, strict=True)) for row in cursor.fetchall()]


@dataclass
class Tx:
    """An open write transaction. ``now`` is the one instant all its rows carry."""

    db: Handle
    now: datetime
    actor: str
    os_login: str
    events: list[int] = field(default_factory=list)
    # (event_id, hash) of the newest event once this transaction has read or written it.
    trail_head: tuple[int, str | None] | None = None
    # The newest event as this transaction first read it, before its own: the chain it
    # wrote runs from here to ``trail_head`` (``Store.recording_links``).
    trail_from: tuple[int, str | None] | None = None

    at: str = field(init=False, default="")  # ``now`` as stored (``core.clock.iso``), once per transaction

    def __post_init__(self) -> None:
        self.at = iso(self.now)

    def execute(self, sql: str, params: Sequence | dict | None = None) -> sqlite3.Cursor:
        return self.db.conn.execute(sql, params if params is not None else ())

    def executemany(self, sql: str, rows) -> sqlite3.Cursor:
        return self.db.conn.executemany(sql, rows)

    # Reads inside the transaction (they see its own writes); the same API as Store's,
    # so the store modules' read functions take either.
    def query(self, sql: str, params: Sequence | dict | None = None) -> list[dict]:
        return _dicts(self.db.conn.execute(sql, params or ()))

    def one(self, sql: str, params: Sequence | dict | None = None) -> dict | None:
        rows = self.query(sql, params)
        return rows[0] if rows else None

    def scalar(self, sql: str, params: Sequence | dict | None = None) -> Any:
        row = self.db.conn.execute(sql, params or ()).fetchone()
        return row[0] if row else None

    def rows(self, sql: str, params: Sequence | dict | None = None) -> list[tuple]:
        """Plain tuples, for bulk reads where dicts would cost more than the work."""
        return self.db.conn.execute(sql, params or ()).fetchall()

    def event(
        self,
        entity: str,
        entity_id: Any,
        action: str,
        before: Any = None,
        after: Any = None,
        *,
        actor: str | None = None,
    ) -> int:
        """Append to the event trail, in this transaction."""
        event_id = events.insert(self, entity, entity_id, action, actor=actor or self.actor,
                                 before=before, after=after)
        self.events.append(event_id)
        return event_id

    def events_many(self, items: Sequence[tuple]) -> list[int]:
        """Append events ``(entity, entity_id, action, before, after, actor)`` in order, as
        ``event`` appends each (``actor`` None: this transaction's), in one write."""
        ids = events.insert_many(self, [(entity, entity_id, action, actor or self.actor, before, after)
                                        for entity, entity_id, action, before, after, actor in items])
        self.events.extend(ids)
        return ids

    def outbox_many(self, items: Sequence[tuple]) -> list[bool]:
        """Queue notifications ``(recipient, template, payload, key, recipient_role, entity,
        entity_id)`` as ``outbox`` queues each, in one write; per item, True if new."""
        return outbox.insert_many(self, items)

    def outbox(
        self,
        recipient: str,
        template: str,
        payload: dict,
        key: str,
        *,
        recipient_role: str | None = None,
        entity: str | None = None,
        entity_id: Any = None,
    ) -> bool:
        """Queue a notification. The idempotency key makes a repeat a no-op; returns True if new."""
        return outbox.insert(self, recipient, template, payload, key, recipient_role=recipient_role,
                             entity=entity, entity_id=entity_id)


class Store:
    """A dipaudit database file. Safe to share between threads (one lock per store)."""

    def __init__(self, path: str | Path, *, busy_timeout_ms: int = 5000):
        self.path = Path(path)
        self.busy_timeout_ms = busy_timeout_ms
        self.lock = threading.RLock()
        conn = sqlite3.connect(
            str(self.path), timeout=busy_timeout_ms / 1000, check_same_thread=False
        )
        self.db = Handle(conn)
        self._file = _file_of(self.path)  # the file opened, for a second connection to check it opens the same
        self._links: list[tuple[int, str, int, str]] | None = None  # see recording_links
        self._aside: _Checkpointer | None = None  # see catching_up
        try:
            conn.execute("PRAGMA recursive_triggers = on")  # as sqlite-utils' Database sets it
            conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            conn.execute("PRAGMA foreign_keys = ON")
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise DatabaseError(f"{self.path}: not a SQLite database ({exc})") from exc

    # -- opening -----------------------------------------------------------
    @classmethod
    def open(cls, path: str | Path, *, create: bool = True, migrate: bool = True) -> Store:
        """Open (and create or migrate) a dipaudit database, with clear refusals."""
        path = Path(path)
        if path.is_symlink() and (not path.exists() or path.stat().st_size == 0):
            # A link planted where the database would be made: SQLite would follow it and
            # make (or fill) a file wherever it points.
            raise DatabaseError(f"{path}: is a symbolic link to nothing usable; refusing to create the"
                                " database through it (give another path)")
        for companion in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            if companion.is_symlink():  # SQLite would refuse it with a misleading "unable to open"
                raise DatabaseError(f"{companion}: is a symbolic link where SQLite keeps its journal;"
                                    " refusing to open the database through it (remove the link)")
        if not path.exists():
            if not create:
                raise DatabaseError(
                    f"{path}: no database here; create one with 'dipaudit init' or 'dipaudit demo'"
                )
            cls._create_file(path)
        elif path.is_dir():
            raise DatabaseError(f"{path}: is a directory, not a database file")
        elif not os.access(path, os.R_OK):
            raise DatabaseError(f"{path}: you may not read it (its group is the team's: ask to join it);"
                                " nothing was written")
        elif not create and path.stat().st_size == 0:
            # An empty file (a typo'd touch, a failed copy) is not silently made a database.
            raise DatabaseError(
                f"{path}: an empty file, not a dipaudit database; create one with 'dipaudit init'"
            )
        store = cls(path)
        try:
            store._check_identity()
            if migrate:
                store.migrate()
        except BaseException:
            store.close()
            raise
        return store

    @staticmethod
    def _create_file(path: Path) -> None:
        """Make the new database file before SQLite does, private whatever the umask (0600,
        or 0660 in a setgid group folder; SQLite gives its -wal and -shm the same mode), in
        a folder made private if it is new (0700, or 2770 in a setgid folder)."""
        try:
            make_private_dir(path.parent if str(path.parent) else Path("."))
            create_private(path)
        except IsALinkError:
            raise DatabaseError(f"{path}: is a symbolic link; refusing to create the database through it"
                                " (give another path)") from None
        except OSError as exc:
            raise DatabaseError(f"{path}: cannot create the database here ({exc.strerror or exc});"
                                " nothing was written") from None

    def _check_identity(self) -> None:
        try:
            tables = {r[0] for r in self.db.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.DatabaseError as exc:
            raise DatabaseError(f"{self.path}: not a SQLite database ({exc})") from exc
        if not tables:
            return  # new file
        if "meta" not in tables:
            raise DatabaseError(f"{self.path}: a SQLite database, but not a dipaudit one")
        row = self.db.conn.execute("SELECT value FROM meta WHERE key = 'app'").fetchone()
        if not row or row[0] != APP_ID:
            raise DatabaseError(f"{self.path}: a SQLite database, but not a dipaudit one")
        unknown = [m for m in applied_migrations(self.db.conn) if m not in MIGRATION_NAMES]
        if unknown:
            raise DatabaseError(
                f"{self.path}: written by a newer dipaudit (schema {unknown[-1]}); upgrade dipaudit to open it"
            )

    def migrate(self) -> list[str]:
        """Apply pending migrations once, even with several processes starting together."""
        with self.lock:
            conn = self.db.conn
            if conn.in_transaction:
                raise RuntimeError("migrate() inside a transaction")
            mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
            if mode.lower() != "wal":
                try:
                    conn.execute("PRAGMA journal_mode = wal")
                except sqlite3.OperationalError:
                    pass  # another process holds the file; it will have set WAL
            if set(MIGRATION_NAMES) <= set(applied_migrations(conn)):
                return []  # up to date: no write lock needed (a reader never waits on a writer)
            from .schema import MIGRATIONS

            self._begin_immediate()
            try:
                pending = [m.name for m in MIGRATIONS.pending(self.db.full())]
                if pending:
                    MIGRATIONS.apply(self.db.full())
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            return pending

    def _begin_immediate(self) -> None:
        """Take the write lock, waiting up to the busy timeout; then a one-line refusal."""
        try:
            self.db.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            self._refuse(exc)
            raise

    def _refuse(self, exc: BaseException) -> None:
        """Raise what a person can act on for ``exc``, if it is that kind of SQLite error."""
        if isinstance(exc, sqlite3.OperationalError):
            err = self._refusal(exc)
            if err is not exc:
                raise err from exc

    def _refusal(self, exc: sqlite3.OperationalError) -> Exception:
        """What a person can act on (busy, read-only, disk full) as one line; else ``exc``."""
        text = str(exc)
        if "locked" in text or "busy" in text:
            return DatabaseBusy(
                f"{self.path}: busy: another process held the database for over"
                f" {self.busy_timeout_ms / 1000:g} s; nothing was written, try again")
        if "readonly" in text:
            return DatabaseError(
                f"{self.path}: read-only for you (check the file's and its directory's group"
                " and write permission); nothing was written")
        if "disk" in text and ("full" in text or "I/O" in text):
            return DatabaseError(f"{self.path}: {text}; nothing was written")
        return exc

    def schema_version(self) -> str | None:
        applied = applied_migrations(self.db.conn)
        return applied[-1] if applied else None

    def close(self) -> None:
        self.db.conn.close()

    # -- reading -----------------------------------------------------------
    def query(self, sql: str, params: Sequence | dict | None = None) -> list[dict]:
        with self.lock:
            return _dicts(self.db.conn.execute(sql, params or ()))

    def one(self, sql: str, params: Sequence | dict | None = None) -> dict | None:
        rows = self.query(sql, params)
        return rows[0] if rows else None

    def scalar(self, sql: str, params: Sequence | dict | None = None) -> Any:
        with self.lock:
            row = self.db.conn.execute(sql, params or ()).fetchone()
        return row[0] if row else None

    def rows(self, sql: str, params: Sequence | dict | None = None) -> list[tuple]:
        """Plain tuples, for bulk reads where dicts would cost more than the work."""
        with self.lock:
            return self.db.conn.execute(sql, params or ()).fetchall()

    # -- trying ------------------------------------------------------------
    @contextmanager
    def scratch(self, *, now: datetime, actor: str, os_login: str) -> Iterator[Tx]:
        """A transaction whose work is always rolled back: a dry run works out what a write
        would do (reads, TEMP staging tables, even writes) and leaves the file and the
        connection as they were. Deferred (``BEGIN``): it takes no write lock unless it
        writes to the database itself, so a dry run never makes writers wait. Held under
        the store's lock; TEMP tables it made are undone with the rest."""
        with self.lock:
            conn = self.db.conn
            if conn.in_transaction:
                raise RuntimeError("scratch inside a transaction")
            conn.execute("BEGIN")
            try:
                yield Tx(self.db, now, actor, os_login)
            finally:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")

    # -- writing -----------------------------------------------------------
    @contextmanager
    def recording_links(self) -> Iterator[list[tuple[int, str, int, str]]]:
        """While open, each committed transaction of this store that appended events adds
        ``(from_id, from_hash, to_id, to_hash)`` to the list yielded: it linked events
        ``from_id + 1`` to ``to_id`` itself, after the head ``(from_id, from_hash)`` it read
        under the write lock. The scheduler's checkpoint takes those chains as linked
        (``core.trail.checkpoint_trail``) instead of hashing its own events a second time."""
        with self.lock:
            was, self._links = self._links, []
            links = self._links
        try:
            yield links
        finally:
            with self.lock:
                self._links = was

    @contextmanager
    def catching_up(self) -> Iterator[None]:
        """The scheduler's run: thousands of rows, a commit per batch. While open:

        - **Its batches' commits skip their fsync** (``write(batch=True)``, WAL's
          ``synchronous = NORMAL``), and on leaving, however it leaves, one fsync of the WAL
          makes them all durable. The WAL keeps commits in order and recovers a prefix of
          them, so a power cut mid-run takes back at most the last of this run's batches,
          as a killed run leaves them undone: the next tick does them again (nothing the
          run queued was sent yet; each notice keeps its idempotency key). A killed
          *process* loses nothing: the commits are in the file, only not yet on the disk.
          Any other write, a person's on this same connection too, is as durable as ever,
          and its fsync carries the batches before it.
        - **The WAL's checkpoints run in a thread of their own**, with its own connection,
          woken by each commit (copying the pages the commits wrote back into the database
          file, and its fsyncs), not inside the commits (``wal_autocheckpoint`` is 0
          meanwhile, and restored after): SQLite's WAL notes suggest just this for an
          application that writes a lot at once. A PASSIVE checkpoint never waits for a
          lock nor holds one a writer needs (another process checkpointing at the same
          moment makes it skip that one). If the thread cannot work (the file renamed, no
          thread to be had, a disk error), nothing is lost: the pages stay in the WAL,
          which the automatic checkpoints, restored, copy back as always.

        Nested (or a second run at once, in another thread): the outer one holds. The
        store's lock is never held while the run's work goes on: a person's save in the
        TUI (another thread, this same store) waits for one batch at most, never the run."""
        with self.lock:
            conn = self.db.conn
            if self._aside is not None:
                aside = None
            elif conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                aside = None  # no WAL: no checkpoints, and each batch is durable as any write
            elif (held := self._open_wal()) is None:
                aside = None  # not the file the store opened (moved, replaced): each batch durable as any write
            else:
                name, wal = held
                try:
                    was = conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
                    conn.execute("PRAGMA wal_autocheckpoint = 0")
                except BaseException:
                    os.close(wal)
                    raise
                self._aside = aside = _Checkpointer(name, self._file, conn.total_changes, wal=wal)
        if aside is None:
            yield
            return
        try:
            yield
        finally:
            try:
                with self.lock:
                    self._aside = None
                    try:
                        self._sync_wal(aside)
                    finally:
                        conn.execute(f"PRAGMA wal_autocheckpoint = {int(was)}")
            finally:
                aside.finish()  # whatever failed above: never a thread left waiting, its connection open

    def _open_wal(self) -> tuple[Path, int] | None:
        """The database file as SQLite named it when it opened it (absolute, any link
        resolved as SQLite resolves it: its WAL is that name and ``-wal``), and a descriptor
        of that WAL, held for the run: the WAL the run writes is the one synced at its end,
        wherever the file is by then (moved, or the process's directory changed under a
        relative path). None if the file at that name is not the one the store opened, or it
        has no WAL to open (no link followed)."""
        names = {row[1]: row[2] for row in self.db.conn.execute("PRAGMA database_list")}
        name = Path(names.get("main") or "")
        if not name.is_absolute() or self._file is None or _file_of(name) != self._file:
            return None
        try:
            return name, os.open(f"{name}-wal", os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
        except OSError:
            return None

    def _sync_wal(self, aside: _Checkpointer) -> None:
        """fsync the run's WAL if a batch skipped its own (every commit in it is then on the
        disk: an fsync flushes the file, through any descriptor), and let the descriptor
        go. The disk refusing: a ``DatabaseError`` (the run's batches may not outlive a
        power cut, which the run must say rather than succeed quietly)."""
        try:
            if aside.unsynced:
                os.fsync(aside.wal)
        except OSError as exc:
            raise DatabaseError(f"{aside.path}-wal: could not be synced to the disk ({exc.strerror or exc});"
                                " the scheduler's last changes may not outlive a power cut (check the disk)") from exc
        finally:
            os.close(aside.wal)

    @contextmanager
    def write(self, *, now: datetime, actor: str, os_login: str, durable: bool = True,
              batch: bool = False) -> Iterator[Tx]:
        """One write transaction (``BEGIN IMMEDIATE``): all of it commits, or none of it.

        ``batch=True``: one of the scheduler's batches. Inside ``catching_up`` its commit
        skips its fsync, the run making them all durable at its end; elsewhere it is an
        ordinary write.

        ``durable=False``: the commit skips its fsync (``synchronous = NORMAL``, WAL): still
        atomic and never lost to a killed process, but a power cut may take it back. For
        bookkeeping a quiet scheduler run writes (its own record), never for a change."""
        with self.lock:
            conn = self.db.conn
            if conn.in_transaction:
                raise RuntimeError("nested write transaction")
            relaxed = batch and self._aside is not None
            if not durable or relaxed:
                if relaxed:
                    self._aside.unsynced = True  # before the commit: a failed one costs a needless fsync
                was = conn.execute("PRAGMA synchronous").fetchone()[0]
                conn.execute("PRAGMA synchronous = NORMAL")
                try:
                    with self.write(now=now, actor=actor, os_login=os_login) as tx:
                        yield tx
                finally:
                    conn.execute(f"PRAGMA synchronous = {int(was)}")
                return
            self._begin_immediate()
            tx = Tx(self.db, now, actor, os_login)
            try:
                yield tx
            except BaseException as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                self._refuse(exc)
                raise
            else:
                try:
                    conn.execute("COMMIT")
                except BaseException as exc:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    self._refuse(exc)
                    raise
                if self._aside is not None:
                    self._aside.wake(conn.total_changes)
                if self._links is not None and tx.trail_from is not None and tx.trail_head != tx.trail_from:
                    (start, start_hash), (end, end_hash) = tx.trail_from, tx.trail_head
                    self._links.append((start, start_hash or "", end, end_hash or ""))


def _file_of(path: Path) -> tuple[int, int] | None:
    """(device, inode) of the file at ``path`` now, or None."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


# ``_Checkpointer`` runs one checkpoint at most this often: each has two fsyncs (the WAL's,
# then the database file's), whatever it copies, so one per commit of a catch-up's
# batches would spend more waiting on the disk than it saved.
CHECKPOINT_GAP_S = 0.1
# ...and starts once the run has changed this many rows: a tick of a few changes (most of
# them, every few minutes all day) leaves its few pages to SQLite's own checkpoint at 1,000
# pages, as before, rather than paying a thread, a connection and two fsyncs for them.
CHECKPOINT_AFTER_ROWS = 2000


class _Checkpointer:
    """``Store.catching_up``'s thread: a PASSIVE checkpoint on its own connection
    each time it is woken (a commit), until finished. Started at the first commit that
    takes the run past ``CHECKPOINT_AFTER_ROWS`` changed rows (``total_changes``), so a
    run of a few changes costs no thread. Any failure ends its work quietly (the
    automatic checkpoints, restored, copy the pages back instead): ``failed`` says why."""

    def __init__(self, path: Path, file: tuple[int, int] | None, changes: int = 0, *, wal: int):
        self.path, self.file, self.changes = path, file, changes
        self.wal = wal  # a descriptor of the WAL, held by ``catching_up`` for the run
        self.woken, self.finishing = threading.Event(), threading.Event()  # a commit; the run's end
        self.thread: threading.Thread | None = None
        self.runs = 0  # checkpoints run (tests)
        self.unsynced = False  # a batch committed without its fsync (``catching_up`` syncs)
        self.failed: str | None = None

    def wake(self, changes: int) -> None:
        """A commit: the connection's ``total_changes`` after it."""
        if self.thread is None:
            if self.failed or changes - self.changes < CHECKPOINT_AFTER_ROWS:
                return
            thread = threading.Thread(target=self._run, name="dipaudit-checkpoint", daemon=True)
            try:
                thread.start()
            except RuntimeError as exc:  # no thread to be had: the commit stands, the pages wait in the WAL
                self.failed = f"no checkpoint thread ({exc})"
                return
            self.thread = thread
        self.woken.set()

    def finish(self) -> None:
        """The last checkpoint (for the last commits), then the thread is joined."""
        if self.thread is None:
            return
        self.finishing.set()
        self.woken.set()
        self.thread.join()

    def _run(self) -> None:
        try:
            conn = self._connect()
        except (OSError, sqlite3.Error) as exc:
            self.failed = str(exc)
            return
        try:
            while True:
                self.woken.wait()
                self.woken.clear()
                done = self.finishing.is_set()  # read before the checkpoint: a commit woken after it is caught next time
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                self.runs += 1
                if done:
                    return
                self.finishing.wait(CHECKPOINT_GAP_S)  # commits meanwhile wait for the next one
        except Exception as exc:  # the disk full, an I/O error...: said here, never printed over a TUI
            self.failed = str(exc) or type(exc).__name__
        finally:
            conn.close()

    def _connect(self) -> sqlite3.Connection:
        # mode=rw: never creates a file; the same file as the store's, or none (a file
        # renamed or replaced meanwhile is not this store's to checkpoint)
        conn = sqlite3.connect(f"{self.path.as_uri()}?mode=rw", uri=True, timeout=0,  # SQLite's own absolute name
                               check_same_thread=False)
        if self.file is None or _file_of(self.path) != self.file:
            conn.close()
            raise OSError(f"{self.path}: no longer the file the store opened")
        return conn

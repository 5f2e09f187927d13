"""The scheduler's run (``Store.catching_up``): its batches' commits skip their fsyncs and
one at the end makes them durable (a person's write beside it keeps its own; a killed run
keeps every batch it committed); the WAL's checkpoints run in a thread of their own, what
the commits wrote still reaches the database file itself, the connection's automatic
checkpoints come back afterwards whatever happened, and a file that is no longer the
store's is never checkpointed."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from factories import full_audit_data, submitted_audit

import core.context
import core.store.database
import core.tick
from core.store import Store
from core.tick import tick

NOW = datetime(2020, 4, 27, 9, 0, tzinfo=UTC)


def _write(store: Store, key: str) -> None:
    with store.write(now=NOW, actor="system", os_login="tester") as tx:
        tx.execute("INSERT INTO meta (key, value) VALUES (?, 'x')", [key])


def _file_alone(db: Path, tmp_path: Path) -> sqlite3.Connection:
    """The database file copied without its WAL: only what checkpoints copied back."""
    copy = tmp_path / "alone.db"
    shutil.copyfile(db, copy)
    return sqlite3.connect(copy)


def _autocheckpoint(store: Store) -> int:
    return store.db.conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0]


@pytest.fixture
def checkpoint_at_once(monkeypatch):
    """The checkpoint thread starts at the first commit (not after 2,000 rows changed)."""
    monkeypatch.setattr(core.store.database, "CHECKPOINT_AFTER_ROWS", 0)


def test_commits_inside_reach_the_database_file_and_autocheckpoint_comes_back(db_path, tmp_path,
                                                                              checkpoint_at_once):
    store = Store.open(db_path)
    assert _autocheckpoint(store) == 1000
    with store.catching_up():
        assert _autocheckpoint(store) == 0  # not inside the commits
        for n in range(5):
            _write(store, f"k{n}")
        aside = store._aside
    assert _autocheckpoint(store) == 1000
    assert store._aside is None
    assert aside.runs >= 1 and aside.failed is None and not aside.thread.is_alive()
    # A few pages: SQLite's own checkpoint (at 1,000 pages) would not have copied them yet.
    alone = _file_alone(db_path, tmp_path)
    assert {k for (k,) in alone.execute("SELECT key FROM meta WHERE key LIKE 'k%'")} == {f"k{n}" for n in range(5)}
    store.close()


def test_nothing_committed_starts_no_thread(store):
    with store.catching_up():
        aside = store._aside
        with store.catching_up():  # nested: the outer one holds
            assert store._aside is aside
    assert aside.thread is None
    assert _autocheckpoint(store) == 1000


def test_a_run_of_a_few_changes_leaves_them_to_sqlites_own_checkpoint(db_path):
    """No thread, connection or checkpoint of its own for a tick's handful of rows."""
    store = Store.open(db_path)
    with store.catching_up():
        for n in range(core.store.database.CHECKPOINT_AFTER_ROWS - 1):
            with store.write(now=NOW, actor="system", os_login="tester", batch=True) as tx:
                tx.execute("INSERT INTO meta (key, value) VALUES (?, 'x')", [f"k{n}"])
        aside = store._aside
        assert aside.thread is None
        _write(store, "one more")  # the run's 2,000th row: from here the thread checkpoints
        assert aside.thread is not None
    assert aside.runs >= 1
    store.close()


def test_a_file_that_is_no_longer_the_stores_is_not_checkpointed(db_path, tmp_path, checkpoint_at_once):
    store = Store.open(db_path)
    with store.catching_up():
        moved = tmp_path / "moved.db"
        db_path.rename(moved)
        for suffix in ("-wal", "-shm"):
            Path(f"{db_path}{suffix}").rename(f"{moved}{suffix}")
        other = sqlite3.connect(db_path)  # another database where the store's was
        other.execute("PRAGMA journal_mode = wal")
        other.execute("CREATE TABLE t (x)")
        other.close()
        _write(store, "after-move")  # still committed, through the file the store holds open
        aside = store._aside
    assert aside.failed and "no longer the file the store opened" in aside.failed
    assert aside.runs == 0
    assert store.scalar("SELECT value FROM meta WHERE key = 'after-move'") == "x"
    assert _autocheckpoint(store) == 1000
    assert [r[0] for r in sqlite3.connect(db_path).execute("SELECT name FROM sqlite_master")] == ["t"]
    store.close()


def test_a_catch_up_tick_checkpoints_its_batches_beside_them(ctx, tmp_path, monkeypatch, checkpoint_at_once):
    """Batches of two: several commits, and what they finalised is in the file itself."""
    ids = [submitted_audit(ctx, child_id=f"C{n}", data=full_audit_data(due="2020-05-12")).audit_id
           for n in range(6)]
    monkeypatch.setattr(core.context, "TICK_BATCH", 2)
    seen = []
    real = Store.catching_up

    def watched(self):
        seen.append(self)
        return real(self)

    monkeypatch.setattr(Store, "catching_up", watched)
    ctx.clock.set(datetime(2020, 5, 13, 9, 0, tzinfo=UTC))
    done = tick(ctx)
    assert sorted(done.finalised) == sorted(ids)
    assert seen == [ctx.store] and ctx.store._aside is None and _autocheckpoint(ctx.store) == 1000
    alone = _file_alone(ctx.store.path, tmp_path)
    assert {a for (a,) in alone.execute("SELECT audit_id FROM audits WHERE status = 'finalised'")} == set(ids)


def test_a_tick_that_fails_gives_the_commits_their_checkpoints_back(ctx, monkeypatch):
    submitted_audit(ctx, data=full_audit_data(due="2020-05-12"))
    ctx.clock.set(datetime(2020, 5, 13, 9, 0, tzinfo=UTC))

    def broken(ctx):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(core.tick, "send_reminders", broken)
    with pytest.raises(RuntimeError, match="the disk is full"):
        tick(ctx)
    assert ctx.store._aside is None and _autocheckpoint(ctx.store) == 1000
    assert ctx.store.scalar("SELECT count(*) FROM audits WHERE status = 'finalised'") == 1  # committed before


def _synchronous(tx) -> int:
    return tx.scalar("PRAGMA synchronous")


def _wal_fsyncs(monkeypatch, db: Path) -> list[str]:
    """The real os.fsync, noting each file it flushed that is the database's WAL."""
    real, seen = os.fsync, []

    def fsync(fd):
        if os.readlink(f"/proc/self/fd/{fd}") == f"{db.resolve()}-wal":
            seen.append("wal")
        return real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    return seen


def test_a_batch_skips_its_fsync_a_persons_write_does_not_and_leaving_syncs_them(db_path, monkeypatch):
    store = Store.open(db_path)
    synced = _wal_fsyncs(monkeypatch, db_path)
    with store.write(now=NOW, actor="system", os_login="tester", batch=True) as tx:
        assert _synchronous(tx) == 2  # not catching up: an ordinary, durable write
    with store.catching_up():
        with store.write(now=NOW, actor="system", os_login="tester", batch=True) as tx:
            assert _synchronous(tx) == 1  # NORMAL: the commit skips its fsync
            tx.execute("INSERT INTO meta (key, value) VALUES ('batch', 'x')")
        with store.write(now=NOW, actor="qa.alex", os_login="alex") as tx:
            assert _synchronous(tx) == 2  # a person's save beside the run keeps its own
        assert synced == []
    assert synced == ["wal"]  # one fsync makes the batch durable
    with store.write(now=NOW, actor="system", os_login="tester") as tx:
        assert _synchronous(tx) == 2
    store.close()


def test_a_run_that_commits_no_batch_needs_no_sync(db_path, monkeypatch):
    store = Store.open(db_path)
    synced = _wal_fsyncs(monkeypatch, db_path)
    with store.catching_up():
        _write(store, "durable")
    assert synced == []
    store.close()


def test_a_failing_tick_still_makes_its_committed_batches_durable(ctx, monkeypatch):
    submitted_audit(ctx, data=full_audit_data(due="2020-05-12"))
    ctx.clock.set(datetime(2020, 5, 13, 9, 0, tzinfo=UTC))
    synced = _wal_fsyncs(monkeypatch, ctx.store.path)

    def broken(ctx):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(core.tick, "send_reminders", broken)
    with pytest.raises(RuntimeError):
        tick(ctx)
    assert synced == ["wal"]


_BATCHES = """
import sys
import threading
from datetime import UTC, datetime
from core.store import Store
store = Store.open(sys.argv[1])
with store.catching_up():
    for n in range(10_000):
        with store.write(now=datetime(2020, 4, 27, tzinfo=UTC), actor="system", os_login="t", batch=True) as tx:
            tx.execute("INSERT INTO meta (key, value) VALUES (?, ?)", [f"b{n}", "x" * 3000])
        print(n, flush=True)
"""


def test_a_run_killed_mid_catch_up_keeps_every_batch_it_committed(db_path):
    Store.open(db_path).close()
    child = subprocess.Popen([sys.executable, "-c", _BATCHES, str(db_path)], stdout=subprocess.PIPE, text=True,
                             cwd=Path(__file__).resolve().parent.parent)
    committed = -1
    for line in child.stdout:
        committed = int(line)
        if committed >= 2500:  # past CHECKPOINT_AFTER_ROWS: the checkpoint thread is at work
            break
    child.send_signal(signal.SIGKILL)
    child.wait()
    store = Store.open(db_path)
    kept = store.scalar("SELECT count(*) FROM meta WHERE key LIKE 'b%'")
    assert kept >= committed + 1  # every commit it reported (and perhaps the next)
    assert store.scalar("PRAGMA integrity_check") == "ok"
    store.close()


def test_a_database_opened_through_a_link_has_its_wal_synced_beside_the_file(tmp_path, monkeypatch):
    real = tmp_path / "real" / "dipaudit.db"
    real.parent.mkdir()
    Store.open(real).close()
    link = tmp_path / "link.db"
    link.symlink_to(real)
    store = Store.open(link)
    synced = _wal_fsyncs(monkeypatch, real)
    with store.catching_up():
        with store.write(now=NOW, actor="system", os_login="tester", batch=True) as tx:
            tx.execute("INSERT INTO meta (key, value) VALUES ('batch', 'x')")
    assert synced == ["wal"]
    store.close()


# -- review (h30): the store is left to other threads, the thread always ends, the WAL synced is the store's


def _lock_free_elsewhere(store: Store) -> bool:
    """Whether another thread could take the store's lock now (a person's save in the TUI)."""
    import threading

    took = []

    def probe():
        if store.lock.acquire(blocking=False):
            store.lock.release()
            took.append(True)

    other = threading.Thread(target=probe)
    other.start()
    other.join()
    return bool(took)


def test_a_database_not_in_wal_mode_leaves_the_store_to_other_threads_meanwhile(db_path):
    """The run is minutes long in a catch-up: a person's save in the TUI (another thread,
    the same store) must not wait for all of it, WAL or not."""
    store = Store.open(db_path)
    store.db.conn.execute("PRAGMA journal_mode = delete")
    with store.catching_up():
        assert store._aside is None  # no WAL: nothing set aside
        assert _lock_free_elsewhere(store)
    store.close()


def test_a_second_run_at_once_leaves_the_store_to_other_threads_meanwhile(db_path):
    import threading

    store = Store.open(db_path)
    inside, leave = threading.Event(), threading.Event()

    def first_run():
        with store.catching_up():
            inside.set()
            leave.wait()

    first = threading.Thread(target=first_run)
    first.start()
    inside.wait()
    try:
        with store.catching_up():  # a second run while the first is open: the first holds
            assert _lock_free_elsewhere(store)
    finally:
        leave.set()
        first.join()
    assert store._aside is None and _autocheckpoint(store) == 1000
    store.close()


def test_leaving_on_a_closed_store_still_ends_the_checkpoint_thread(db_path, checkpoint_at_once):
    store = Store.open(db_path)
    with pytest.raises(sqlite3.ProgrammingError):
        with store.catching_up():
            _write(store, "k")
            aside = store._aside
            assert aside.thread is not None
            store.close()  # the TUI closing under a running tick
    assert not aside.thread.is_alive()  # not left waiting for a wake-up forever, its connection open


def test_a_wal_that_cannot_be_synced_is_a_one_line_refusal_and_the_thread_still_ends(db_path, monkeypatch,
                                                                                  checkpoint_at_once):
    """The disk failing the last fsync: the run's batches may not survive a power cut, so
    the run says so (never a quiet success), and its thread and checkpoints are put back."""
    import errno

    from core.errors import DatabaseError

    store = Store.open(db_path)
    real = os.fsync

    def failing(fd):  # the disk's answer cannot be had for real here: only the WAL's fsync fails
        if os.readlink(f"/proc/self/fd/{fd}").endswith("-wal"):
            raise OSError(errno.EIO, "Input/output error")
        return real(fd)

    monkeypatch.setattr(os, "fsync", failing)
    with pytest.raises(DatabaseError, match=r"could not be synced to the disk \(Input/output error\)"):
        with store.catching_up():
            with store.write(now=NOW, actor="system", os_login="tester", batch=True) as tx:
                tx.execute("INSERT INTO meta (key, value) VALUES ('batch', 'x')")
            aside = store._aside
    assert not aside.thread.is_alive()
    assert store._aside is None and _autocheckpoint(store) == 1000
    store.close()


def test_the_wal_synced_is_the_stores_even_after_the_file_was_renamed(db_path, tmp_path, monkeypatch):
    store = Store.open(db_path)
    moved = tmp_path / "moved.db"
    synced = []
    real = os.fsync

    def fsync(fd):
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        return real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    with store.catching_up():
        db_path.rename(moved)
        for suffix in ("-wal", "-shm"):
            Path(f"{db_path}{suffix}").rename(f"{moved}{suffix}")
        with store.write(now=NOW, actor="system", os_login="tester", batch=True) as tx:
            tx.execute("INSERT INTO meta (key, value) VALUES ('batch', 'x')")
    assert f"{moved.resolve()}-wal" in synced  # the batch's WAL, where it is now
    store.close()


def test_a_relative_path_syncs_the_stores_wal_after_the_directory_changed(tmp_path, monkeypatch):
    (tmp_path / "here").mkdir()
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "here")
    store = Store.open("dipaudit.db")
    synced = _wal_fsyncs(monkeypatch, tmp_path / "here" / "dipaudit.db")
    monkeypatch.chdir(tmp_path / "elsewhere")
    with store.catching_up():
        with store.write(now=NOW, actor="system", os_login="tester", batch=True) as tx:
            tx.execute("INSERT INTO meta (key, value) VALUES ('batch', 'x')")
    assert synced == ["wal"]
    store.close()


def test_the_checkpoint_thread_opens_a_path_with_spaces_and_uri_characters(tmp_path, checkpoint_at_once):
    folder = tmp_path / "QA team 50% ?#&=x"
    folder.mkdir()
    store = Store.open(folder / "dip audit?.db")
    with store.catching_up():
        _write(store, "k")
        aside = store._aside
    assert aside.failed is None and aside.runs >= 1
    alone = _file_alone(folder / "dip audit?.db", tmp_path)
    assert alone.execute("SELECT value FROM meta WHERE key = 'k'").fetchone() == ("x",)
    store.close()


def test_no_thread_to_be_had_leaves_the_commit_standing(db_path, monkeypatch, checkpoint_at_once):
    """A process at its thread limit: the batch committed is reported committed (not as a
    failed write), and the run ends as usual, its WAL synced."""
    store = Store.open(db_path)

    def refuse(self):
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(threading.Thread, "start", refuse)
    with store.catching_up():
        with store.write(now=NOW, actor="system", os_login="tester", batch=True) as tx:
            tx.execute("INSERT INTO meta (key, value) VALUES ('batch', 'x')")
        aside = store._aside
        _write(store, "again")  # tried once, not at every commit
    assert aside.thread is None and aside.failed == "no checkpoint thread (can't start new thread)"
    assert store.scalar("SELECT count(*) FROM meta WHERE key IN ('batch', 'again')") == 2
    assert _autocheckpoint(store) == 1000
    store.close()

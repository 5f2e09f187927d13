"""The tamper-evident trail: every event linked to the one before; a trail edited behind
dipaudit's back (the sqlite3 module, triggers dropped) is caught by `dipaudit log verify`."""

from __future__ import annotations

import json
import sqlite3

import pytest
from click.testing import CliRunner
from sqlite_utils import Database

from core.store import Store, events
from core.store.schema import HASH_CHECK, MIGRATIONS
from core.trail import checkpoint_trail, verify_trail
from tui.cli import cli


def _history(ctx, n=6):
    for i in range(n):
        with ctx.tx() as tx:
            tx.event("audit", i, "saved", before={"v": i}, after={"v": i + 1, "text": "Ünïcode ✓"})


def _tamper(db_path, *sql):
    conn = sqlite3.connect(db_path)
    for statement in sql:
        conn.execute(statement)
    conn.commit()
    conn.close()


# An event's link is required by a CHECK (m014): lifted the way SQLite lets one edit a
# table's definition, as someone set on planting an event without one would.
_LIFT_HASH_CHECK = ["PRAGMA writable_schema = ON",
                    f"UPDATE sqlite_master SET sql = replace(sql, '{HASH_CHECK.replace(chr(39), chr(39) * 2)}', '')"
                    " WHERE type = 'table' AND name = 'events'",
                    "PRAGMA writable_schema = RESET"]


def _verify_cli(db_path):
    runner = CliRunner()
    return runner.invoke(cli, ["--db", str(db_path), "log", "verify", "--json"])


def test_each_event_is_linked_to_the_one_before(ctx):
    _history(ctx, 3)
    rows = events.linked_rows(ctx.store)
    prev = events.GENESIS
    for row in rows:
        assert row[-1] == events.link(prev, row[:-1])
        prev = row[-1]
    verdict = verify_trail(ctx)
    assert (verdict.intact, verdict.events, verdict.head, verdict.head_hash) == (True, 3, 3, prev)


def test_intact_trail_verifies_with_exit_0(ctx, db_path):
    _history(ctx)
    result = CliRunner().invoke(cli, ["--db", str(db_path), "log", "verify"])
    assert result.exit_code == 0
    assert result.output.strip() == "intact: 6 events, newest 6"


@pytest.mark.parametrize(("sql", "first_broken", "words"), [
    (["DROP TRIGGER events_no_update", "UPDATE events SET actor = 'someone.else' WHERE event_id = 3"],
     3, "does not match its link"),
    (["DROP TRIGGER events_no_update", "UPDATE events SET after = '{\"v\": 99}' WHERE event_id = 5"],
     5, "does not match its link"),
    (["DROP TRIGGER events_no_delete", "DELETE FROM events WHERE event_id = 2"], 2, "event 2 is missing"),
    (["DROP TRIGGER events_no_delete", "DELETE FROM events WHERE event_id IN (1, 2)"], 1,
     "events 1 to 2 are missing"),
    ([*_LIFT_HASH_CHECK,
      "INSERT INTO events (at, actor, os_login, entity, action) VALUES ('2020-04-27T09:00:00Z', 'admin1',"
      " 'tester', 'audit', 'finalised')"], 7, "has no link"),
    (["INSERT INTO events (at, actor, os_login, entity, action, hash) VALUES ('2020-04-27T09:00:00Z',"
      " 'admin1', 'tester', 'audit', 'finalised', 'f00d')"], 7, "does not match its link"),
    (["DROP TRIGGER events_no_delete", "DELETE FROM events WHERE event_id = 3",
      "INSERT INTO events (event_id, at, actor, os_login, entity, action, hash) VALUES (3,"
      " '2020-04-27T09:00:00Z', 'admin1', 'tester', 'audit', 'finalised', 'f00d')"], 3, "does not match"),
], ids=["edit-actor", "edit-after", "delete", "delete-first", "insert-no-link", "insert-forged", "replace"])
def test_a_trail_edited_with_sqlite3_is_caught(ctx, db_path, sql, first_broken, words):
    _history(ctx)
    _tamper(db_path, *sql)
    result = _verify_cli(db_path)
    assert result.exit_code == 1
    verdict = json.loads(result.stdout)
    assert verdict["intact"] is False and verdict["first_broken"] == first_broken
    assert words in verdict["problem"]
    text = CliRunner().invoke(cli, ["--db", str(db_path), "log", "verify"])
    assert text.exit_code == 1
    assert text.stderr.count("\n") == 1 and f"broken at event {first_broken}:" in text.stderr


def test_the_append_only_triggers_still_guard_the_trail(ctx, db_path):
    _history(ctx, 2)
    conn = sqlite3.connect(db_path)
    for statement in ("UPDATE events SET actor = 'x'", "DELETE FROM events",
                      "INSERT INTO events (at, actor, os_login, entity, action) VALUES ('a','b','c','d','e')"):
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute(statement)
    conn.close()


def test_truncation_of_the_newest_events_is_caught_by_the_checkpoint(ctx, db_path):
    _history(ctx)
    assert checkpoint_trail(ctx).intact
    _tamper(db_path, "DROP TRIGGER events_no_delete", "DELETE FROM events WHERE event_id >= 5")
    whole = verify_trail(ctx)
    assert not whole.intact and whole.first_broken == 5 and "newest events deleted" in whole.problem
    since = verify_trail(ctx, since_checkpoint=True)
    assert not since.intact and since.first_broken == 6 and "event 6 is missing" in since.problem


def test_a_chain_rewritten_end_to_end_misses_its_checkpoint(ctx, db_path):
    """Someone edits an event and recomputes every link after it: the chain holds
    together, but no longer passes through the link the checkpoint recorded."""
    _history(ctx)
    checkpoint_trail(ctx)
    conn = sqlite3.connect(db_path)
    conn.execute("DROP TRIGGER events_no_update")
    conn.execute("UPDATE events SET actor = 'someone.else' WHERE event_id = 2")
    prev = events.GENESIS
    for row in conn.execute("SELECT " + ", ".join(events.LINKED) + " FROM events ORDER BY event_id").fetchall():
        prev = events.link(prev, row)
        conn.execute("UPDATE events SET hash = ? WHERE event_id = ?", [prev, row[0]])
    conn.commit()
    conn.close()
    verdict = verify_trail(ctx)
    assert not verdict.intact and verdict.first_broken == 6 and "rewritten" in verdict.problem
    assert not verify_trail(ctx, since_checkpoint=True).intact


def test_checkpoints_verify_only_what_is_new_and_a_quiet_one_writes_nothing(ctx):
    _history(ctx, 4)
    first = checkpoint_trail(ctx)
    assert (first.events, first.head, first.after) == (4, 4, 0)
    _history(ctx, 2)
    second = checkpoint_trail(ctx)
    assert (second.events, second.head, second.after) == (2, 6, 4)
    before = ctx.store.scalar("SELECT count(*) FROM trail_checkpoints")
    changes = ctx.store.db.conn.total_changes
    quiet = checkpoint_trail(ctx)
    assert quiet.intact and quiet.events == 0 and quiet.head == 6
    assert ctx.store.scalar("SELECT count(*) FROM trail_checkpoints") == before == 2
    assert ctx.store.db.conn.total_changes == changes


def test_the_migration_links_the_events_already_written(tmp_path):
    """A database from before the chain (m004): m006 backfills every link, in order,
    inside its own transaction (the triggers are back afterwards)."""
    path = tmp_path / "old.db"
    db = Database(path)
    MIGRATIONS.apply(db, stop_before="m006_trail")
    db.conn.executemany(
        "INSERT INTO events (at, actor, os_login, entity, entity_id, action, before, after) VALUES (?,?,?,?,?,?,?,?)",
        [(f"2020-04-2{i}T09:00:00Z", "admin1", "tester", "audit", str(i), "saved", None, json.dumps({"i": i}))
         for i in range(5)])
    db.conn.commit()
    db.conn.close()
    store = Store.open(path)
    from core.context import Context

    ctx = Context(store=store, user="admin1", os_login="tester")
    assert verify_trail(ctx).intact and verify_trail(ctx).events == 5
    with ctx.tx() as tx:
        tx.event("audit", 9, "saved")
    assert verify_trail(ctx).events == 6
    triggers = {r[0] for r in store.rows("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    assert {"events_no_update", "events_no_delete"} <= triggers
    with pytest.raises(sqlite3.IntegrityError, match="an event needs its link in the trail"):  # m014's CHECK
        store.db.conn.execute("INSERT INTO events (at, actor, os_login, entity, action) VALUES ('a','b','c','d','e')")
    store.close()


def test_the_scheduler_checks_the_whole_chain_once_a_day(ctx, clock, db_path):
    """Between whole checks a tick verifies what is new and the checkpointed event; an
    edit to an older event is found by the first tick a day after the last whole check."""
    _history(ctx)
    assert checkpoint_trail(ctx).after == 0  # the first check is of the whole chain
    _tamper(db_path, "DROP TRIGGER events_no_update", "UPDATE events SET actor = 'x' WHERE event_id = 2")
    clock.advance(hours=23)
    assert checkpoint_trail(ctx).intact  # only what is new: the old edit is not looked at yet
    _tamper(db_path, "UPDATE events SET actor = 'y' WHERE event_id = 6")  # the checkpointed one
    assert checkpoint_trail(ctx).first_broken == 6
    _tamper(db_path, "UPDATE events SET actor = 'admin1' WHERE event_id = 6")
    clock.advance(hours=1)
    late = checkpoint_trail(ctx)
    assert not late.intact and late.first_broken == 2 and late.after == 0


# --- the scheduler's own chains (Store.recording_links) ----------------------------------
def _other_process(ctx, db_path, n):
    """Events written meanwhile by another process (its own store on the file)."""
    from core.context import Context

    other = Context(store=Store.open(db_path), clock=ctx.clock, settings=ctx.settings, user="m1", os_login="m1")
    _history(other, n)
    other.store.close()


def test_a_checkpoint_takes_its_own_chains_as_linked_and_verifies_every_other_event(ctx, db_path):
    _history(ctx, 3)
    assert checkpoint_trail(ctx).after == 0  # the day's whole check
    with ctx.store.recording_links() as linked:
        _history(ctx, 4)  # four transactions of this store: four chains of one event
        _other_process(ctx, db_path, 2)  # events 8 and 9: not this store's
        with ctx.tx() as tx:  # one chain of three
            tx.events_many([("audit", 9, "saved", None, {"v": n}, None) for n in range(3)])
        with ctx.tx() as tx:
            tx.scalar("SELECT 1")  # wrote no event: no chain
    assert linked == [(3 + n, events.hash_of(ctx.store, 3 + n), 4 + n, events.hash_of(ctx.store, 4 + n))
                      for n in range(4)] + [(9, events.hash_of(ctx.store, 9), 12, events.hash_of(ctx.store, 12))]
    verdict = checkpoint_trail(ctx, linked=linked)
    assert verdict.intact and (verdict.events, verdict.own, verdict.head, verdict.after) == (2, 7, 12, 3)
    assert verdict.head_hash == events.hash_of(ctx.store, 12)
    assert events.last_checkpoint(ctx.store)["event_id"] == 12
    assert verify_trail(ctx).intact


def test_the_tick_does_not_hash_its_own_events_twice(ctx):
    from datetime import UTC, datetime

    from factories import busy_day

    from core.tick import tick

    busy_day(ctx)
    ctx.clock.set(datetime(2020, 5, 13, 9, 0, tzinfo=UTC))
    first = tick(ctx)  # the first check is of the whole chain: every event hashed
    assert first.trail.after == 0 and first.trail.own == 0 and first.trail.events == events.count(ctx.store)
    ctx.clock.set(datetime(2020, 5, 13, 9, 5, tzinfo=UTC))
    with ctx.tx() as tx:  # work for the next tick (the actions due again), and a person's event
        tx.execute("UPDATE actions SET due = '2020-05-15', notified = NULL")
        tx.event("audit", 1, "saved", after={"v": 1})
    again = tick(ctx)
    assert again.reminders and again.trail.intact and again.trail.after == first.trail.head
    assert again.trail.own == len(again.reminders) and again.trail.events == 1  # the person's event alone
    assert again.trail.head == events.count(ctx.store)
    assert verify_trail(ctx).intact


@pytest.mark.parametrize("sql, first_broken, words", [
    (["DROP TRIGGER events_no_delete", "DELETE FROM events WHERE event_id = 6"], 6, "event 6 is missing"),
    (["DROP TRIGGER events_no_delete", "DELETE FROM events WHERE event_id = 7"], 7,
     "ends at event 6 but this process wrote event 7"),
    (["DROP TRIGGER events_no_update", "UPDATE events SET hash = 'f00d' WHERE event_id = 7"], 7,
     "does not match its link"),
    (["DROP TRIGGER events_no_update", "UPDATE events SET actor = 'x' WHERE event_id = 3"], 3,
     "does not match its link"),  # another process's event, before the chain
], ids=["delete-inside", "delete-last", "relink-last", "edit-other"])
def test_a_chain_taken_as_linked_must_still_be_whole(ctx, db_path, sql, first_broken, words):
    """A chain is taken as it is only if all its events are still there, the last with the
    link its writer gave it, and it starts where the verified chain has got to."""
    _history(ctx, 2)
    assert checkpoint_trail(ctx).after == 0
    _other_process(ctx, db_path, 1)  # event 3
    with ctx.store.recording_links() as linked:
        with ctx.tx() as tx:
            tx.events_many([("audit", 9, "saved", None, {"v": n}, None) for n in range(4)])  # events 4 to 7
    _tamper(db_path, *sql)
    verdict = checkpoint_trail(ctx, linked=linked)
    assert not verdict.intact and verdict.first_broken == first_broken and words in verdict.problem


def test_an_edit_inside_a_chain_taken_as_linked_waits_for_the_whole_check(ctx, clock, db_path):
    """What taking the tick's own chains as linked gives up: an edit of one of them made
    between its commit and the checkpoint a moment later is found by the next whole check
    (within a day, and by 'log verify' and 'doctor' at any time), not by that checkpoint."""
    _history(ctx, 2)
    assert checkpoint_trail(ctx).after == 0
    with ctx.store.recording_links() as linked:
        with ctx.tx() as tx:
            tx.events_many([("audit", 9, "saved", None, {"v": n}, None) for n in range(3)])
    _tamper(db_path, "DROP TRIGGER events_no_update", "UPDATE events SET actor = 'x' WHERE event_id = 4")
    assert checkpoint_trail(ctx, linked=linked).intact
    assert checkpoint_trail(ctx).intact  # nothing new
    assert not verify_trail(ctx).intact and verify_trail(ctx).first_broken == 4
    clock.advance(hours=24)
    assert checkpoint_trail(ctx).first_broken == 4

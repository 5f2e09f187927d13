"""The scheduler's idempotency keys name their audit or action by its id zero-padded
(m012_tick_keys, ``core.store.outbox.tick_key``), so a catch-up over neighbouring ids
writes neighbouring entries of the key index. The migration converts the keys already
in a user's outbox in place, so nothing sent before the upgrade is sent again after it;
a migration that fails leaves the file as it was."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest
from factories import busy_day, keys_before_m012
from hypothesis import given
from hypothesis import strategies as st

from core.context import Context
from core.store import Store
from core.store.database import applied_migrations
from core.store.outbox import KEY_ID_WIDTH, TICK_KEYS, padded_key, tick_key
from core.tick import tick

NOTICES = [(entity, notice) for entity, notices in TICK_KEYS.items() for notice in notices]
OUTBOX = "SELECT * FROM outbox ORDER BY outbox_id"


def _reopened(ctx: Context, store: Store) -> Context:
    return Context(store=store, clock=ctx.clock, settings=ctx.settings, user=ctx.user, os_login=ctx.os_login)


def _as_before_m012(db_path) -> int:
    """The file as dipaudit left it before m012: the keys unpadded, m012 not applied."""
    conn = sqlite3.connect(db_path)
    conn.execute("DELETE FROM _sqlite_migrations WHERE name = 'm012_tick_keys'")
    changed = keys_before_m012(conn)
    conn.close()
    return changed


def test_the_tick_writes_its_keys_with_the_id_padded(ctx):
    a1, a2, _ = busy_day(ctx)
    ctx.clock.set(datetime(2020, 5, 13, 9, 0, tzinfo=UTC))
    done = tick(ctx)
    keys = {k for (k,) in ctx.store.rows("SELECT idempotency_key FROM outbox")}
    assert f"audit:{a1:010d}:finalised:w1" in keys and f"audit:{a2:010d}:review_due:pdt1" in keys
    assert {f"action:{r.action_id:010d}:overdue:2020-05-12" for r in done.reminders} <= keys
    assert f"audit:{a1}:submitted:w1" in keys  # a person's notices keep their keys


def test_the_migration_pads_the_keys_in_place_and_leaves_every_other_row_as_it_was(ctx, db_path):
    busy_day(ctx)
    ctx.clock.set(datetime(2020, 5, 10, 9, 0, tzinfo=UTC))  # two days before the actions are due: reminders
    first = tick(ctx)
    assert {r.kind for r in first.reminders} == {"reminder"}
    ctx.clock.set(datetime(2020, 5, 13, 9, 0, tzinfo=UTC))
    tick(ctx)  # overdue notices, finalisations, review alerts
    expected = ctx.store.rows(OUTBOX)
    ctx.store.close()
    assert _as_before_m012(db_path) >= 8  # finalised x2, review due x2, reminders and overdue notices x4

    store = Store.open(db_path)
    assert applied_migrations(store.db.conn)[-1] == "m012_tick_keys"
    assert store.rows(OUTBOX) == expected  # every row, every column, as the new code writes them
    store.close()


def test_a_notice_sent_before_the_upgrade_is_not_sent_again_after_it(ctx, db_path):
    """Reminders are held back by their key alone (an action stays pending until overdue):
    keys left unpadded would let the first tick after the upgrade remind everyone again."""
    busy_day(ctx)
    ctx.clock.set(datetime(2020, 5, 10, 9, 0, tzinfo=UTC))
    assert len(tick(ctx).reminders) == 4
    rows = ctx.store.scalar("SELECT count(*) FROM outbox")
    ctx.store.close()
    _as_before_m012(db_path)

    again = _reopened(ctx, Store.open(db_path))
    assert tick(again).reminders == []
    assert again.store.scalar("SELECT count(*) FROM outbox") == rows
    again.store.close()


def test_a_reminder_an_older_dipaudit_queued_after_the_upgrade_is_not_sent_again(ctx, db_path):
    """An older dipaudit still running when the file was upgraded (an open TUI) queues a
    reminder under the old key; the action's mark (``notified``, in the same transaction)
    keeps the new tick from reminding its owner again."""
    busy_day(ctx)
    ctx.clock.set(datetime(2020, 5, 10, 9, 0, tzinfo=UTC))
    assert len(tick(ctx).reminders) == 4
    rows = ctx.store.scalar("SELECT count(*) FROM outbox")
    conn = sqlite3.connect(db_path)  # the keys as the older process wrote them; m012 stays applied
    assert keys_before_m012(conn) == 4 + 2  # the reminders, and the finalised audit's two notices
    conn.close()
    assert tick(ctx).reminders == []
    assert ctx.store.scalar("SELECT count(*) FROM outbox") == rows


def test_a_migration_that_fails_leaves_the_keys_as_they_were(ctx, db_path):
    a1, *_ = busy_day(ctx)
    ctx.clock.set(datetime(2020, 5, 13, 9, 0, tzinfo=UTC))
    tick(ctx)
    ctx.store.close()
    _as_before_m012(db_path)
    conn = sqlite3.connect(db_path)  # in its way: the padded form of a key already there
    conn.execute("INSERT INTO outbox (created_at, recipient, template, payload, idempotency_key)"
                 " VALUES ('2020-05-13T09:00:00Z', 'w1', 'audit_finalised', '{}', ?)",
                 [f"audit:{a1:010d}:finalised:w1"])
    conn.commit()
    before = conn.execute(OUTBOX).fetchall()
    conn.close()
    with pytest.raises(sqlite3.IntegrityError, match="idempotency_key"):
        Store.open(db_path)
    store = Store.open(db_path, migrate=False)
    assert "m012_tick_keys" not in applied_migrations(store.db.conn)
    assert store.rows(OUTBOX) == before
    store.close()


@given(entity_notice=st.sampled_from(NOTICES), number=st.integers(min_value=0, max_value=10**12),
       rest=st.text(st.characters(blacklist_categories=("Cs",)), max_size=20))
def test_an_old_key_is_padded_to_what_the_tick_writes(entity_notice, number, rest):
    entity, notice = entity_notice
    new = tick_key(entity, number, notice, rest)
    assert padded_key(f"{entity}:{number}:{notice}:{rest}") == new
    assert padded_key(new) == new  # converting twice changes nothing
    assert new.split(":")[1].lstrip("0") == str(number).lstrip("0")
    assert len(new.split(":")[1]) == max(KEY_ID_WIDTH, len(str(number)))


@given(st.sampled_from([
    "audit:12:submitted:w1", "action:4:new_due:2020-05-12", "action:4:reassigned:w2:2020-05-01T09:00:00Z",
    "escalation:3:overdue:manager:2020-05-01T06:46:51Z", "report:smt:2020-04-30T07:00:00Z:smt1",
    "comment:9:added", "audit:x1:finalised:w1", "audit::finalised:w1", "audit:١٢:finalised:w1", "k1", ""]))
def test_every_other_key_is_left_as_it_is(key):
    assert padded_key(key) == key


@given(st.lists(st.integers(min_value=1, max_value=10**KEY_ID_WIDTH - 1), min_size=2, max_size=50, unique=True))
def test_keys_sort_as_their_ids(ids):
    """What the padding is for: text order is id order, so neighbouring ids are neighbours
    in the key index."""
    assert sorted(tick_key("audit", i, "finalised", "w1") for i in ids) == \
        [tick_key("audit", i, "finalised", "w1") for i in sorted(ids)]

"""The scheduler's catch-up writes each batch in bulk (one executemany per table, the
trail chained once): exactly the events and outbox rows, per item, that one item at a
time wrote, whatever the batch size, and a trail that verifies."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime

import pytest
from conftest import as_user
from factories import add_child, full_audit_data, submitted_audit
from hypothesis import given
from hypothesis import strategies as st

import core.context
from core.audit import fill_audit, start_audit, submit_audit
from core.clock import FixedClock
from core.comments import add_comment, resolve_comment
from core.config import Settings
from core.context import Context
from core.store import Store, Tx, events
from core.tick import tick
from core.trail import verify_trail

PLAIN = 10  # audits with nothing in their way
DEADLINE = "2020-04-30T{}:00Z"  # submitted 27 Apr at 09:00, 09:05, ...: 72 h on


def _submit(ctx, child_id: str):
    add_child(ctx, child_id, worker="w1", name=f"Child {child_id}")
    aud = as_user(ctx, "aud1")
    audit = start_audit(aud, child_id)
    fill_audit(aud, audit.audit_id, full_audit_data(due="2020-05-12"))
    return submit_audit(aud, audit.audit_id).audit_id


def _scenario(ctx) -> dict:
    """PLAIN audits, one held by an open query, one whose query was resolved after its
    deadline (its auditor finalises it), one whose query was resolved in time; all with
    two actions due 12 May. Then the clock goes to 13 May, nobody having ticked."""
    ids = {"plain": [submitted_audit(ctx, data=full_audit_data(due="2020-05-12")).audit_id]}
    for n in range(2, PLAIN + 1):
        ctx.clock.advance(minutes=5)
        ids["plain"].append(_submit(ctx, f"C{n}"))
    ctx.clock.advance(minutes=5)
    ids["open_query"] = _submit(ctx, "CQ")
    add_comment(as_user(ctx, "m1"), ids["open_query"], "Query", query=True)
    ids["late"] = _submit(ctx, "CL")
    late_q = add_comment(as_user(ctx, "m1"), ids["late"], "Query", query=True)
    ids["in_time"] = _submit(ctx, "CT")
    in_time_q = add_comment(as_user(ctx, "w1"), ids["in_time"], "Query", query=True)
    ctx.clock.advance(hours=30)
    resolve_comment(as_user(ctx, "aud1"), in_time_q.comment_id, "Answered")
    ctx.clock.advance(hours=50)  # past the deadlines
    resolve_comment(as_user(ctx, "aud1"), late_q.comment_id, "Answered late")
    ctx.clock.set(datetime(2020, 5, 13, 9, 0, tzinfo=UTC))
    return ids


def _catch_up(tmp_path, monkeypatch, batch: int, name: str):
    """The scenario on a new database, then one tick with ``TICK_BATCH`` at ``batch``."""
    store = Store.open(tmp_path / f"{name}.db")
    ctx = Context(store=store, clock=FixedClock(datetime(2020, 4, 27, 9, 0, tzinfo=UTC)),
                  settings=Settings(), user="system", os_login="tester")
    ids = _scenario(ctx)
    start = events.count(store)
    monkeypatch.setattr(core.context, "TICK_BATCH", batch)
    result = tick(ctx)
    new_events = store.rows("SELECT * FROM events WHERE event_id > ? ORDER BY event_id", [start])
    outbox = store.rows("SELECT * FROM outbox ORDER BY outbox_id")
    return ctx, ids, result, new_events, outbox


def test_a_batched_catch_up_writes_per_item_what_one_at_a_time_wrote(tmp_path, monkeypatch):
    ctx, ids, result, new_events, outbox = _catch_up(tmp_path, monkeypatch, 3, "batched")
    finalised = [*ids["plain"], ids["in_time"]]
    every = [*ids["plain"], ids["open_query"], ids["late"], ids["in_time"]]
    assert result.finalised == finalised  # in submission order; the open and the late query hold theirs
    assert sorted(result.reviews_due) == sorted(every)
    assert len(result.reminders) == 2 * len(every) and {r.kind for r in result.reminders} == {"overdue"}

    # One event per item, as the per-item path wrote it.
    trail = events.recent(ctx.store, limit=1000)
    by = {}
    for e in trail[: len(new_events)]:
        by.setdefault((e["entity"], e["action"]), []).append(e)
    fin = {int(e["entity_id"]): e for e in by[("audit", "finalised")]}
    assert sorted(fin) == sorted(finalised)
    for n, aid in enumerate(ids["plain"]):
        hhmm = f"{9 + (n * 5) // 60:02d}:{(n * 5) % 60:02d}"
        assert fin[aid]["after"] == {"status": "finalised", "finalised_at": DEADLINE.format(hhmm),
                                     "finalised_by": "system"}
    assert all(e["before"] == {"status": "submitted"} and e["actor"] == "system" and e["os_login"] == "tester"
               and e["at"] == "2020-05-13T09:00:00Z" for e in fin.values())
    review = {int(e["entity_id"]): e["after"] for e in by[("audit", "review_due")]}
    assert review == {aid: {"review_due_at": review[aid]["review_due_at"], "open_actions": 2, "alerted": ["pdt1"]}
                      for aid in every}
    overdue = sorted(int(e["entity_id"]) for e in by[("action", "overdue")])
    assert overdue == sorted(r.action_id for r in result.reminders) and len(set(overdue)) == len(overdue)
    assert {k: len(v) for k, v in by.items() if k[0] != "report"} == {
        ("audit", "finalised"): len(finalised), ("audit", "review_due"): len(every),
        ("action", "overdue"): 2 * len(every)}  # nothing else, and nothing twice

    # Each outbox row with its idempotency key, once.
    rows = ctx.store.query("SELECT * FROM outbox WHERE created_at = '2020-05-13T09:00:00Z'")
    keys = sorted(r["idempotency_key"] for r in rows)
    assert keys == sorted(
        [f"audit:{aid:010d}:finalised:{who}" for aid in finalised for who in ("w1", "m1")]  # m012: ids padded
        + [f"audit:{aid:010d}:review_due:pdt1" for aid in every]
        + [f"action:{r.action_id:010d}:overdue:2020-05-12" for r in result.reminders])
    per_template = {}
    for r in rows:
        per_template[r["template"]] = per_template.get(r["template"], 0) + 1
    assert per_template == {"audit_finalised": 2 * len(finalised), "review_due": len(every),
                            "action_overdue": 2 * len(every)}
    fin_rows = [r for r in rows if r["template"] == "audit_finalised"]
    assert all(json.loads(r["payload"])["finalised_by"] == "system" and r["status"] == "pending"
               and r["entity"] == "audit" and r["recipient_role"] in ("worker", "manager") for r in fin_rows)

    # The chain holds, and a second tick does nothing.
    assert verify_trail(ctx).intact
    again = tick(ctx)
    assert (again.finalised, again.reviews_due, again.reminders) == ([], [], [])


@pytest.mark.parametrize("batch", [2, 1000])
def test_the_rows_written_do_not_depend_on_the_batch_size(tmp_path, monkeypatch, batch):
    """Batches of one are the per-item path (one item per transaction): other sizes write
    the same rows, byte for byte, links and all."""
    *_, one_events, one_outbox = _catch_up(tmp_path, monkeypatch, 1, "one")
    *_, many_events, many_outbox = _catch_up(tmp_path, monkeypatch, batch, "many")
    assert many_events == one_events
    assert many_outbox == one_outbox


def test_bulk_outbox_says_which_messages_are_new(ctx):
    with ctx.tx() as tx:
        assert tx.outbox("w1", "t", {"a": 1}, "k1")
    with ctx.tx() as tx:
        new = tx.outbox_many([("w1", "t", {"a": 1}, "k1", None, None, None),
                              ("w1", "t", {"a": 2}, "k2", "worker", "audit", 7),
                              ("w1", "t", {"a": 3}, "k2", "worker", "audit", 7)])
    assert new == [False, True, False]
    rows = ctx.store.query("SELECT idempotency_key, payload, entity_id FROM outbox ORDER BY outbox_id")
    assert rows == [{"idempotency_key": "k1", "payload": '{"a": 1}', "entity_id": None},
                    {"idempotency_key": "k2", "payload": '{"a": 2}', "entity_id": "7"}]


def test_bulk_outbox_tells_new_from_queued_as_one_at_a_time_does(ctx, tmp_path):
    """The bulk insert reads back what it added (the rows after the newest before it) only
    when some key was queued already; its answer is the per-item one, wherever the queued
    keys fall, with a key twice in one batch, and after the newest row was deleted (its id
    given again)."""
    one = Context(store=Store.open(tmp_path / "one.db"), clock=ctx.clock, settings=ctx.settings,
                  user="system", os_login="tester")
    batches = [["a", "b", "c"], ["d", "a", "e", "e", "c", "f"], ["g", "h"], ["h", "i", "g"]]
    for n, keys in enumerate(batches):
        items = [("w1", "t", {"n": n}, k, None, "audit", n) for k in keys]
        if n == 2:
            for c in (ctx, one):
                with c.tx() as tx:
                    tx.execute("DELETE FROM outbox WHERE outbox_id = (SELECT max(outbox_id) FROM outbox)")
        with ctx.tx() as tx:
            bulk = tx.outbox_many(items)
        with one.tx() as tx:
            each = [tx.outbox(*item[:4], recipient_role=item[4], entity=item[5], entity_id=item[6])
                    for item in items]
        assert bulk == each, keys
    assert bulk == [False, True, False]
    assert ctx.store.rows("SELECT * FROM outbox ORDER BY outbox_id") == one.store.rows(
        "SELECT * FROM outbox ORDER BY outbox_id")
    one.store.close()


def test_bulk_events_chain_as_one_at_a_time(ctx, tmp_path):
    other = Context(store=Store.open(tmp_path / "other.db"), clock=ctx.clock, settings=ctx.settings,
                    user=ctx.user, os_login=ctx.os_login)
    items = [("audit", 1, "a", None, {"x": "é"}, None), ("action", None, "b", {"y": [1, 2]}, None, "system"),
             ("audit", "3", "c", None, None, None)]
    with ctx.tx() as tx:
        ids = tx.events_many(items)
    with other.tx() as tx:
        one = [tx.event(entity, eid, action, before=before, after=after, actor=actor)
               for entity, eid, action, before, after, actor in items]
    assert ids == one
    sql = "SELECT * FROM events ORDER BY event_id"
    assert ctx.store.rows(sql) == other.store.rows(sql)
    assert verify_trail(ctx).intact


_texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=8)


@given(st.lists(st.tuples(st.sampled_from(["audit", "action", 'a"b\\']), st.none() | st.integers() | _texts,
                          _texts, st.sampled_from(["system", "ünï\n"]) | st.none() | _texts,
                          st.none() | st.dictionaries(_texts, _texts, max_size=2),
                          st.none() | st.dictionaries(_texts, st.integers() | _texts, max_size=2)),
                min_size=1, max_size=6),
       _texts)
def test_bulk_links_are_those_of_the_canonical_form(items, os_login):
    """The bulk insert puts each event's canonical form together from parts quoted once per
    batch: its links are ``events.link`` of the rows as stored, whatever the text."""
    from core.store.database import Handle

    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE events (" + ", ".join(events.LINKED) + ", hash)")
    tx = Tx(Handle(conn), datetime(2020, 5, 13, 9, 0, tzinfo=UTC), "system", os_login)
    events.insert_many(tx, items)
    prev = events.GENESIS
    for row in conn.execute("SELECT " + ", ".join(events.LINKED) + ", hash FROM events ORDER BY event_id"):
        prev = events.link(prev, row[:-1])
        assert row[-1] == prev


@given(st.lists(st.one_of(st.none(), st.integers(), st.text()), max_size=9))
def test_the_canonical_form_is_compact_json(row):
    assert events.canonical(row) == json.dumps(row, ensure_ascii=False, separators=(",", ":"))


_values = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(),
                                 st.dates()),
                       lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
                       max_leaves=12)


@given(_values)
def test_stored_json_is_json_dumps_with_sorted_keys(value):
    assert events.as_json(value) == (None if value is None else
                                     json.dumps(value, default=str, sort_keys=True, ensure_ascii=False))


def test_one_payload_told_to_several_is_stored_for_each_as_its_own(ctx):
    """A payload object shared by consecutive messages is encoded once: every row still
    holds its own message's payload (a shared one, then others, then the shared one again)."""
    shared, other = {"b": "é", "a": 1}, {"a": 2}
    with ctx.tx() as tx:
        tx.outbox_many([("w1", "t", shared, "k1", None, None, None), ("m1", "t", shared, "k2", None, None, None),
                        ("w1", "t", other, "k3", None, None, None), ("m1", "t", shared, "k5", None, None, None)])
        tx.events_many([("audit", 1, "x", shared, other, None), ("audit", 2, "x", shared, None, None),
                        ("audit", 3, "x", None, shared, None), ("audit", 4, "x", other, None, None)])
    payloads = ctx.store.rows("SELECT idempotency_key, payload FROM outbox ORDER BY outbox_id")
    assert payloads == [("k1", '{"a": 1, "b": "é"}'), ("k2", '{"a": 1, "b": "é"}'), ("k3", '{"a": 2}'),
                        ("k5", '{"a": 1, "b": "é"}')]
    trail = ctx.store.rows("SELECT entity_id, before, after FROM events WHERE action = 'x' ORDER BY event_id")
    assert trail == [("1", '{"a": 1, "b": "é"}', '{"a": 2}'), ("2", '{"a": 1, "b": "é"}', None),
                     ("3", None, '{"a": 1, "b": "é"}'), ("4", '{"a": 2}', None)]
    assert verify_trail(ctx).intact


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)),  # noqa: DTZ001 - naive bounds, made UTC
       st.integers(min_value=0, max_value=24 * 400))
def test_a_deadline_is_stored_as_iso_stores_it(when, hours):
    """The catch-up's quick form of a deadline is ``iso``'s, whatever the submission time
    (to the second, as stored) and the window."""
    from datetime import timedelta

    from core.audit.finalise import _deadline_iso
    from core.clock import iso

    submitted = iso(when.replace(tzinfo=UTC))
    window = timedelta(hours=hours)
    assert _deadline_iso(submitted, window) == iso(datetime.fromisoformat(submitted.replace("Z", "+00:00")) + window)


def test_tick_leaves_the_garbage_collector_as_it_found_it(ctx, monkeypatch):
    """The collector is paused while the rules run, and afterwards is as it was: running,
    or still off where the process had turned it off; also when a rule fails."""
    import gc

    import core.tick

    seen = []
    real = core.tick.finalise_due

    def spy(c):
        seen.append(gc.isenabled())
        return real(c)

    monkeypatch.setattr(core.tick, "finalise_due", spy)
    assert gc.isenabled()
    tick(ctx)
    assert seen == [False] and gc.isenabled()
    gc.disable()
    try:
        tick(ctx)
        assert not gc.isenabled()
    finally:
        gc.enable()

    def broken(c):
        raise RuntimeError("a rule failed")

    monkeypatch.setattr(core.tick, "finalise_due", broken)
    with pytest.raises(RuntimeError):
        tick(ctx)
    assert gc.isenabled()


# --- the JSON texts the catch-up makes itself ------------------------------------------
_anything = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
_id = st.integers() | _anything
_txt = st.text() | _anything


@given(st.integers(), _txt, _txt, _txt)  # an audit's key names it by its number
def test_a_finalised_audit_event_and_notice_are_as_json_of_their_dicts(audit_id, child_id, at, by):
    from core.audit.finalise import _finalised

    event, notices = _finalised(audit_id, child_id, "w1", "m1", "submitted", at=at, by=by)
    assert events.as_json(event[4]) == events.as_json({"status": "finalised", "finalised_at": at, "finalised_by": by})
    assert events.as_json(notices[0][2]) == events.as_json(
        {"audit_id": audit_id, "child_id": child_id, "finalised_at": at, "finalised_by": by})
    assert notices[0][2] is notices[1][2]  # one payload between the worker and the manager


@given(_id, _txt, _txt, _txt, _id, st.lists(st.text() | _anything, max_size=3))
def test_a_review_alert_event_and_notice_are_as_json_of_their_dicts(audit_id, child_id, team, due_at, n, pdt):
    from core.actions import _review_due_texts

    alerted = events.as_json(pdt) if all(type(login) is str for login in pdt) else None
    after, payload = _review_due_texts(audit_id, child_id, team, due_at, n, pdt, alerted)
    assert events.as_json(after) == events.as_json({"review_due_at": due_at, "open_actions": n, "alerted": pdt})
    assert events.as_json(payload) == events.as_json(
        {"audit_id": audit_id, "child_id": child_id, "team": team, "review_due_at": due_at, "open_actions": n})


@given(_id, _id, _txt, _txt, _txt, _txt)
def test_a_reminder_event_and_notice_are_as_json_of_their_dicts(action_id, audit_id, child_id, description, due,
                                                                 owner):
    from core.actions import _reminded, _reminder_payload

    assert events.as_json(_reminder_payload(action_id, audit_id, child_id, description, due)) == events.as_json(
        {"action_id": action_id, "audit_id": audit_id, "child_id": child_id, "description": description,
         "due": due})
    assert events.as_json(_reminded(due, owner)) == events.as_json({"due": due, "owner": owner})


def test_an_encoded_text_is_stored_as_a_plain_text():
    text = events.as_json(events.Encoded('{"a": 1}'))
    assert text == '{"a": 1}' and type(text) is str
    assert events.as_json("{}") == '"{}"'  # any other text is a JSON string, as before


@pytest.mark.parametrize("per_insert", [1, 3, events.ROWS_PER_INSERT])
def test_bulk_writes_across_statements_are_the_rows_written_one_at_a_time(ctx, tmp_path, monkeypatch,
                                                                          per_insert):
    """Many rows to a statement (``events.insert_rows``, the shared values bound once a
    statement): whatever falls on either side of a statement's end, the rows are those the
    one-at-a-time writers store, and the outbox still tells new from queued."""
    monkeypatch.setattr(events, "ROWS_PER_INSERT", per_insert)
    one = Context(store=Store.open(tmp_path / "one.db"), clock=ctx.clock, settings=ctx.settings,
                  user=ctx.user, os_login=ctx.os_login)
    n = 2 * events.ROWS_PER_INSERT + 7
    evs = [("audit", i, "x", None, {"i": i}, "system" if i % 3 else None) for i in range(n)]
    keys = [f"k{i}" for i in range(n)] + ["k4", "new", "new", f"k{n - 1}"]  # queued, and twice in one write
    notices = [("w1", "t", {"i": i}, key, "worker", "audit", i) for i, key in enumerate(keys)]
    with ctx.tx() as tx:
        tx.events_many(evs)
        new = tx.outbox_many(notices)
    with one.tx() as tx:
        for entity, eid, action, before, after, actor in evs:
            tx.event(entity, eid, action, before=before, after=after, actor=actor)
        each = [tx.outbox(*item[:4], recipient_role=item[4], entity=item[5], entity_id=item[6]) for item in notices]
    assert new == each == [True] * n + [False, True, False, False]
    for sql in ("SELECT * FROM events ORDER BY event_id", "SELECT * FROM outbox ORDER BY outbox_id"):
        assert ctx.store.rows(sql) == one.store.rows(sql)
    assert verify_trail(ctx).intact
    one.store.close()


def test_each_action_is_marked_with_its_own_notice(ctx):
    """``mark_notified_many`` writes one statement per notice: every action still gets its
    own (a thousand over several statements; an action named twice, its last)."""
    from core.store import actions

    audit_id = submitted_audit(ctx).audit_id
    with ctx.tx() as tx:
        tx.executemany("INSERT INTO actions (action_id, audit_id, owner_role, owner, due, created_at, updated_at)"
                       " VALUES (?, ?, 'worker', 'w1', '2020-05-01', ?, ?)",
                       [(i, audit_id, tx.at, tx.at) for i in range(1001, 2201)])
        notices = {i: "overdue:2020-05-01" if i % 3 else "reminder:2020-05-01" for i in range(1001, 2200)}
        actions.mark_notified_many(tx, [*notices.items(), (1007, "reminder:2020-05-01")])
        notices[1007] = "reminder:2020-05-01"
    stored = dict(ctx.store.rows("SELECT action_id, notified FROM actions WHERE action_id > 1000"
                                 " AND notified IS NOT NULL"))
    assert stored == notices


@pytest.mark.parametrize("batch", [2, 1000])
def test_the_audits_and_actions_marked_do_not_depend_on_the_batch_size(tmp_path, monkeypatch, batch):
    """What the catch-up marks (audits finalised, actions flagged and notified) is the same
    row for row, whatever the batch size."""
    one = _catch_up(tmp_path, monkeypatch, 1, "one")[0]
    many = _catch_up(tmp_path, monkeypatch, batch, "many")[0]
    for sql in ("SELECT * FROM audits ORDER BY audit_id", "SELECT * FROM actions ORDER BY action_id"):
        assert many.store.rows(sql) == one.store.rows(sql)


def test_audits_finalised_in_bulk_are_the_rows_marked_one_at_a_time(ctx, tmp_path):
    """``mark_finalised_many`` (many audits to a statement, each with its own instant and
    finaliser) writes each audit's row as ``mark_finalised`` does, across statements."""
    from core.store import audits
    from core.store.audits import _MARKS_PER_UPDATE

    one = Context(store=Store.open(tmp_path / "one.db"), clock=ctx.clock, settings=ctx.settings,
                  user=ctx.user, os_login=ctx.os_login)
    n = _MARKS_PER_UPDATE + 7
    for c in (ctx, one):
        add_child(c, "C1", worker="w1", name="Child One")
        with c.tx() as tx:
            tx.executemany("INSERT INTO audits (audit_id, child_id, auditor, programme_id, programme_version,"
                           " status, audit_date, started_at, version, updated_at, updated_by)"
                           " VALUES (?, 'C1', 'aud1', 'p', '1', 'submitted', '2020-04-27', ?, ?, ?, 'aud1')",
                           [(i, tx.at, 1 + i % 4, tx.at) for i in range(1, n + 1)])
    items = [(i, f"2020-04-30T09:{i % 60:02d}:00Z", "system" if i % 3 else "aud1") for i in range(n, 0, -1)]
    ctx.clock.advance(hours=1)
    with ctx.tx() as tx:
        audits.mark_finalised_many(tx, items)
    with one.tx() as tx:
        for audit_id, at, by in items:
            audits.mark_finalised(tx, audit_id, at=at, by=by)
    sql = "SELECT * FROM audits ORDER BY audit_id"
    assert ctx.store.rows(sql) == one.store.rows(sql)
    assert ctx.store.scalar("SELECT count(*) FROM audits WHERE status = 'finalised'") == n
    one.store.close()


_cell = st.none() | st.sampled_from(["a", "b", "é"]) | st.integers(0, 2) | st.sampled_from([1.0, b"a"])


@given(st.lists(st.tuples(_cell, _cell, _cell), min_size=1, max_size=7), st.integers(1, 3))
def test_columns_alike_bound_once_store_what_each_row_holds(rows, per_insert):
    """``insert_rows``' ``alike`` columns, bound once a statement where every row holds one
    text (or NULL): the table holds what binding each row's own values stores, whatever
    the rows hold (texts, numbers, blobs, NULL, mixed) and wherever statements end."""
    from core.store.database import Handle

    stored = []
    for alike in ((), (0, 1, 2)):
        conn = sqlite3.connect(":memory:")
        conn.execute("CREATE TABLE t (n INTEGER PRIMARY KEY, at TEXT, a TEXT, b, c ANY)")
        tx = Tx(Handle(conn), datetime(2020, 5, 13, 9, 0, tzinfo=UTC), "system", "tester")
        old = events.ROWS_PER_INSERT
        events.ROWS_PER_INSERT = per_insert
        try:
            added = events.insert_rows(tx, "INSERT INTO t (at, a, b, c) VALUES", rows, values="(?1, ?, ?, ?)",
                                       shared=("now",), alike=alike)
        finally:
            events.ROWS_PER_INSERT = old
        assert added == len(rows)
        stored.append(conn.execute("SELECT n, at, a, typeof(a), b, typeof(b), c, typeof(c) FROM t").fetchall())
    assert stored[1] == stored[0]


def test_review_alerts_another_tick_wrote_after_the_read_are_not_written_again(ctx, db_path, monkeypatch):
    """The batch re-reads under the write lock which audits still want their alert (no
    'review_due' event), what each says and its open actions, in one read: those another
    tick alerted after this one's read get nothing a second time."""
    from factories import busy_day

    import core.store.audits
    from core.actions import flag_reviews_due

    a1, a2, _ = busy_day(ctx)
    ctx.clock.set(datetime(2020, 5, 13, 9, 0, tzinfo=UTC))
    other = Context(store=Store.open(db_path), clock=ctx.clock, settings=ctx.settings, user="cron", os_login="cron")
    real = core.store.audits.review_due_unflagged
    theirs = []

    def read_then_the_other_tick_alerts_the_first(r, now):
        due = real(r, now)
        monkeypatch.setattr(core.store.audits, "review_due_unflagged", lambda r, now: [a1])
        theirs.extend(flag_reviews_due(other))
        return due

    monkeypatch.setattr(core.store.audits, "review_due_unflagged", read_then_the_other_tick_alerts_the_first)
    assert flag_reviews_due(ctx) == [a2] and theirs == [a1]
    alerts = ctx.store.rows("SELECT entity_id, os_login, after FROM events WHERE action = 'review_due' ORDER BY 1")
    assert [(e, o) for e, o, _ in alerts] == [(str(a1), "cron"), (str(a2), "tester")]
    assert all(json.loads(after)["open_actions"] == 2 for *_, after in alerts)
    assert ctx.store.scalar("SELECT count(*) FROM outbox WHERE template = 'review_due'") == 2
    other.store.close()

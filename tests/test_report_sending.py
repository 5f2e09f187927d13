"""Sending reports: on schedule by tick (each slot exactly once, however often or late
tick runs, missed slots), by hand (admins only), and stored exactly as sent."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime

import pytest
import report_data as rd
from conftest import as_user

from core import locations
from core.clock import FixedClock
from core.context import Context
from core.errors import PermissionDenied, StateError
from core.outbox import list_outbox
from core.reports import (
    build_report,
    list_stored,
    queue_due_reports,
    render_report,
    send_report,
    show_stored,
    stored_model,
)
from core.store import Store
from core.tick import tick


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def history(ctx):
    return rd.build(ctx)


def report_rows(ctx) -> list[dict]:
    return [r.model_dump() for r in list_outbox(ctx, limit=1000) if r.entity == "report"]


def events(ctx, action: str) -> list[dict]:
    rows = ctx.store.query("SELECT * FROM events WHERE entity = 'report' AND action = ? ORDER BY event_id",
                           [action])
    for r in rows:
        r["after"] = json.loads(r["after"])
    return rows


def test_tick_queues_each_kind_once_per_slot_to_its_recipients(ctx, history):
    ctx.clock.set(utc(2020, 4, 30, 7, 5))  # Thu 08:05 BST: the SMT slot has come; Mon's weekly too
    done = tick(ctx).reports
    assert [(d.kind, d.slot, d.recipients, d.skipped) for d in done] == [
        ("smt", "2020-04-30T07:00:00Z", ["smt1", "smt2"], []),
        ("weekly", "2020-04-27T07:00:00Z", ["dir1"], []),
    ]
    rows = report_rows(ctx)
    assert sorted((r["recipient"], r["template"], r["recipient_role"]) for r in rows) == [
        ("dir1", "report_weekly", "director"), ("smt1", "report_smt", "smt"), ("smt2", "report_smt", "smt")]
    smt_row = next(r for r in rows if r["recipient"] == "smt1")
    assert smt_row["idempotency_key"] == "report:smt:2020-04-30T07:00:00Z:smt1"
    assert smt_row["entity_id"] == str(done[0].report_id)
    # The first SMT report ever sent covers everything since the database was first used
    # (the scheduler started two weeks late here): no audit before its slot misses the SMT.
    begun = ctx.store.scalar("SELECT min(at) FROM events")
    assert begun == "2020-04-14T08:00:00Z"
    in_period = ctx.store.scalar("SELECT count(*) FROM audits WHERE submitted_at >= ? AND submitted_at < ?",
                                 [begun, "2020-04-30T07:00:00Z"])
    in_slot = ctx.store.scalar("SELECT count(*) FROM audits WHERE submitted_at >= ? AND submitted_at < ?",
                               ["2020-04-28T07:00:00Z", "2020-04-30T07:00:00Z"])
    assert in_period > in_slot > 0
    assert smt_row["payload"]["audits"] == in_period and smt_row["payload"]["report_id"] == done[0].report_id
    stored = {s.kind: s for s in list_stored(as_user(ctx, "smt1"))}
    assert (stored["smt"].from_, stored["smt"].to, stored["smt"].trigger) == (
        begun, "2020-04-30T07:00:00Z", "schedule")
    assert stored["weekly"].from_ == "2020-04-19T23:00:00Z"  # Mon 20 Apr 00:00 BST
    # Again, and again later, before the next slot: nothing more.
    assert tick(ctx).reports == []
    ctx.clock.set(utc(2020, 5, 4, 6, 59))  # Mon 07:59 BST: neither next slot has come
    assert queue_due_reports(ctx) == []
    assert len(report_rows(ctx)) == 3
    [queued_smt] = [e for e in events(ctx, "queued") if e["after"]["kind"] == "smt"]
    assert queued_smt["actor"] == "system" and queued_smt["after"]["recipients"] == ["smt1", "smt2"]


def test_a_late_tick_sends_the_slot_once_and_a_missed_slot_is_sent_once(ctx, history):
    ctx.clock.set(utc(2020, 4, 30, 13))  # five hours late
    assert [d.slot for d in queue_due_reports(ctx) if d.kind == "smt"] == ["2020-04-30T07:00:00Z"]
    # Down from Thursday afternoon to the next Tuesday evening: Tue's slot is sent, once, late.
    ctx.clock.set(utc(2020, 5, 5, 19))
    assert [(d.kind, d.slot, d.skipped) for d in queue_due_reports(ctx)] == [
        ("smt", "2020-05-05T07:00:00Z", []), ("weekly", "2020-05-04T07:00:00Z", [])]
    assert queue_due_reports(ctx) == []


def test_slots_superseded_during_downtime_are_skipped_on_the_trail(ctx, history):
    ctx.clock.set(utc(2020, 4, 21, 7, 30))
    assert [d.slot for d in queue_due_reports(ctx)] == ["2020-04-21T07:00:00Z", "2020-04-20T07:00:00Z"]
    ctx.clock.set(utc(2020, 4, 30, 9))  # down for nine days
    done = {d.kind: d for d in queue_due_reports(ctx)}
    assert done["smt"].slot == "2020-04-30T07:00:00Z"
    assert done["smt"].skipped == ["2020-04-23T07:00:00Z", "2020-04-28T07:00:00Z"]
    assert done["weekly"].skipped == []
    skipped = events(ctx, "slot_skipped")
    assert [(e["after"]["kind"], e["after"]["slot"], e["after"]["superseded_by"]) for e in skipped] == [
        ("smt", "2020-04-23T07:00:00Z", "2020-04-30T07:00:00Z"),
        ("smt", "2020-04-28T07:00:00Z", "2020-04-30T07:00:00Z")]
    assert [s.slot for s in list_stored(ctx, kind="smt")] == ["2020-04-30T07:00:00Z", "2020-04-21T07:00:00Z"]
    # The clock moved back (a simulation): an older slot than the last sent is never sent.
    ctx.clock.set(utc(2020, 4, 28, 9))
    assert queue_due_reports(ctx) == []


def test_no_slot_before_the_database_was_first_used(ctx, history):
    ctx.clock.set(utc(2020, 4, 14, 8, 30))  # the first event is at 08:00Z; Tue's slot was at 07:00Z
    assert queue_due_reports(ctx) == []
    ctx.clock.set(utc(2020, 4, 16, 7, 1))
    assert [d.slot for d in queue_due_reports(ctx)] == ["2020-04-16T07:00:00Z"]


def test_scheduled_sending_can_be_turned_off(ctx, history):
    ctx.settings.reports.scheduled = False
    assert queue_due_reports(ctx) == [] and report_rows(ctx) == []


def test_a_slot_with_nobody_to_send_to_is_stored_once_and_said(ctx, history):
    with ctx.tx() as tx:
        tx.execute("UPDATE people SET active = 0 WHERE login IN ('smt1', 'smt2')")
    ctx.clock.set(utc(2020, 4, 30, 7, 5))
    done = {d.kind: d for d in queue_due_reports(ctx)}
    assert done["smt"].recipients == []
    assert [e["after"]["kind"] for e in events(ctx, "no_recipients")] == ["smt"]
    assert queue_due_reports(ctx) == []  # not built again every tick


def test_two_ticks_at_once_queue_a_slot_once(ctx, history, db_path):
    at = utc(2020, 4, 30, 7, 5)
    results, errors = [], []
    start = threading.Barrier(3)

    def run():
        store = Store.open(db_path)  # its own connection, as another process would have
        try:
            start.wait()
            results.append(queue_due_reports(Context(store=store, clock=FixedClock(at), settings=ctx.settings,
                                                     user="cron", os_login="cron")))
        except Exception as exc:  # pragma: no cover - shown by the assertion below
            errors.append(exc)
        finally:
            store.close()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(d.kind for r in results for d in r) == ["smt", "weekly"]
    assert ctx.store.scalar("SELECT COUNT(*) FROM reports") == 2
    assert len(report_rows(ctx)) == 3
    assert len(events(ctx, "queued")) == 2


def test_sending_by_hand_is_for_admins(ctx, history):
    for login in ("w1", "m1", "smt1", "aud1"):
        with pytest.raises(PermissionDenied) as err:
            send_report(as_user(ctx, login), "smt", rd.PERIOD)
        assert "may not send the SMT report: needs the admin role" in str(err.value)
    assert report_rows(ctx) == []
    sent = send_report(as_user(ctx, "admin1"), "smt", rd.PERIOD)
    assert (sent.trigger, sent.generated_by, sent.recipients) == ("hand", "admin1", ["smt1", "smt2"])
    again = send_report(as_user(ctx, "admin1"), "smt", rd.PERIOD)  # by hand twice: two reports, two sends
    keys = sorted(r["idempotency_key"] for r in report_rows(ctx))
    assert keys == sorted(f"report:{rid}:{who}" for rid in (sent.report_id, again.report_id)
                          for who in ("smt1", "smt2"))
    # By hand, nobody to send to is a refusal, and nothing is stored.
    with ctx.tx() as tx:
        tx.execute("UPDATE people SET roles = '[\"worker\"]' WHERE login = 'dir1'")
    with pytest.raises(StateError, match="no active person has the director role"):
        send_report(as_user(ctx, "admin1"), "weekly")
    assert ctx.store.scalar("SELECT COUNT(*) FROM reports") == 2


def test_a_stored_report_shows_exactly_as_sent(ctx, history):
    sent = send_report(as_user(ctx, "admin1"), "smt", rd.PERIOD)
    reader = as_user(ctx, "smt1")
    as_sent = {fmt: show_stored(reader, sent.report_id, fmt) for fmt in ("txt", "md", "html", "csv", "json")}
    assert as_sent["txt"] == render_report(stored_model(reader, sent.report_id), "txt")
    # Later changes, a council's new template and a later clock change nothing shown.
    ctx.clock.set(utc(2020, 6, 1, 9))
    own = locations.templates_dir() / "reports"
    own.mkdir(parents=True)
    (own / "report.txt.j2").write_text("A new layout: {{ t.audits }}\n")
    assert render_report(build_report(reader, "smt", rd.PERIOD), "txt") == "A new layout: 3\n"
    assert {fmt: show_stored(reader, sent.report_id, fmt) for fmt in as_sent} == as_sent
    assert json.loads(as_sent["json"])["generated_at"] == "2020-05-01T12:00:00Z"
    row = ctx.store.one("SELECT * FROM reports WHERE report_id = ?", [sent.report_id])
    import hashlib

    assert row["content_hash"] == hashlib.sha256(row["model"].encode()).hexdigest()
    with pytest.raises(PermissionDenied):
        show_stored(as_user(ctx, "w1"), sent.report_id)
    from core.errors import NotFound

    with pytest.raises(NotFound, match="no stored report 999"):
        show_stored(reader, 999)


def test_a_broken_council_template_holds_the_slot_without_stopping_tick(ctx, history):
    own = locations.templates_dir() / "reports"
    own.mkdir(parents=True)
    (own / "report.html.j2").write_text("{{ no_such_name }}\n")
    ctx.clock.set(utc(2020, 4, 30, 7, 5))
    result = tick(ctx)
    assert [(d.kind, d.report_id) for d in result.reports] == [("smt", None), ("weekly", None)]
    assert "report.html.j2" in result.reports[0].error and "no_such_name" in result.reports[0].error
    assert ctx.store.scalar("SELECT COUNT(*) FROM reports") == 0 and report_rows(ctx) == []
    (own / "report.html.j2").unlink()  # fixed: the next tick sends the slot, once
    assert [d.report_id is not None for d in tick(ctx).reports] == [True, True]
    assert tick(ctx).reports == []


def test_the_report_sent_after_downtime_covers_what_the_skipped_slots_would_have(ctx, history):
    """Every audit falls in exactly one report (README "Periods"): after the tick was down
    from Tue 21 to Thu 30 April, the SMT report sent on Thursday must run from where the
    last one sent (Tue 21 08:00) ended, not from Tue 28, or the audits submitted from the
    21st to the 28th are never shown to the SMT."""
    ctx.clock.set(utc(2020, 4, 21, 7, 30))
    queue_due_reports(ctx)
    ctx.clock.set(utc(2020, 4, 30, 9))  # down for nine days
    queue_due_reports(ctx)
    sent = sorted(list_stored(ctx, kind="smt"), key=lambda s: s.to)
    assert [s.slot for s in sent] == ["2020-04-21T07:00:00Z", "2020-04-30T07:00:00Z"]
    assert sent[1].from_ == sent[0].to
    # Each audit in exactly one: the two reports' periods meet and do not overlap.
    assert sent[0].to == "2020-04-21T07:00:00Z"



def test_the_first_smt_report_covers_since_the_database_was_first_used(ctx):
    """``due_period``: the first SMT report ever sent covers its slot's period, from the
    database's first use when that came before (the scheduler set up late), so no audit
    misses the SMT; later ones run from the last sent; the weekly is always its week."""
    from core.clock import iso
    from core.reports.periods import slot_period
    from core.reports.schedule import due_period

    rs = ctx.settings.reports
    slot = utc(2020, 4, 30, 7)  # Thursday 08:00 BST
    nominal = slot_period(rs, "smt", slot)
    assert (iso(nominal.start), iso(nominal.end)) == ("2020-04-28T07:00:00Z", "2020-04-30T07:00:00Z")
    inside = due_period(rs, "smt", slot, last=None, begun="2020-04-29T10:00:00Z")  # in use since Wednesday
    assert (inside.start, inside.end) == (nominal.start, nominal.end)
    late = due_period(rs, "smt", slot, last=None, begun="2020-04-14T08:00:00Z")
    assert (iso(late.start), late.end) == ("2020-04-14T08:00:00Z", nominal.end)
    after = due_period(rs, "smt", slot, last="2020-04-23T07:00:00Z", begun=None)
    assert iso(after.start) == "2020-04-23T07:00:00Z"
    weekly = due_period(rs, "weekly", utc(2020, 4, 27, 7), last=None, begun="2020-01-01T00:00:00Z")
    assert weekly == slot_period(rs, "weekly", utc(2020, 4, 27, 7))
